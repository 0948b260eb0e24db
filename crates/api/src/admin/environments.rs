//! `GET /admin/environments` and `DELETE /admin/environments/{id}`: this
//! node's Python package environments (contract section 10), admin only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_packages::RemoveError;

use super::detail;
use crate::agents::reply::DetailBody;
use crate::auth::Caller;
use crate::AppState;

fn forbidden() -> Response {
    detail(StatusCode::FORBIDDEN, "Forbidden: an admin key is required")
}

/// A Python package environment on this node.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Environment {
    id: String,
    python: String,
    requirements: Vec<String>,
    /// `name==version` of every installed distribution.
    resolved: Vec<String>,
    size_bytes: u64,
    created_at: String,
    last_used_at: String,
}

/// This node's package environments (admin only).
#[utoipa::path(
    get,
    path = "/admin/environments",
    operation_id = "admin_list_environments",
    tag = "admin",
    responses((status = 200, description = "Every environment", body = Vec<Environment>))
)]
pub async fn list(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    if !caller.admin {
        return forbidden();
    }
    let environments = state
        .engine
        .services()
        .environments
        .as_ref()
        .map(|envs| envs.list())
        .unwrap_or_default();
    Json(environments).into_response()
}

/// Remove a package environment no run is using (admin only).
#[utoipa::path(
    delete,
    path = "/admin/environments/{id}",
    operation_id = "admin_remove_environment",
    tag = "admin",
    params(("id" = String, Path, description = "The environment's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such environment", body = DetailBody),
        (status = 409, description = "A run is using it", body = DetailBody),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    if !caller.admin {
        return forbidden();
    }
    let Some(environments) = state.engine.services().environments.as_ref() else {
        return detail(StatusCode::NOT_FOUND, "Environment not found");
    };
    match environments.remove(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(RemoveError::NotFound(_)) => detail(StatusCode::NOT_FOUND, "Environment not found"),
        Err(error @ RemoveError::InUse(_)) => detail(StatusCode::CONFLICT, error.to_string()),
        Err(error @ RemoveError::Io(..)) => {
            tracing::error!(%error, "removing an environment failed");
            detail(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
        }
    }
}
