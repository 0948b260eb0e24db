//! `GET /v1/code/runtimes`: the languages this server runs code in
//! (contract section 14), each with its interpreter's version and the
//! route that runs it.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::endpoint;
use crate::AppState;

/// A language code may be run in.
#[derive(Serialize, ToSchema)]
#[schema(as = CodeRuntime)]
pub struct Runtime {
    /// `python`, `javascript`, or a runtime the operator configured.
    #[schema(example = "javascript")]
    name: String,
    /// The first line its interpreter's `--version` prints; null when it
    /// could not be run.
    #[schema(example = "v20.19.2")]
    version: Option<String>,
    /// Where to POST code for it.
    #[schema(example = "/v1/code/execute/javascript")]
    endpoint: String,
    /// Agents may use it (`runtime`).
    agents: bool,
}

/// `{"runtimes": […]}`.
#[derive(Serialize, ToSchema)]
#[schema(as = CodeRuntimes)]
pub struct Runtimes {
    runtimes: Vec<Runtime>,
}

/// The languages this server runs, with versions.
#[utoipa::path(
    get,
    path = "/v1/code/runtimes",
    tag = "python",
    operation_id = "code_runtimes",
    responses((status = 200, description = "Python, JavaScript and the configured runtimes", body = Runtimes))
)]
pub async fn list(State(state): State<AppState>) -> Response {
    let runtimes = state
        .engine
        .runtimes()
        .await
        .into_iter()
        .map(|runtime| Runtime {
            endpoint: endpoint(Some(&runtime.name)),
            name: runtime.name,
            version: runtime.version,
            agents: true,
        })
        .collect();
    Json(Runtimes { runtimes }).into_response()
}
