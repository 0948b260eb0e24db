//! Agent management: create, list, get, update, delete. Everybody may see
//! and run agents; only their creator or an admin may change them.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::{AgentRuntime, AgentSpec, Timeout, Timestamp};
use runbox_store::{CatalogItem, NewCatalogItem};
use serde_json::{json, Value};

use super::reply::{body_error, detail, forbidden, internal, unprocessable, Detail};
use crate::auth::Caller;
use crate::fields::{self, Object};
use crate::{body, AppState};

pub const KIND: &str = "agent";
pub const MAX_TIMEOUT: u32 = 3600;
pub const DEFAULT_TIMEOUT: u32 = 600;

pub fn render(item: &CatalogItem, spec: &AgentSpec) -> Value {
    let (runtime, code, command) = match &spec.runtime {
        AgentRuntime::Python { code } => ("python", Some(code.as_str()), None),
        AgentRuntime::Command { command } => ("command", None, Some(command.as_str())),
    };
    json!({
        "agent_id": item.id,
        "name": spec.name,
        "description": spec.description,
        "runtime": runtime,
        "code": code,
        "command": command,
        "priority": spec.priority.value(),
        "timeout": spec.timeout.secs(),
        "env": spec.env,
        "network": spec.network,
        "owner": item.owner.as_str(),
        "created_at": item.created_at.to_iso(),
        "updated_at": item.updated_at.to_iso(),
    })
}

pub fn spec_of(item: &CatalogItem) -> Result<AgentSpec, Detail> {
    serde_json::from_value(item.body.clone())
        .map_err(|e| internal(&format!("stored agent {} is unreadable: {e}", item.id)))
}

pub async fn find(state: &AppState, id: &str) -> Result<(CatalogItem, AgentSpec), Detail> {
    let item = state
        .store
        .get_item(KIND, id)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(|| detail(StatusCode::NOT_FOUND, "Agent not found"))?;
    let spec = spec_of(&item)?;
    Ok((item, spec))
}

pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Response {
    let result = async {
        let value = body::read_json(&state, body)
            .await
            .map_err(|e| body_error(&e))?;
        let object = fields::lenient_object(&value).map_err(unprocessable)?;
        let spec = AgentSpec {
            name: fields::required_text(object, "name", 200).map_err(unprocessable)?,
            description: fields::optional_text(object, "description", 2000)
                .map_err(unprocessable)?,
            runtime: runtime(object, None)?,
            priority: fields::priority(object)
                .map_err(unprocessable)?
                .unwrap_or_default(),
            timeout: fields::timeout(object, MAX_TIMEOUT)
                .map_err(unprocessable)?
                .unwrap_or(default_timeout()?),
            env: fields::env(object)
                .map_err(unprocessable)?
                .unwrap_or_default(),
            network: fields::network(object, &state.engine.services().gateway)
                .map_err(unprocessable)?
                .unwrap_or_default(),
        };
        check_runtime(&state, &spec.runtime).await?;
        let id = uuid::Uuid::new_v4().to_string();
        let body = serde_json::to_value(&spec).map_err(|e| internal(&e))?;
        let item = state
            .store
            .insert_item(NewCatalogItem {
                kind: KIND,
                id: Some(&id),
                owner: &caller.user,
                body: &body,
                now: Timestamp::now(),
            })
            .await
            .map_err(|e| internal(&e))?;
        Ok::<Value, Detail>(render(&item, &spec))
    }
    .await;
    match result {
        Ok(agent) => (StatusCode::CREATED, Json(agent)).into_response(),
        Err(response) => response.into_response(),
    }
}

fn default_timeout() -> Result<Timeout, Detail> {
    Timeout::new(i64::from(DEFAULT_TIMEOUT), MAX_TIMEOUT).map_err(|e| internal(&e))
}

/// The runtime and its program from the body; `current` fills what a
/// partial update leaves out.
fn runtime(object: &Object, current: Option<&AgentRuntime>) -> Result<AgentRuntime, Detail> {
    let kind = match object.get("runtime") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err(unprocessable("runtime must be \"python\" or \"command\"")),
        None => match current {
            Some(AgentRuntime::Python { .. }) => "python",
            Some(AgentRuntime::Command { .. }) => "command",
            None => {
                return Err(unprocessable(
                    "runtime is required (\"python\" or \"command\")",
                ))
            }
        },
    };
    let text = |field: &str| match object.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(unprocessable(format!("{field} must be a non-empty string"))),
    };
    match kind {
        "python" => {
            if text("command")?.is_some() {
                return Err(unprocessable("a python agent has code, not a command"));
            }
            let code = match (text("code")?, current) {
                (Some(code), _) => code,
                (None, Some(AgentRuntime::Python { code })) => code.clone(),
                _ => {
                    return Err(unprocessable(
                        "code is required for a python agent (it defines run(input))",
                    ))
                }
            };
            Ok(AgentRuntime::Python { code })
        }
        "command" => {
            if text("code")?.is_some() {
                return Err(unprocessable("a command agent has a command, not code"));
            }
            let command = match (text("command")?, current) {
                (Some(command), _) => command,
                (None, Some(AgentRuntime::Command { command })) => command.clone(),
                _ => return Err(unprocessable("command is required for a command agent")),
            };
            Ok(AgentRuntime::Command { command })
        }
        other => Err(unprocessable(format!(
            "runtime must be \"python\" or \"command\", got {other:?}"
        ))),
    }
}

async fn check_runtime(state: &AppState, runtime: &AgentRuntime) -> Result<(), Detail> {
    match runtime {
        AgentRuntime::Python { code } if code.len() > 1024 * 1024 => {
            Err(unprocessable("code is larger than 1 MiB"))
        }
        AgentRuntime::Python { code } => {
            runbox_engine::check_code(code, &[], state.engine.services())
                .await
                .map(drop)
                .map_err(unprocessable)
        }
        AgentRuntime::Command { command } => match state.engine.check_command(command).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(invalid)) => Err(unprocessable(format!("invalid command: {invalid}"))),
            Err(failed) => Err(internal(&failed)),
        },
    }
}

pub async fn list(State(state): State<AppState>) -> Response {
    let items = match state.store.list_items(KIND).await {
        Ok(items) => items,
        Err(err) => return internal(&err).into_response(),
    };
    let mut agents = Vec::with_capacity(items.len());
    for item in &items {
        match spec_of(item) {
            Ok(spec) => agents.push(render(item, &spec)),
            Err(response) => return response.into_response(),
        }
    }
    Json(agents).into_response()
}

pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok((item, spec)) => Json(render(&item, &spec)).into_response(),
        Err(response) => response.into_response(),
    }
}

pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let result = async {
        let (item, mut spec) = find(&state, &id).await?;
        if !caller.can_change(&item.owner) {
            return Err(forbidden());
        }
        let value = body::read_json(&state, body)
            .await
            .map_err(|e| body_error(&e))?;
        let object = fields::lenient_object(&value).map_err(unprocessable)?;
        if object.contains_key("name") {
            spec.name = fields::required_text(object, "name", 200).map_err(unprocessable)?;
        }
        if object.contains_key("description") {
            spec.description =
                fields::optional_text(object, "description", 2000).map_err(unprocessable)?;
        }
        if ["runtime", "code", "command"]
            .iter()
            .any(|k| object.contains_key(*k))
        {
            spec.runtime = runtime(object, Some(&spec.runtime))?;
            check_runtime(&state, &spec.runtime).await?;
        }
        if let Some(priority) = fields::priority(object).map_err(unprocessable)? {
            spec.priority = priority;
        }
        if let Some(timeout) = fields::timeout(object, MAX_TIMEOUT).map_err(unprocessable)? {
            spec.timeout = timeout;
        }
        if let Some(env) = fields::env(object).map_err(unprocessable)? {
            spec.env = env;
        }
        if let Some(network) =
            fields::network(object, &state.engine.services().gateway).map_err(unprocessable)?
        {
            spec.network = network;
        }
        let body = serde_json::to_value(&spec).map_err(|e| internal(&e))?;
        let updated = state
            .store
            .update_item(KIND, &id, &body, Timestamp::now())
            .await
            .map_err(|e| internal(&e))?
            .ok_or_else(|| detail(StatusCode::NOT_FOUND, "Agent not found"))?;
        Ok(render(&updated, &spec))
    }
    .await;
    match result {
        Ok(agent) => Json(agent).into_response(),
        Err(response) => response.into_response(),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let (item, _) = find(&state, &id).await?;
        if !caller.can_change(&item.owner) {
            return Err(forbidden());
        }
        state
            .store
            .delete_item(KIND, &id)
            .await
            .map_err(|e| internal(&e))?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Json(json!({ "agent_id": id, "deleted": true })).into_response(),
        Err(response) => response.into_response(),
    }
}
