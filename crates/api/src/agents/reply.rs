//! The agents dialect's error shape, `{"detail": "…"}` (FastAPI style),
//! shared with `/admin`.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::body::BodyError;

/// The agents (and admin) error body.
#[derive(Serialize, ToSchema)]
#[schema(as = AgentsError)]
pub struct DetailBody {
    /// What went wrong, in English.
    pub detail: String,
}

/// An error reply: a status and its `detail` text.
#[derive(Debug)]
pub struct Detail {
    pub status: StatusCode,
    pub detail: String,
}

impl IntoResponse for Detail {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(DetailBody {
                detail: self.detail,
            }),
        )
            .into_response()
    }
}

pub fn detail(status: StatusCode, detail: impl Into<String>) -> Detail {
    Detail {
        status,
        detail: detail.into(),
    }
}

pub fn unauthorized(_headers: &HeaderMap) -> Response {
    detail(
        StatusCode::UNAUTHORIZED,
        "Unauthorized: a valid API key is required",
    )
    .into_response()
}

pub fn forbidden() -> Detail {
    detail(
        StatusCode::FORBIDDEN,
        "Forbidden: only the owner or an admin may change this",
    )
}

pub fn internal(err: &dyn std::fmt::Display) -> Detail {
    tracing::error!(error = %err, "agents endpoint failed");
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
}

/// 413 for a body over the limit, 400 for malformed JSON.
pub fn body_error(err: &BodyError) -> Detail {
    match err {
        BodyError::TooLarge { limit } => detail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body larger than {limit} bytes"),
        ),
        BodyError::Malformed(why) => {
            detail(StatusCode::BAD_REQUEST, format!("Malformed JSON: {why}"))
        }
        BodyError::Unreadable(why) => detail(StatusCode::BAD_REQUEST, why.clone()),
    }
}

/// 422: the body is JSON but does not fit the schema.
pub fn unprocessable(why: impl Into<String>) -> Detail {
    detail(StatusCode::UNPROCESSABLE_ENTITY, why)
}

impl From<runbox_store::StoreError> for Detail {
    fn from(error: runbox_store::StoreError) -> Self {
        internal(&error)
    }
}

impl From<crate::catalog::CatalogError> for Detail {
    fn from(error: crate::catalog::CatalogError) -> Self {
        match error {
            crate::catalog::CatalogError::NotFound => {
                detail(StatusCode::NOT_FOUND, "Agent not found")
            }
            crate::catalog::CatalogError::Forbidden => forbidden(),
            crate::catalog::CatalogError::Store(err) => internal(&err),
        }
    }
}
