//! The proxy's own answers. A refusal is plain text on one line starting
//! `runbox proxy: `, so a user sees at once that the proxy (not the
//! destination) answered, and why; clients that print only the first line
//! of an error body lose nothing.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

/// Every response body the proxy sends: its own, or a destination's
/// streamed through.
pub(crate) type Body = BoxBody<Bytes, hyper::Error>;

/// Why a request was not carried out: the status to answer and the reason.
#[derive(Debug)]
pub(crate) struct Refused {
    pub status: StatusCode,
    pub reason: String,
}

impl Refused {
    pub(crate) fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }

    /// The answer to the run: `runbox proxy: REASON`, folded onto one line
    /// since reasons may quote error texts.
    pub(crate) fn into_response(self) -> Response<Body> {
        tracing::debug!(status = self.status.as_u16(), reason = %self.reason, "proxy refused");
        let line = self.reason.split_whitespace().collect::<Vec<_>>().join(" ");
        let body = Full::new(Bytes::from(format!("runbox proxy: {line}\n")))
            .map_err(|never| match never {})
            .boxed();
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

pub(crate) fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}
