//! What the engine needs to know, taken from the validated settings.

use std::time::Duration;

use runbox_sandbox::Limits;

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Executions this node runs at once.
    pub workers: u32,
    /// Executions one user may have running at once, across all nodes.
    pub max_concurrent_per_user: u32,
    /// Queued executions beyond which submissions are refused.
    pub max_queue_length: u32,
    /// Sandbox limits of every run.
    pub limits: Limits,
    /// Whether this node executes at all (`serve --no-workers` does not).
    pub execute: bool,
    /// How long a claim holds an execution without a heartbeat.
    pub lease: Duration,
    /// Fallback wake-up for claiming and orphan checks when no event came.
    pub poll_interval: Duration,
}

impl EngineConfig {
    pub fn heartbeat_interval(&self) -> Duration {
        self.lease / 3
    }
}
