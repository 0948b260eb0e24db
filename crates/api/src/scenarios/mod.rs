//! The scenarios dialect (seed 002): scenario management with Make-shaped
//! blueprints, activation, interfaces, runs (responsive or not), status,
//! listing, per-module details, stop and retry. Errors are
//! `{"error": {"message", "code", "details"?}}`.

mod manage;
mod render;
mod reply;
mod runs;

use axum::routing::{get, post};
use axum::Router;

use crate::auth;
use crate::AppState;

pub fn routes(state: AppState) -> Router<AppState> {
    let unauthorized: auth::Unauthorized = reply::unauthorized;
    Router::new()
        .route("/scenarios", get(manage::list).post(manage::create))
        .route(
            "/scenarios/{id}",
            get(manage::get)
                .patch(manage::update)
                .delete(manage::delete),
        )
        .route("/scenarios/{id}/start", post(manage::start))
        .route("/scenarios/{id}/stop", post(manage::stop))
        .route("/scenarios/{id}/blueprint", get(manage::blueprint_of))
        .route(
            "/scenarios/{id}/interface",
            get(manage::get_interface).patch(manage::set_interface),
        )
        .route("/scenarios/{id}/run", post(runs::run))
        .route("/scenarios/{id}/executions", get(runs::list))
        .route("/scenarios/{id}/executions/{eid}", get(runs::get))
        .route(
            "/scenarios/{id}/executions/{eid}/details",
            get(runs::details),
        )
        .route("/scenarios/{id}/executions/{eid}/stop", post(runs::stop))
        .route("/scenarios/{id}/executions/{eid}/retry", post(runs::retry))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ))
}
