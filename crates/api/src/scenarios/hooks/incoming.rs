//! `POST|GET /hooks/TOKEN` without an API key: an incoming webhook's
//! request becomes one execution of the hook's target, as the hook's
//! owner, persisted before the reply. The reply is `{"accepted": true,
//! "executionId"}` at once — or, when the scenario's flow has a
//! `gateway:WebhookRespond`, that module's response if it runs within
//! [`RESPOND_WAIT`] (whatever node runs it: the response travels in the
//! run's stored log).
//!
//! `GET` and `DELETE /hooks/{id}` with a numeric id are hook management
//! (with an API key); tokens are never numeric.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use runbox_domain::{
    ButtonSpec, ExecutionId, HookRequest, HookSpec, HookTarget, JobSpec, NewExecution, Priority,
};
use runbox_engine::SubmitError;
use runbox_store::{CatalogItem, OutputStream, StoreEvent};
use runbox_workflow::definition::ScenarioDefinition;
use runbox_workflow::schedule::{new_execution, RunOrder};
use runbox_workflow::WEBHOOK_RESPONSE_LOG;
use serde::Serialize;
use serde_json::Value;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use super::super::reply::{
    body_error, inactive, internal, invalid_input, not_found, rate_limited, unauthorized, ErrorBody,
};
use super::manage::{
    self, bound_scenario, spec_of, token_hash, HookDeleted, HookReply, Result, KIND,
};
use super::request::bundle;
use crate::{auth, body, AppState};

/// How long a request waits for a `gateway:WebhookRespond` (contract: 40 s).
pub const RESPOND_WAIT: Duration = Duration::from_secs(40);

/// A request taken.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// Always `true`.
    accepted: bool,
    execution_id: String,
}

/// Send a request to a hook (`id` is its token; no API key) — or, with a
/// numeric `id` and an API key, read that hook.
#[utoipa::path(
    get,
    path = "/hooks/{id}",
    tag = "hooks",
    operation_id = "hooks_get_or_call",
    security((), ("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "A hook's token (an incoming request, no key) or its numeric id (with a key: the hook)")),
    responses(
        (status = 200, description = "The request was taken (`{accepted, executionId}`), the scenario's WebhookRespond answer, or the hook", body = Object),
        (status = 202, description = "Taken; no WebhookRespond answer within 40 s", body = Accepted),
        (status = 400, description = "The hook's scenario is inactive (SCENARIO_INACTIVE) or nothing is bound to it (INVALID_INPUT)", body = ErrorBody),
        (status = 401, description = "A numeric id without a valid API key (UNAUTHORIZED)", body = ErrorBody),
        (status = 404, description = "No such hook (NOT_FOUND)", body = ErrorBody),
        (status = 429, description = "The queue is full (RATE_LIMITED); nothing was created", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    if is_hook_id(&id) {
        return match auth::caller(&state, &headers).await {
            Some(caller) => manage::get_hook(&state, &caller, &id).await.into_response(),
            None => unauthorized(&headers),
        };
    }
    incoming(state, method, uri, headers, id, body).await
}

/// Send a request to a hook: `id` is its token; no API key is needed.
#[utoipa::path(
    post,
    path = "/hooks/{id}",
    tag = "hooks",
    operation_id = "hooks_call",
    security(()),
    params(("id" = String, Path, description = "The hook's token")),
    request_body(content = Object, description = "JSON, form or any other body (at most max_body_bytes)"),
    responses(
        (status = 200, description = "Taken (`{accepted, executionId}`), or the scenario's WebhookRespond answer", body = Object),
        (status = 202, description = "Taken; no WebhookRespond answer within 40 s", body = Accepted),
        (status = 400, description = "The hook's scenario is inactive (SCENARIO_INACTIVE), nothing is bound to it, or a JSON body names a key twice (INVALID_INPUT)", body = ErrorBody),
        (status = 404, description = "No such hook (NOT_FOUND)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
        (status = 429, description = "The queue is full (RATE_LIMITED); nothing was created", body = ErrorBody),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    incoming(state, method, uri, headers, id, body).await
}

/// Delete a hook (its creator or an admin).
#[utoipa::path(
    delete,
    path = "/hooks/{id}",
    tag = "hooks",
    operation_id = "hooks_delete",
    params(("id" = i64, Path, description = "The hook's id")),
    responses(
        (status = 200, description = "Deleted", body = HookDeleted),
        (status = 401, description = "No valid API key (UNAUTHORIZED)", body = ErrorBody),
        (status = 404, description = "No such hook of yours (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match auth::caller(&state, &headers).await {
        Some(caller) => manage::delete_hook(&state, &caller, &id)
            .await
            .into_response(),
        None => unauthorized(&headers),
    }
}

#[allow(dead_code)]
fn documented_replies(_: HookReply) {}

fn is_hook_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit())
}

async fn incoming(
    state: AppState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    token: String,
    body: Body,
) -> Response {
    match take(&state, &method, &uri, &headers, &token, body).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn take(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    token: &str,
    body: Body,
) -> Result<Response> {
    let (hook, spec) = find_by_token(state, token).await?;
    let bytes = body::read_bytes(state, body)
        .await
        .map_err(|e| body_error(&e))?;
    let id = ExecutionId::new_uuid();
    let (new, waits) = match &spec.target {
        Some(HookTarget::Button(button)) => (
            button_run(state, &hook, button, method, &bytes, id).await?,
            false,
        ),
        target => {
            let (scenario, definition) = match target {
                Some(HookTarget::Scenario(scenario_id)) => {
                    super::super::manage::find(state, &scenario_id.to_string()).await?
                }
                _ => bound_scenario(state, hook.number)
                    .await?
                    .ok_or_else(|| invalid_input("No scenario or button is bound to this hook"))?,
            };
            if !definition.is_active {
                return Err(inactive());
            }
            let input = bundle(method, headers, uri.query(), &bytes).map_err(invalid_input)?;
            let new = scenario_run(&hook, &scenario, &definition, input)?;
            (new, definition.responds_to_webhooks())
        }
    };
    let execution = match state.engine.submit(new).await {
        Ok(enqueued) => enqueued.execution,
        Err(SubmitError::QueueFull { max }) => return Err(rate_limited(max)),
        Err(err) => return Err(internal(&err)),
    };
    let accepted = |status: StatusCode| {
        (
            status,
            Json(Accepted {
                accepted: true,
                execution_id: execution.id.to_string(),
            }),
        )
            .into_response()
    };
    if !waits {
        return Ok(accepted(StatusCode::OK));
    }
    Ok(match wait_for_response(state, &execution.id).await {
        Waited::Response(response) => response,
        Waited::Ended => accepted(StatusCode::OK),
        Waited::TimedOut => accepted(StatusCode::ACCEPTED),
    })
}

/// The hook whose token is `token`: every hook's hash is compared, each in
/// constant time. An unreadable hook is skipped: it must not take every
/// other hook's URL down with it.
async fn find_by_token(state: &AppState, token: &str) -> Result<(CatalogItem, HookSpec)> {
    let presented = token_hash(token);
    let items = state.store.list_items(KIND).await?;
    let mut found = None;
    for item in items {
        let Ok(spec) = spec_of(&item) else {
            tracing::warn!(hook = item.number, "stored hook is unreadable");
            continue;
        };
        if bool::from(spec.token_hash.as_bytes().ct_eq(presented.as_bytes())) {
            found = Some((item, spec));
        }
    }
    found.ok_or_else(|| not_found("Hook"))
}

async fn button_run(
    state: &AppState,
    hook: &CatalogItem,
    button: &str,
    method: &Method,
    body: &[u8],
    id: ExecutionId,
) -> Result<NewExecution> {
    let item = state
        .store
        .get_item(ButtonSpec::KIND, button)
        .await?
        .ok_or_else(|| not_found("Button"))?;
    let spec: ButtonSpec = serde_json::from_value(item.body)
        .map_err(|e| internal(&format!("stored button {button} is unreadable: {e}")))?;
    let mut job = spec.job(button);
    job.hook = Some(HookRequest {
        hook_id: hook.number,
        method: method.as_str().to_owned(),
        body: body.to_vec(),
    });
    Ok(NewExecution {
        id,
        user: hook.owner.clone(),
        priority: Priority::DEFAULT,
        timeout: spec.timeout,
        job: JobSpec::Shell(job),
        subject: Some(button.to_owned()),
        idempotency: None,
        webhook_url: None,
    })
}

fn scenario_run(
    hook: &CatalogItem,
    scenario: &CatalogItem,
    definition: &ScenarioDefinition,
    input: Value,
) -> Result<NewExecution> {
    let order = RunOrder {
        user: hook.owner.clone(),
        input,
        resume: None,
        retry_of: None,
        scheduled: false,
        hook: Some(hook.number),
        callback_url: None,
    };
    new_execution(scenario.number, definition, order).map_err(|e| internal(&e))
}

enum Waited {
    Response(Response),
    Ended,
    TimedOut,
}

/// Waits for the run's `gateway:WebhookRespond` line in its stored log, or
/// its end, at most [`RESPOND_WAIT`].
async fn wait_for_response(state: &AppState, id: &ExecutionId) -> Waited {
    // Subscribe first: nothing committed after this point can be missed.
    let mut events = state.store.events();
    let deadline = Instant::now() + RESPOND_WAIT;
    let mut cursor = 0i64;
    loop {
        if let Ok(chunks) = state.store.output_after(id, cursor, 64).await {
            for chunk in chunks {
                cursor = chunk.seq;
                if chunk.stream != OutputStream::Log {
                    continue;
                }
                let line = String::from_utf8_lossy(&chunk.data);
                if let Some(json) = line.strip_prefix(WEBHOOK_RESPONSE_LOG) {
                    if let Ok(response) = serde_json::from_str::<Value>(json) {
                        return Waited::Response(http_response(&response));
                    }
                }
            }
        }
        match state.store.get_execution(id).await {
            Ok(Some(execution)) if execution.status.is_terminal() => {
                // Its last chunks are stored before its end: look once more.
                if let Ok(chunks) = state.store.output_after(id, cursor, 64).await {
                    if !chunks.is_empty() {
                        continue;
                    }
                }
                return Waited::Ended;
            }
            Ok(Some(_)) => {}
            _ => return Waited::Ended,
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Waited::TimedOut;
        }
        let wake = tokio::time::sleep(left.min(Duration::from_secs(1)));
        tokio::pin!(wake);
        loop {
            tokio::select! {
                _ = &mut wake => break,
                event = events.recv() => match event {
                    Ok(StoreEvent::Output { id: changed, .. }) | Ok(StoreEvent::Changed { id: changed, .. }) if &changed == id => break,
                    Ok(_) => continue,
                    Err(_) => break,
                },
            }
        }
    }
}

/// `{status, body, headers}` as the reply to the webhook's caller: a text
/// body as it is, any other JSON value as JSON. Hop-by-hop and framing
/// headers are runbox's to set.
fn http_response(response: &Value) -> Response {
    let status = response["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let (body, content_type) = match &response["body"] {
        Value::Null => (String::new(), "text/plain; charset=utf-8"),
        Value::String(text) => (text.clone(), "text/plain; charset=utf-8"),
        other => (other.to_string(), "application/json"),
    };
    let mut reply = (status, body).into_response();
    let headers = reply.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    if let Some(given) = response["headers"].as_object() {
        for (name, value) in given {
            let lower = name.to_ascii_lowercase();
            if [
                "content-length",
                "transfer-encoding",
                "connection",
                "keep-alive",
                "upgrade",
                "te",
                "trailer",
            ]
            .contains(&lower.as_str())
            {
                continue;
            }
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(lower.as_bytes()),
                HeaderValue::from_str(value.as_str().unwrap_or_default()),
            ) {
                headers.insert(name, value);
            }
        }
    }
    reply
}
