//! JSON bodies for the errors hyper answers itself, before any route runs:
//! a garbage request line or a path that is not valid (400), a URL too long
//! (414), headers too large or too many (431). hyper writes those with an
//! empty body; this wrapper around the connection recognises such a reply
//! (one of those statuses and no `content-type`: every reply runbox's
//! handlers make has one) and writes the dialect's JSON error instead,
//! chosen by the path of the request being read when there is one.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Enough of a path to tell its dialect.
const PATH_KEPT: usize = 128;

pub struct ProtocolErrors<T> {
    inner: T,
    /// The start of the path of the last request line read.
    path: Option<String>,
    /// The replacement reply not yet written.
    pending: Vec<u8>,
    written: usize,
}

impl<T> ProtocolErrors<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            path: None,
            pending: Vec::new(),
            written: 0,
        }
    }

    fn remember_path(&mut self, chunk: &[u8]) {
        let Some(space) = chunk.iter().take(16).position(|b| *b == b' ') else {
            return;
        };
        if space == 0 || !chunk[..space].iter().all(u8::is_ascii_uppercase) {
            return;
        }
        let rest = &chunk[space + 1..];
        if rest.first() != Some(&b'/') {
            return;
        }
        let end = rest
            .iter()
            .take(PATH_KEPT)
            .position(|b| matches!(b, b' ' | b'?' | b'\r' | b'\n'))
            .unwrap_or(rest.len().min(PATH_KEPT));
        self.path = Some(String::from_utf8_lossy(&rest[..end]).into_owned());
    }
}

/// hyper's own error reply: the whole head, one of the statuses it answers
/// by itself, and no content type.
fn protocol_error(head: &[u8]) -> Option<StatusCode> {
    let status = match head.get(..13)? {
        b"HTTP/1.1 400 " | b"HTTP/1.0 400 " => StatusCode::BAD_REQUEST,
        b"HTTP/1.1 414 " | b"HTTP/1.0 414 " => StatusCode::URI_TOO_LONG,
        b"HTTP/1.1 431 " | b"HTTP/1.0 431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let lower = head[..end].to_ascii_lowercase();
    let has_type = lower.windows(14).any(|w| w == b"\ncontent-type:");
    (!has_type).then_some(status)
}

fn replacement(status: StatusCode, path: Option<&str>) -> Vec<u8> {
    let text = match status {
        StatusCode::URI_TOO_LONG => "URI too long",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "Request headers too large or too many",
        _ => "Malformed HTTP request",
    };
    let body = crate::fallback::body(path, status, text).to_string();
    let mut reply = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    reply.extend_from_slice(body.as_bytes());
    reply
}

impl<T: AsyncWrite + Unpin> ProtocolErrors<T> {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProtocolErrors<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let chunk = &buf.filled()[before..];
        if !chunk.is_empty() {
            let head: Vec<u8> = chunk.iter().take(PATH_KEPT + 16).copied().collect();
            this.remember_path(&head);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProtocolErrors<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        if let Some(status) = protocol_error(buf) {
            this.pending = replacement(status, this.path.as_deref());
            // hyper's bytes count as written; the replacement goes out now
            // or on the flush hyper does next.
            return match this.drain(cx) {
                Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
                _ => Poll::Ready(Ok(buf.len())),
            };
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bodiless_errors_are_replaced() {
        assert_eq!(
            protocol_error(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n"
            ),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        assert_eq!(
            protocol_error(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{}"),
            None
        );
        assert_eq!(protocol_error(b"HTTP/1.1 200 OK\r\n\r\n"), None);
    }

    #[test]
    fn the_path_of_the_request_line_picks_the_dialect() {
        let mut io = ProtocolErrors::new(());
        io.remember_path(b"GET /api/v1/buttons?x=1 HTTP/1.1\r\n");
        assert_eq!(io.path.as_deref(), Some("/api/v1/buttons"));
        io.remember_path(b"garbage");
        assert_eq!(io.path.as_deref(), Some("/api/v1/buttons"));
        let reply = replacement(StatusCode::URI_TOO_LONG, io.path.as_deref());
        let text = String::from_utf8_lossy(&reply);
        assert!(text.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{text}");
        assert!(text.contains(r#""code":"URI_TOO_LONG""#), "{text}");
        assert!(text.contains(r#""success":false"#), "{text}");
    }
}
