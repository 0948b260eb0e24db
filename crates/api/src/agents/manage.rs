//! Agent management: create, list, get, update, delete. Everybody may see
//! and run agents; only their creator or an admin may change them.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::{AgentRuntime, AgentSpec, Destination, Timeout, Timestamp};
use runbox_store::{CatalogItem, NewCatalogItem};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::reply::{body_error, internal, unprocessable, Detail, DetailBody};
use crate::auth::Caller;
use crate::fields::{self, Object};
use crate::{body, catalog, AppState};

pub const KIND: &str = runbox_domain::AgentSpec::KIND;
pub const MAX_TIMEOUT: u32 = 3600;
pub const DEFAULT_TIMEOUT: u32 = 600;

/// An agent: a program anybody may run with a JSON input.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agent {
    /// A UUID (an agent declared in the configuration file may have its own id).
    #[schema(example = "4f6c1f5e-8d0a-4c5b-9a57-1f0e3b7c2d10")]
    pub agent_id: String,
    #[schema(example = "Summarizer")]
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// `python` (code defining `run(input)`), `javascript` (code defining
    /// `async function run(input)` or a plain one), `command` (a shell
    /// command reading the input JSON on stdin and writing a JSON object on
    /// stdout), or a runtime the operator configured (its code reads the
    /// input on stdin and writes a JSON object on stdout).
    #[schema(example = "python")]
    pub runtime: String,
    /// The source of a code agent; null for a `command` agent.
    #[schema(required = true)]
    pub code: Option<String>,
    /// The shell command of a `command` agent; null for a code agent.
    #[schema(required = true)]
    pub command: Option<String>,
    /// Queue priority of its runs, 0 to 100 (higher runs first).
    #[schema(minimum = 0, maximum = 100, example = 50)]
    pub priority: u8,
    /// Seconds a run may last.
    #[schema(minimum = 1, maximum = 3600, example = 600)]
    pub timeout: u32,
    /// Environment variables the agent gets: a text, or
    /// `{"secret": "NAME"}` (resolved when a run starts, masked in output).
    #[schema(value_type = crate::fields::EnvSchema)]
    pub env: runbox_domain::Env,
    /// Destinations the agent may reach through runbox's proxy
    /// (`host`, `*.domain`, an address or a CIDR, each with an optional `:port`).
    #[schema(value_type = Vec<String>)]
    pub network: Vec<Destination>,
    /// The user who created it.
    pub owner: String,
    /// ISO 8601 UTC, milliseconds.
    #[schema(example = "2025-05-10T21:00:00.000Z")]
    pub created_at: String,
    #[schema(example = "2025-05-10T21:00:00.000Z")]
    pub updated_at: String,
}

pub fn render(item: &CatalogItem, spec: &AgentSpec) -> Agent {
    let command = match &spec.runtime {
        AgentRuntime::Command { command } => Some(command.clone()),
        _ => None,
    };
    Agent {
        agent_id: item.id.clone(),
        name: spec.name.clone(),
        description: spec.description.clone(),
        runtime: spec.runtime.name().to_owned(),
        code: spec.runtime.code().map(str::to_owned),
        command,
        priority: spec.priority.value(),
        timeout: spec.timeout.secs(),
        env: spec.env.clone(),
        network: spec.network.clone(),
        owner: item.owner.as_str().to_owned(),
        created_at: item.created_at.to_iso(),
        updated_at: item.updated_at.to_iso(),
    }
}

/// An agent to create. Other fields are ignored (an agent read back may be
/// sent as it is).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewAgent {
    /// Not blank; surrounding spaces are removed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "\\S",
        example = "Summarizer"
    )]
    name: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// `python`, `javascript`, `command`, or a runtime the operator
    /// configured (`GET /v1/code/runtimes` lists them).
    #[schema(example = "python")]
    runtime: String,
    /// Required for a `python` agent (Python source defining `run(input)`,
    /// at most 1 MiB, which must compile); absent or null for a `command` agent.
    #[schema(
        pattern = "\\S",
        example = "def run(input):\n    return {\"echo\": input}"
    )]
    code: Option<String>,
    /// Required for a `command` agent (a valid shell command: accepted by
    /// `sh -n`, first word not on the restricted list); absent or null for a
    /// `python` agent.
    #[schema(pattern = "\\S", example = "cat")]
    command: Option<String>,
    /// 0 to 100; 50 when absent or null.
    #[schema(minimum = 0, maximum = 100)]
    priority: Option<u8>,
    /// Seconds, 1 to 3600; 600 when absent or null.
    #[schema(minimum = 1, maximum = 3600)]
    timeout: Option<u32>,
    #[schema(value_type = Option<crate::fields::EnvSchema>)]
    env: Option<runbox_domain::Env>,
    /// Destinations the agent may reach; each must be covered by the
    /// operator's allow-list (none may be asked for when it is empty). At most 50.
    #[schema(max_items = 50)]
    network: Option<Vec<String>>,
}

/// Changes to an agent: only the fields given change. Other fields are ignored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AgentChanges {
    /// Not blank; surrounding spaces are removed.
    #[schema(required = false, min_length = 1, max_length = 200, pattern = "\\S")]
    name: String,
    /// null removes it.
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Changing the runtime needs the program of the new one (`code` or `command`).
    #[schema(required = false, example = "python")]
    runtime: String,
    /// A `python` agent's new code (null keeps the current code).
    #[schema(pattern = "\\S")]
    code: Option<String>,
    /// A `command` agent's new command (null keeps the current command).
    #[schema(pattern = "\\S")]
    command: Option<String>,
    /// 0 to 100; null keeps the current priority.
    #[schema(minimum = 0, maximum = 100)]
    priority: Option<u8>,
    /// Seconds, 1 to 3600; null keeps the current timeout.
    #[schema(minimum = 1, maximum = 3600)]
    timeout: Option<u32>,
    /// Replaces every variable; null keeps them.
    #[schema(value_type = Option<crate::fields::EnvSchema>)]
    env: Option<runbox_domain::Env>,
    /// Replaces the destinations; null removes them all.
    #[schema(max_items = 50)]
    network: Option<Vec<String>>,
}

/// An agent deleted.
#[derive(Serialize, ToSchema)]
pub struct AgentDeleted {
    pub agent_id: String,
    /// Always true.
    pub deleted: bool,
}

pub fn spec_of(item: &CatalogItem) -> Result<AgentSpec, Detail> {
    serde_json::from_value(item.body.clone())
        .map_err(|e| internal(&format!("stored agent {} is unreadable: {e}", item.id)))
}

pub async fn find(state: &AppState, id: &str) -> Result<(CatalogItem, AgentSpec), Detail> {
    let item = catalog::find(state, KIND, id).await?;
    let spec = spec_of(&item)?;
    Ok((item, spec))
}

/// Create an agent.
#[utoipa::path(
    post,
    path = "/agents",
    tag = "agents",
    operation_id = "agents_create_agent",
    request_body = NewAgent,
    responses(
        (status = 201, description = "The agent created", body = Agent),
        (status = 400, description = "Malformed JSON", body = DetailBody),
        (status = 413, description = "Body too large", body = DetailBody),
        (status = 422, description = "A field is missing or invalid (name, runtime, code that does not compile, an invalid command, priority, timeout, env, network)", body = DetailBody),
    )
)]
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
            runtime: runtime(&state, object, None)?,
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
            .await?;
        Ok::<Agent, Detail>(render(&item, &spec))
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
fn runtime(
    state: &AppState,
    object: &Object,
    current: Option<&AgentRuntime>,
) -> Result<AgentRuntime, Detail> {
    let interpreters = &state.engine.services().interpreters;
    let choices = || {
        let mut names = vec!["python".to_owned(), "command".to_owned()];
        names.extend(interpreters.names());
        names.join(", ")
    };
    let kind = match object.get("runtime") {
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => {
            return Err(unprocessable(format!(
                "runtime must be one of {}",
                choices()
            )))
        }
        None => match current {
            Some(runtime) => runtime.name().to_owned(),
            None => {
                return Err(unprocessable(format!(
                    "runtime is required (one of {})",
                    choices()
                )))
            }
        },
    };
    let text = |field: &str| match object.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(unprocessable(format!("{field} must be a non-empty string"))),
    };
    if kind == "command" {
        if text("code")?.is_some() {
            return Err(unprocessable("a command agent has a command, not code"));
        }
        let command = match (text("command")?, current) {
            (Some(command), _) => command,
            (None, Some(AgentRuntime::Command { command })) => command.clone(),
            _ => return Err(unprocessable("command is required for a command agent")),
        };
        return Ok(AgentRuntime::Command { command });
    }
    if kind != "python" && !interpreters.knows(&kind) {
        return Err(unprocessable(format!(
            "runtime must be one of {}, got {kind:?}",
            choices()
        )));
    }
    if text("command")?.is_some() {
        return Err(unprocessable(format!(
            "a {kind} agent has code, not a command"
        )));
    }
    let code = match (text("code")?, current) {
        (Some(code), _) => code,
        (None, Some(runtime)) if runtime.name() == kind => {
            runtime.code().unwrap_or_default().to_owned()
        }
        _ => {
            return Err(unprocessable(format!(
                "code is required for a {kind} agent (it defines run(input))"
            )))
        }
    };
    Ok(match kind.as_str() {
        "python" => AgentRuntime::Python { code },
        runbox_domain::JAVASCRIPT => AgentRuntime::JavaScript { code },
        _ => AgentRuntime::Custom {
            runtime: kind,
            code,
        },
    })
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
        AgentRuntime::JavaScript { code } | AgentRuntime::Custom { code, .. }
            if code.len() > 1024 * 1024 =>
        {
            Err(unprocessable("code is larger than 1 MiB"))
        }
        AgentRuntime::JavaScript { .. } | AgentRuntime::Custom { .. } => Ok(()),
    }
}

/// List every agent.
#[utoipa::path(
    get,
    path = "/agents",
    tag = "agents",
    operation_id = "agents_list_agents",
    responses((status = 200, description = "Every agent, whoever created it", body = Vec<Agent>))
)]
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

/// Get an agent.
#[utoipa::path(
    get,
    path = "/agents/{agent_id}",
    tag = "agents",
    operation_id = "agents_get_agent",
    params(("agent_id" = String, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The agent", body = Agent),
        (status = 400, description = "The id is not valid UTF-8", body = DetailBody),
        (status = 404, description = "No such agent", body = DetailBody),
    )
)]
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok((item, spec)) => Json(render(&item, &spec)).into_response(),
        Err(response) => response.into_response(),
    }
}

/// Change an agent (its creator or an admin).
#[utoipa::path(
    patch,
    path = "/agents/{agent_id}",
    tag = "agents",
    operation_id = "agents_update_agent",
    params(("agent_id" = String, Path, description = "The agent's id")),
    request_body = AgentChanges,
    responses(
        (status = 200, description = "The agent as changed", body = Agent),
        (status = 400, description = "Malformed JSON, or an id that is not valid UTF-8", body = DetailBody),
        (status = 403, description = "Neither its creator nor an admin", body = DetailBody),
        (status = 404, description = "No such agent", body = DetailBody),
        (status = 413, description = "Body too large", body = DetailBody),
        (status = 422, description = "A field is invalid", body = DetailBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let result = async {
        let item = catalog::find_to_change(&state, &caller, KIND, &id).await?;
        let mut spec = spec_of(&item)?;
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
            spec.runtime = runtime(&state, object, Some(&spec.runtime))?;
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
        let updated = catalog::replace(&state, &caller, KIND, &id, &body).await?;
        Ok::<Agent, Detail>(render(&updated, &spec))
    }
    .await;
    match result {
        Ok(agent) => Json(agent).into_response(),
        Err(response) => response.into_response(),
    }
}

/// Delete an agent (its creator or an admin).
#[utoipa::path(
    delete,
    path = "/agents/{agent_id}",
    tag = "agents",
    operation_id = "agents_delete_agent",
    params(("agent_id" = String, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "Deleted", body = AgentDeleted),
        (status = 400, description = "The id is not valid UTF-8", body = DetailBody),
        (status = 403, description = "Neither its creator nor an admin", body = DetailBody),
        (status = 404, description = "No such agent", body = DetailBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        catalog::remove(&state, &caller, KIND, &id).await?;
        Ok::<(), Detail>(())
    }
    .await;
    match result {
        Ok(()) => Json(AgentDeleted {
            agent_id: id,
            deleted: true,
        })
        .into_response(),
        Err(response) => response.into_response(),
    }
}
