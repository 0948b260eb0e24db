//! The Python dialect's error bodies that come before any execution exists:
//! 401, body validation (400) and body too large (413).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::body::BodyError;

pub fn unauthorized(_headers: &axum::http::HeaderMap) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "message": "Unauthorized" })),
    )
        .into_response()
}

/// `{"error": "Invalid payload: DETAIL", "message": …, "stdout": "", "exit_code": 400}`.
pub fn invalid_payload(detail: &str) -> Response {
    refused(format!("Invalid payload: {detail}"))
}

/// A request refused before anything ran, in the validation errors' shape:
/// `text` is the whole error (`Invalid dependencies: …`).
pub fn refused(text: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": text, "message": text, "stdout": "", "exit_code": 400 })),
    )
        .into_response()
}

/// A `/v1/code/execute/{runtime}` this server does not have.
pub fn unknown_runtime(runtime: &str) -> Response {
    let text = format!("Unknown runtime {runtime:?}: GET /v1/code/runtimes lists this server's");
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": text, "message": text, "stdout": "", "exit_code": 404 })),
    )
        .into_response()
}

pub fn body_error(err: &BodyError) -> Response {
    match err {
        BodyError::TooLarge { limit } => {
            let text = format!("Payload too large: the request body exceeds {limit} bytes");
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({ "error": text, "message": text, "stdout": "", "exit_code": 413 })),
            )
                .into_response()
        }
        BodyError::Malformed(detail) => invalid_payload(&format!("malformed JSON ({detail})")),
        BodyError::Unreadable(detail) => invalid_payload(detail),
    }
}
