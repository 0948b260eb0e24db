//! The Python dialect's reply envelope (NCA toolkit style), for a finished
//! execution: the synchronous reply, the webhook body and the `response` of
//! a job status all use [`final_envelope`].

use axum::http::StatusCode;
use runbox_domain::{Execution, ExecutionStatus, OutcomeKind, Timestamp};
use serde_json::{json, Map, Value};

use super::endpoint;
use crate::time::secs3;

/// Facts about the server every envelope carries.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub pid: u32,
    pub build_number: String,
    pub queue_length: u64,
}

const INTERNAL_ERROR: &str = "An internal server error occurred";

/// The HTTP status and body for a finished (or, defensively, unfinished)
/// execution.
pub fn final_envelope(execution: &Execution, stamp: &Stamp) -> (StatusCode, Value) {
    let now = Timestamp::now();
    let mut body = base(execution, stamp, now);
    let outcome = execution.outcome.as_ref();
    let error = outcome.and_then(|o| o.error.clone()).unwrap_or_default();
    let stdout = outcome.map(|o| o.stdout.clone()).unwrap_or_default();
    let stderr = outcome.map(|o| o.stderr.clone()).unwrap_or_default();
    let exit_code = outcome.and_then(|o| o.exit_code);
    let kind = outcome.map(|o| o.kind);
    let status = match execution.status {
        ExecutionStatus::Succeeded => {
            let result = outcome
                .and_then(|o| o.result.clone())
                .unwrap_or(Value::Null);
            body.insert(
                "response".into(),
                json!({
                    "result": result,
                    "stdout": stdout,
                    "stderr": stderr,
                    "exit_code": exit_code.unwrap_or(0),
                    "truncated": outcome.is_some_and(|o| o.truncated),
                }),
            );
            body.insert("message".into(), json!("success"));
            StatusCode::OK
        }
        ExecutionStatus::TimedOut => {
            body.insert("message".into(), json!({ "error": error }));
            body.insert("error".into(), json!(error));
            StatusCode::REQUEST_TIMEOUT
        }
        ExecutionStatus::Failed if kind == Some(OutcomeKind::Completed) => {
            let code = exit_code.unwrap_or(1);
            body.insert(
                "message".into(),
                json!({ "error": error, "stdout": stdout, "stderr": stderr, "exit_code": code }),
            );
            extend(&mut body, &error, &stdout, &stderr, code);
            StatusCode::BAD_REQUEST
        }
        ExecutionStatus::Queued | ExecutionStatus::Running => {
            body.insert("message".into(), json!("processing"));
            StatusCode::ACCEPTED
        }
        // Runbox failed it (sandbox set-up, interrupted by a stop, canceled).
        _ => {
            let shown = if kind == Some(OutcomeKind::Internal) || error.is_empty() {
                INTERNAL_ERROR.to_owned()
            } else {
                error
            };
            let code = exit_code.unwrap_or(500);
            body.insert("message".into(), json!({ "error": shown }));
            extend(&mut body, &shown, &stdout, &stderr, code);
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    body.insert("code".into(), json!(status.as_u16()));
    (status, Value::Object(body))
}

/// The 202 reply of a request with a webhook.
pub fn accepted(execution: &Execution, stamp: &Stamp, max_queue_length: u32) -> Value {
    json!({
        "code": 202,
        "id": request_id(execution),
        "job_id": execution.id.as_str(),
        "message": "processing",
        "pid": stamp.pid,
        "queue_id": execution.seq,
        "max_queue_length": max_queue_length,
        "queue_length": stamp.queue_length,
        "build_number": stamp.build_number,
    })
}

/// The 429 reply: nothing was created, so the job id is fresh and unknown.
pub fn queue_full(
    runtime: Option<&str>,
    request_id: Option<&str>,
    stamp: &Stamp,
    max: u32,
) -> Value {
    let message = format!("MAX_QUEUE_LENGTH ({max}) reached");
    json!({
        "endpoint": endpoint(runtime),
        "code": 429,
        "id": request_id,
        "job_id": uuid::Uuid::new_v4().to_string(),
        "response": null,
        "message": message,
        "error": message,
        "pid": stamp.pid,
        "queue_id": 0,
        "run_time": 0.0,
        "queue_time": 0.0,
        "total_time": 0.0,
        "queue_length": stamp.queue_length,
        "build_number": stamp.build_number,
    })
}

/// The language of a code execution when it is not Python.
fn runtime(execution: &Execution) -> Option<&str> {
    match &execution.job {
        runbox_domain::JobSpec::Python(job) => job.runtime.as_deref(),
        _ => None,
    }
}

pub(crate) fn request_id(execution: &Execution) -> Option<&str> {
    match &execution.job {
        runbox_domain::JobSpec::Python(job) => job.request_id.as_deref(),
        _ => None,
    }
}

fn base(execution: &Execution, stamp: &Stamp, now: Timestamp) -> Map<String, Value> {
    let queue_time = execution.queue_seconds(now);
    let run_time = execution.run_seconds(now);
    let total_time = execution
        .finished_at
        .unwrap_or(now)
        .seconds_since(execution.created_at);
    let mut body = Map::new();
    body.insert("endpoint".into(), json!(endpoint(runtime(execution))));
    body.insert("code".into(), json!(200));
    body.insert("id".into(), json!(request_id(execution)));
    body.insert("job_id".into(), json!(execution.id.as_str()));
    body.insert("response".into(), Value::Null);
    body.insert("message".into(), Value::Null);
    body.insert("pid".into(), json!(stamp.pid));
    body.insert("queue_id".into(), json!(execution.seq));
    body.insert("run_time".into(), json!(secs3(run_time)));
    body.insert("queue_time".into(), json!(secs3(queue_time)));
    body.insert("total_time".into(), json!(secs3(total_time)));
    body.insert("queue_length".into(), json!(stamp.queue_length));
    body.insert("build_number".into(), json!(stamp.build_number));
    body.insert("resources".into(), crate::resources::resources(execution));
    body
}

fn extend(body: &mut Map<String, Value>, error: &str, stdout: &str, stderr: &str, exit_code: i32) {
    body.insert("error".into(), json!(error));
    body.insert("stdout".into(), json!(stdout));
    body.insert("stderr".into(), json!(stderr));
    body.insert("exit_code".into(), json!(exit_code));
}

/// Renders webhook bodies: the same envelope the synchronous reply has.
pub struct WebhookEnvelope {
    pub pid: u32,
    pub build_number: String,
}

impl runbox_webhooks::PayloadRenderer for WebhookEnvelope {
    fn render(&self, execution: &Execution) -> Value {
        // The queue length is not known without a query; 0 says "not measured".
        let stamp = Stamp {
            pid: self.pid,
            build_number: self.build_number.clone(),
            queue_length: 0,
        };
        final_envelope(execution, &stamp).1
    }
}
