//! Request bodies: read up to `max_body_bytes` (more is a 413), then parsed
//! as JSON whatever the Content-Type says — browsers' `fetch` without
//! headers sends `text/plain`. Dialects turn [`BodyError`] into their own
//! error shape.

use axum::body::Body;
use runbox_domain::{json_depth, MAX_JSON_DEPTH};
use serde_json::Value;

use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("could not read the request body: {0}")]
    Unreadable(String),
    #[error("malformed JSON: {0}")]
    Malformed(String),
}

/// A client that trickles its body holds a connection and a task: past
/// this it is refused, whatever the size.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads the body with the configured limit.
pub async fn read_bytes(state: &AppState, body: Body) -> Result<bytes::Bytes, BodyError> {
    let limit = state.settings.max_body_bytes;
    let read = tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| {
            BodyError::Unreadable(format!(
                "the body did not arrive within {} s",
                BODY_READ_TIMEOUT.as_secs()
            ))
        })?;
    read.map_err(|err| {
        let is_limit = std::error::Error::source(&err)
            .is_some_and(|source| source.is::<http_body_util_limit::LengthLimitError>())
            || err.to_string().contains("length limit");
        if is_limit {
            BodyError::TooLarge { limit }
        } else {
            BodyError::Unreadable(err.to_string())
        }
    })
}

/// Reads and parses a JSON body. An empty body reads as `null`.
pub async fn read_json(state: &AppState, body: Body) -> Result<Value, BodyError> {
    let bytes = read_bytes(state, body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let value =
        crate::strict_json::parse(&bytes).map_err(|e| BodyError::Malformed(e.to_string()))?;
    if json_depth(&value) > MAX_JSON_DEPTH {
        return Err(BodyError::Malformed(format!(
            "the JSON nests deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    Ok(value)
}

/// axum reports the limit through http-body-util's error type.
mod http_body_util_limit {
    pub use http_body_util::LengthLimitError;
}
