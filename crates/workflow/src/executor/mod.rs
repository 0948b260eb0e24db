//! The executor: runs a validated blueprint for one input and reports.
//!
//! Bundles flow depth-first, as in Make: a module's first output bundle goes
//! through the rest of the flow before its second one. Each bundle carries
//! its *lineage* (the outputs of the modules it went through, which is what
//! `{{2.x}}` sees) and its *path* (see [`ResumeState`]).
//!
//! - Iterator (`builtin:BasicFeeder`): one bundle per item of `array`: an
//!   item that is a collection keeps its fields, and every bundle also has
//!   `value` (the item, unless the item has its own `value` field),
//!   `__IMTINDEX__` (1-based) and `__IMTLENGTH__`. A non-array `array` is
//!   one item; null is none.
//! - Aggregator (`builtin:BasicAggregator`, `parameters.feeder`): collects
//!   the mapped `value` (the whole evaluated mapper if it has no `value`) of
//!   every bundle that reaches it from its iterator, and then emits one
//!   bundle `{array: […]}` whose lineage is that of the bundle that entered
//!   the iterator (modules between them are out of scope afterwards, as in
//!   Make). With no bundle at all it emits `{array: []}`.
//! - Filters (on any module, incl. a route's first module): OR of AND
//!   groups (see `filter.rs`). A failing filter ends that bundle's path;
//!   the module does not run, so it has no record (the report has one
//!   record per module run).
//! - Router: each route runs, in order, with the same bundle.
//! - ReturnData sets the outputs and ends the run (the first one reached).
//! - Operations: one per module run per bundle; scenario-service modules,
//!   routers, directives, filtered-out modules and replayed (resumed)
//!   modules are free.
//!
//! Errors: a module error with an `onerror` route runs the route's ordinary
//! modules (which see the failed module's output as `{"error": {"message",
//! "moduleId"}}`), then its directive: Ignore (also when there is none, or
//! a filter stops the bundle) ends that bundle and the run ends `warning`;
//! Resume's mapper becomes the failed module's output and the flow goes on
//! (`warning`); Break ends the run `error` with resume state (a retry
//! resumes at the failed module); Rollback ends it `error` with an empty
//! resume state (a retry starts over). A ReturnData in the error route
//! ends the run `warning`. Without a route the run ends `error`
//! (`EXECUTION_ERROR`, naming the module).
//!
//! The deadline (maxDuration) and the cancel token are watched around every
//! module: what is in flight (a sleep, an HTTP request, a sandbox run) is
//! stopped, and the run ends `error`/`TIMEOUT` or `stopped`.

pub(crate) mod filter;
mod lineage;
mod modules;
mod services;
mod step;
mod walk;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::blueprint::Blueprint;
use crate::report::{
    CompletedStep, ModuleRun, ResumeState, ScenarioError, ScenarioReport, ScenarioStatus, StopPoint,
};
pub use services::{PythonCall, PythonRun, PythonStep, Services, WebhookReply};

/// Most module records a report keeps; later runs only count.
pub const MAX_RECORDS: usize = 5_000;

/// One run to execute.
pub struct RunRequest {
    /// Validated (see [`crate::blueprint::validate`]).
    pub blueprint: Blueprint,
    /// The run's input data (`var.input`, StartSubscenario's output).
    pub input: Value,
    pub scenario_id: i64,
    pub scenario_name: String,
    pub execution_id: String,
    pub max_duration: Duration,
    /// State of an earlier run of the same blueprint, to resume from.
    pub resume: Option<ResumeState>,
}

/// What the walk needs and never changes.
pub(crate) struct Env {
    blueprint: Blueprint,
    services: Services,
    vars: Value,
    deadline: Instant,
    max_duration: Duration,
    cancel: CancellationToken,
    data_transfer: AtomicU64,
    http: OnceLock<Result<reqwest::Client, String>>,
}

/// What the walk accumulates.
#[derive(Default)]
pub(crate) struct State {
    records: Vec<ModuleRun>,
    truncated: bool,
    operations: u64,
    warnings: bool,
    outputs: Option<Value>,
    completed: Vec<CompletedStep>,
    /// Recorded outputs of a resumed run, by `path|module`.
    cache: HashMap<String, Vec<Value>>,
    /// Bundles processed so far, per module.
    counters: HashMap<i64, u64>,
    /// Rough bytes of the inputs and outputs of the module runs so far:
    /// the run keeps them all (details, retry), so they are bounded.
    data_bytes: usize,
}

/// A run's module inputs and outputs together, at most (roughly, in bytes).
pub const MAX_RUN_DATA_BYTES: usize = 64 << 20;

/// A module run, as named in errors and stop points.
#[derive(Clone, Debug)]
pub(crate) struct At {
    id: i64,
    name: String,
    path: String,
}

/// Why the walk stopped before its natural end.
pub(crate) enum Halt {
    /// A ReturnData module ended the run.
    Returned,
    Failed {
        at: At,
        error: String,
    },
    Break {
        at: At,
        error: String,
    },
    Rollback {
        at: At,
        error: String,
    },
    Timeout {
        at: Option<At>,
    },
    Stopped {
        at: Option<At>,
    },
}

/// Runs the blueprint to its end, the deadline, or a cancel. Never fails:
/// every failure is in the report.
pub async fn execute(
    request: RunRequest,
    services: &Services,
    cancel: CancellationToken,
) -> ScenarioReport {
    let vars = json!({
        "input": request.input,
        "scenario": {"id": request.scenario_id, "name": request.scenario_name},
        "execution": {"id": request.execution_id},
    });
    let mut state = State::default();
    if let Some(resume) = request.resume {
        state.cache = resume
            .completed
            .into_iter()
            .map(|step| (key(&step.path, step.module_id), step.outputs))
            .collect();
    }
    let env = Env {
        blueprint: request.blueprint,
        services: services.clone(),
        vars,
        deadline: Instant::now() + request.max_duration,
        max_duration: request.max_duration,
        cancel,
        data_transfer: AtomicU64::new(0),
        http: OnceLock::new(),
    };
    let halt = walk::run_main(&env, &mut state).await.err();
    report(&env, state, halt)
}

/// The cache key of a module run.
pub(crate) fn key(path: &str, module: i64) -> String {
    format!("{path}|{module}")
}

fn report(env: &Env, state: State, halt: Option<Halt>) -> ScenarioReport {
    let finished_ok = if state.warnings {
        ScenarioStatus::Warning
    } else {
        ScenarioStatus::Completed
    };
    let error = |code: &str, message: String, at: Option<&At>| ScenarioError {
        code: code.to_owned(),
        message,
        module_id: at.map(|a| a.id),
        module_name: at.map(|a| a.name.clone()),
    };
    let resume_at = |at: Option<&At>| ResumeState {
        completed: state.completed.clone(),
        stopped_at: at.map(|a| StopPoint {
            module_id: a.id,
            path: a.path.clone(),
        }),
    };
    let (status, error, resume) = match &halt {
        None | Some(Halt::Returned) => (finished_ok, None, None),
        Some(Halt::Failed { at, error: e }) | Some(Halt::Break { at, error: e }) => (
            ScenarioStatus::Error,
            Some(error("EXECUTION_ERROR", e.clone(), Some(at))),
            Some(resume_at(Some(at))),
        ),
        // Nothing is kept: a retry starts over.
        Some(Halt::Rollback { at, error: e }) => (
            ScenarioStatus::Error,
            Some(error("EXECUTION_ERROR", e.clone(), Some(at))),
            Some(ResumeState {
                completed: Vec::new(),
                stopped_at: Some(StopPoint {
                    module_id: at.id,
                    path: at.path.clone(),
                }),
            }),
        ),
        Some(Halt::Timeout { at }) => {
            let message = format!(
                "The scenario exceeded its maximum duration of {} seconds",
                env.max_duration.as_secs()
            );
            (
                ScenarioStatus::Error,
                Some(error("TIMEOUT", message, at.as_ref())),
                Some(resume_at(at.as_ref())),
            )
        }
        Some(Halt::Stopped { at }) => (ScenarioStatus::Stopped, None, Some(resume_at(at.as_ref()))),
    };
    ScenarioReport {
        status,
        outputs: state.outputs.unwrap_or_else(|| Value::Object(Map::new())),
        operations: state.operations,
        data_transfer: env.data_transfer.load(Ordering::Relaxed),
        modules: state.records,
        modules_truncated: state.truncated,
        error,
        resume,
    }
}

impl State {
    fn record(&mut self, run: ModuleRun) {
        if self.records.len() < MAX_RECORDS {
            self.records.push(run);
        } else {
            self.truncated = true;
        }
    }

    /// The 1-based bundle number of this module's next run.
    fn next_bundle(&mut self, module: i64) -> u64 {
        let counter = self.counters.entry(module).or_insert(0);
        *counter += 1;
        *counter
    }
}
