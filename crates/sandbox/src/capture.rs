//! Reading a program's output from its pipes, keeping at most a fixed number
//! of bytes. The program is never blocked nor killed for writing more: the
//! excess is read and dropped, and the capture is marked truncated.

use tokio::io::AsyncReadExt;

/// Output kept from one pipe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// More was written than the limit allowed; the rest was discarded.
    pub truncated: bool,
}

impl Captured {
    /// The output as text; invalid UTF-8 sequences become U+FFFD.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Reads `reader` to its end, keeping the first `limit` bytes and passing
/// every chunk read (up to the limit) to `on_chunk`.
pub(crate) async fn capture<R, F>(mut reader: R, limit: usize, mut on_chunk: F) -> Captured
where
    R: tokio::io::AsyncRead + Unpin,
    F: FnMut(&[u8]),
{
    let mut kept = Captured::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let room = limit.saturating_sub(kept.bytes.len());
        let take = n.min(room);
        if take > 0 {
            kept.bytes.extend_from_slice(&buf[..take]);
            on_chunk(&buf[..take]);
        }
        if take < n {
            kept.truncated = true;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_first_bytes_and_marks_truncation() {
        let data = vec![b'x'; 100_000];
        let mut seen = 0;
        let got = capture(&data[..], 1000, |c| seen += c.len()).await;
        assert_eq!(got.bytes.len(), 1000);
        assert!(got.truncated);
        assert_eq!(seen, 1000);
    }

    #[tokio::test]
    async fn exact_limit_is_not_truncated() {
        let data = vec![b'y'; 1000];
        let got = capture(&data[..], 1000, |_| {}).await;
        assert_eq!(got.bytes.len(), 1000);
        assert!(!got.truncated);
    }
}
