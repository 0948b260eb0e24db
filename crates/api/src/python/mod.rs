//! The Python code dialect (seeds 001 and 003) and the NCA toolkit job
//! routes that go with it: `POST /v1/code/execute/python`,
//! `POST /v1/toolkit/job/status`, `POST /v1/toolkit/jobs/status`,
//! `GET /v1/toolkit/authenticate`.

mod envelope;
mod errors;
mod execute;
mod runtimes;
mod schema;
mod toolkit;
mod validate;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{auth, openapi, AppState};

pub use envelope::WebhookEnvelope;

/// The route that runs code in `runtime` (Python when `None`).
pub fn endpoint(runtime: Option<&str>) -> String {
    format!("/v1/code/execute/{}", runtime.unwrap_or("python"))
}
pub const JOB_STATUS_PATH: &str = "/v1/toolkit/job/status";
pub const JOBS_STATUS_PATH: &str = "/v1/toolkit/jobs/status";
pub const AUTHENTICATE_PATH: &str = "/v1/toolkit/authenticate";

pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    let unauthorized: auth::Unauthorized = errors::unauthorized;
    let router = OpenApiRouter::new()
        .routes(routes!(execute::execute))
        .routes(routes!(execute::execute_in))
        .routes(routes!(runtimes::list))
        .routes(routes!(toolkit::job_status))
        .routes(routes!(toolkit::jobs_status))
        .routes(routes!(toolkit::authenticate))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ));
    openapi::with_errors::<schema::Unauthorized>(router, &[(401, "No valid API key")])
}
