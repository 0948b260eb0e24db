//! Hook management (Make's hooks API): create, list, get, delete, and the
//! recent requests of a hook. A hook belongs to its creator; admins see and
//! delete every hook. The token is random (256 bits, URL-safe), stored as
//! its SHA-256 (what requests are compared with, in constant time) and
//! sealed with the secrets key, so its owner can read the URL again.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use runbox_domain::{ButtonSpec, ExecutionKind, HookSpec, HookTarget, Timestamp};
use runbox_store::{CatalogItem, ExecutionFilter, NewCatalogItem};
use runbox_workflow::definition::{ScenarioDefinition, KIND as SCENARIO_KIND};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::super::reply::{
    body_error, internal, invalid_input, not_found, ErrorBody, ScenarioApiError,
};
use crate::auth::Caller;
use crate::{body, fields, keys, AppState};

pub(super) type Result<T> = std::result::Result<T, ScenarioApiError>;

pub const KIND: &str = HookSpec::KIND;
/// Where a hook's URL points (relative to the server).
pub const URL_PREFIX: &str = "/hooks/";
/// Make's only hook type runbox serves.
const TYPE_NAME: &str = "gateway-webhook";
const MAX_NAME_CHARS: usize = 128;

/// A new token: 32 random bytes, URL-safe base64 (43 characters).
pub(super) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn token_hash(token: &str) -> String {
    hex::encode(keys::hash(token))
}

/// A hook as shown: the contract's fields and the ones Make's clients read.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hook {
    id: i64,
    name: String,
    /// What a request starts: `{"scenario": ID}` or `{"button": "ID"}`;
    /// null when bound by a scenario's `gateway:CustomWebHook`.
    #[schema(value_type = Option<Object>)]
    target: Option<Value>,
    /// `/hooks/TOKEN`: POST (or GET) here, without an API key.
    #[schema(example = "/hooks/3q2-7wEAbcdefghijklmnopqrstuvwxyz0123456789")]
    url: String,
    /// The token (Make's name for it).
    udid: String,
    #[schema(format = DateTime)]
    created: String,
    team_id: Option<i64>,
    type_name: String,
    /// Make's hook type: `web`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The scenario bound to it (explicitly or by its first module).
    scenario_id: Option<i64>,
    /// Make's hook-type settings as given (`method`, `headers`, `stringify`).
    #[schema(value_type = Object)]
    data: Map<String, Value>,
    /// Who created it.
    owner: String,
    enabled: bool,
    gone: bool,
    editable: bool,
    queue_count: u64,
    queue_limit: u32,
    package_name: Option<String>,
    theme: &'static str,
}

/// `{"hook": …}`.
#[derive(Serialize, ToSchema)]
pub struct HookReply {
    hook: Hook,
}

/// `{"hooks": […]}`.
#[derive(Serialize, ToSchema)]
pub struct HookListReply {
    hooks: Vec<Hook>,
}

/// The deleted hook's id.
#[derive(Serialize, ToSchema)]
pub struct HookDeleted {
    hook: i64,
}

/// A hook to create (Make's fields are accepted and kept).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct NewHook {
    #[schema(min_length = 1, max_length = 128)]
    name: String,
    /// `{"scenario": ID}` or `{"button": "ID"}`; without it, a scenario
    /// binds the hook with its first module `gateway:CustomWebHook`
    /// (`parameters.hook`).
    #[schema(value_type = Option<Object>)]
    target: Option<Value>,
    team_id: Option<i64>,
    /// `gateway-webhook`.
    type_name: Option<String>,
    method: Option<bool>,
    headers: Option<bool>,
    stringify: Option<bool>,
}

/// Filters of the list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ListQuery {
    /// Only this team's hooks.
    team_id: Option<i64>,
}

/// One request a hook took: the execution it started.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookRequestSummary {
    execution_id: String,
    /// `scenario` or `button`.
    target: &'static str,
    status: String,
    #[schema(format = DateTime)]
    received: String,
    #[schema(format = DateTime)]
    finished: Option<String>,
}

/// `{"requests": […]}`, newest first.
#[derive(Serialize, ToSchema)]
pub struct HookRequestsReply {
    requests: Vec<HookRequestSummary>,
}

pub(super) fn spec_of(item: &CatalogItem) -> Result<HookSpec> {
    serde_json::from_value(item.body.clone())
        .map_err(|e| internal(&format!("stored hook {} is unreadable: {e}", item.id)))
}

/// The hook `id` as its owner (or an admin) may see it.
pub(super) async fn find(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(CatalogItem, HookSpec)> {
    if id.parse::<i64>().is_err() {
        return Err(not_found("Hook"));
    }
    let item = state
        .store
        .get_item(KIND, id)
        .await?
        .filter(|item| caller.can_change(&item.owner))
        .ok_or_else(|| not_found("Hook"))?;
    let spec = spec_of(&item)?;
    Ok((item, spec))
}

/// The scenario whose first module listens to hook `id`, if any.
pub(super) async fn bound_scenario(
    state: &AppState,
    id: i64,
) -> Result<Option<(CatalogItem, ScenarioDefinition)>> {
    let scenarios = state.store.list_items(SCENARIO_KIND).await?;
    Ok(scenarios.into_iter().find_map(|item| {
        let definition: ScenarioDefinition = serde_json::from_value(item.body.clone()).ok()?;
        (definition.bound_hook() == Some(id)).then_some((item, definition))
    }))
}

async fn render(state: &AppState, item: &CatalogItem, spec: &HookSpec) -> Result<Hook> {
    let vault = state
        .engine
        .services()
        .vault
        .as_ref()
        .ok_or_else(|| internal(&"this node has no secrets vault"))?;
    let token = vault
        .unseal(&spec.token_sealed, &spec.token_hash)
        .ok_or_else(|| internal(&format!("hook {}'s token cannot be unsealed", item.id)))?;
    let scenario_id = match &spec.target {
        Some(HookTarget::Scenario(id)) => Some(*id),
        Some(HookTarget::Button(_)) => None,
        None => bound_scenario(state, item.number)
            .await?
            .map(|(scenario, _)| scenario.number),
    };
    Ok(Hook {
        id: item.number,
        name: spec.name.clone(),
        target: spec
            .target
            .as_ref()
            .and_then(|t| serde_json::to_value(t).ok()),
        url: format!("{URL_PREFIX}{token}"),
        udid: token,
        created: item.created_at.to_iso(),
        team_id: spec.team_id,
        type_name: spec.type_name.clone(),
        kind: "web",
        scenario_id,
        data: spec.data.clone(),
        owner: item.owner.as_str().to_owned(),
        enabled: true,
        gone: false,
        editable: true,
        queue_count: 0,
        queue_limit: state.settings.max_queue_length,
        package_name: None,
        theme: "#ffffff",
    })
}

/// `target`: `{"scenario": ID}` (an existing scenario) or `{"button":
/// "ID"}` (an existing button).
async fn target(state: &AppState, value: Option<&Value>) -> Result<Option<HookTarget>> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let object = value.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
        invalid_input("target must be {\"scenario\": ID} or {\"button\": \"ID\"}")
    })?;
    let (kind, id) = object
        .iter()
        .next()
        .ok_or_else(|| invalid_input("target is empty"))?;
    let (catalog_kind, target, id) = match kind.as_str() {
        "scenario" => {
            let id = fields::integer(id)
                .or_else(|| id.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| invalid_input("target.scenario must be a scenario id"))?;
            (SCENARIO_KIND, HookTarget::Scenario(id), id.to_string())
        }
        "button" => {
            let id = id
                .as_str()
                .ok_or_else(|| invalid_input("target.button must be a button id"))?;
            (
                ButtonSpec::KIND,
                HookTarget::Button(id.to_owned()),
                id.to_owned(),
            )
        }
        other => {
            return Err(invalid_input(format!(
                "target.{other}: a hook starts a scenario or a button"
            )))
        }
    };
    let exists = state.store.get_item(catalog_kind, &id).await?.is_some();
    if !exists {
        return Err(invalid_input(format!("target: no {kind} {id}")));
    }
    Ok(Some(target))
}

/// Create a hook: its URL starts the target with the caller's request.
#[utoipa::path(
    post,
    path = "/hooks",
    tag = "hooks",
    operation_id = "hooks_create",
    request_body = NewHook,
    responses(
        (status = 201, description = "Created; `url` is the hook's address", body = HookReply),
        (status = 400, description = "An invalid name, type or target (INVALID_INPUT)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Response {
    match create_hook(&state, &caller, &query, body).await {
        Ok(hook) => (StatusCode::CREATED, Json(HookReply { hook })).into_response(),
        Err(err) => err.into_response(),
    }
}

async fn create_hook(
    state: &AppState,
    caller: &Caller,
    query: &HashMap<String, String>,
    body: Body,
) -> Result<Hook> {
    let object = match body::read_json(state, body)
        .await
        .map_err(|e| body_error(&e))?
    {
        Value::Object(map) => map,
        _ => return Err(invalid_input("The body must be a JSON object")),
    };
    let name = fields::required_text(&object, "name", MAX_NAME_CHARS).map_err(invalid_input)?;
    let type_name = match object.get("typeName") {
        None | Some(Value::Null) => TYPE_NAME.to_owned(),
        Some(Value::String(t)) if t == TYPE_NAME => t.clone(),
        Some(other) => {
            return Err(invalid_input(format!(
                "typeName must be {TYPE_NAME:?} (runbox's only hook type), got {other}"
            )))
        }
    };
    let team_id = match query
        .get("teamId")
        .map(|t| Value::String(t.clone()))
        .or_else(|| object.get("teamId").cloned())
    {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            fields::integer(&value)
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| invalid_input("teamId must be an integer"))?,
        ),
    };
    let target = target(state, object.get("target")).await?;
    // Make's hook-type settings (`method`, `headers`, `stringify`, …) are
    // kept as given; `data` may also hold them.
    let mut data = match object.get("data") {
        Some(Value::Object(data)) => data.clone(),
        _ => Map::new(),
    };
    for key in ["method", "headers", "stringify"] {
        if let Some(value) = object.get(key) {
            data.insert(key.to_owned(), value.clone());
        }
    }
    let vault = state
        .engine
        .services()
        .vault
        .as_ref()
        .ok_or_else(|| internal(&"this node has no secrets vault"))?;
    let token = new_token();
    let token_hash = token_hash(&token);
    let token_sealed = vault.seal(&token, &token_hash).map_err(|e| internal(&e))?;
    let spec = HookSpec {
        name,
        team_id,
        type_name,
        target,
        data,
        token_hash,
        token_sealed,
    };
    let body = serde_json::to_value(&spec).map_err(|e| internal(&e))?;
    let item = state
        .store
        .insert_item(NewCatalogItem {
            kind: KIND,
            id: None,
            owner: &caller.user,
            body: &body,
            now: Timestamp::now(),
        })
        .await?;
    render(state, &item, &spec).await
}

/// List your hooks (an admin: every hook).
#[utoipa::path(
    get,
    path = "/hooks",
    tag = "hooks",
    operation_id = "hooks_list",
    params(ListQuery),
    responses(
        (status = 200, description = "The hooks, oldest first", body = HookListReply),
        (status = 400, description = "An invalid teamId (INVALID_INPUT)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let team = match query.get("teamId") {
        None => None,
        Some(text) => Some(
            text.trim()
                .parse::<i64>()
                .map_err(|_| invalid_input("teamId must be an integer"))?,
        ),
    };
    let items = state.store.list_items(KIND).await?;
    let mut hooks = Vec::new();
    for item in items.iter().filter(|i| caller.can_change(&i.owner)) {
        let spec = spec_of(item)?;
        if team.is_some() && spec.team_id != team {
            continue;
        }
        hooks.push(render(&state, item, &spec).await?);
    }
    Ok(Json(HookListReply { hooks }).into_response())
}

pub(super) async fn get_hook(state: &AppState, caller: &Caller, id: &str) -> Result<Response> {
    let (item, spec) = find(state, caller, id).await?;
    let hook = render(state, &item, &spec).await?;
    Ok(Json(HookReply { hook }).into_response())
}

pub(super) async fn delete_hook(state: &AppState, caller: &Caller, id: &str) -> Result<Response> {
    // `find` already hides the hooks the caller may not change.
    let (item, _) = find(state, caller, id).await?;
    if !state.store.delete_item(KIND, id).await? {
        return Err(not_found("Hook"));
    }
    Ok(Json(HookDeleted { hook: item.number }).into_response())
}

/// The requests a hook took, newest first (at most 20): the executions
/// they started.
#[utoipa::path(
    get,
    path = "/hooks/{id}/requests",
    tag = "hooks",
    operation_id = "hooks_requests",
    params(("id" = i64, Path, description = "The hook's id")),
    responses(
        (status = 200, description = "Its recent requests", body = HookRequestsReply),
        (status = 404, description = "No such hook of yours (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn requests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response> {
    let (item, _) = find(&state, &caller, &id).await?;
    let filter = ExecutionFilter {
        user: Some(item.owner.clone()),
        limit: 500,
        ..ExecutionFilter::default()
    };
    let executions = state.store.list_executions(&filter).await?;
    let requests = executions
        .iter()
        .filter_map(|execution| {
            let target = match (&execution.job, execution.kind) {
                (runbox_domain::JobSpec::Shell(job), ExecutionKind::Shell)
                    if job.hook.as_ref().is_some_and(|h| h.hook_id == item.number) =>
                {
                    "button"
                }
                (runbox_domain::JobSpec::Scenario(job), ExecutionKind::Scenario)
                    if job.get("hook").and_then(Value::as_i64) == Some(item.number) =>
                {
                    "scenario"
                }
                _ => return None,
            };
            Some(HookRequestSummary {
                execution_id: execution.id.to_string(),
                target,
                status: execution.status.as_str().to_owned(),
                received: execution.created_at.to_iso(),
                finished: execution.finished_at.map(|t| t.to_iso()),
            })
        })
        .take(20)
        .collect();
    Ok(Json(HookRequestsReply { requests }).into_response())
}
