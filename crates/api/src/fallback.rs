//! Unknown routes and wrong methods get JSON, in the error shape of the
//! dialect whose path prefix they share.

use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

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

fn shaped(path: &str, status: StatusCode, text: &str) -> Response {
    let body = if path.starts_with("/v1/") {
        json!({ "code": status.as_u16(), "error": text, "message": text })
    } else if is_scenarios(path) {
        let code = if status == StatusCode::NOT_FOUND {
            "NOT_FOUND"
        } else {
            "METHOD_NOT_ALLOWED"
        };
        json!({ "error": { "code": code, "message": text } })
    } else if path.starts_with("/api/") {
        let code = if status == StatusCode::NOT_FOUND {
            "NOT_FOUND"
        } else {
            "METHOD_NOT_ALLOWED"
        };
        json!({ "success": false, "error": { "code": code, "message": text } })
    } else {
        json!({ "detail": text })
    };
    (status, Json(body)).into_response()
}
