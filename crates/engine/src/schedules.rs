//! Things that run on their own: catalog items with a schedule (buttons
//! and scenarios with a cron expression, scenarios repeating every N
//! seconds). Each kind registers a [`Scheduled`] source that says an item's
//! cadence and builds the execution an occurrence starts; this loop, one
//! per node, decides when, and the store's tick makes sure exactly one node
//! starts each occurrence.
//!
//! - Every N seconds: due when the tick is unset or past; claiming moves it
//!   N seconds on. A run is skipped while the previous one is queued or
//!   running.
//! - Cron: the tick is the next occurrence. An unset tick (a new or changed
//!   schedule) is only set; a past one runs if it is less than one period
//!   late (an occurrence missed while no node was up), otherwise it is
//!   skipped, and either way moves to the first occurrence after now. An
//!   occurrence is skipped while an earlier one still waits queued, so a
//!   slow target never piles up more than one.
//!
//! The loop wakes every second, and at each cron occurrence's instant, so
//! an every-second schedule runs every second.

use std::sync::Arc;
use std::time::Duration;

use runbox_domain::{
    ButtonSpec, ExecutionId, ExecutionKind, ExecutionStatus, JobSpec, NewExecution, Occurrences,
    Priority, Timestamp,
};
use runbox_store::{CatalogItem, ExecutionFilter};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Engine;

/// How often an item runs on its own.
pub enum Cadence {
    /// Every this many seconds (at least 1).
    Every(u32),
    Cron(Box<Occurrences>),
}

/// One kind of catalog item that may run on its own.
pub trait Scheduled: Send + Sync {
    /// The catalog kind of its items.
    fn kind(&self) -> &'static str;
    /// The kind of the executions its occurrences start.
    fn execution_kind(&self) -> ExecutionKind;
    /// The item's cadence, when it should run on its own now (scheduled,
    /// and active where that applies).
    fn cadence(&self, item: &CatalogItem) -> Option<Cadence>;
    /// The execution one occurrence starts, owned by the item's owner.
    fn occurrence(&self, item: &CatalogItem) -> Result<NewExecution, String>;
}

/// A tick that never comes: where a schedule with no further occurrence
/// is parked (an unset tick would mean "new schedule").
const NEVER: Timestamp = Timestamp::from_millis(i64::MAX);

/// Slack after an occurrence's instant before the loop wakes for it, so
/// the clock has passed it when the tick is compared.
const WAKE_SLACK: Duration = Duration::from_millis(3);

/// Starts the per-node loop over `sources`.
pub fn spawn(
    engine: Engine,
    sources: Vec<Arc<dyn Scheduled>>,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let earliest = match run_due(&engine, &sources).await {
                Ok(earliest) => earliest,
                Err(err) => {
                    tracing::warn!(error = %err, "scheduling failed");
                    None
                }
            };
            let now = Timestamp::now().as_millis();
            let until_next = earliest
                .map(|at| Duration::from_millis(at.as_millis().saturating_sub(now).max(0) as u64))
                .unwrap_or(Duration::MAX);
            let pause = until_next
                .saturating_add(WAKE_SLACK)
                .min(Duration::from_secs(1));
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    })
}

/// Starts what is due; returns the earliest future cron occurrence seen.
async fn run_due(
    engine: &Engine,
    sources: &[Arc<dyn Scheduled>],
) -> Result<Option<Timestamp>, String> {
    let mut earliest: Option<Timestamp> = None;
    for source in sources {
        let items = engine
            .store()
            .list_items(source.kind())
            .await
            .map_err(|e| e.to_string())?;
        for item in items {
            let Some(cadence) = source.cadence(&item) else {
                continue;
            };
            let upcoming = match cadence {
                Cadence::Every(secs) => {
                    every(engine, source.as_ref(), &item, secs).await?;
                    None
                }
                Cadence::Cron(occurrences) => {
                    cron(engine, source.as_ref(), &item, &occurrences).await?
                }
            };
            if let Some(at) = upcoming {
                earliest = Some(earliest.map_or(at, |e| e.min(at)));
            }
        }
    }
    Ok(earliest)
}

async fn every(
    engine: &Engine,
    source: &dyn Scheduled,
    item: &CatalogItem,
    secs: u32,
) -> Result<(), String> {
    let now = Timestamp::now();
    let next = Timestamp::from_millis(now.as_millis() + i64::from(secs.max(1)) * 1000);
    let claimed = engine
        .store()
        .claim_tick(source.kind(), &item.id, now, next)
        .await
        .map_err(|e| e.to_string())?;
    if !claimed {
        return Ok(());
    }
    let busy = [ExecutionStatus::Queued, ExecutionStatus::Running];
    if pending(engine, source, item, &busy).await? {
        tracing::debug!(kind = source.kind(), id = %item.id, "previous run still going: this interval's run is skipped");
        return Ok(());
    }
    start(engine, source, item).await;
    Ok(())
}

/// Handles a cron item; returns its next tick when it lies ahead.
async fn cron(
    engine: &Engine,
    source: &dyn Scheduled,
    item: &CatalogItem,
    occurrences: &Occurrences,
) -> Result<Option<Timestamp>, String> {
    let now = Timestamp::now();
    let store = engine.store();
    let (run, next) = match item.next_tick {
        Some(due) if due > now => return Ok(Some(due)),
        Some(due) => {
            let decision = occurrences.catch_up(due, now);
            (decision.run, decision.next)
        }
        None => (false, occurrences.next_after(now)),
    };
    let moved = store
        .move_tick(
            source.kind(),
            &item.id,
            item.next_tick,
            next.unwrap_or(NEVER),
        )
        .await
        .map_err(|e| e.to_string())?;
    if moved && run {
        if pending(engine, source, item, &[ExecutionStatus::Queued]).await? {
            tracing::debug!(kind = source.kind(), id = %item.id, "an earlier occurrence is still queued: this one is skipped");
        } else {
            start(engine, source, item).await;
        }
    }
    Ok(next)
}

/// Whether an execution of `item` is in one of `statuses`.
async fn pending(
    engine: &Engine,
    source: &dyn Scheduled,
    item: &CatalogItem,
    statuses: &[ExecutionStatus],
) -> Result<bool, String> {
    let filter = ExecutionFilter {
        kind: Some(source.execution_kind()),
        subject: Some(item.id.clone()),
        statuses: statuses.to_vec(),
        limit: 1,
        ..ExecutionFilter::default()
    };
    let count = engine
        .store()
        .count_executions(&filter)
        .await
        .map_err(|e| e.to_string())?;
    Ok(count > 0)
}

async fn start(engine: &Engine, source: &dyn Scheduled, item: &CatalogItem) {
    let kind = source.kind();
    let new = match source.occurrence(item) {
        Ok(new) => new,
        Err(why) => {
            tracing::warn!(kind, id = %item.id, "scheduled run not started: {why}");
            return;
        }
    };
    match engine.submit(new).await {
        Ok(enqueued) => {
            tracing::info!(kind, id = %item.id, execution.id = %enqueued.execution.id, "scheduled run")
        }
        Err(err) => tracing::warn!(kind, id = %item.id, error = %err, "scheduled run not started"),
    }
}

/// Buttons with a `schedule`: each occurrence runs the command as the
/// button's owner.
pub struct ButtonSchedules;

impl Scheduled for ButtonSchedules {
    fn kind(&self) -> &'static str {
        ButtonSpec::KIND
    }

    fn execution_kind(&self) -> ExecutionKind {
        ExecutionKind::Shell
    }

    fn cadence(&self, item: &CatalogItem) -> Option<Cadence> {
        let spec = serde_json::from_value::<ButtonSpec>(item.body.clone()).ok()?;
        let occurrences = spec.schedule?.occurrences().ok()?;
        Some(Cadence::Cron(Box::new(occurrences)))
    }

    fn occurrence(&self, item: &CatalogItem) -> Result<NewExecution, String> {
        let spec =
            serde_json::from_value::<ButtonSpec>(item.body.clone()).map_err(|e| e.to_string())?;
        Ok(NewExecution {
            id: ExecutionId::new_uuid(),
            user: item.owner.clone(),
            priority: Priority::DEFAULT,
            timeout: spec.timeout,
            job: JobSpec::Shell(spec.job(&item.id)),
            subject: Some(item.id.clone()),
            idempotency: None,
            webhook_url: None,
        })
    }
}
