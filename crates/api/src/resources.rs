//! How every dialect shows what a run used (contract section 13):
//! `resources: {cpu_ms, memory_peak_bytes, wall_ms, net_rx_bytes,
//! net_tx_bytes}`, null until the run has ended (or when nothing was
//! measured), and the resolved packages of its environment.

use runbox_domain::{Execution, Resources};
use serde_json::{json, Value};
use utoipa::ToSchema;

/// What a run used, as the sandbox measured it: the OpenAPI schema of
/// [`render`]'s object, shared by every dialect.
#[derive(ToSchema)]
#[schema(as = Resources)]
#[allow(dead_code)]
pub struct ResourcesSchema {
    /// CPU time of every process of the run, or null when not measured.
    cpu_ms: Option<u64>,
    /// The largest resident set of any one process of the run.
    memory_peak_bytes: Option<u64>,
    wall_ms: u64,
    /// Bytes received through the run's network proxy.
    net_rx_bytes: u64,
    /// Bytes sent through the run's network proxy.
    net_tx_bytes: u64,
}

pub fn resources(execution: &Execution) -> Value {
    match execution.outcome.as_ref().and_then(|o| o.resources) {
        Some(r) => render(&r),
        None => Value::Null,
    }
}

pub fn render(r: &Resources) -> Value {
    json!({
        "cpu_ms": r.cpu_ms,
        "memory_peak_bytes": r.memory_peak_bytes,
        "wall_ms": r.wall_ms,
        "net_rx_bytes": r.net_rx_bytes,
        "net_tx_bytes": r.net_tx_bytes,
    })
}

/// `name==version` of the packages the run imported from, or null.
pub fn packages(execution: &Execution) -> Value {
    match execution
        .outcome
        .as_ref()
        .and_then(|o| o.environment.as_ref())
    {
        Some(environment) => json!(environment.resolved),
        None => Value::Null,
    }
}
