//! `GET /admin/health`: is the node up and its database reachable.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::AppState;

const PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// The queue's size, on this node's view of the store.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct QueueCounts {
    queued: u64,
    running: u64,
}

/// What the sandbox could set up on this machine.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SandboxReport {
    layers: Vec<String>,
    warnings: Vec<String>,
}

/// The node's health.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    status: String,
    sqlite_version: Option<String>,
    uptime_sec: u64,
    /// `sqlite` or `postgres`.
    database: String,
    database_version: Option<String>,
    version: String,
    queue: Option<QueueCounts>,
    sandbox: Option<SandboxReport>,
    detail: Option<String>,
}

/// Is the node up and its database reachable (no key).
#[utoipa::path(
    get,
    path = "/admin/health",
    operation_id = "admin_health",
    tag = "admin",
    security(()),
    responses(
        (status = 200, description = "Up", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let uptime = state.started.elapsed().as_secs();
    let version = state.settings.version.clone();
    // Short enough that a client with a 5 s timeout sees the 503; reading
    // the queue counts proves the database file itself is readable.
    let ping = tokio::time::timeout(PATIENCE, async {
        let info = state.store.ping().await?;
        let counts = state.store.queue_counts().await?;
        Ok::<_, runbox_store::StoreError>((info, counts))
    })
    .await;
    let backend = if state.store.is_shared() {
        "postgres"
    } else {
        "sqlite"
    };
    match ping {
        Ok(Ok((info, counts))) => {
            // On PostgreSQL this is the embedded library's version (runbox
            // still carries SQLite); `database_version` is the server's.
            let sqlite_version = if info.backend == "sqlite" {
                Some(info.version.clone())
            } else {
                runbox_store::sqlite_library_version().await
            };
            let mut body = json!({
                "status": "ok",
                "sqlite_version": sqlite_version,
                "uptime_sec": uptime,
                "database": info.backend,
                "version": version,
                "queue": { "queued": counts.queued, "running": counts.running },
            });
            if info.backend != "sqlite" {
                body["database_version"] = json!(info.version);
            }
            if let Some(report) = state.engine.sandbox().layer_report() {
                body["sandbox"] = json!({ "layers": report.layers, "warnings": report.warnings });
            }
            (StatusCode::OK, Json(body)).into_response()
        }
        Ok(Err(err)) => degraded(backend, uptime, version, &err.to_string()),
        Err(_) => degraded(
            backend,
            uptime,
            version,
            "database did not answer within 2 s",
        ),
    }
}

fn degraded(backend: &str, uptime: u64, version: String, error: &str) -> Response {
    tracing::error!(error, "health check: database unreachable");
    let body = json!({
        "status": "degraded",
        "sqlite_version": null,
        "uptime_sec": uptime,
        "database": backend,
        "version": version,
        "queue": null,
        "detail": "database unreachable",
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
