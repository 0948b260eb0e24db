//! Running buttons: execute (waiting up to `?wait` seconds), status, cancel
//! and the caller's history.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use runbox_domain::{
    Execution, ExecutionId, ExecutionKind, ExecutionStatus, JobSpec, NewExecution, Priority,
};
use runbox_engine::SubmitError;
use runbox_store::{CancelOutcome, ExecutionFilter};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::manage::{check_command, find};
use super::reply::{
    success, ApiError, ButtonExecutionListReply, ButtonExecutionReply, Code, ErrorBody, Lang,
};
use crate::auth::Caller;
use crate::AppState;

const DEFAULT_WAIT: u64 = 10;
const MAX_WAIT: u64 = 60;
const LIVE_OUTPUT_CHUNKS: u32 = 100_000;

/// The dialect's word for an execution's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ButtonStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Timeout,
    Canceled,
}

impl ButtonStatus {
    pub fn of(execution: &Execution) -> Self {
        match execution.status {
            ExecutionStatus::Queued => ButtonStatus::Pending,
            ExecutionStatus::Running => ButtonStatus::Running,
            ExecutionStatus::Succeeded => ButtonStatus::Completed,
            ExecutionStatus::Failed => ButtonStatus::Failed,
            ExecutionStatus::TimedOut => ButtonStatus::Timeout,
            ExecutionStatus::Canceled => ButtonStatus::Canceled,
        }
    }
}

/// One run of a button; figures not known yet are null.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ButtonExecution {
    pub execution_id: String,
    #[schema(required = true)]
    pub button_id: Option<String>,
    pub status: ButtonStatus,
    /// stdout and stderr interleaved in arrival order, at most 1 MiB; the
    /// output so far while it runs.
    #[schema(required = true)]
    pub output: Option<String>,
    #[schema(required = true)]
    pub exit_code: Option<i32>,
    /// Whether output beyond the limit was discarded.
    #[schema(required = true)]
    pub truncated: Option<bool>,
    /// Why the run did not succeed.
    #[schema(required = true)]
    pub error: Option<String>,
    /// What the run used, once it has ended.
    #[schema(value_type = Option<crate::resources::ResourcesSchema>, required = true)]
    pub resources: Value,
    /// ISO 8601 UTC, milliseconds.
    #[schema(required = true)]
    pub started_at: Option<String>,
    #[schema(required = true)]
    pub completed_at: Option<String>,
}

fn status_from_word(word: &str) -> Option<ExecutionStatus> {
    Some(match word {
        "pending" => ExecutionStatus::Queued,
        "running" => ExecutionStatus::Running,
        "completed" => ExecutionStatus::Succeeded,
        "failed" => ExecutionStatus::Failed,
        "timeout" => ExecutionStatus::TimedOut,
        "canceled" | "cancelled" => ExecutionStatus::Canceled,
        _ => return None,
    })
}

/// `data` for an execution; `live` is the output so far of a running one.
pub fn execution_data(execution: &Execution, live: Option<String>) -> ButtonExecution {
    let outcome = execution.outcome.as_ref();
    ButtonExecution {
        execution_id: execution.id.as_str().to_owned(),
        button_id: execution.subject.clone(),
        status: ButtonStatus::of(execution),
        output: outcome.map(|o| o.stdout.clone()).or(live),
        exit_code: outcome.and_then(|o| o.exit_code),
        truncated: outcome.map(|o| o.truncated),
        error: outcome.and_then(|o| o.error.clone()),
        resources: crate::resources::resources(execution),
        started_at: execution.started_at.map(|t| t.to_iso()),
        completed_at: execution.finished_at.map(|t| t.to_iso()),
    }
}

/// The output a running execution has produced so far.
pub async fn live_output(state: &AppState, execution: &Execution) -> Option<String> {
    if execution.status != ExecutionStatus::Running {
        return None;
    }
    let chunks = state
        .store
        .output_after(&execution.id, 0, LIVE_OUTPUT_CHUNKS)
        .await
        .ok()?;
    let bytes: Vec<u8> = chunks.into_iter().flat_map(|c| c.data).collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

async fn data_of(state: &AppState, execution: &Execution) -> ButtonExecution {
    execution_data(execution, live_output(state, execution).await)
}

/// Run a button, waiting up to `wait` seconds for it to end.
#[utoipa::path(
    post,
    path = "/api/v1/execute/{id}",
    tag = "buttons",
    operation_id = "buttons_execute_button",
    params(
        ("id" = String, Path, description = "The button's id"),
        ("wait" = Option<u32>, Query, minimum = 0, maximum = 60,
            description = "Seconds to wait for the run to end, 0 to 60 (default 10)"),
    ),
    responses(
        (status = 200, description = "The run ended within the wait: completed (or canceled)", body = ButtonExecutionReply,
            links(
                ("ExecutionStatus" = (operation_id = "buttons_get_execution_status", parameters(("id" = "$response.body#/data/execution_id")))),
                ("CancelExecution" = (operation_id = "buttons_cancel_execution", parameters(("id" = "$response.body#/data/execution_id")))),
                ("StreamExecution" = (operation_id = "buttons_stream_execution", parameters(("id" = "$response.body#/data/execution_id")))),
            )
        ),
        (status = 202, description = "Still pending or running after the wait", body = ButtonExecutionReply,
            links(
                ("ExecutionStatus" = (operation_id = "buttons_get_execution_status", parameters(("id" = "$response.body#/data/execution_id")))),
                ("CancelExecution" = (operation_id = "buttons_cancel_execution", parameters(("id" = "$response.body#/data/execution_id")))),
                ("StreamExecution" = (operation_id = "buttons_stream_execution", parameters(("id" = "$response.body#/data/execution_id")))),
            )
        ),
        (status = 400, description = "Invalid wait (INVALID_REQUEST) or the button's command is no longer valid (INVALID_COMMAND)", body = ErrorBody),
        (status = 404, description = "No such button (BUTTON_NOT_FOUND)", body = ErrorBody),
        (status = 408, description = "The run timed out within the wait (TIMEOUT, with `data`)", body = ErrorBody),
        (status = 429, description = "The queue is full (RATE_LIMITED); nothing was created", body = ErrorBody),
        (status = 500, description = "The run failed within the wait (EXECUTION_ERROR, with `data`), or an internal error", body = ErrorBody),
    )
)]
pub async fn execute(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    Path(button_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match execute_button(&state, caller, &button_id, &query, lang).await {
        Ok(response) => response,
        Err(err) => err.render(lang),
    }
}

async fn execute_button(
    state: &AppState,
    caller: Caller,
    button_id: &str,
    query: &HashMap<String, String>,
    lang: Lang,
) -> Result<Response, ApiError> {
    let wait = match query.get("wait") {
        None => DEFAULT_WAIT,
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|w| *w <= MAX_WAIT)
            .ok_or_else(|| {
                ApiError::detail(
                    Code::InvalidRequest,
                    format!("wait must be an integer between 0 and {MAX_WAIT}"),
                )
            })?,
    };
    let (_, spec) = find(state, button_id).await?;
    check_command(state, &spec.command).await?;
    let new = NewExecution {
        id: ExecutionId::new_uuid(),
        user: caller.user,
        priority: Priority::DEFAULT,
        timeout: spec.timeout,
        job: JobSpec::Shell(spec.job(button_id)),
        subject: Some(button_id.to_owned()),
        idempotency: None,
        webhook_url: None,
    };
    let execution = match state.engine.submit(new).await {
        Ok(enqueued) => enqueued.execution,
        Err(SubmitError::QueueFull { max }) => {
            return Err(ApiError::detail(
                Code::RateLimited,
                format!("MAX_QUEUE_LENGTH ({max}) reached"),
            ))
        }
        Err(err) => return Err(ApiError::internal(&err)),
    };
    let latest = if wait == 0 {
        execution
    } else {
        state
            .engine
            .wait_for_end(&execution.id, Some(Duration::from_secs(wait)))
            .await?
            .unwrap_or(execution)
    };
    Ok(finished_reply(state, &latest, lang).await)
}

/// 200 `completed`/`canceled`, 500 EXECUTION_ERROR, 408 TIMEOUT, or 202 while it goes on.
async fn finished_reply(state: &AppState, execution: &Execution, lang: Lang) -> Response {
    let data = data_of(state, execution).await;
    match execution.status {
        ExecutionStatus::Succeeded | ExecutionStatus::Canceled => success(StatusCode::OK, data),
        ExecutionStatus::Failed => ApiError::with_data(Code::ExecutionError, data).render(lang),
        ExecutionStatus::TimedOut => ApiError::with_data(Code::Timeout, data).render(lang),
        ExecutionStatus::Queued | ExecutionStatus::Running => success(StatusCode::ACCEPTED, data),
    }
}

/// Show where one of your runs stands.
#[utoipa::path(
    get,
    path = "/api/v1/execute/{id}/status",
    tag = "buttons",
    operation_id = "buttons_get_execution_status",
    params(("id" = String, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "The execution, whatever its status", body = ButtonExecutionReply),
        (status = 400, description = "The id is not valid UTF-8 (INVALID_REQUEST)", body = ErrorBody),
        (status = 404, description = "No such execution of yours (EXECUTION_NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    Path(id): Path<String>,
) -> Response {
    match visible(&state, &caller, &id).await {
        Ok(execution) => success(StatusCode::OK, data_of(&state, &execution).await),
        Err(err) => err.render(lang),
    }
}

/// Cancel one of your runs.
///
/// A queued run is canceled at once; a running one is stopped (its
/// processes killed) before replying; a finished one is left as it is.
#[utoipa::path(
    post,
    path = "/api/v1/execute/{id}/cancel",
    tag = "buttons",
    operation_id = "buttons_cancel_execution",
    params(("id" = String, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "The execution after the cancel", body = ButtonExecutionReply),
        (status = 400, description = "The id is not valid UTF-8 (INVALID_REQUEST)", body = ErrorBody),
        (status = 404, description = "No such execution of yours (EXECUTION_NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let execution = visible(&state, &caller, &id).await?;
        let latest = match state.engine.cancel(&execution.id).await? {
            CancelOutcome::Canceled(done) | CancelOutcome::AlreadyFinished(done) => done,
            CancelOutcome::Requested(running) => state
                .engine
                .wait_for_end(&running.id, Some(Duration::from_secs(15)))
                .await?
                .unwrap_or(running),
            CancelOutcome::NotFound => return Err(ApiError::new(Code::ExecutionNotFound)),
        };
        Ok(data_of(&state, &latest).await)
    }
    .await;
    match result {
        Ok(data) => success(StatusCode::OK, data),
        Err(err) => err.render(lang),
    }
}

/// List your button runs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/executions",
    tag = "buttons",
    operation_id = "buttons_list_executions",
    params(
        ("button_id" = Option<String>, Query, description = "Only runs of this button"),
        ("status" = Option<ButtonStatus>, Query,
            description = "Only runs in this state (`cancelled` is accepted for `canceled`)"),
        ("limit" = Option<u32>, Query, minimum = 0,
            description = "At most this many runs (default 50; more than 1000 is cut to 1000)"),
        ("offset" = Option<u32>, Query, minimum = 0, description = "Skip this many runs first (default 0)"),
    ),
    responses(
        (status = 200, description = "Your runs", body = ButtonExecutionListReply),
        (status = 400, description = "Invalid limit, offset or status (INVALID_REQUEST)", body = ErrorBody),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result: Result<Vec<ButtonExecution>, ApiError> = async {
        let number = |name: &str, default: u32, max: u32| -> Result<u32, ApiError> {
            // A page larger than the maximum is cut to it, as pagination
            // usually does; an empty value means the default.
            match query.get(name).map(|text| text.trim()) {
                None | Some("") => Ok(default),
                Some(text) => text.parse::<u32>().map(|n| n.min(max)).map_err(|_| {
                    ApiError::detail(
                        Code::InvalidRequest,
                        format!("{name} must be a non-negative integer"),
                    )
                }),
            }
        };
        let statuses = match query.get("status").filter(|s| !s.is_empty()) {
            None => Vec::new(),
            Some(word) => vec![status_from_word(word).ok_or_else(|| {
                ApiError::detail(Code::InvalidRequest, format!("unknown status {word:?}"))
            })?],
        };
        let filter = ExecutionFilter {
            user: Some(caller.user.clone()),
            kind: Some(ExecutionKind::Shell),
            subject: query.get("button_id").filter(|b| !b.is_empty()).cloned(),
            statuses,
            limit: number("limit", 50, 1000)?,
            offset: number("offset", 0, u32::MAX)?,
            ..ExecutionFilter::default()
        };
        let executions = state.store.list_executions(&filter).await?;
        let mut items = Vec::with_capacity(executions.len());
        for execution in &executions {
            items.push(data_of(&state, execution).await);
        }
        Ok(items)
    }
    .await;
    match result {
        Ok(data) => success(StatusCode::OK, data),
        Err(err) => err.render(lang),
    }
}

/// A shell execution the caller may see, or EXECUTION_NOT_FOUND.
pub async fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<Execution, ApiError> {
    let found = state
        .store
        .get_execution(&ExecutionId::from_raw(id))
        .await?;
    found
        .filter(|e| e.kind == ExecutionKind::Shell && caller.can_see(e))
        .ok_or(ApiError::new(Code::ExecutionNotFound))
}
