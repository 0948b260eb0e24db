//! The agents dialect (seed 004): agent management, runs queued by
//! priority with `Idempotency-Key`, status, listing, SSE events and the
//! two-phase cancel. Errors are `{"detail": …}`.

mod events;
mod manage;
pub(crate) mod reply;
mod run;

use axum::routing::{get, post};
use axum::Router;

use crate::auth;
use crate::AppState;

pub use manage::KIND;

pub fn routes(state: AppState) -> Router<AppState> {
    let unauthorized: auth::Unauthorized = reply::unauthorized;
    Router::new()
        .route("/agents", get(manage::list).post(manage::create))
        .route(
            "/agents/{agent_id}",
            get(manage::get)
                .patch(manage::update)
                .delete(manage::delete),
        )
        .route("/executions/run", post(run::run))
        .route("/executions", get(run::list))
        .route("/executions/{id}", get(run::get))
        .route("/executions/{id}/events", get(events::events))
        .route("/executions/{id}/cancel", post(run::cancel))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ))
}
