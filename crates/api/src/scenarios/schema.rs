//! The OpenAPI schemas of the dialect's bodies: doc-only descriptions of
//! the JSON [`super::render`] and the handlers build with `json!`, and of
//! the request bodies the handlers read field by field.

#![allow(dead_code)]

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

// ---- Requests ----

/// An integer, or a string holding one (`3` or `"3"`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = ScenarioIntegerOrString)]
pub enum IntegerOrString {
    Integer(i64),
    Text(String),
}

/// A JSON object, or a JSON string holding one (as Make's API takes it).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[schema(as = ScenarioObjectOrString)]
pub enum ObjectOrString {
    Object(serde_json::Map<String, Value>),
    Text(String),
}

/// A new scenario. Fields Make's API accepts that runbox has no use for
/// (`confirmed`…) are ignored.
#[derive(ToSchema)]
#[schema(as = ScenarioNew, rename_all = "camelCase")]
pub struct NewScenario {
    /// Up to 400 characters; defaults to the blueprint's `name`.
    name: Option<String>,
    /// Required here or in the `teamId` query parameter.
    team_id: Option<IntegerOrString>,
    /// `{"name", "flow": [module], "metadata"?, "interface"?}`, validated.
    blueprint: ObjectOrString,
    /// `{"type": "on-demand" | "ondemand" | "indefinitely", "interval"?: seconds}`;
    /// on-demand when absent.
    scheduling: Option<ObjectOrString>,
    /// Seconds, 1 to 2400 (the default).
    max_duration: Option<i64>,
    /// Up to 4000 characters.
    description: Option<String>,
    folder_id: Option<i64>,
    /// The interface as Make's SDK sends it.
    metadata: Option<InterfaceMetadata>,
}

/// Changes to a scenario: only the fields given change.
#[derive(ToSchema)]
#[schema(as = ScenarioChanges, rename_all = "camelCase")]
pub struct ScenarioChanges {
    name: Option<String>,
    blueprint: Option<ObjectOrString>,
    scheduling: Option<ObjectOrString>,
    max_duration: Option<i64>,
    description: Option<String>,
    folder_id: Option<i64>,
    /// `false` activates the scenario, `true` deactivates it.
    is_paused: Option<bool>,
    metadata: Option<InterfaceMetadata>,
}

/// An interface in Make's words.
#[derive(ToSchema)]
#[schema(as = ScenarioInterfaceMetadata)]
pub struct InterfaceMetadata {
    input_spec: Option<Vec<InterfaceField>>,
    output_spec: Option<Vec<InterfaceField>>,
}

/// `PATCH …/interface`'s body.
#[derive(ToSchema)]
#[schema(as = ScenarioInterfaceChange)]
pub struct InterfaceChange {
    interface: Interface,
}

/// A run to start.
#[derive(ToSchema)]
#[schema(as = ScenarioRunRequest, rename_all = "camelCase")]
pub struct RunRequest {
    /// The run's input, checked against the interface.
    data: Option<Value>,
    /// Wait (up to 40 s) for the run to end.
    responsive: Option<bool>,
    /// Where the result is POSTed when the run ends.
    callback_url: Option<String>,
}

// ---- Scenarios ----

/// How a scenario is run.
#[derive(ToSchema)]
#[schema(as = ScenarioScheduling)]
pub struct Scheduling {
    /// `on-demand`, `ondemand`, `indefinitely` or `cron`, as sent.
    #[schema(rename = "type")]
    kind: String,
    /// Seconds between runs of an `indefinitely` scenario, as sent.
    interval: Option<u32>,
    /// A `cron` scenario's expression: five fields (minute hour
    /// day-of-month month day-of-week) or six with seconds first.
    #[schema(example = "*/5 * * * *")]
    cron: Option<String>,
    /// A `cron` scenario's IANA time zone (UTC when absent).
    #[schema(example = "Europe/Paris")]
    timezone: Option<String>,
}

/// A field's type.
#[derive(ToSchema)]
#[schema(as = ScenarioFieldType, rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Boolean,
    Date,
    Array,
    Collection,
    Any,
}

/// An input or output of the interface.
#[derive(ToSchema)]
#[schema(as = ScenarioInterfaceField)]
pub struct InterfaceField {
    name: String,
    #[schema(rename = "type")]
    kind: FieldType,
    /// Absent when false.
    required: Option<bool>,
    /// Used when the input is not given.
    default: Option<Value>,
}

/// Typed inputs (checked and defaulted on every run) and outputs.
#[derive(ToSchema)]
#[schema(as = ScenarioInterface)]
pub struct Interface {
    input: Vec<InterfaceField>,
    output: Vec<InterfaceField>,
}

/// Who created a scenario (Make's field; runbox knows only the name).
#[derive(ToSchema)]
#[schema(as = ScenarioCreator)]
pub struct Creator {
    /// Always null.
    id: Option<i64>,
    /// The creator's API key user.
    name: String,
    /// Always null.
    email: Option<String>,
}

/// A scenario.
#[derive(ToSchema)]
#[schema(as = Scenario, rename_all = "camelCase")]
pub struct Scenario {
    id: i64,
    name: String,
    team_id: i64,
    description: Option<String>,
    is_active: bool,
    /// `!isActive`.
    is_paused: bool,
    scheduling: Scheduling,
    /// When an active `cron` scenario next runs (ISO 8601 UTC); null otherwise.
    #[schema(format = DateTime, required = true)]
    next_run: Option<String>,
    /// Seconds.
    max_duration: u32,
    #[schema(format = DateTime)]
    created: String,
    #[schema(format = DateTime)]
    last_edit: String,
    folder_id: Option<i64>,
    /// The apps the blueprint's modules come from, in order of first use.
    used_packages: Vec<String>,
    /// Always false.
    #[schema(rename = "isinvalid")]
    is_invalid: bool,
    /// Always 0.
    dlq_count: i64,
    created_by_user: Creator,
}

/// `{"scenario": …}`.
#[derive(ToSchema)]
#[schema(as = ScenarioReply)]
pub struct ScenarioReply {
    scenario: Scenario,
}

/// `{"scenarios": […]}`.
#[derive(ToSchema)]
#[schema(as = ScenarioListReply)]
pub struct ScenarioListReply {
    scenarios: Vec<Scenario>,
}

/// A scenario deleted: its id.
#[derive(ToSchema)]
#[schema(as = ScenarioDeleted)]
pub struct ScenarioDeleted {
    scenario: i64,
}

/// `{"interface": …}`.
#[derive(ToSchema)]
#[schema(as = ScenarioInterfaceReply)]
pub struct InterfaceReply {
    interface: Interface,
}

/// The blueprint and what goes with it, in Make's words.
#[derive(ToSchema)]
#[schema(as = ScenarioBlueprint)]
pub struct Blueprint {
    /// `{"name", "flow": [module], "metadata"?}`, as saved.
    #[schema(value_type = Object)]
    blueprint: Value,
    scheduling: Scheduling,
    metadata: BlueprintMetadata,
}

/// The interface in Make's words.
#[derive(ToSchema)]
#[schema(as = ScenarioBlueprintMetadata)]
pub struct BlueprintMetadata {
    input_spec: Vec<InterfaceField>,
    output_spec: Vec<InterfaceField>,
}

/// Make's reply for a blueprint: `{"code": "OK", "response": …}`.
#[derive(ToSchema)]
#[schema(as = ScenarioBlueprintReply)]
pub struct BlueprintReply {
    /// Always `OK`.
    code: String,
    response: Blueprint,
}

// ---- Runs ----

/// A run's status.
#[derive(ToSchema)]
#[schema(as = ScenarioExecutionStatus, rename_all = "lowercase")]
pub enum ExecutionStatus {
    Pending,
    Running,
    Completed,
    /// Completed, but an error handler absorbed a module error.
    Warning,
    Error,
    Stopped,
}

/// Why a run ended in `error`.
#[derive(ToSchema)]
#[schema(as = ScenarioRunError, rename_all = "camelCase")]
pub struct RunError {
    /// `EXECUTION_ERROR`, `TIMEOUT` or `INVALID_INPUT`.
    code: String,
    message: String,
    module_id: Option<i64>,
    module_name: Option<String>,
}

/// A scenario execution.
#[derive(ToSchema)]
#[schema(as = ScenarioExecution, rename_all = "camelCase")]
pub struct Execution {
    /// 32 lowercase hex characters.
    id: String,
    scenario_id: Option<i64>,
    status: ExecutionStatus,
    #[schema(format = DateTime)]
    started: Option<String>,
    #[schema(format = DateTime)]
    finished: Option<String>,
    #[schema(format = DateTime)]
    created: String,
    operations: u64,
    /// Bytes.
    data_transfer: u64,
    /// Milliseconds, once finished.
    duration: Option<i64>,
    /// What `ReturnData` set; null until the run has a report.
    outputs: Option<Value>,
    error: Option<RunError>,
    /// The execution this one retries.
    retry_of: Option<String>,
}

/// `{"execution": …}`.
#[derive(ToSchema)]
#[schema(as = ScenarioExecutionReply)]
pub struct ExecutionReply {
    execution: Execution,
}

/// Make's status word for a run.
#[derive(ToSchema)]
#[schema(as = ScenarioMakeStatus, rename_all = "UPPERCASE")]
pub enum MakeStatus {
    Running,
    Success,
    Warning,
    Error,
}

/// The module a failure comes from.
#[derive(ToSchema)]
#[schema(as = ScenarioCauseModule, rename_all = "camelCase")]
pub struct CauseModule {
    /// The module type (`http:MakeRequest`).
    name: String,
    /// Its app (`http`).
    app_name: String,
}

/// Why a run failed or warned, in Make's words.
#[derive(ToSchema)]
#[schema(as = ScenarioMakeFailure, rename_all = "camelCase")]
pub struct MakeFailure {
    /// The error code (`EXECUTION_ERROR`, `TIMEOUT`…).
    name: String,
    message: String,
    cause_module: Option<CauseModule>,
}

/// An execution as Make's SDK (`getDetail`) reads it, with the contract's
/// object under `execution`.
#[derive(ToSchema)]
#[schema(as = ScenarioExecutionDetailReply)]
pub struct ExecutionDetailReply {
    status: MakeStatus,
    /// Present once the run has a report.
    outputs: Option<Value>,
    /// For ERROR and WARNING.
    error: Option<MakeFailure>,
    execution: Execution,
}

/// A module run's status.
#[derive(ToSchema)]
#[schema(as = ScenarioModuleStatus, rename_all = "lowercase")]
pub enum ModuleStatus {
    Completed,
    Error,
    /// Failed, but an error handler absorbed the error.
    Warning,
    /// Only in reports stored by earlier versions.
    Skipped,
}

/// One module run for one bundle.
#[derive(ToSchema)]
#[schema(as = ScenarioModuleRun)]
pub struct ModuleRun {
    id: i64,
    /// The designer's label, else the module type.
    name: String,
    /// The module type (`http:MakeRequest`).
    module: String,
    status: ModuleStatus,
    /// Milliseconds.
    duration: u64,
    /// The evaluated mapper.
    input: Value,
    /// The output bundle, or an array of bundles.
    output: Value,
    /// 1-based: the how-many-th bundle this module processed.
    bundle: u64,
    error: Option<String>,
    /// Modules that run code only.
    resources: Option<crate::resources::ResourcesSchema>,
}

/// An execution's module runs, in order.
#[derive(ToSchema)]
#[schema(as = ScenarioExecutionDetails, rename_all = "camelCase")]
pub struct ExecutionDetails {
    id: String,
    status: ExecutionStatus,
    modules: Vec<ModuleRun>,
    /// More module runs happened than the report keeps.
    modules_truncated: bool,
}

/// `{"execution": …}` with the module runs.
#[derive(ToSchema)]
#[schema(as = ScenarioExecutionDetailsReply)]
pub struct ExecutionDetailsReply {
    execution: ExecutionDetails,
}

/// A page's position.
#[derive(ToSchema)]
#[schema(as = ScenarioPage)]
pub struct Page {
    limit: u32,
    offset: u32,
    /// Matching executions in all.
    total: u64,
}

/// A page of executions, newest first.
#[derive(ToSchema)]
#[schema(as = ScenarioExecutionListReply)]
pub struct ExecutionListReply {
    executions: Vec<Execution>,
    pg: Page,
}

/// `manual`, or `auto` for a scheduled run.
#[derive(ToSchema)]
#[schema(as = ScenarioLogType, rename_all = "lowercase")]
pub enum LogType {
    Auto,
    Manual,
}

/// An execution as Make's logs show it.
#[derive(ToSchema)]
#[schema(as = ScenarioLog, rename_all = "camelCase")]
pub struct Log {
    /// The execution id.
    id: String,
    /// The execution id again.
    imt_id: String,
    /// 0 still going, 1 success, 2 warning, 3 error or stopped.
    #[schema(minimum = 0, maximum = 3)]
    status: u8,
    /// When it finished (or was created, if not yet).
    #[schema(format = DateTime)]
    timestamp: String,
    /// Milliseconds; 0 until finished.
    duration: i64,
    operations: u64,
    /// Bytes.
    transfer: u64,
    /// Always 0.
    centicredits: i64,
    #[schema(rename = "type")]
    kind: LogType,
    /// Always null.
    author_id: Option<i64>,
    /// Always false.
    instant: bool,
    scenario_id: Option<i64>,
}

/// `{"scenarioLog": …}`.
#[derive(ToSchema)]
#[schema(as = ScenarioLogReply, rename_all = "camelCase")]
pub struct LogReply {
    scenario_log: Log,
}

/// A page of logs, newest first.
#[derive(ToSchema)]
#[schema(as = ScenarioLogListReply, rename_all = "camelCase")]
pub struct LogListReply {
    scenario_logs: Vec<Log>,
    pg: Page,
}

/// A run queued (or still going): its id.
#[derive(ToSchema)]
#[schema(as = ScenarioRunAccepted, rename_all = "camelCase")]
pub struct RunAccepted {
    execution_id: String,
}

/// A run's cost.
#[derive(ToSchema)]
#[schema(as = ScenarioRunStats, rename_all = "camelCase")]
pub struct RunStats {
    operations: u64,
    /// Bytes.
    data_transfer: u64,
}

/// A responsive run that completed.
#[derive(ToSchema)]
#[schema(as = ScenarioRunResult, rename_all = "camelCase")]
pub struct RunResult {
    execution_id: String,
    /// 1 success, 2 success with warnings.
    #[schema(minimum = 0, maximum = 3)]
    status: u8,
    /// What `ReturnData` set.
    outputs: Value,
    stats: RunStats,
}
