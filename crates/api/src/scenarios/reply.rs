//! The scenarios dialect's errors: `{"error": {"message", "code",
//! "details"?}}` with the contract's codes.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::body::BodyError;

/// The scenarios error body: `{"error": {"message", "code", "details"?}}`.
#[derive(Serialize, ToSchema)]
#[schema(as = ScenariosError)]
pub struct ErrorBody {
    pub error: ErrorInfo,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
#[schema(as = ScenariosErrorInfo)]
pub struct ErrorInfo {
    /// What went wrong, in English.
    pub message: String,
    /// `INVALID_INPUT`, `SCENARIO_INACTIVE`, `FORBIDDEN`, `NOT_FOUND`,
    /// `PAYLOAD_TOO_LARGE`, `RATE_LIMITED`, `UNAUTHORIZED`,
    /// `EXECUTION_ERROR`, `TIMEOUT`, `INTERNAL_ERROR`, or for a request
    /// no route took, `METHOD_NOT_ALLOWED` and the like.
    pub code: String,
    /// For `EXECUTION_ERROR` and `TIMEOUT`: the execution, and the module
    /// in flight when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ErrorDetails>)]
    pub details: Option<Value>,
}

/// The run an `EXECUTION_ERROR` or `TIMEOUT` is about.
#[derive(ToSchema)]
#[schema(as = ScenariosErrorDetails, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ErrorDetails {
    execution_id: String,
    /// The module that failed, when known (absent for a stopped run).
    module_id: Option<i64>,
    module_name: Option<String>,
    /// The module's error (`EXECUTION_ERROR` of a failed run).
    error: Option<String>,
}

/// An error under Make's prefix (`/api/v2`): the same body, with Make's
/// top-level `message` and `detail` copies of `error.message`, which
/// Make's SDK shows (absent only on errors no route answered).
#[derive(ToSchema)]
#[schema(as = ScenariosMakeError)]
#[allow(dead_code)]
pub struct MakeErrorBody {
    error: ErrorInfo,
    message: Option<String>,
    detail: Option<String>,
}

#[derive(Debug)]
pub struct ScenarioApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl IntoResponse for ScenarioApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorInfo {
                message: self.message,
                code: self.code.to_owned(),
                details: self.details,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ScenarioApiError {
    ScenarioApiError {
        status,
        code,
        message: message.into(),
        details: None,
    }
}

pub fn invalid_input(message: impl Into<String>) -> ScenarioApiError {
    error(StatusCode::BAD_REQUEST, "INVALID_INPUT", message)
}

pub fn inactive() -> ScenarioApiError {
    error(
        StatusCode::BAD_REQUEST,
        "SCENARIO_INACTIVE",
        "Scenario is inactive: activate it before running it",
    )
}

pub fn not_found(what: &str) -> ScenarioApiError {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("{what} not found"),
    )
}

pub fn rate_limited(max: u32) -> ScenarioApiError {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        format!("Too many executions queued: MAX_QUEUE_LENGTH ({max}) reached"),
    )
}

pub fn execution_error(message: impl Into<String>, details: Value) -> ScenarioApiError {
    ScenarioApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "EXECUTION_ERROR",
        message: message.into(),
        details: Some(details),
    }
}

/// `details` names the execution (and the module in flight, when known),
/// as EXECUTION_ERROR's do, so the run can be found and retried.
pub fn timeout(message: impl Into<String>, details: Value) -> ScenarioApiError {
    ScenarioApiError {
        status: StatusCode::GATEWAY_TIMEOUT,
        code: "TIMEOUT",
        message: message.into(),
        details: Some(details),
    }
}

pub fn forbidden() -> ScenarioApiError {
    error(
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "Only the scenario's creator or an admin may change it",
    )
}

pub fn internal(err: &dyn std::fmt::Display) -> ScenarioApiError {
    tracing::error!(error = %err, "scenarios endpoint failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_ERROR",
        "Internal server error",
    )
}

pub fn body_error(err: &BodyError) -> ScenarioApiError {
    match err {
        BodyError::TooLarge { limit } => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request body larger than {limit} bytes"),
        ),
        BodyError::Malformed(why) => invalid_input(format!("Malformed JSON: {why}")),
        BodyError::Unreadable(why) => invalid_input(why.clone()),
    }
}

impl From<runbox_store::StoreError> for ScenarioApiError {
    fn from(error: runbox_store::StoreError) -> Self {
        internal(&error)
    }
}

/// The dialect's catalog is its scenarios.
impl From<crate::catalog::CatalogError> for ScenarioApiError {
    fn from(error: crate::catalog::CatalogError) -> Self {
        match error {
            crate::catalog::CatalogError::NotFound => not_found("Scenario"),
            crate::catalog::CatalogError::Forbidden => forbidden(),
            crate::catalog::CatalogError::Store(err) => internal(&err),
        }
    }
}

pub fn unauthorized(_headers: &HeaderMap) -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "Unauthorized: a valid API key is required",
    )
    .into_response()
}

/// Under Make's prefix, an error also carries Make's top-level `message`
/// and `detail`, which Make's SDK shows (it ignores the nested `error`).
pub async fn with_make_message(response: Response) -> Response {
    if !response.status().is_client_error() && !response.status().is_server_error() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let mut value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(_) => return Response::from_parts(parts, axum::body::Body::from(bytes)),
    };
    if let Some(message) = value.pointer("/error/message").cloned() {
        value["message"] = message.clone();
        value["detail"] = message;
    }
    let mut parts = parts;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(value.to_string()))
}
