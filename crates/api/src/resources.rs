//! How every dialect shows what a run used (contract section 13):
//! `resources: {cpu_ms, memory_peak_bytes, wall_ms, net_rx_bytes,
//! net_tx_bytes}`, null until the run has ended (or when nothing was
//! measured), and the resolved packages of its environment.

use runbox_domain::{Execution, Resources};
use serde_json::{json, Value};

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
