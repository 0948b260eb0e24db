//! The engine's figures for `/metrics`: queue time when a worker takes an
//! execution, and the count and duration of those this node ends. Recorded
//! through the `metrics` facade, so they cost nothing when no recorder is
//! installed (the `worker` command, unit tests).

use runbox_domain::metric_names::{
    EXECUTIONS_TOTAL, EXECUTION_DURATION_SECONDS, QUEUE_TIME_SECONDS,
};
use runbox_domain::{Execution, Timestamp};

/// A worker took `execution` off the queue.
pub(crate) fn claimed(execution: &Execution) {
    metrics::histogram!(QUEUE_TIME_SECONDS).record(execution.queue_seconds(Timestamp::now()));
}

/// `execution` reached its final state here (run to its end, or canceled
/// while still queued).
pub(crate) fn ended(execution: &Execution) {
    let kind = execution.kind.as_str();
    metrics::counter!(EXECUTIONS_TOTAL, "kind" => kind, "status" => execution.status.as_str())
        .increment(1);
    if execution.started_at.is_some() {
        metrics::histogram!(EXECUTION_DURATION_SECONDS, "kind" => kind)
            .record(execution.run_seconds(Timestamp::now()));
    }
}
