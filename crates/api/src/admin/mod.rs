//! `/admin`: the health check (no key), API key management and package
//! environments (admin keys only). Errors use the agents dialect's `{"detail": …}` shape, which the
//! health route belongs to.

mod environments;
mod health;
mod keys;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;

use crate::auth;
use crate::AppState;

pub use keys::{ensure_bootstrap_key, issue_key};

pub fn routes(state: AppState) -> Router<AppState> {
    let unauthorized: auth::Unauthorized = crate::agents::reply::unauthorized;
    let protected = Router::new()
        .route("/admin/api-keys", get(keys::list).post(keys::create))
        .route("/admin/api-keys/{prefix}", delete(keys::revoke))
        .route("/admin/environments", get(environments::list))
        .route("/admin/environments/{id}", delete(environments::remove))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ));
    Router::new()
        .route("/admin/health", get(health::health))
        .merge(protected)
}

pub(crate) fn detail(status: StatusCode, text: impl Into<String>) -> Response {
    crate::agents::reply::detail(status, text).into_response()
}
