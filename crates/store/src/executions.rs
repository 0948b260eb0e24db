//! The execution queue: creation (with the queue-length limit and idempotency
//! keys), claiming by priority under the per-user limit, leases, ending, cancel
//! requests, listing, and the live output of running executions.

use std::time::Duration;

use runbox_domain::{
    Execution, ExecutionId, ExecutionKind, ExecutionStatus, NewExecution, NodeId, Outcome,
    Timestamp, UserName,
};

use crate::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// `max_queue_length` executions are already queued; nothing was created.
    #[error("MAX_QUEUE_LENGTH ({max}) reached")]
    QueueFull { max: u32 },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyConflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for EnqueueError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(error))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Enqueued {
    pub execution: Execution,
    /// False when an idempotent repeat found the first execution.
    pub created: bool,
}

/// What a node asks for when it has a free worker.
#[derive(Clone, Debug)]
pub struct ClaimRequest {
    pub node: NodeId,
    /// At most this many executions of one user may be running, counted
    /// across all nodes.
    pub max_running_per_user: u32,
    /// Restrict to these kinds (empty: any kind).
    pub kinds: Vec<ExecutionKind>,
    pub now: Timestamp,
    /// The claim holds the execution until `now + lease`; heartbeats renew it.
    pub lease: Duration,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CancelOutcome {
    /// It was queued and is now canceled.
    Canceled(Execution),
    /// It is running; `cancel_requested` is now set and its node must stop it.
    Requested(Execution),
    /// It had already ended; nothing changed.
    AlreadyFinished(Execution),
    NotFound,
}

#[derive(Clone, Debug, Default)]
pub struct ExecutionFilter {
    /// Only this user's executions (None: everybody's, for admins).
    pub user: Option<UserName>,
    pub kind: Option<ExecutionKind>,
    /// Only executions of this button, agent or scenario.
    pub subject: Option<String>,
    /// Any of these statuses (empty: all).
    pub statuses: Vec<ExecutionStatus>,
    /// Only when cancel was requested (`Some(true)`) or not (`Some(false)`).
    pub cancel_requested: Option<bool>,
    /// Created at or after.
    pub created_from: Option<Timestamp>,
    /// Created at or before.
    pub created_to: Option<Timestamp>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub queued: u64,
    pub running: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputStream {
    Stdout,
    Stderr,
    /// stdout and stderr interleaved (shell commands).
    Combined,
    /// A log line an engine component wrote about the run.
    Log,
}

impl OutputStream {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Combined => "combined",
            Self::Log => "log",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "stdout" => Self::Stdout,
            "stderr" => Self::Stderr,
            "combined" => Self::Combined,
            "log" => Self::Log,
            _ => return None,
        })
    }
}

/// A piece of live output, numbered per execution from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputChunk {
    pub seq: i64,
    pub stream: OutputStream,
    pub data: Vec<u8>,
    pub at: Timestamp,
}

#[async_trait::async_trait]
pub trait ExecutionStore {
    /// Creates a queued execution (and its webhook outbox row when
    /// `webhook_url` is set) in one transaction, unless the total of queued
    /// executions has reached `max_queue_length`. With an idempotency key
    /// already used by this user, returns the first execution instead
    /// (`created: false`) or [`EnqueueError::IdempotencyConflict`].
    async fn enqueue(
        &self,
        new: &NewExecution,
        now: Timestamp,
        max_queue_length: u32,
    ) -> Result<Enqueued, EnqueueError>;

    /// Atomically picks the queued execution to run next (highest priority,
    /// then oldest, among users below their running limit), marks it running
    /// on `node` with a lease, and returns it. `None` when nothing may run.
    async fn claim_next(&self, claim: &ClaimRequest) -> Result<Option<Execution>, StoreError>;

    /// Extends the lease of every execution `node` is running.
    async fn renew_leases(&self, node: &NodeId, until: Timestamp) -> Result<(), StoreError>;

    /// Ends a running execution with a terminal `status`. Returns the stored
    /// result, or `None` if it was not running (already ended elsewhere, e.g.
    /// failed as interrupted after its lease expired).
    async fn finish(
        &self,
        id: &ExecutionId,
        status: ExecutionStatus,
        outcome: &Outcome,
        now: Timestamp,
    ) -> Result<Option<Execution>, StoreError>;

    /// Cancels a queued execution at once, or flags a running one.
    async fn request_cancel(
        &self,
        id: &ExecutionId,
        now: Timestamp,
    ) -> Result<CancelOutcome, StoreError>;

    async fn get_execution(&self, id: &ExecutionId) -> Result<Option<Execution>, StoreError>;

    /// Matching executions, newest first.
    async fn list_executions(&self, filter: &ExecutionFilter)
        -> Result<Vec<Execution>, StoreError>;

    /// How many executions match, ignoring `limit` and `offset`.
    async fn count_executions(&self, filter: &ExecutionFilter) -> Result<u64, StoreError>;

    /// Queued and running totals over all users and nodes.
    async fn queue_counts(&self) -> Result<QueueCounts, StoreError>;

    /// Fails, as interrupted, running executions whose node is gone: those
    /// whose lease ended before `now`, plus (when `all_running` is set, for a
    /// single-node database at start-up) every running one. Returns the ids.
    async fn fail_orphans(
        &self,
        now: Timestamp,
        all_running: bool,
    ) -> Result<Vec<ExecutionId>, StoreError>;

    /// Appends live output to a running execution. Chunks are numbered by
    /// the store; returns the last sequence number written.
    async fn append_output(
        &self,
        id: &ExecutionId,
        chunks: &[(OutputStream, Vec<u8>)],
        now: Timestamp,
    ) -> Result<i64, StoreError>;

    /// Output chunks with `seq > after`, in order, at most `limit`.
    async fn output_after(
        &self,
        id: &ExecutionId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutputChunk>, StoreError>;
}
