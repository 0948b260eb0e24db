//! The scenarios dialect (seed 002): scenario management with Make-shaped
//! blueprints, activation, interfaces, runs (responsive or not), status,
//! listing, per-module details, stop and retry, and Make's own API names
//! for them (the `/api/v2` prefix, `/logs`), so that Make's clients work.
//! Errors are `{"error": {"message", "code", "details"?}}`.

mod manage;
mod render;
mod reply;
mod runs;

use axum::routing::{get, post};
use axum::Router;

use crate::auth;
use crate::AppState;

/// The dialect's routes, served at the root and again under `/api/v2`
/// (Make's API prefix, which Make's SDK and CLI use), from this one
/// definition.
pub fn routes(state: AppState) -> Router<AppState> {
    let unauthorized: auth::Unauthorized = reply::unauthorized;
    let routes = scenario_routes().route_layer(axum::middleware::from_fn_with_state(
        (state, unauthorized),
        auth::require_key,
    ));
    Router::new().merge(routes.clone()).nest(
        MAKE_PREFIX,
        routes.layer(axum::middleware::map_response(reply::with_make_message)),
    )
}

/// Where Make's API lives on its own hosts.
pub const MAKE_PREFIX: &str = "/api/v2";

/// What a scenario run's `callbackUrl` receives when the run ends.
pub fn callback_body(execution: &runbox_domain::Execution) -> serde_json::Value {
    let report = render::report(execution);
    serde_json::json!({
        "executionId": execution.id.as_str(),
        "status": render::status(execution, report.as_ref()),
        "outputs": report.as_ref().map(|r| r.outputs.clone()),
        "error": render::execution(execution)["error"],
    })
}

fn scenario_routes() -> Router<AppState> {
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
        .route("/scenarios/{id}/logs", get(runs::logs))
        .route("/scenarios/{id}/logs/{eid}", get(runs::log))
}
