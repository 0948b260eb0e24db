//! The engine handle dialects use, and its start-up and shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runbox_domain::{Execution, ExecutionId, NewExecution, NodeId, Timestamp};
use runbox_sandbox::Sandbox;
use runbox_store::{CancelOutcome, EnqueueError, Enqueued, Store, StoreError, StoreEvent};
use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::commands::{CheckFailed, CommandChecker, InvalidCommand};
use crate::RunServices;
use crate::{dispatcher, EngineConfig, Runners};

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("MAX_QUEUE_LENGTH ({max}) reached")]
    QueueFull { max: u32 },
    #[error("idempotency key reused with a different request")]
    IdempotencyConflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<EnqueueError> for SubmitError {
    fn from(err: EnqueueError) -> Self {
        match err {
            EnqueueError::QueueFull { max } => Self::QueueFull { max },
            EnqueueError::IdempotencyConflict => Self::IdempotencyConflict,
            EnqueueError::Store(e) => Self::Store(e),
        }
    }
}

/// A cheap, cloneable handle to the node's engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Arc<dyn Store>,
    pub sandbox: Sandbox,
    pub runners: Runners,
    pub config: EngineConfig,
    /// Package environments and network egress, handed to every run.
    pub services: RunServices,
    pub node: NodeId,
    /// Something may be claimable: a submission, an ended run, an event.
    pub wake: Notify,
    /// Executions running on this node, with the token that stops each.
    pub running: Mutex<HashMap<ExecutionId, CancellationToken>>,
    pub tasks: TaskTracker,
    /// Set when the node stops: no more claims.
    pub stopping: CancellationToken,
    /// Runs killed because the node stops are recorded as interrupted, not canceled.
    pub interrupting: AtomicBool,
    pub commands: CommandChecker,
}

impl Inner {
    pub fn running_count(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or(usize::MAX)
    }

    pub fn cancel_local(&self, id: &ExecutionId) -> bool {
        match self.running.lock().ok().and_then(|r| r.get(id).cloned()) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}

impl Engine {
    /// Recovers executions orphaned by a previous process, then starts the
    /// node's background tasks (claiming only if `config.execute`).
    pub async fn start(
        store: Arc<dyn Store>,
        sandbox: Sandbox,
        runners: Runners,
        config: EngineConfig,
        services: RunServices,
    ) -> Result<Self, StoreError> {
        let node = NodeId::generate();
        // On a database no other node uses, every `running` row belongs to a
        // process that is gone; on a shared one, only expired leases say so.
        let orphans = store
            .fail_orphans(Timestamp::now(), !store.is_shared())
            .await?;
        if !orphans.is_empty() {
            tracing::warn!(
                count = orphans.len(),
                "executions interrupted by a previous stop recorded as failed"
            );
        }
        let inner = Arc::new(Inner {
            store,
            sandbox,
            runners,
            config,
            services,
            node,
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            stopping: CancellationToken::new(),
            interrupting: AtomicBool::new(false),
            commands: CommandChecker::default(),
        });
        tokio::spawn(dispatcher::listen(inner.clone()));
        if inner.config.execute {
            tokio::spawn(dispatcher::claim_loop(inner.clone()));
            tokio::spawn(dispatcher::heartbeat(inner.clone()));
            if inner.store.is_shared() {
                tokio::spawn(dispatcher::watch_cancels(inner.clone()));
            }
        }
        if inner.store.is_shared() {
            tokio::spawn(dispatcher::reap_orphans(inner.clone()));
        }
        tracing::info!(node = %inner.node, execute = inner.config.execute, "engine started");
        Ok(Self { inner })
    }

    pub fn node(&self) -> &NodeId {
        &self.inner.node
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Package environments and network egress of this node.
    pub fn services(&self) -> &RunServices {
        &self.inner.services
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.inner.sandbox
    }

    /// Persists a new queued execution (refused when the queue is full).
    pub async fn submit(&self, new: NewExecution) -> Result<Enqueued, SubmitError> {
        let enqueued = self
            .inner
            .store
            .enqueue(&new, Timestamp::now(), self.inner.config.max_queue_length)
            .await?;
        self.inner.wake.notify_one();
        Ok(enqueued)
    }

    /// Waits until the execution has ended or `max_wait` has passed, and
    /// returns its latest state (`None` if it does not exist).
    pub async fn wait_for_end(
        &self,
        id: &ExecutionId,
        max_wait: Option<Duration>,
    ) -> Result<Option<Execution>, StoreError> {
        // Subscribe before reading, so no change between the two is missed.
        let mut events = self.inner.store.events();
        let deadline = max_wait.map(|d| tokio::time::Instant::now() + d);
        loop {
            let Some(execution) = self.inner.store.get_execution(id).await? else {
                return Ok(None);
            };
            if execution.status.is_terminal() {
                return Ok(Some(execution));
            }
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                return Ok(Some(execution));
            }
            // A stopping node claims nothing more: a queued execution will
            // not end here, so its waiter gets where it stands (the dialects
            // answer 202 with its id) instead of holding the shutdown.
            if self.inner.stopping.is_cancelled()
                && execution.status == runbox_domain::ExecutionStatus::Queued
            {
                return Ok(Some(execution));
            }
            // Re-read at least every second, in case an event was lost.
            let tick = tokio::time::Instant::now() + Duration::from_secs(1);
            let until = deadline.map_or(tick, |d| d.min(tick));
            wait_for_change(&mut events, id, until).await;
        }
    }

    /// Checks a shell command against the button rules (`sh -n` runs in
    /// the sandbox). The outer error means the check itself failed.
    pub async fn check_command(
        &self,
        command: &str,
    ) -> Result<Result<(), InvalidCommand>, CheckFailed> {
        self.inner
            .commands
            .check(&self.inner.sandbox, &self.inner.config.limits, command)
            .await
    }

    /// The languages this node runs, with their interpreters' versions.
    pub async fn runtimes(&self) -> Vec<crate::RuntimeVersion> {
        self.inner
            .services
            .interpreters
            .versions(&self.inner.sandbox)
            .await
    }

    /// Cancels a queued execution, or asks the node running it to stop it.
    pub async fn cancel(&self, id: &ExecutionId) -> Result<CancelOutcome, StoreError> {
        let outcome = self
            .inner
            .store
            .request_cancel(id, Timestamp::now())
            .await?;
        match &outcome {
            CancelOutcome::Requested(_) => {
                self.inner.cancel_local(id);
            }
            CancelOutcome::Canceled(execution) => crate::telemetry::ended(execution),
            _ => {}
        }
        Ok(outcome)
    }

    /// Stops claiming, lets running executions finish for up to `grace`,
    /// then kills the rest and records them as interrupted.
    pub async fn shutdown(&self, grace: Duration) {
        let inner = &self.inner;
        inner.stopping.cancel();
        inner.tasks.close();
        if tokio::time::timeout(grace, inner.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                running = inner.running_count(),
                "grace period over: killing running executions"
            );
            inner.interrupting.store(true, Ordering::SeqCst);
            let tokens: Vec<CancellationToken> = inner
                .running
                .lock()
                .map(|r| r.values().cloned().collect())
                .unwrap_or_default();
            for token in tokens {
                token.cancel();
            }
            let _ = tokio::time::timeout(Duration::from_secs(10), inner.tasks.wait()).await;
        }
        inner.sandbox.shutdown().await;
    }
}

async fn wait_for_change(
    events: &mut broadcast::Receiver<StoreEvent>,
    id: &ExecutionId,
    until: tokio::time::Instant,
) {
    loop {
        match tokio::time::timeout_at(until, events.recv()).await {
            Err(_) => return,
            Ok(Ok(StoreEvent::Changed { id: changed, .. })) if &changed == id => return,
            Ok(Ok(_)) => continue,
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => return,
            Ok(Err(broadcast::error::RecvError::Closed)) => {
                tokio::time::sleep_until(until).await;
                return;
            }
        }
    }
}
