//! The node's background tasks: claiming queued executions into free
//! workers, running each to its end, renewing leases, hearing cancel
//! requests, and (on a shared database) failing executions of dead nodes.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use runbox_domain::{Execution, ExecutionStatus, Outcome, OutcomeKind, Timestamp};
use runbox_secrets::{Masker, RunSecrets};
use runbox_store::{ClaimRequest, StoreEvent};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::engine::Inner;
use crate::live_output::LiveOutput;
use crate::runners::{Finished, RunContext};

/// Claims while workers are free; sleeps until woken or the poll interval.
pub(crate) async fn claim_loop(inner: Arc<Inner>) {
    let kinds = inner.runners.kinds();
    loop {
        if inner.stopping.is_cancelled() {
            return;
        }
        while inner.running_count() < inner.config.workers as usize
            && !inner.stopping.is_cancelled()
        {
            let claim = ClaimRequest {
                node: inner.node.clone(),
                max_running_per_user: inner.config.max_concurrent_per_user,
                kinds: kinds.clone(),
                now: Timestamp::now(),
                lease: inner.config.lease,
            };
            match inner.store.claim_next(&claim).await {
                Ok(Some(execution)) => start(&inner, execution),
                Ok(None) => break,
                Err(err) => {
                    tracing::error!(error = %err, "claiming failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
        tokio::select! {
            _ = inner.wake.notified() => {}
            _ = tokio::time::sleep(inner.config.poll_interval) => {}
            _ = inner.stopping.cancelled() => return,
        }
    }
}

fn start(inner: &Arc<Inner>, execution: Execution) {
    crate::telemetry::claimed(&execution);
    let token = CancellationToken::new();
    if execution.cancel_requested {
        token.cancel();
    }
    if let Ok(mut running) = inner.running.lock() {
        running.insert(execution.id.clone(), token.clone());
    }
    let inner2 = inner.clone();
    inner.tasks.spawn(async move {
        let id = execution.id.clone();
        let finished = run(&inner2, &execution, token).await;
        let finished = if inner2.interrupting.load(Ordering::SeqCst) && finished.status == ExecutionStatus::Canceled {
            Finished { status: ExecutionStatus::Failed, outcome: Outcome::interrupted_after(finished.outcome) }
        } else {
            finished
        };
        match inner2.store.finish(&id, finished.status, &finished.outcome, Timestamp::now()).await {
            Ok(Some(done)) => {
                crate::telemetry::ended(&done);
                tracing::info!(
                    execution.id = %id,
                    status = done.status.as_str(),
                    duration_ms = done.finished_at.zip(done.started_at).map(|(f, s)| f.as_millis() - s.as_millis()),
                    "execution finished"
                )
            }
            Ok(None) => tracing::warn!(execution.id = %id, "execution was ended elsewhere (lease expired?)"),
            Err(err) => tracing::error!(execution.id = %id, error = %err, "could not record the end of an execution"),
        }
        if let Ok(mut running) = inner2.running.lock() {
            running.remove(&id);
        }
        inner2.wake.notify_one();
    });
}

#[tracing::instrument(skip_all, fields(execution.id = %execution.id, kind = execution.kind.as_str()))]
async fn run(inner: &Arc<Inner>, execution: &Execution, cancel: CancellationToken) -> Finished {
    let Some(runner) = inner.runners.get(execution.kind) else {
        return Finished {
            status: ExecutionStatus::Failed,
            outcome: Outcome::without_output(
                OutcomeKind::Internal,
                "this node cannot run this kind of execution",
            ),
        };
    };
    let secrets = match &inner.services.vault {
        None => Arc::new(RunSecrets::default()),
        Some(vault) => match vault.for_run(&execution.user).await {
            Ok(secrets) => Arc::new(secrets),
            Err(err) => {
                tracing::error!(error = %err, "secrets unavailable");
                return Finished {
                    status: ExecutionStatus::Failed,
                    outcome: Outcome::without_output(
                        OutcomeKind::Internal,
                        format!("the run's secrets could not be read: {err}"),
                    ),
                };
            }
        },
    };
    let (live, pump) = if runner.streams_output() {
        let combined = execution.kind == runbox_domain::ExecutionKind::Shell;
        let (live, pump) = LiveOutput::start(
            inner.store.clone(),
            execution.id.clone(),
            combined,
            secrets.masker().clone(),
        );
        (Some(live), Some(pump))
    } else {
        (None, None)
    };
    let mut limits = inner.config.limits.clone();
    // The wall-clock timeout is the real bound; the CPU limit only stops a
    // runaway that somehow escaped it, leaving room for two busy threads.
    limits.cpu_secs = execution.timeout.secs().saturating_mul(2).saturating_add(5);
    let ctx = RunContext {
        sandbox: inner.sandbox.clone(),
        limits,
        cancel,
        live,
        services: inner.services.clone(),
        secrets: secrets.clone(),
    };
    let result = AssertUnwindSafe(runner.run(execution, ctx))
        .catch_unwind()
        .await;
    if let Some(pump) = pump {
        // The runner dropped its LiveOutput; wait for the last chunks to be
        // stored so streams see them before the final status.
        let _ = pump.await;
    }
    let mut finished = result.unwrap_or_else(|_| {
        tracing::error!("runner panicked");
        Finished {
            status: ExecutionStatus::Failed,
            outcome: Outcome::without_output(
                OutcomeKind::Internal,
                "internal error while running the execution",
            ),
        }
    });
    mask(&mut finished.outcome, secrets.masker());
    finished
}

/// Hides every secret value the run could have used in what it produced.
fn mask(outcome: &mut Outcome, masker: &Masker) {
    if masker.is_empty() {
        return;
    }
    outcome.stdout = masker.mask_str(&outcome.stdout);
    outcome.stderr = masker.mask_str(&outcome.stderr);
    if let Some(error) = &outcome.error {
        outcome.error = Some(masker.mask_str(error));
    }
    for value in [outcome.result.as_mut(), outcome.extra.as_mut()]
        .into_iter()
        .flatten()
    {
        masker.mask_json(value);
    }
}

/// Hears committed changes: wakes the claimer and stops local executions
/// whose cancel was requested (possibly through another node).
pub(crate) async fn listen(inner: Arc<Inner>) {
    let mut events = inner.store.events();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(StoreEvent::Enqueued { .. }) => inner.wake.notify_one(),
                Ok(StoreEvent::Changed { status, .. }) if status.is_terminal() => inner.wake.notify_one(),
                Ok(StoreEvent::CancelRequested { id, .. }) => { inner.cancel_local(&id); }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    inner.wake.notify_one();
                    recheck_cancels(&inner).await;
                }
                Err(RecvError::Closed) => return,
            },
            _ = inner.stopping.cancelled(), if inner.tasks.is_empty() => return,
        }
    }
}

async fn recheck_cancels(inner: &Arc<Inner>) {
    let ids: Vec<_> = inner
        .running
        .lock()
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    for id in ids {
        if let Ok(Some(execution)) = inner.store.get_execution(&id).await {
            // Already ended elsewhere: this node lost its lease (a pause, a
            // network cut) and another recorded the run as interrupted. Its
            // process must not go on, holding a slot the limits no longer
            // count.
            if execution.cancel_requested || execution.status.is_terminal() {
                if !execution.cancel_requested {
                    tracing::warn!(execution = %id, "the run ended elsewhere (lease lost): stopping it here");
                }
                inner.cancel_local(&id);
            }
        }
    }
}

/// The fallback for lost notifications: while this node runs executions,
/// re-reads every poll interval whether one of them was asked to cancel,
/// or was ended by another node after this one lost its lease.
pub(crate) async fn watch_cancels(inner: Arc<Inner>) {
    let mut tick = tokio::time::interval(inner.config.poll_interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = inner.stopping.cancelled() => return,
        }
        if inner.running_count() > 0 {
            recheck_cancels(&inner).await;
        }
    }
}

/// Keeps this node's leases alive while it runs executions.
pub(crate) async fn heartbeat(inner: Arc<Inner>) {
    let mut tick = tokio::time::interval(inner.config.heartbeat_interval());
    loop {
        tick.tick().await;
        if inner.stopping.is_cancelled() && inner.tasks.is_empty() {
            return;
        }
        if inner.running_count() == 0 {
            continue;
        }
        let until = Timestamp::from_millis(
            Timestamp::now().as_millis() + inner.config.lease.as_millis() as i64,
        );
        if let Err(err) = inner.store.renew_leases(&inner.node, until).await {
            tracing::error!(error = %err, "could not renew leases");
        }
    }
}

/// On a shared database: fails executions whose node stopped heartbeating.
pub(crate) async fn reap_orphans(inner: Arc<Inner>) {
    let mut tick =
        tokio::time::interval(inner.config.poll_interval.max(Duration::from_millis(500)));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = inner.stopping.cancelled() => return,
        }
        match inner.store.fail_orphans(Timestamp::now(), false).await {
            Ok(ids) if !ids.is_empty() => tracing::warn!(
                count = ids.len(),
                "executions of a vanished node recorded as interrupted"
            ),
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "orphan check failed"),
        }
    }
}
