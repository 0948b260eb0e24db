//! The HTTP API: one module per dialect, each a thin adapter that parses and
//! validates a request, calls the engine or the store, and renders the reply
//! in the shape its seed document promises. Only this crate knows HTTP and
//! JSON response shapes.
//!
//! - [`python`]: `/v1/code/execute/python` and the NCA toolkit job routes;
//! - [`buttons`]: `/api/v1/buttons`, `/api/v1/execute`, `/api/v1/executions`;
//! - [`agents`]: `/agents`, `/executions`;
//! - [`scenarios`]: `/scenarios` and their executions;
//! - [`secrets`]: `/secrets`, names and owners only, values never shown;
//! - [`admin`]: `/admin/health` and API key management;
//! - [`auth`]: API keys (three header forms, hashed, constant-time);
//! - `catalog`: buttons, agents, scenarios and hooks by kind and id, and
//!   who may change them;
//! - [`body`]: request bodies (size limit, JSON whatever the content type);
//! - [`WebhookBodies`]: what each dialect POSTs to a run's webhook;
//! - [`metrics`]: `/metrics` for Prometheus, and the HTTP figures behind it;
//! - [`openapi`]: `/openapi.json`, built from the routes' own registrations;
//! - [`fallback`]: JSON 404/405 for unknown routes, in the nearest dialect's shape.

pub mod admin;
pub mod agents;
pub mod auth;
pub mod body;
pub mod buttons;
mod callbacks;
mod catalog;
mod fallback;
mod fields;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod python;
mod resources;
pub mod scenarios;
mod secrets;
mod server;
mod sse;
mod state;
mod strict_json;
mod time;
pub mod web;

use std::future::Future;

use axum::{Extension, Router};
use tokio::net::TcpListener;
use utoipa_axum::router::OpenApiRouter;

pub use callbacks::WebhookBodies;
pub use state::{ApiSettings, AppState};

/// Every route, each registered with its OpenAPI description.
fn described_routes(state: AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base(&state.settings.version))
        .merge(admin::routes(state.clone()))
        .merge(python::routes(state.clone()))
        .merge(buttons::routes(state.clone()))
        .merge(agents::routes(state.clone()))
        .merge(scenarios::routes(state.clone()))
        .merge(secrets::routes(state.clone()))
        .merge(web::routes())
        .merge(metrics::routes())
        .merge(openapi::routes())
}

/// Builds the whole application router.
pub fn router(state: AppState) -> Router {
    let (router, doc) = described_routes(state.clone()).split_for_parts();
    router
        .layer(Extension(openapi::Document::new(&doc)))
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(axum::middleware::from_fn(fallback::json_errors))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the API on an already bound listener until `shutdown` completes,
/// then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max_connections = state.settings.max_connections;
    server::serve(listener, router(state), max_connections, shutdown).await
}
