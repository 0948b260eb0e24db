//! The buttons dialect (seed 000): button management, execution with an
//! optional wait, status, cancel, history and a live SSE stream, in the
//! `{"success", "data" | "error"}` envelope with English or French messages.

mod manage;
pub(crate) mod reply;
mod run;
mod stream;

use axum::routing::{get, post};
use axum::Router;

use crate::auth;
use crate::AppState;

pub use manage::{render as render_button, valid_id, KIND};

pub fn routes(state: AppState) -> Router<AppState> {
    let unauthorized: auth::Unauthorized = reply::unauthorized;
    Router::new()
        .route("/api/v1/buttons", get(manage::list).post(manage::create))
        .route(
            "/api/v1/buttons/{id}",
            get(manage::get)
                .patch(manage::update)
                .delete(manage::delete),
        )
        .route("/api/v1/execute/{id}", post(run::execute))
        .route("/api/v1/execute/{id}/status", get(run::status))
        .route("/api/v1/execute/{id}/cancel", post(run::cancel))
        .route("/api/v1/execute/{id}/stream", get(stream::stream))
        .route("/api/v1/executions", get(run::history))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ))
}
