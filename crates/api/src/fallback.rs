//! Errors no handler shaped, in the error shape of the dialect whose path
//! prefix the request shares: unknown routes (404), wrong methods (405),
//! the extractors' plain-text rejections (a path segment that is not UTF-8,
//! say), and the protocol errors the HTTP server answers before any route
//! is known (see [`crate::server`]).

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::buttons::reply::{ApiError, Code, Lang};

/// Make's prefix belongs to the scenarios dialect, the rest of `/api/` to buttons.
fn is_scenarios(path: &str) -> bool {
    path.starts_with("/scenarios") || path.starts_with(crate::scenarios::MAKE_PREFIX)
}

pub async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    if uri.path().starts_with("/api/") && !is_scenarios(uri.path()) {
        return ApiError::new(Code::NotFound).render(Lang::from_headers(&headers));
    }
    shaped(uri.path(), StatusCode::NOT_FOUND, "Not Found")
}

pub async fn method_not_allowed(uri: Uri) -> Response {
    shaped(
        uri.path(),
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    )
}

/// Replaces an error reply that is not JSON — axum's extractors answer a
/// bad path or query in plain text — with the dialect's JSON, keeping the
/// status and the text.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let plain_text = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain_text {
        return response;
    }
    let text = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    shaped(&path, status, &text)
}

/// A JSON error reply in the shape of the dialect `path` belongs to.
pub fn shaped(path: &str, status: StatusCode, text: &str) -> Response {
    (status, Json(body(Some(path), status, text))).into_response()
}

/// The error body for `status`; `path` is `None` when the request never
/// got far enough to have one, which gets the generic `{"detail"}` shape.
pub fn body(path: Option<&str>, status: StatusCode, text: &str) -> Value {
    let path = path.unwrap_or("");
    if path.starts_with("/v1/") {
        json!({ "code": status.as_u16(), "error": text, "message": text })
    } else if is_scenarios(path) {
        json!({ "error": { "code": code(status, "INVALID_INPUT"), "message": text } })
    } else if path.starts_with("/api/") {
        json!({ "success": false, "error": { "code": code(status, "INVALID_REQUEST"), "message": text } })
    } else {
        json!({ "detail": text })
    }
}

/// The code a dialect with `{"code": …}` errors uses for `status`;
/// `bad_request` is its name for 400.
fn code(status: StatusCode, bad_request: &'static str) -> &'static str {
    match status.as_u16() {
        400 => bad_request,
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        413 => "PAYLOAD_TOO_LARGE",
        414 => "URI_TOO_LONG",
        431 => "HEADERS_TOO_LARGE",
        503 => "SERVICE_UNAVAILABLE",
        500..=599 => "INTERNAL_ERROR",
        _ => "ERROR",
    }
}
