//! The Python code dialect (seeds 001 and 003) and the NCA toolkit job
//! routes that go with it: `POST /v1/code/execute/python`,
//! `POST /v1/toolkit/job/status`, `POST /v1/toolkit/jobs/status`,
//! `GET /v1/toolkit/authenticate`.

mod envelope;
mod errors;
mod execute;
mod toolkit;
mod validate;

use axum::routing::{get, post};
use axum::Router;

use crate::auth;
use crate::AppState;

pub use envelope::WebhookEnvelope;

pub const EXECUTE_PATH: &str = "/v1/code/execute/python";
pub const JOB_STATUS_PATH: &str = "/v1/toolkit/job/status";
pub const JOBS_STATUS_PATH: &str = "/v1/toolkit/jobs/status";
pub const AUTHENTICATE_PATH: &str = "/v1/toolkit/authenticate";

pub fn routes(state: AppState) -> Router<AppState> {
    let unauthorized: auth::Unauthorized = errors::unauthorized;
    Router::new()
        .route(EXECUTE_PATH, post(execute::execute))
        .route(JOB_STATUS_PATH, post(toolkit::job_status))
        .route(JOBS_STATUS_PATH, post(toolkit::jobs_status))
        .route(AUTHENTICATE_PATH, get(toolkit::authenticate))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ))
}
