//! `/admin`: the health check (no key), API key management and package
//! environments (admin keys only). Errors use the agents dialect's `{"detail": …}` shape, which the
//! health route belongs to.

mod environments;
mod health;
mod keys;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::agents::reply::DetailBody;
use crate::{auth, openapi, AppState};

pub use keys::{ensure_bootstrap_key, issue_key};

pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    let unauthorized: auth::Unauthorized = crate::agents::reply::unauthorized;
    let protected = OpenApiRouter::new()
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(environments::list))
        .routes(routes!(environments::remove))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ));
    let protected = openapi::with_errors::<DetailBody>(
        protected,
        &[
            (401, "No valid API key"),
            (403, "Not an admin key"),
            (500, "Internal error"),
        ],
    );
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .merge(protected)
}

pub(crate) fn detail(status: StatusCode, text: impl Into<String>) -> Response {
    crate::agents::reply::detail(status, text).into_response()
}
