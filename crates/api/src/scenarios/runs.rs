//! Scenario runs: run (responsive or not), status, paginated listing,
//! per-module details, stop and retry.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::{
    Execution, ExecutionId, ExecutionKind, ExecutionStatus, OutcomeKind, Timestamp,
};
use runbox_engine::SubmitError;
use runbox_store::{CancelOutcome, ExecutionFilter};
use runbox_workflow::schedule::{new_execution, RunOrder};
use runbox_workflow::ScenarioJob;
use serde_json::{json, Value};

use super::manage::find;
use super::render;
use super::reply::{
    execution_error, inactive, internal, invalid_input, not_found, rate_limited, timeout,
    ErrorBody, ScenarioApiError,
};
use super::schema;
use crate::auth::Caller;
use crate::{body, AppState};

type Result<T> = std::result::Result<T, ScenarioApiError>;

/// How long a responsive run is waited for before answering 202.
const RESPONSIVE_WAIT: Duration = Duration::from_secs(40);

/// Run a scenario; with `responsive`, wait up to 40 s for its outputs.
#[utoipa::path(
    post,
    path = "/scenarios/{id}/run",
    tag = "scenarios",
    operation_id = "scenarios_run_scenario",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    request_body = Option<schema::RunRequest>,
    responses(
        (status = 200, description = "A responsive run that completed", body = schema::RunResult),
        (status = 202, description = "The run is queued (or, responsive, still going after 40 s)", body = schema::RunAccepted),
        (status = 400, description = "Malformed body, data not matching the interface, bad callbackUrl (INVALID_INPUT) or inactive scenario (SCENARIO_INACTIVE)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
        (status = 429, description = "The queue is full (RATE_LIMITED)", body = ErrorBody),
        (status = 500, description = "A responsive run ended in error or was stopped (EXECUTION_ERROR), or an internal error (INTERNAL_ERROR)", body = ErrorBody),
        (status = 504, description = "A responsive run exceeded its time limit (TIMEOUT)", body = ErrorBody),
    )
)]
pub async fn run(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    match start_run(&state, caller, &id, body).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn start_run(state: &AppState, caller: Caller, id: &str, body: Body) -> Result<Response> {
    let (item, definition) = find(state, id).await?;
    let request = match body::read_json(state, body)
        .await
        .map_err(|e| super::reply::body_error(&e))?
    {
        Value::Null => serde_json::Map::new(),
        Value::Object(map) => map,
        _ => {
            return Err(invalid_input(
                "The body must be a JSON object {\"data\", \"responsive\"}",
            ))
        }
    };
    let responsive = match request.get("responsive") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid_input("responsive must be a boolean")),
    };
    let callback_url = callback_url(state, &request).await?;
    if !definition.is_active {
        return Err(inactive());
    }
    let input = definition
        .interface
        .apply(request.get("data").unwrap_or(&Value::Null))
        .map_err(invalid_input)?;
    let order = RunOrder {
        user: caller.user,
        input,
        resume: None,
        retry_of: None,
        scheduled: false,
        hook: None,
        callback_url,
    };
    let new = new_execution(item.number, &definition, order).map_err(|e| internal(&e))?;
    let execution = submit(state, new).await?;
    if !responsive {
        return Ok(accepted(&execution));
    }
    let latest = state
        .engine
        .wait_for_end(&execution.id, Some(RESPONSIVE_WAIT))
        .await?
        .unwrap_or(execution);
    responsive_reply(&latest)
}

/// Make's `callbackUrl`: where the result is POSTed when the run ends, as
/// a webhook (signed, retried). Checked like any outbound URL.
async fn callback_url(
    state: &AppState,
    request: &serde_json::Map<String, Value>,
) -> Result<Option<String>> {
    let url = match request.get("callbackUrl") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(url)) if crate::fields::is_http_url(url) => url,
        Some(_) => return Err(invalid_input("callbackUrl must be an http or https URL")),
    };
    if let Err(refusal) = state.policy.check_url(url).await {
        return Err(invalid_input(format!("callbackUrl refused: {refusal}")));
    }
    Ok(Some(url.clone()))
}

async fn submit(state: &AppState, new: runbox_domain::NewExecution) -> Result<Execution> {
    match state.engine.submit(new).await {
        Ok(enqueued) => Ok(enqueued.execution),
        Err(SubmitError::QueueFull { max }) => Err(rate_limited(max)),
        Err(err) => Err(internal(&err)),
    }
}

fn accepted(execution: &Execution) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "executionId": execution.id.as_str() })),
    )
        .into_response()
}

/// 200 with outputs and stats, the run's error, or 202 if it goes on.
fn responsive_reply(execution: &Execution) -> Result<Response> {
    let report = render::report(execution);
    match execution.status {
        ExecutionStatus::Queued | ExecutionStatus::Running => Ok(accepted(execution)),
        ExecutionStatus::Succeeded => {
            let (outputs, operations, data_transfer) = report.map_or((json!({}), 0, 0), |r| {
                (r.outputs, r.operations, r.data_transfer)
            });
            Ok(Json(json!({
                "executionId": execution.id.as_str(),
                "status": render::make_status(execution),
                "outputs": outputs,
                "stats": { "operations": operations, "dataTransfer": data_transfer },
            }))
            .into_response())
        }
        ExecutionStatus::Canceled => Err(execution_error(
            "Scenario execution was stopped",
            json!({ "executionId": execution.id.as_str() }),
        )),
        ExecutionStatus::Failed | ExecutionStatus::TimedOut => {
            let error = report.as_ref().and_then(|r| r.error.clone());
            let timed_out = execution.status == ExecutionStatus::TimedOut
                || execution
                    .outcome
                    .as_ref()
                    .is_some_and(|o| o.kind == OutcomeKind::TimedOut)
                || error.as_ref().is_some_and(|e| e.code == "TIMEOUT");
            let message = error
                .as_ref()
                .map(|e| e.message.clone())
                .or_else(|| execution.outcome.as_ref().and_then(|o| o.error.clone()))
                .unwrap_or_else(|| "Scenario execution failed".to_owned());
            let mut details = json!({
                "executionId": execution.id.as_str(),
                "moduleId": error.as_ref().and_then(|e| e.module_id),
                "moduleName": error.as_ref().and_then(|e| e.module_name.clone()),
            });
            if timed_out {
                return Err(timeout(message, details));
            }
            details["error"] = json!(message);
            Err(execution_error("Scenario execution failed", details))
        }
    }
}

/// A scenario execution of this scenario the caller may see.
async fn visible(state: &AppState, caller: &Caller, scenario: &str, id: &str) -> Result<Execution> {
    find(state, scenario).await?;
    let found = state
        .store
        .get_execution(&ExecutionId::from_raw(id))
        .await?;
    found
        .filter(|e| {
            e.kind == ExecutionKind::Scenario
                && e.subject.as_deref() == Some(scenario)
                && caller.can_see(e)
        })
        .ok_or_else(|| not_found("Execution"))
}

/// Get an execution of a scenario.
#[utoipa::path(
    get,
    path = "/scenarios/{id}/executions/{eid}",
    tag = "scenarios",
    operation_id = "scenarios_get_execution",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
        ("eid" = String, Path, description = "The execution's id (32 lowercase hex characters)"),
    ),
    responses(
        (status = 200, description = "The execution, in Make's shape and the contract's (`execution`)", body = schema::ExecutionDetailReply),
        (status = 404, description = "No such scenario, or no such execution of it the key may see (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((scenario, id)): Path<(String, String)>,
) -> Response {
    match visible(&state, &caller, &scenario, &id).await {
        Ok(execution) => {
            // Make's SDK reads this route's top level (`getDetail`); the
            // contract's object is under `execution`.
            let mut body = render::make_detail(&execution);
            body["execution"] = render::execution(&execution);
            Json(body).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// Get an execution of a scenario as Make's logs show it.
#[utoipa::path(
    get,
    path = "/scenarios/{id}/logs/{eid}",
    tag = "scenarios",
    operation_id = "scenarios_get_log",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
        ("eid" = String, Path, description = "The execution's id (32 lowercase hex characters)"),
    ),
    responses(
        (status = 200, description = "The execution log", body = schema::LogReply),
        (status = 404, description = "No such scenario, or no such execution of it the key may see (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn log(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((scenario, id)): Path<(String, String)>,
) -> Response {
    match visible(&state, &caller, &scenario, &id).await {
        Ok(execution) => Json(json!({ "scenarioLog": render::log(&execution) })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Get an execution's module runs, in order.
#[utoipa::path(
    get,
    path = "/scenarios/{id}/executions/{eid}/details",
    tag = "scenarios",
    operation_id = "scenarios_get_execution_details",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
        ("eid" = String, Path, description = "The execution's id (32 lowercase hex characters)"),
    ),
    responses(
        (status = 200, description = "The module runs", body = schema::ExecutionDetailsReply),
        (status = 404, description = "No such scenario, or no such execution of it the key may see (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn details(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((scenario, id)): Path<(String, String)>,
) -> Response {
    match visible(&state, &caller, &scenario, &id).await {
        Ok(execution) => Json(json!({ "execution": render::details(&execution) })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Stop an execution (a finished one is unchanged).
#[utoipa::path(
    post,
    path = "/scenarios/{id}/executions/{eid}/stop",
    tag = "scenarios",
    operation_id = "scenarios_stop_execution",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
        ("eid" = String, Path, description = "The execution's id (32 lowercase hex characters)"),
    ),
    responses(
        (status = 200, description = "The execution, stopped or as it ended", body = schema::ExecutionReply),
        (status = 404, description = "No such scenario, or no such execution of it the key may see (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn stop(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((scenario, id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let execution = visible(&state, &caller, &scenario, &id).await?;
        let latest = match state.engine.cancel(&execution.id).await? {
            CancelOutcome::Canceled(done) | CancelOutcome::AlreadyFinished(done) => done,
            CancelOutcome::Requested(running) => state
                .engine
                .wait_for_end(&running.id, Some(Duration::from_secs(10)))
                .await?
                .unwrap_or(running),
            CancelOutcome::NotFound => return Err(not_found("Execution")),
        };
        Ok(render::execution(&latest))
    }
    .await;
    match result {
        Ok(execution) => Json(json!({ "execution": execution })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Retry an execution that ended in error or was stopped, from the module that failed.
///
/// A new execution with the blueprint and input of the original run: it
/// keeps the outputs of the modules that had completed and resumes at the
/// failed one; a run with nothing to resume from (stopped while pending,
/// interrupted, rolled back, refused) runs again from the start (see
/// `ScenarioJob::retry_resume`). Any other status: 400 INVALID_INPUT.
#[utoipa::path(
    post,
    path = "/scenarios/{id}/executions/{eid}/retry",
    tag = "scenarios",
    operation_id = "scenarios_retry_execution",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
        ("eid" = String, Path, description = "The execution's id (32 lowercase hex characters)"),
    ),
    responses(
        (status = 202, description = "The new execution, queued", body = schema::RunAccepted),
        (status = 400, description = "The execution did not end in error nor was stopped (INVALID_INPUT)", body = ErrorBody),
        (status = 404, description = "No such scenario, or no such execution of it the key may see (NOT_FOUND)", body = ErrorBody),
        (status = 429, description = "The queue is full (RATE_LIMITED)", body = ErrorBody),
    )
)]
pub async fn retry(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((scenario, id)): Path<(String, String)>,
) -> Response {
    let result = async {
        let execution = visible(&state, &caller, &scenario, &id).await?;
        let (item, mut definition) = find(&state, &scenario).await?;
        let retryable = matches!(
            execution.status,
            ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Canceled
        );
        if !retryable {
            return Err(invalid_input(
                "Only an execution that ended in error or was stopped can be retried",
            ));
        }
        let job = ScenarioJob::from_spec(&execution.job).map_err(|e| internal(&e))?;
        let resume = job.retry_resume(render::report(&execution).as_ref());
        // The blueprint as it was, not as it is now.
        definition.max_duration = job.max_duration();
        definition.blueprint = job.blueprint;
        let order = RunOrder {
            user: caller.user,
            input: job.input,
            resume: Some(resume),
            retry_of: Some(execution.id.to_string()),
            scheduled: false,
            hook: None,
            callback_url: None,
        };
        let new = new_execution(item.number, &definition, order).map_err(|e| internal(&e))?;
        submit(&state, new).await
    }
    .await;
    match result {
        Ok(execution) => accepted(&execution),
        Err(err) => err.into_response(),
    }
}

/// List a scenario's executions, newest first.
#[utoipa::path(
    get,
    path = "/scenarios/{id}/executions",
    tag = "scenarios",
    operation_id = "scenarios_list_executions",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
        ("pg[limit]" = Option<u32>, Query, description = "Page size: default 10, clamped to 1..=100"),
        ("pg[offset]" = Option<u32>, Query, description = "Executions to skip"),
        ("from" = Option<String>, Query, description = "Created at or after: ISO 8601 or epoch milliseconds"),
        ("to" = Option<String>, Query, description = "Created at or before: ISO 8601 or epoch milliseconds"),
        ("status" = Option<String>, Query, description = "pending, running, completed, warning, error, stopped or failed (error or stopped), any case; or Make's 1 (success), 2 (warning), 3 (failed)"),
    ),
    responses(
        (status = 200, description = "A page of executions", body = schema::ExecutionListReply),
        (status = 400, description = "Invalid page, time or status (INVALID_INPUT)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(scenario): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match list_runs(&state, &caller, &scenario, &query).await {
        Ok(page) => {
            let items: Vec<Value> = page.executions.iter().map(render::execution).collect();
            Json(json!({ "executions": items, "pg": page.pg() })).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// List a scenario's executions as Make's logs, newest first.
#[utoipa::path(
    get,
    path = "/scenarios/{id}/logs",
    tag = "scenarios",
    operation_id = "scenarios_list_logs",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
        ("pg[limit]" = Option<u32>, Query, description = "Page size: default 10, clamped to 1..=100"),
        ("pg[offset]" = Option<u32>, Query, description = "Executions to skip"),
        ("from" = Option<String>, Query, description = "Created at or after: ISO 8601 or epoch milliseconds"),
        ("to" = Option<String>, Query, description = "Created at or before: ISO 8601 or epoch milliseconds"),
        ("status" = Option<String>, Query, description = "pending, running, completed, warning, error, stopped or failed (error or stopped), any case; or Make's 1 (success), 2 (warning), 3 (failed)"),
    ),
    responses(
        (status = 200, description = "A page of execution logs", body = schema::LogListReply),
        (status = 400, description = "Invalid page, time or status (INVALID_INPUT)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn logs(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(scenario): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match list_runs(&state, &caller, &scenario, &query).await {
        Ok(page) => {
            let items: Vec<Value> = page.executions.iter().map(render::log).collect();
            Json(json!({ "scenarioLogs": items, "pg": page.pg() })).into_response()
        }
        Err(err) => err.into_response(),
    }
}

struct Page {
    executions: Vec<Execution>,
    limit: u32,
    offset: u32,
    total: u64,
}

impl Page {
    fn pg(&self) -> Value {
        json!({ "limit": self.limit, "offset": self.offset, "total": self.total })
    }
}

async fn list_runs(
    state: &AppState,
    caller: &Caller,
    scenario: &str,
    query: &HashMap<String, String>,
) -> Result<Page> {
    find(state, scenario).await?;
    let number = |name: &str, default: u32| -> Result<u32> {
        match query.get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u32>()
                .map_err(|_| invalid_input(format!("{name} must be a non-negative integer"))),
        }
    };
    let limit = number("pg[limit]", 10)?.clamp(1, 100);
    let offset = number("pg[offset]", 0)?;
    let time = |name: &str| -> Result<Option<Timestamp>> {
        match query.get(name).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(text) => Timestamp::parse(text).map(Some).ok_or_else(|| {
                invalid_input(format!("{name} must be ISO 8601 or epoch milliseconds"))
            }),
        }
    };
    // Words, or Make's log numbers (1 success, 2 warning, 3 error).
    let word = query
        .get("status")
        .filter(|s| !s.is_empty())
        .map(|s| match s.trim() {
            "1" => "completed".to_owned(),
            "2" => "warning".to_owned(),
            "3" => "failed".to_owned(),
            other => other.to_ascii_lowercase(),
        });
    let statuses = match word.as_deref() {
        None => vec![],
        Some("pending") => vec![ExecutionStatus::Queued],
        Some("running") => vec![ExecutionStatus::Running],
        Some("completed") | Some("warning") => vec![ExecutionStatus::Succeeded],
        Some("error") => vec![ExecutionStatus::Failed, ExecutionStatus::TimedOut],
        Some("stopped") => vec![ExecutionStatus::Canceled],
        Some("failed") => vec![
            ExecutionStatus::Failed,
            ExecutionStatus::TimedOut,
            ExecutionStatus::Canceled,
        ],
        Some(other) => return Err(invalid_input(format!("unknown status {other:?}"))),
    };
    let mut filter = ExecutionFilter {
        user: (!caller.admin).then(|| caller.user.clone()),
        kind: Some(ExecutionKind::Scenario),
        subject: Some(scenario.to_owned()),
        statuses,
        created_from: time("from")?,
        created_to: time("to")?,
        limit,
        offset,
        ..ExecutionFilter::default()
    };
    let (executions, total) = if let Some(word @ ("completed" | "warning")) = word.as_deref() {
        // Both are `succeeded` in the queue: tell them apart by report.
        filter.limit = 10_000;
        filter.offset = 0;
        let all: Vec<Execution> = state
            .store
            .list_executions(&filter)
            .await?
            .into_iter()
            .filter(|e| render::status(e, render::report(e).as_ref()) == word)
            .collect();
        let total = all.len() as u64;
        (
            all.into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect::<Vec<_>>(),
            total,
        )
    } else {
        let total = state.store.count_executions(&filter).await?;
        (state.store.list_executions(&filter).await?, total)
    };
    Ok(Page {
        executions,
        limit,
        offset,
        total,
    })
}
