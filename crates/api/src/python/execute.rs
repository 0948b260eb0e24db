//! `POST /v1/code/execute/python` (and `/v1/code/execute/{runtime}`:
//! `javascript` and the operator's runtimes, contract section 14):
//! validate, persist, then either answer 202 (webhook given: the result is
//! POSTed there) or wait for the end and answer with the final envelope.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::{ExecutionId, JobSpec, NewExecution, Priority, PythonJob, Timeout};
use runbox_engine::SubmitError;
use serde_json::json;

use super::envelope::{accepted, final_envelope, queue_full, Stamp};
use super::{errors, schema, validate};
use crate::auth::Caller;
use crate::{body, AppState};

/// Run a Python snippet: wait for its end and answer with the envelope, or
/// with a `webhook_url` answer 202 at once and POST the envelope there.
#[utoipa::path(
    post,
    path = "/v1/code/execute/python",
    tag = "python",
    operation_id = "python_execute",
    request_body = schema::ExecuteRequest,
    responses(
        (status = 200, description = "The run succeeded: `response` is `{result, stdout, stderr, exit_code, truncated}`", body = schema::Envelope),
        (status = 202, description = "Accepted with a `webhook_url`: the final envelope is POSTed there", body = schema::Accepted),
        (status = 400, description = "The run failed (exception, syntax error, non-zero exit), or the request was refused before anything ran (`Invalid payload: …`, `Invalid dependencies: …`, `Invalid network request: …`)", body = schema::BadRequest),
        (status = 408, description = "The run timed out (`error`: `Execution timed out after N seconds`)", body = schema::Envelope),
        (status = 413, description = "Body too large", body = schema::Refusal),
        (status = 429, description = "The queue is full (`MAX_QUEUE_LENGTH (N) reached`); nothing was created", body = schema::Envelope),
        (status = 500, description = "Runbox failed the run (sandbox set-up, interrupted, canceled) or an internal error", body = schema::Failure),
    )
)]
pub async fn execute(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Response {
    execute_code(state, caller, None, body).await
}

/// Run a snippet in another language: `javascript` (Node.js: the code is the
/// body of an async function, so `return` and `await` work at top level) or
/// a runtime the operator configured (`result` is null). Same body, envelope
/// and statuses as Python.
#[utoipa::path(
    post,
    path = "/v1/code/execute/{runtime}",
    tag = "python",
    operation_id = "code_execute",
    params(("runtime" = String, Path, description = "`javascript` or a configured runtime (GET /v1/code/runtimes)")),
    request_body = schema::ExecuteRequest,
    responses(
        (status = 200, description = "The run succeeded: `response` is `{result, stdout, stderr, exit_code, truncated}`", body = schema::Envelope),
        (status = 202, description = "Accepted with a `webhook_url`: the final envelope is POSTed there", body = schema::Accepted),
        (status = 400, description = "The run failed (an uncaught error, a non-zero exit), or the request was refused before anything ran", body = schema::BadRequest),
        (status = 404, description = "This server has no such runtime", body = schema::Refusal),
        (status = 408, description = "The run timed out", body = schema::Envelope),
        (status = 413, description = "Body too large", body = schema::Refusal),
        (status = 429, description = "The queue is full; nothing was created", body = schema::Envelope),
        (status = 500, description = "Runbox failed the run or an internal error", body = schema::Failure),
    )
)]
pub async fn execute_in(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(runtime): Path<String>,
    body: Body,
) -> Response {
    if runtime == "python" {
        return execute_code(state, caller, None, body).await;
    }
    if !state.engine.services().interpreters.knows(&runtime) {
        return errors::unknown_runtime(&runtime);
    }
    execute_code(state, caller, Some(runtime), body).await
}

async fn execute_code(
    state: AppState,
    caller: Caller,
    runtime: Option<String>,
    body: Body,
) -> Response {
    let value = match body::read_json(&state, body).await {
        Ok(value) => value,
        Err(err) => return errors::body_error(&err),
    };
    let request = match validate::execute_request(&value) {
        Ok(request) => request,
        Err(detail) => return errors::invalid_payload(&detail),
    };
    if let Some(url) = &request.webhook_url {
        if let Err(refusal) = state.policy.check_url(url).await {
            return errors::invalid_payload(&refusal.to_string());
        }
    }
    let Ok(timeout) = Timeout::new(i64::from(request.timeout), validate::MAX_TIMEOUT) else {
        return errors::invalid_payload("timeout out of range");
    };
    // PEP 723 blocks (packages, network) are Python's.
    if runtime.is_none() {
        if let Err(why) =
            runbox_engine::check_code(&request.code, &[], state.engine.services()).await
        {
            return errors::refused(why);
        }
    }
    let new = NewExecution {
        id: ExecutionId::new_uuid(),
        user: caller.user,
        priority: Priority::DEFAULT,
        timeout,
        job: JobSpec::Python(PythonJob {
            runtime: runtime.clone(),
            code: request.code,
            request_id: request.id.clone(),
            webhook_url: request.webhook_url.clone(),
        }),
        subject: None,
        idempotency: None,
        webhook_url: request.webhook_url.clone(),
    };
    let execution = match state.engine.submit(new).await {
        Ok(enqueued) => enqueued.execution,
        Err(SubmitError::QueueFull { max }) => {
            let stamp = stamp(&state).await;
            return (
                StatusCode::TOO_MANY_REQUESTS,
                Json(queue_full(
                    runtime.as_deref(),
                    request.id.as_deref(),
                    &stamp,
                    max,
                )),
            )
                .into_response();
        }
        Err(err) => return internal(&err),
    };
    if request.webhook_url.is_some() {
        let stamp = stamp(&state).await;
        return (
            StatusCode::ACCEPTED,
            Json(accepted(
                &execution,
                &stamp,
                state.settings.max_queue_length,
            )),
        )
            .into_response();
    }
    match state.engine.wait_for_end(&execution.id, None).await {
        Ok(Some(done)) => {
            let stamp = stamp(&state).await;
            let (status, body) = final_envelope(&done, &stamp);
            (status, Json(body)).into_response()
        }
        Ok(None) => internal(&"execution vanished while waiting"),
        Err(err) => internal(&err),
    }
}

/// Server facts for the envelope, with the current queue length.
pub(crate) async fn stamp(state: &AppState) -> Stamp {
    let queue_length = state
        .store
        .queue_counts()
        .await
        .map(|c| c.queued)
        .unwrap_or(0);
    Stamp {
        pid: state.pid,
        build_number: state.settings.version.clone(),
        queue_length,
    }
}

pub(crate) fn internal(err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "python endpoint failed");
    let text = "An internal server error occurred";
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "code": 500, "error": text, "message": { "error": text }, "stdout": "", "stderr": "", "exit_code": 500 })),
    )
        .into_response()
}
