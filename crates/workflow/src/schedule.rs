//! New scenario runs ([`new_execution`]) and the scenarios' schedules
//! ([`ScenarioSchedules`]): an active `indefinitely` scenario runs every
//! `interval` seconds ([`DEFAULT_INTERVAL_SECS`] when it has none), an
//! active `cron` one at each occurrence. When and on which node is the
//! engine's schedule loop's business ([`runbox_engine::schedules`]).
//!
//! [`DEFAULT_INTERVAL_SECS`]: crate::definition::DEFAULT_INTERVAL_SECS

use runbox_domain::{ExecutionId, ExecutionKind, NewExecution, Priority, Timeout, UserName};
use runbox_engine::schedules::{Cadence, Scheduled};
use runbox_store::CatalogItem;
use serde_json::Value;

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
    /// The incoming webhook that started it (its request is `input`).
    pub hook: Option<i64>,
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
        hook: order.hook,
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

/// Scenarios that run on their own while active: `indefinitely` ones
/// every `interval` seconds (never less than the configured minimum),
/// `cron` ones at each occurrence; the engine's schedule loop drives them.
pub struct ScenarioSchedules {
    pub min_interval_secs: u32,
}

impl Scheduled for ScenarioSchedules {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn execution_kind(&self) -> ExecutionKind {
        ExecutionKind::Scenario
    }

    fn cadence(&self, item: &CatalogItem) -> Option<Cadence> {
        let definition = serde_json::from_value::<ScenarioDefinition>(item.body.clone()).ok()?;
        if !definition.is_active {
            return None;
        }
        if definition.scheduling.is_recurring() {
            return Some(Cadence::Every(
                definition.scheduling.interval_secs(self.min_interval_secs),
            ));
        }
        let occurrences = definition.scheduling.cron_schedule()?.occurrences().ok()?;
        Some(Cadence::Cron(Box::new(occurrences)))
    }

    fn occurrence(&self, item: &CatalogItem) -> Result<NewExecution, String> {
        let definition = serde_json::from_value::<ScenarioDefinition>(item.body.clone())
            .map_err(|e| e.to_string())?;
        let input = definition.interface.apply(&Value::Null)?;
        let order = RunOrder {
            user: item.owner.clone(),
            input,
            resume: None,
            retry_of: None,
            scheduled: true,
            hook: None,
            callback_url: None,
        };
        new_execution(item.number, &definition, order)
    }
}
