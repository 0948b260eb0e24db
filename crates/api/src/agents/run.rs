//! Agent executions: run (with priority override and `Idempotency-Key`),
//! get, list, and the two-phase cancel.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::{
    AgentJob, Execution, ExecutionId, ExecutionKind, ExecutionStatus, Idempotency, JobSpec,
    NewExecution,
};
use runbox_engine::SubmitError;
use runbox_store::{CancelOutcome, ExecutionFilter};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::manage::find;
use super::reply::{body_error, detail, internal, unprocessable, Detail, DetailBody};
use crate::auth::Caller;
use crate::{body, fields, AppState};

/// Where an execution stands (the seed's words).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = AgentExecutionStatus)]
pub enum Status {
    /// Queued, not started yet.
    Pending,
    Running,
    /// Running, its processes being stopped; CANCELED once they are gone.
    CancelRequested,
    Completed,
    /// Failed or timed out (`error_log` says why).
    Failed,
    Canceled,
}

/// The seed's words for states.
pub fn status_word(execution: &Execution) -> Status {
    match execution.status {
        ExecutionStatus::Queued => Status::Pending,
        ExecutionStatus::Running if execution.cancel_requested => Status::CancelRequested,
        ExecutionStatus::Running => Status::Running,
        ExecutionStatus::Succeeded => Status::Completed,
        ExecutionStatus::Failed | ExecutionStatus::TimedOut => Status::Failed,
        ExecutionStatus::Canceled => Status::Canceled,
    }
}

/// One run of an agent; what is not known yet is null.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct AgentExecution {
    #[schema(example = "0b6c4e7a-3f1d-4a8e-9c2b-5d7e8f9a0b1c")]
    pub execution_id: String,
    #[schema(required = true)]
    pub agent_id: Option<String>,
    pub status: Status,
    /// The queue priority it ran with, 0 to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub priority: u8,
    /// The input it was given.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The JSON object the agent returned (a value that is not an object
    /// is wrapped as `{"result": value}`), once COMPLETED.
    #[schema(value_type = Option<Object>, required = true)]
    pub final_result: Option<Value>,
    /// Why a FAILED or CANCELED run did not complete: a traceback, stderr,
    /// `timed out after N s`, or why the output was not a JSON object.
    #[schema(required = true)]
    pub error_log: Option<String>,
    /// What the run used, once it has ended.
    #[schema(value_type = Option<crate::resources::ResourcesSchema>, required = true)]
    pub resources: Value,
    /// `name==version` of the packages of its environment (PEP 723), or
    /// null when it had none.
    #[schema(value_type = Option<Vec<String>>, required = true)]
    pub packages: Value,
    /// ISO 8601 UTC, milliseconds.
    #[schema(example = "2025-05-10T21:00:00.000Z")]
    pub created_at: String,
    #[schema(required = true)]
    pub started_at: Option<String>,
    #[schema(required = true)]
    pub completed_at: Option<String>,
}

/// The execution object of the seed.
pub fn render(execution: &Execution) -> AgentExecution {
    let (agent_id, payload) = match &execution.job {
        JobSpec::Agent(job) => (Some(job.agent_id.clone()), job.input.clone()),
        _ => (None, Value::Null),
    };
    let outcome = execution.outcome.as_ref();
    let error_log = match execution.status {
        ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Canceled => {
            outcome.and_then(|o| o.error.clone())
        }
        _ => None,
    };
    AgentExecution {
        execution_id: execution.id.as_str().to_owned(),
        agent_id,
        status: status_word(execution),
        priority: execution.priority.value(),
        payload,
        final_result: outcome.and_then(|o| o.result.clone()),
        error_log,
        resources: crate::resources::resources(execution),
        packages: crate::resources::packages(execution),
        created_at: execution.created_at.to_iso(),
        started_at: execution.started_at.map(|t| t.to_iso()),
        completed_at: execution.finished_at.map(|t| t.to_iso()),
    }
}

/// The headers a run request may have.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct RunHeaders {
    /// Repeating a request with the same key and body returns the first
    /// execution; the same key with another body is refused (422).
    /// Surrounding spaces are removed.
    #[param(
        rename = "Idempotency-Key",
        required = false,
        min_length = 1,
        max_length = 255,
        pattern = "\\S"
    )]
    idempotency_key: String,
}

/// A run to start. Other fields are ignored.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(as = AgentRunRequest)]
pub struct RunRequest {
    /// The agent to run.
    agent_id: String,
    /// The agent's input; `{}` when absent or null.
    #[schema(value_type = Option<Object>)]
    input: Option<Value>,
    /// 0 to 100, overriding the agent's own priority for this run.
    #[schema(minimum = 0, maximum = 100)]
    priority: Option<u8>,
}

/// What `POST /executions/run` says of the run's state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = AgentRunStatus)]
pub enum RunStatus {
    /// Queued (a new run, or an idempotent repeat of one still pending).
    Queued,
    Running,
    CancelRequested,
    Completed,
    Failed,
    Canceled,
}

/// A run accepted.
#[derive(Serialize, ToSchema)]
#[schema(as = AgentRunAccepted)]
pub struct RunAccepted {
    pub execution_id: String,
    /// QUEUED for a new run; an idempotent repeat tells where the first run
    /// is now.
    pub status: RunStatus,
}

/// The one word of a cancel reply.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AgentCancelStatus)]
pub enum CancelStatus {
    CancelRequested,
}

/// A cancel accepted.
#[derive(Serialize, ToSchema)]
#[schema(as = AgentCancelAccepted)]
pub struct CancelAccepted {
    pub status: CancelStatus,
    pub execution_id: String,
}

/// Run an agent: queue a new execution with its input.
#[utoipa::path(
    post,
    path = "/executions/run",
    tag = "agents",
    operation_id = "agents_run_agent",
    params(RunHeaders),
    request_body = RunRequest,
    responses(
        (status = 202, description = "Queued (or, for an idempotent repeat, the first execution)", body = RunAccepted),
        (status = 400, description = "Malformed JSON", body = DetailBody),
        (status = 404, description = "No such agent", body = DetailBody),
        (status = 413, description = "Body too large", body = DetailBody),
        (status = 422, description = "A field is missing or invalid, an invalid Idempotency-Key, or the key was used with another body", body = DetailBody),
        (status = 429, description = "The queue is full (MAX_QUEUE_LENGTH); nothing was created", body = DetailBody),
    )
)]
pub async fn run(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match start(&state, caller, &headers, body).await {
        Ok(execution) => {
            // The seed says QUEUED for a pending run; an idempotent repeat
            // of one that has moved on tells where it is now.
            let status = match status_word(&execution) {
                Status::Pending => RunStatus::Queued,
                Status::Running => RunStatus::Running,
                Status::CancelRequested => RunStatus::CancelRequested,
                Status::Completed => RunStatus::Completed,
                Status::Failed => RunStatus::Failed,
                Status::Canceled => RunStatus::Canceled,
            };
            (
                StatusCode::ACCEPTED,
                Json(RunAccepted {
                    execution_id: execution.id.as_str().to_owned(),
                    status,
                }),
            )
                .into_response()
        }
        Err(response) => response.into_response(),
    }
}

async fn start(
    state: &AppState,
    caller: Caller,
    headers: &HeaderMap,
    body: Body,
) -> Result<Execution, Detail> {
    let value = body::read_json(state, body)
        .await
        .map_err(|e| body_error(&e))?;
    let object = fields::lenient_object(&value).map_err(unprocessable)?;
    let agent_id = match object.get("agent_id") {
        Some(Value::String(id)) => id.clone(),
        Some(_) => return Err(unprocessable("agent_id must be a string")),
        None => return Err(unprocessable("agent_id is required")),
    };
    let input = match object.get("input") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(map)) => Value::Object(map.clone()),
        Some(_) => return Err(unprocessable("input must be a JSON object")),
    };
    let priority = fields::priority(object).map_err(unprocessable)?;
    let idempotency = idempotency(headers, &agent_id, &input, priority.map(|p| p.value()))?;
    let (_, spec) = find(state, &agent_id).await?;
    let new = NewExecution {
        id: ExecutionId::new_uuid(),
        user: caller.user,
        priority: priority.unwrap_or(spec.priority),
        timeout: spec.timeout,
        job: JobSpec::Agent(AgentJob {
            agent_id: agent_id.clone(),
            runtime: spec.runtime,
            input,
            env: spec.env,
            network: spec.network,
        }),
        subject: Some(agent_id),
        idempotency,
        webhook_url: None,
    };
    match state.engine.submit(new).await {
        Ok(enqueued) => Ok(enqueued.execution),
        Err(SubmitError::QueueFull { max }) => Err(detail(
            StatusCode::TOO_MANY_REQUESTS,
            format!("MAX_QUEUE_LENGTH ({max}) reached"),
        )),
        Err(SubmitError::IdempotencyConflict) => Err(unprocessable(
            "Idempotency-Key was already used with a different request",
        )),
        Err(err) => Err(internal(&err)),
    }
}

/// The `Idempotency-Key` header and a digest of what the request asks for.
fn idempotency(
    headers: &HeaderMap,
    agent_id: &str,
    input: &Value,
    priority: Option<u8>,
) -> Result<Option<Idempotency>, Detail> {
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = key
        .to_str()
        .map_err(|_| unprocessable("Idempotency-Key must be printable text"))?
        .trim();
    if key.is_empty() || key.len() > 255 {
        return Err(unprocessable("Idempotency-Key must be 1 to 255 characters"));
    }
    // serde_json sorts object keys, so equal requests give equal digests.
    let canonical =
        json!({ "agent_id": agent_id, "input": input, "priority": priority }).to_string();
    let fingerprint = hex(&Sha256::digest(canonical.as_bytes()));
    Ok(Some(Idempotency {
        key: key.to_owned(),
        fingerprint,
    }))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An agent execution the caller may see, or 404.
pub async fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<Execution, Detail> {
    let found = state
        .store
        .get_execution(&ExecutionId::from_raw(id))
        .await?;
    found
        .filter(|e| e.kind == ExecutionKind::Agent && caller.can_see(e))
        .ok_or_else(|| detail(StatusCode::NOT_FOUND, "Execution not found"))
}

/// Get one of your executions (an admin sees everyone's).
#[utoipa::path(
    get,
    path = "/executions/{id}",
    tag = "agents",
    operation_id = "agents_get_execution",
    params(("id" = String, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "The execution, whatever its status", body = AgentExecution),
        (status = 400, description = "The id is not valid UTF-8", body = DetailBody),
        (status = 404, description = "No such agent execution of yours", body = DetailBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    match visible(&state, &caller, &id).await {
        Ok(execution) => Json(render(&execution)).into_response(),
        Err(response) => response.into_response(),
    }
}

/// A `status` filter of `GET /executions`; case does not matter.
#[derive(ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(dead_code)]
#[schema(as = AgentExecutionStatusFilter)]
pub enum StatusFilter {
    Pending,
    /// The same as PENDING.
    Queued,
    Running,
    CancelRequested,
    Completed,
    Failed,
    Canceled,
    /// The same as CANCELED.
    Cancelled,
}

/// List your agent executions, newest first (an admin sees everyone's).
#[utoipa::path(
    get,
    path = "/executions",
    tag = "agents",
    operation_id = "agents_list_executions",
    params(
        ("agent_id" = Option<String>, Query, description = "Only runs of this agent"),
        ("status" = inline(Option<StatusFilter>), Query,
            description = "Only runs in this state (case does not matter; QUEUED is PENDING, CANCELLED is CANCELED)"),
        ("limit" = Option<u32>, Query, minimum = 0,
            description = "At most this many runs (default 50; more than 1000 is cut to 1000)"),
        ("offset" = Option<u32>, Query, minimum = 0, description = "Skip this many runs first (default 0)"),
    ),
    responses(
        (status = 200, description = "Your executions", body = Vec<AgentExecution>),
        (status = 400, description = "A query that cannot be read", body = DetailBody),
        (status = 422, description = "Invalid limit, offset or status", body = DetailBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let number = |name: &str, default: u32| -> Result<u32, Detail> {
            match query.get(name).map(|text| text.trim()) {
                None | Some("") => Ok(default),
                Some(text) => text
                    .parse::<u32>()
                    .map_err(|_| unprocessable(format!("{name} must be a non-negative integer"))),
            }
        };
        let mut filter = ExecutionFilter {
            user: (!caller.admin).then(|| caller.user.clone()),
            kind: Some(ExecutionKind::Agent),
            subject: query.get("agent_id").filter(|a| !a.is_empty()).cloned(),
            limit: number("limit", 50)?.min(1000),
            offset: number("offset", 0)?,
            ..ExecutionFilter::default()
        };
        if let Some(word) = query.get("status").filter(|s| !s.is_empty()) {
            let (statuses, cancel_requested) = match word.to_ascii_uppercase().as_str() {
                "PENDING" | "QUEUED" => (vec![ExecutionStatus::Queued], None),
                "RUNNING" => (vec![ExecutionStatus::Running], Some(false)),
                "CANCEL_REQUESTED" => (vec![ExecutionStatus::Running], Some(true)),
                "COMPLETED" => (vec![ExecutionStatus::Succeeded], None),
                "FAILED" => (
                    vec![ExecutionStatus::Failed, ExecutionStatus::TimedOut],
                    None,
                ),
                "CANCELED" | "CANCELLED" => (vec![ExecutionStatus::Canceled], None),
                other => return Err(unprocessable(format!("unknown status {other:?}"))),
            };
            filter.statuses = statuses;
            filter.cancel_requested = cancel_requested;
        }
        let executions = state.store.list_executions(&filter).await?;
        Ok(executions.iter().map(render).collect::<Vec<_>>())
    }
    .await;
    match result {
        Ok(items) => Json(items).into_response(),
        Err(response) => response.into_response(),
    }
}

/// Cancel one of your executions.
///
/// A pending execution is CANCELED at once; a running one is
/// CANCEL_REQUESTED until its processes are gone, then CANCELED; a finished
/// one is left as it is (409).
#[utoipa::path(
    post,
    path = "/executions/{id}/cancel",
    tag = "agents",
    operation_id = "agents_cancel_execution",
    params(("id" = String, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "Canceled, or being canceled", body = CancelAccepted),
        (status = 400, description = "The id is not valid UTF-8", body = DetailBody),
        (status = 404, description = "No such agent execution of yours", body = DetailBody),
        (status = 409, description = "The execution already finished", body = DetailBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let execution = visible(&state, &caller, &id).await?;
        match state.engine.cancel(&execution.id).await? {
            CancelOutcome::Canceled(_) | CancelOutcome::Requested(_) => Ok(()),
            CancelOutcome::AlreadyFinished(_) => {
                Err(detail(StatusCode::CONFLICT, "Execution already finished"))
            }
            CancelOutcome::NotFound => Err(detail(StatusCode::NOT_FOUND, "Execution not found")),
        }
    }
    .await;
    match result {
        Ok(()) => Json(CancelAccepted {
            status: CancelStatus::CancelRequested,
            execution_id: id,
        })
        .into_response(),
        Err(response) => response.into_response(),
    }
}
