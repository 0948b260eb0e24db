//! What a scenario run produced, as stored in the execution's outcome
//! (`Outcome::extra`) and shown by the scenarios API: status, outputs,
//! stats, one record per module run, the error, and the state a retry
//! resumes from. Field names are camelCase where the API shows them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The run's status in the seed's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScenarioStatus {
    Completed,
    /// Completed, but an error handler (Ignore, Resume) absorbed a module error.
    Warning,
    Error,
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleStatus {
    Completed,
    Error,
    /// Failed, but an error handler absorbed the error.
    Warning,
    /// A filter stopped the bundle before this module. No longer
    /// recorded (a module that did not run has no record); kept so that
    /// reports stored by earlier versions still read.
    Skipped,
}

/// One module run for one bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleRun {
    pub id: i64,
    /// The designer's label if the blueprint has one, else the module type.
    pub name: String,
    /// The module type (`http:MakeRequest`).
    pub module: String,
    pub status: ModuleStatus,
    /// Milliseconds.
    pub duration: u64,
    /// The evaluated mapper.
    pub input: Value,
    /// The output bundle; an array of bundles for modules that emit several.
    pub output: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// 1-based: the how-many-th bundle this module processed in the run.
    pub bundle: u64,
    /// What the module's sandbox run used (modules that run code only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<runbox_domain::Resources>,
}

/// Why a run ended in `error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioError {
    /// `EXECUTION_ERROR`, `TIMEOUT` or `INVALID_INPUT` (a blueprint that no
    /// longer validates).
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioReport {
    pub status: ScenarioStatus,
    /// What `ReturnData` set; `{}` when no ReturnData module was reached.
    pub outputs: Value,
    pub operations: u64,
    /// Bytes sent and received by modules that do I/O (HTTP).
    pub data_transfer: u64,
    pub modules: Vec<ModuleRun>,
    /// More module runs happened than the report keeps (see
    /// [`crate::executor::MAX_RECORDS`]).
    #[serde(default)]
    pub modules_truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ScenarioError>,
    /// For `error` and `stopped` runs: what a retry needs (empty after a
    /// Rollback: nothing is kept). `None` for runs that completed, and for
    /// runs that never got to walk the flow (a blueprint refused at run
    /// time); see [`ScenarioJob::retry_resume`](crate::ScenarioJob::retry_resume).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeState>,
}

/// The state a retry resumes from, valid only with the same blueprint
/// snapshot and input.
///
/// Each bundle has a *path*: the choices made at modules that emit several
/// bundles (`/3.2` = the 2nd bundle of module 3; empty for a linear flow).
/// `(path, module)` names one module run. A retry walks the flow again and,
/// for every module run listed in `completed`, uses the recorded outputs
/// instead of running the module (no operation, no record); everything else
/// runs. So a linear flow resumes at the failed module, and an iterator's
/// bundles that had been fully processed are not processed again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumeState {
    pub completed: Vec<CompletedStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<StopPoint>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletedStep {
    pub path: String,
    pub module_id: i64,
    /// The output bundles the module run produced.
    pub outputs: Vec<Value>,
}

/// Where the run stopped: the module run that failed or was in flight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopPoint {
    pub module_id: i64,
    pub path: String,
}
