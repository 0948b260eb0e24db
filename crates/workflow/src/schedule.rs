//! Recurring scenarios: every active `indefinitely` scenario runs every
//! `interval` seconds ([`DEFAULT_INTERVAL_SECS`] when it has none). Each
//! node checks once a second; the store's `claim_tick` lets exactly one
//! node start each interval's run, and a run is skipped while the previous
//! one is still queued or running, so runs never pile up.
//!
//! [`DEFAULT_INTERVAL_SECS`]: crate::definition::DEFAULT_INTERVAL_SECS

use std::time::Duration;

use runbox_domain::{
    ExecutionId, ExecutionKind, ExecutionStatus, NewExecution, Priority, Timeout, Timestamp,
    UserName,
};
use runbox_engine::Engine;
use runbox_store::{CatalogItem, ExecutionFilter};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::definition::{ScenarioDefinition, KIND};
use crate::job::{ScenarioJob, MAX_DURATION_SECS};
use crate::report::ResumeState;

/// What a new scenario run needs beyond the scenario itself.
pub struct RunOrder {
    pub user: UserName,
    /// The run's input data (already checked against the interface).
    pub input: Value,
    /// For a retry: where to resume, and the execution retried.
    pub resume: Option<ResumeState>,
    pub retry_of: Option<String>,
    /// Started by the schedule, not by a caller (Make's "auto" runs).
    pub scheduled: bool,
    /// Where to POST the result when the run ends (Make's `callbackUrl`).
    pub callback_url: Option<String>,
}

/// The execution that runs `definition` (snapshotting its blueprint).
pub fn new_execution(
    scenario_id: i64,
    definition: &ScenarioDefinition,
    order: RunOrder,
) -> Result<NewExecution, String> {
    let job = ScenarioJob {
        scenario_id,
        scenario_name: definition.name.clone(),
        blueprint: definition.blueprint.clone(),
        input: order.input,
        max_duration_secs: definition.max_duration,
        resume: order.resume,
        retry_of: order.retry_of,
        scheduled: order.scheduled,
    };
    let timeout = Timeout::new(i64::from(definition.max_duration.max(1)), MAX_DURATION_SECS)
        .map_err(|e| e.to_string())?;
    Ok(NewExecution {
        id: ExecutionId::new_hex32(),
        user: order.user,
        priority: Priority::DEFAULT,
        timeout,
        job: job.to_spec().map_err(|e| e.to_string())?,
        subject: Some(scenario_id.to_string()),
        idempotency: None,
        webhook_url: order.callback_url,
    })
}

/// Starts the per-node scheduling loop.
pub fn spawn(
    engine: Engine,
    min_interval_secs: u32,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.cancelled() => return,
            }
            if let Err(err) = run_due(&engine, min_interval_secs).await {
                tracing::warn!(error = %err, "scenario scheduling failed");
            }
        }
    })
}

async fn run_due(engine: &Engine, min_interval_secs: u32) -> Result<(), String> {
    let store = engine.store();
    let items = store.list_items(KIND).await.map_err(|e| e.to_string())?;
    for item in items {
        let Ok(definition) = serde_json::from_value::<ScenarioDefinition>(item.body.clone()) else {
            continue;
        };
        if !definition.is_active || !definition.scheduling.is_recurring() {
            continue;
        }
        let interval = definition.scheduling.interval_secs(min_interval_secs);
        let now = Timestamp::now();
        let next = Timestamp::from_millis(now.as_millis() + i64::from(interval) * 1000);
        if !store
            .claim_tick(KIND, &item.id, now, next)
            .await
            .map_err(|e| e.to_string())?
        {
            continue;
        }
        if still_busy(engine, &item).await? {
            tracing::debug!(scenario = %item.id, "previous run still going: this interval's run is skipped");
            continue;
        }
        start(engine, &item, &definition).await;
    }
    Ok(())
}

async fn still_busy(engine: &Engine, item: &CatalogItem) -> Result<bool, String> {
    let filter = ExecutionFilter {
        kind: Some(ExecutionKind::Scenario),
        subject: Some(item.id.clone()),
        statuses: vec![ExecutionStatus::Queued, ExecutionStatus::Running],
        limit: 1,
        ..ExecutionFilter::default()
    };
    Ok(engine
        .store()
        .count_executions(&filter)
        .await
        .map_err(|e| e.to_string())?
        > 0)
}

async fn start(engine: &Engine, item: &CatalogItem, definition: &ScenarioDefinition) {
    let input = match definition.interface.apply(&Value::Null) {
        Ok(input) => input,
        Err(why) => {
            tracing::warn!(scenario = %item.id, "scheduled run skipped: {why}");
            return;
        }
    };
    let order = RunOrder {
        user: item.owner.clone(),
        input,
        resume: None,
        retry_of: None,
        scheduled: true,
        callback_url: None,
    };
    match new_execution(item.number, definition, order) {
        Ok(new) => match engine.submit(new).await {
            Ok(enqueued) => {
                tracing::info!(scenario = %item.id, execution.id = %enqueued.execution.id, "scheduled scenario run")
            }
            Err(err) => {
                tracing::warn!(scenario = %item.id, error = %err, "scheduled run not started")
            }
        },
        Err(err) => tracing::warn!(scenario = %item.id, error = %err, "scheduled run not started"),
    }
}
