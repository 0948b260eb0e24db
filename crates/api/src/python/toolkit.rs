//! NCA toolkit compatibility routes: job status (one or all recent) and
//! the key check. Every Python execution is a job, synchronous or not.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::{
    Execution, ExecutionId, ExecutionKind, ExecutionStatus, OutcomeKind, Timestamp,
};
use runbox_store::ExecutionFilter;
use serde_json::{json, Map, Value};

use super::envelope::{final_envelope, Stamp};
use super::execute::{internal, stamp};
use super::{errors, schema, validate, AUTHENTICATE_PATH, JOBS_STATUS_PATH, JOB_STATUS_PATH};
use crate::auth::Caller;
use crate::time::secs3;
use crate::{body, AppState};

/// A job's status (NCA toolkit): queued, running, done (whatever the
/// outcome) or failed (runbox failed it), with the final envelope once
/// done.
#[utoipa::path(
    post,
    path = "/v1/toolkit/job/status",
    tag = "python",
    operation_id = "python_job_status",
    request_body = schema::JobStatusRequest,
    responses(
        (status = 200, description = "`response` is `{job_status, job_id, queue_id, process_id, response}`", body = schema::Envelope),
        (status = 400, description = "A body that does not fit (`Invalid payload: …`)", body = schema::Refusal),
        (status = 404, description = "No such job of yours: `message` is `{error: \"Job not found\", job_id}`", body = schema::Envelope),
        (status = 413, description = "Body too large", body = schema::Refusal),
        (status = 500, description = "Internal error", body = schema::Failure),
    )
)]
pub async fn job_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Response {
    let started = Timestamp::now();
    let value = match body::read_json(&state, body).await {
        Ok(value) => value,
        Err(err) => return errors::body_error(&err),
    };
    let job_id = match validate::job_id_request(&value) {
        Ok(id) => id,
        Err(detail) => return errors::invalid_payload(&detail),
    };
    let found = match state
        .store
        .get_execution(&ExecutionId::from_raw(job_id.clone()))
        .await
    {
        Ok(found) => found.filter(|e| e.kind == ExecutionKind::Python && caller.can_see(e)),
        Err(err) => return internal(&err),
    };
    let stamp = stamp(&state).await;
    let Some(execution) = found else {
        let body = envelope(
            JOB_STATUS_PATH,
            StatusCode::NOT_FOUND,
            &job_id,
            Value::Null,
            json!({ "error": "Job not found", "job_id": job_id }),
            &stamp,
            started,
        );
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    };
    let final_response = if execution.status.is_terminal() {
        final_envelope(&execution, &stamp).1
    } else {
        Value::Null
    };
    let response = json!({
        "job_status": job_status_word(&execution),
        "job_id": job_id,
        "queue_id": execution.seq,
        "process_id": stamp.pid,
        "response": final_response,
    });
    let body = envelope(
        JOB_STATUS_PATH,
        StatusCode::OK,
        &job_id,
        response,
        json!("success"),
        &stamp,
        started,
    );
    (StatusCode::OK, Json(body)).into_response()
}

/// The status of every job of yours created in the last `since_seconds`.
#[utoipa::path(
    post,
    path = "/v1/toolkit/jobs/status",
    tag = "python",
    operation_id = "python_jobs_status",
    request_body(content = Option<schema::JobsStatusRequest>, description = "Optional: `since_seconds` defaults to 600"),
    responses(
        (status = 200, description = "`response` is `{JOB_ID: job_status, …}`", body = schema::Envelope),
        (status = 400, description = "A body that does not fit (`Invalid payload: …`)", body = schema::Refusal),
        (status = 413, description = "Body too large", body = schema::Refusal),
        (status = 500, description = "Internal error", body = schema::Failure),
    )
)]
pub async fn jobs_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Response {
    let started = Timestamp::now();
    let value = match body::read_json(&state, body).await {
        Ok(value) => value,
        Err(err) => return errors::body_error(&err),
    };
    let since = match validate::since_seconds_request(&value) {
        Ok(since) => since,
        Err(detail) => return errors::invalid_payload(&detail),
    };
    let filter = ExecutionFilter {
        user: (!caller.admin).then(|| caller.user.clone()),
        kind: Some(ExecutionKind::Python),
        created_from: Some(Timestamp::from_millis(
            started.as_millis() - (since as i64) * 1000,
        )),
        limit: 10_000,
        ..ExecutionFilter::default()
    };
    let executions = match state.store.list_executions(&filter).await {
        Ok(list) => list,
        Err(err) => return internal(&err),
    };
    let statuses: Map<String, Value> = executions
        .iter()
        .map(|e| (e.id.to_string(), json!(job_status_word(e))))
        .collect();
    let stamp = stamp(&state).await;
    let job_id = uuid::Uuid::new_v4().to_string();
    let body = envelope(
        JOBS_STATUS_PATH,
        StatusCode::OK,
        &job_id,
        Value::Object(statuses),
        json!("success"),
        &stamp,
        started,
    );
    (StatusCode::OK, Json(body)).into_response()
}

/// Check a key: reached only with a valid one (`response: "Authorized"`).
#[utoipa::path(
    get,
    path = "/v1/toolkit/authenticate",
    tag = "python",
    operation_id = "python_authenticate",
    responses(
        (status = 200, description = "The key is valid", body = schema::Envelope),
    )
)]
pub async fn authenticate(State(state): State<AppState>) -> Response {
    let started = Timestamp::now();
    let stamp = stamp(&state).await;
    let job_id = uuid::Uuid::new_v4().to_string();
    let body = envelope(
        AUTHENTICATE_PATH,
        StatusCode::OK,
        &job_id,
        json!("Authorized"),
        json!("success"),
        &stamp,
        started,
    );
    (StatusCode::OK, Json(body)).into_response()
}

/// NCA's words: `done` once the run finished whatever its outcome; `failed`
/// only when runbox itself failed it.
fn job_status_word(execution: &Execution) -> &'static str {
    match execution.status {
        ExecutionStatus::Queued => "queued",
        ExecutionStatus::Running => "running",
        ExecutionStatus::Failed
            if execution.outcome.as_ref().is_some_and(|o| {
                matches!(o.kind, OutcomeKind::Internal | OutcomeKind::Interrupted)
            }) =>
        {
            "failed"
        }
        _ => "done",
    }
}

fn envelope(
    endpoint: &str,
    code: StatusCode,
    job_id: &str,
    response: Value,
    message: Value,
    stamp: &Stamp,
    started: Timestamp,
) -> Value {
    let elapsed = secs3(Timestamp::now().seconds_since(started));
    json!({
        "endpoint": endpoint,
        "code": code.as_u16(),
        "id": null,
        "job_id": job_id,
        "response": response,
        "message": message,
        "pid": stamp.pid,
        "queue_id": 0,
        "run_time": elapsed,
        "queue_time": 0.0,
        "total_time": elapsed,
        "queue_length": stamp.queue_length,
        "build_number": stamp.build_number,
    })
}
