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
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::manage::find;
use super::reply::{body_error, detail, internal, unprocessable, Detail};
use crate::auth::Caller;
use crate::{body, fields, AppState};

/// The seed's words for states.
pub fn status_word(execution: &Execution) -> &'static str {
    match execution.status {
        ExecutionStatus::Queued => "PENDING",
        ExecutionStatus::Running if execution.cancel_requested => "CANCEL_REQUESTED",
        ExecutionStatus::Running => "RUNNING",
        ExecutionStatus::Succeeded => "COMPLETED",
        ExecutionStatus::Failed | ExecutionStatus::TimedOut => "FAILED",
        ExecutionStatus::Canceled => "CANCELED",
    }
}

/// The execution object of the seed.
pub fn render(execution: &Execution) -> Value {
    let (agent_id, payload) = match &execution.job {
        JobSpec::Agent(job) => (Some(job.agent_id.as_str()), job.input.clone()),
        _ => (None, Value::Null),
    };
    let outcome = execution.outcome.as_ref();
    let error_log = match execution.status {
        ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Canceled => {
            outcome.and_then(|o| o.error.clone())
        }
        _ => None,
    };
    json!({
        "execution_id": execution.id.as_str(),
        "agent_id": agent_id,
        "status": status_word(execution),
        "priority": execution.priority.value(),
        "payload": payload,
        "final_result": outcome.and_then(|o| o.result.clone()),
        "error_log": error_log,
        "resources": crate::resources::resources(execution),
        "packages": crate::resources::packages(execution),
        "created_at": execution.created_at.to_iso(),
        "started_at": execution.started_at.map(|t| t.to_iso()),
        "completed_at": execution.finished_at.map(|t| t.to_iso()),
    })
}

/// `POST /executions/run {"agent_id", "input"?, "priority"?}` → 202 QUEUED.
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
                "PENDING" => "QUEUED",
                other => other,
            };
            (
                StatusCode::ACCEPTED,
                Json(json!({ "execution_id": execution.id.as_str(), "status": status })),
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
        .await
        .map_err(|e| internal(&e))?;
    found
        .filter(|e| e.kind == ExecutionKind::Agent && caller.can_see(e))
        .ok_or_else(|| detail(StatusCode::NOT_FOUND, "Execution not found"))
}

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

/// `GET /executions?agent_id=&status=&limit=&offset=`, newest first.
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
        let executions = state
            .store
            .list_executions(&filter)
            .await
            .map_err(|e| internal(&e))?;
        Ok(executions.iter().map(render).collect::<Vec<_>>())
    }
    .await;
    match result {
        Ok(items) => Json(items).into_response(),
        Err(response) => response.into_response(),
    }
}

/// `POST /executions/{id}/cancel`: pending → CANCELED at once; running →
/// CANCEL_REQUESTED until its processes are gone; finished → 409.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let execution = visible(&state, &caller, &id).await?;
        match state
            .engine
            .cancel(&execution.id)
            .await
            .map_err(|e| internal(&e))?
        {
            CancelOutcome::Canceled(_) | CancelOutcome::Requested(_) => Ok(()),
            CancelOutcome::AlreadyFinished(_) => {
                Err(detail(StatusCode::CONFLICT, "Execution already finished"))
            }
            CancelOutcome::NotFound => Err(detail(StatusCode::NOT_FOUND, "Execution not found")),
        }
    }
    .await;
    match result {
        Ok(()) => Json(json!({ "status": "cancel_requested", "execution_id": id })).into_response(),
        Err(response) => response.into_response(),
    }
}
