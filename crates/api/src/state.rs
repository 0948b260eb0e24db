//! Shared state of the HTTP layer.

use std::sync::Arc;
use std::time::Instant;

use runbox_engine::Engine;
use runbox_netguard::OutboundPolicy;
use runbox_store::Store;

/// Settings the API itself enforces.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// Request bodies above this get 413.
    pub max_body_bytes: usize,
    pub max_queue_length: u32,
    /// HTTP connections served at once (`[limits] max_connections`).
    pub max_connections: usize,
    /// The version string shown as `build_number` and in health.
    pub version: String,
    /// The shortest interval an `indefinitely` scenario may have.
    pub scenario_min_interval_secs: u32,
    /// `[metrics] token`: a bearer token that may read `/metrics`.
    pub metrics_token: Option<String>,
}

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub store: Arc<dyn Store>,
    pub policy: OutboundPolicy,
    pub settings: Arc<ApiSettings>,
    pub started: Instant,
    /// The server's process id, shown as `pid` by the Python dialect.
    pub pid: u32,
}

impl AppState {
    pub fn new(engine: Engine, policy: OutboundPolicy, settings: ApiSettings) -> Self {
        Self {
            store: engine.store().clone(),
            engine,
            policy,
            settings: Arc::new(settings),
            started: Instant::now(),
            pid: std::process::id(),
        }
    }
}
