//! Scenario management: create, list, get, update, delete, activate and
//! deactivate, the interface, the blueprint. A blueprint is validated when
//! saved; errors name the module.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::Timestamp;
use runbox_store::{CatalogItem, NewCatalogItem};
use runbox_workflow::definition::{
    check_max_duration, Interface, ScenarioDefinition, Scheduling, KIND,
};
use runbox_workflow::job::MAX_DURATION_SECS;
use serde_json::{json, Map, Value};

use super::render;
use super::reply::{body_error, internal, invalid_input, not_found, ErrorBody, ScenarioApiError};
use super::schema;
use crate::auth::Caller;
use crate::{body, catalog, fields, AppState};

type Result<T> = std::result::Result<T, ScenarioApiError>;

pub async fn find(state: &AppState, id: &str) -> Result<(CatalogItem, ScenarioDefinition)> {
    // Scenario ids are integers; anything else cannot exist.
    if id.parse::<i64>().is_err() {
        return Err(not_found("Scenario"));
    }
    let item = catalog::find(state, KIND, id).await?;
    let definition = definition_of(&item)?;
    Ok((item, definition))
}

fn definition_of(item: &CatalogItem) -> Result<ScenarioDefinition> {
    serde_json::from_value(item.body.clone())
        .map_err(|e| internal(&format!("stored scenario {} is unreadable: {e}", item.id)))
}

async fn read_object(state: &AppState, body: Body) -> Result<Map<String, Value>> {
    match body::read_json(state, body)
        .await
        .map_err(|e| body_error(&e))?
    {
        Value::Object(map) => Ok(map),
        _ => Err(invalid_input("The body must be a JSON object")),
    }
}

/// `teamId` from the query, else from the body, where it may be a number
/// or a numeric string (`3` or `"3"`), as it is in the query.
fn team_id(query: &HashMap<String, String>, object: &Map<String, Value>) -> Result<i64> {
    let from_text = |text: &str| {
        text.trim()
            .parse()
            .map_err(|_| invalid_input("teamId must be an integer"))
    };
    if let Some(text) = query.get("teamId") {
        return from_text(text);
    }
    match object.get("teamId") {
        Some(Value::String(text)) => from_text(text),
        Some(value) => {
            fields::integer(value).ok_or_else(|| invalid_input("teamId must be an integer"))
        }
        None => Err(invalid_input(
            "teamId is required (in the query or the body)",
        )),
    }
}

/// `scheduling`, echoed as sent. Without one: on-demand. An `indefinitely`
/// scenario without `interval` is accepted and runs every
/// [`DEFAULT_INTERVAL_SECS`] seconds (900, Make's default), or every
/// `min_interval` seconds if that is longer; the stored scheduling keeps
/// no `interval`, as sent.
///
/// [`DEFAULT_INTERVAL_SECS`]: runbox_workflow::definition::DEFAULT_INTERVAL_SECS
/// Make's API takes it as a JSON string, so that is accepted too.
fn scheduling(value: Option<&Value>, min_interval: u32) -> Result<Scheduling> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Scheduling {
            kind: "on-demand".into(),
            interval: None,
            cron: None,
            timezone: None,
        });
    };
    let parsed;
    let value = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| invalid_input(format!("scheduling is not valid JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    let object = value.as_object().ok_or_else(|| {
        invalid_input(
            "scheduling must be an object {\"type\", \"interval\"?} or a JSON string of one",
        )
    })?;
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_input("scheduling.type is required"))?;
    if kind == "immediately" {
        return Err(invalid_input(
            "scheduling.type \"immediately\" (Make's instant triggers) is not supported: use on-demand, ondemand, indefinitely or cron",
        ));
    }
    if !["on-demand", "ondemand", "indefinitely", "cron"].contains(&kind) {
        return Err(invalid_input(format!(
            "scheduling.type must be on-demand, ondemand, indefinitely or cron, got {kind:?}"
        )));
    }
    let cron = match kind {
        "cron" => Some(fields::cron_schedule(object, "scheduling").map_err(invalid_input)?),
        _ => None,
    };
    let interval = match object.get("interval") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            fields::integer(v)
                .filter(|n| *n >= 1 && *n <= 31_536_000)
                .ok_or_else(|| {
                    invalid_input("scheduling.interval must be a positive number of seconds")
                })? as u32,
        ),
    };
    if kind == "indefinitely" {
        if let Some(i) = interval.filter(|i| *i < min_interval) {
            return Err(invalid_input(format!(
                "scheduling.interval must be at least {min_interval} seconds, got {i}"
            )));
        }
    }
    Ok(Scheduling {
        kind: kind.to_owned(),
        interval,
        timezone: cron.as_ref().map(|c| c.timezone.clone()),
        cron: cron.map(|c| c.cron),
    })
}

/// A blueprint given as an object or a JSON string, validated; stored as an object.
fn blueprint(value: &Value) -> Result<Value> {
    runbox_workflow::load_blueprint(value)
        .map_err(|e| invalid_input(format!("Invalid blueprint: {e}")))?;
    let blueprint: Value = match value {
        Value::String(text) => serde_json::from_str(text)
            .map_err(|e| invalid_input(format!("Invalid blueprint: {e}")))?,
        other => other.clone(),
    };
    if runbox_domain::json_depth(&blueprint) > runbox_domain::MAX_JSON_DEPTH {
        return Err(invalid_input(format!(
            "Invalid blueprint: the JSON nests deeper than {} levels",
            runbox_domain::MAX_JSON_DEPTH
        )));
    }
    Ok(blueprint)
}

/// An interface as `PATCH …/interface` takes it: typed fields, input
/// names non-empty and unique.
fn parse_interface(value: &Value) -> Result<Interface> {
    let interface: Interface = serde_json::from_value(value.clone())
        .map_err(|e| invalid_input(format!("Invalid interface: {e}")))?;
    let mut names = std::collections::HashSet::new();
    for field in &interface.input {
        if field.name.trim().is_empty() || !names.insert(field.name.clone()) {
            return Err(invalid_input(format!(
                "interface input names must be non-empty and unique ({:?})",
                field.name
            )));
        }
    }
    Ok(interface)
}

/// The interface given with a scenario the ways Make's clients give it:
/// `interface: {input, output}` inside the blueprint, or `metadata:
/// {input_spec, output_spec}` beside it. None when neither holds a field:
/// Make's SDK sends an empty `metadata` with every change, which must not
/// wipe an interface set before.
fn given_interface(
    object: &Map<String, Value>,
    blueprint: Option<&Value>,
) -> Result<Option<Interface>> {
    let present = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    let value = match present(blueprint.and_then(|b| b.get("interface"))) {
        Some(value) => value,
        None => match present(object.get("metadata")) {
            None => return Ok(None),
            Some(Value::Object(metadata)) => json!({
                "input": present(metadata.get("input_spec")).unwrap_or_else(|| json!([])),
                "output": present(metadata.get("output_spec")).unwrap_or_else(|| json!([])),
            }),
            Some(_) => {
                return Err(invalid_input(
                    "metadata must be an object {\"input_spec\", \"output_spec\"}",
                ))
            }
        },
    };
    let interface = parse_interface(&value)?;
    Ok((!interface.input.is_empty() || !interface.output.is_empty()).then_some(interface))
}

fn folder_id(object: &Map<String, Value>) -> Result<Option<i64>> {
    match object.get("folderId") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => fields::integer(value)
            .map(Some)
            .ok_or_else(|| invalid_input("folderId must be an integer")),
    }
}

fn max_duration(value: Option<&Value>) -> Result<u32> {
    match value {
        None | Some(Value::Null) => Ok(MAX_DURATION_SECS),
        Some(v) => check_max_duration(
            fields::integer(v).ok_or_else(|| invalid_input("maxDuration must be an integer"))?,
        )
        .map_err(invalid_input),
    }
}

fn name(object: &Map<String, Value>) -> Result<String> {
    fields::required_text(object, "name", 400).map_err(invalid_input)
}

/// Make's API names a new scenario after its blueprint when the body has
/// no `name` (its SDK never sends one).
fn name_or_blueprints(object: &Map<String, Value>, blueprint: &Value) -> Result<String> {
    match (object.get("name"), blueprint.get("name")) {
        (None, Some(Value::String(_))) => {
            let fallback = Map::from_iter([("name".to_owned(), blueprint["name"].clone())]);
            name(&fallback)
        }
        _ => name(object),
    }
}

/// Create a scenario (inactive until started).
#[utoipa::path(
    post,
    path = "/scenarios",
    tag = "scenarios",
    operation_id = "scenarios_create_scenario",
    params(
        ("teamId" = Option<i64>, Query, description = "The scenario's team (else `teamId` in the body)"),
    ),
    request_body = schema::NewScenario,
    responses(
        (status = 201, description = "The scenario created", body = schema::ScenarioReply),
        (status = 400, description = "Malformed body, invalid field or blueprint (INVALID_INPUT)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Response {
    let result: Result<Value> = async {
        let object = read_object(&state, body).await?;
        let blueprint = blueprint(
            object
                .get("blueprint")
                .ok_or_else(|| invalid_input("blueprint is required"))?,
        )?;
        let interface = given_interface(&object, Some(&blueprint))?.unwrap_or_default();
        let definition = ScenarioDefinition {
            name: name_or_blueprints(&object, &blueprint)?,
            team_id: team_id(&query, &object)?,
            blueprint,
            scheduling: scheduling(
                object.get("scheduling"),
                state.settings.scenario_min_interval_secs,
            )?,
            max_duration: max_duration(object.get("maxDuration"))?,
            is_active: false,
            interface,
            description: fields::optional_text(&object, "description", 4000)
                .map_err(invalid_input)?,
            folder_id: folder_id(&object)?,
        };
        super::hooks::check_binding(&state, &definition, None).await?;
        let body = serde_json::to_value(&definition).map_err(|e| internal(&e))?;
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
        Ok(render::scenario(&item, &definition))
    }
    .await;
    match result {
        Ok(scenario) => {
            (StatusCode::CREATED, Json(json!({ "scenario": scenario }))).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// List scenarios, optionally of one team.
#[utoipa::path(
    get,
    path = "/scenarios",
    tag = "scenarios",
    operation_id = "scenarios_list_scenarios",
    params(
        ("teamId" = Option<i64>, Query, description = "Only this team's scenarios"),
    ),
    responses(
        (status = 200, description = "The scenarios", body = schema::ScenarioListReply),
        (status = 400, description = "teamId is not an integer (INVALID_INPUT)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = async {
        let team: Option<i64> = match query.get("teamId") {
            Some(text) => Some(
                text.trim()
                    .parse()
                    .map_err(|_| invalid_input("teamId must be an integer"))?,
            ),
            None => None,
        };
        let items = state.store.list_items(KIND).await?;
        let mut scenarios = Vec::new();
        for item in &items {
            let Ok(definition) = serde_json::from_value::<ScenarioDefinition>(item.body.clone())
            else {
                continue;
            };
            if team.is_none_or(|t| t == definition.team_id) {
                scenarios.push(render::scenario(item, &definition));
            }
        }
        Ok::<_, ScenarioApiError>(scenarios)
    }
    .await;
    match result {
        Ok(scenarios) => Json(json!({ "scenarios": scenarios })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Get a scenario.
#[utoipa::path(
    get,
    path = "/scenarios/{id}",
    tag = "scenarios",
    operation_id = "scenarios_get_scenario",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    responses(
        (status = 200, description = "The scenario", body = schema::ScenarioReply),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok((item, definition)) => {
            Json(json!({ "scenario": render::scenario(&item, &definition) })).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// Get a scenario's blueprint, scheduling and interface, in Make's shape.
#[utoipa::path(
    get,
    path = "/scenarios/{id}/blueprint",
    tag = "scenarios",
    operation_id = "scenarios_get_blueprint",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    responses(
        (status = 200, description = "The blueprint", body = schema::BlueprintReply),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn blueprint_of(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        // Make's shape, which its SDK's `blueprints.get` reads.
        Ok((_, definition)) => Json(json!({ "code": "OK", "response": {
            "blueprint": definition.blueprint,
            "scheduling": definition.scheduling,
            "metadata": {
                "input_spec": definition.interface.input,
                "output_spec": definition.interface.output,
            },
        } }))
        .into_response(),
        Err(err) => err.into_response(),
    }
}

/// Saves a changed definition (owner or admin only) and renders it.
async fn save(
    state: &AppState,
    caller: &Caller,
    id: &str,
    change: impl FnOnce(&mut ScenarioDefinition) -> Result<bool>,
) -> Result<(CatalogItem, ScenarioDefinition)> {
    if id.parse::<i64>().is_err() {
        return Err(not_found("Scenario"));
    }
    let item = catalog::find_to_change(state, caller, KIND, id).await?;
    let mut definition = definition_of(&item)?;
    let was_active = definition.is_active;
    let scheduling_was = definition.scheduling.clone();
    let activated_now = change(&mut definition)? || (!was_active && definition.is_active);
    let rescheduled = definition.scheduling != scheduling_was;
    super::hooks::check_binding(state, &definition, Some(item.number)).await?;
    let body = serde_json::to_value(&definition).map_err(|e| internal(&e))?;
    let updated = catalog::replace(state, caller, KIND, id, &body).await?;
    if activated_now || rescheduled {
        // A (re)activated recurring scenario runs at once, then every
        // interval; a cron one counts its next occurrence from now.
        state.store.reset_tick(KIND, id).await?;
    }
    Ok((updated, definition))
}

/// Change a scenario; `isPaused` activates or deactivates it.
#[utoipa::path(
    patch,
    path = "/scenarios/{id}",
    tag = "scenarios",
    operation_id = "scenarios_update_scenario",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    request_body = schema::ScenarioChanges,
    responses(
        (status = 200, description = "The scenario changed", body = schema::ScenarioReply),
        (status = 400, description = "Malformed body, invalid field or blueprint (INVALID_INPUT)", body = ErrorBody),
        (status = 403, description = "Not the scenario's creator nor an admin (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let result = async {
        let object = read_object(&state, body).await?;
        let min_interval = state.settings.scenario_min_interval_secs;
        save(&state, &caller, &id, |definition| {
            if object.contains_key("name") {
                definition.name = name(&object)?;
            }
            let new_blueprint = object.get("blueprint").map(blueprint).transpose()?;
            if let Some(interface) = given_interface(&object, new_blueprint.as_ref())? {
                definition.interface = interface;
            }
            if let Some(value) = new_blueprint {
                definition.blueprint = value;
            }
            if object.contains_key("folderId") {
                definition.folder_id = folder_id(&object)?;
            }
            if object.contains_key("scheduling") {
                definition.scheduling = scheduling(object.get("scheduling"), min_interval)?;
            }
            if object.contains_key("maxDuration") {
                definition.max_duration = max_duration(object.get("maxDuration"))?;
            }
            if object.contains_key("description") {
                definition.description =
                    fields::optional_text(&object, "description", 4000).map_err(invalid_input)?;
            }
            match object.get("isPaused") {
                None => {}
                Some(Value::Bool(paused)) => definition.is_active = !paused,
                Some(_) => return Err(invalid_input("isPaused must be a boolean")),
            }
            Ok(false)
        })
        .await
    }
    .await;
    match result {
        Ok((item, definition)) => {
            Json(json!({ "scenario": render::scenario(&item, &definition) })).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// `POST /scenarios/{id}/start` and `/stop`.
pub async fn set_active(state: AppState, caller: Caller, id: String, active: bool) -> Response {
    match save(&state, &caller, &id, |definition| {
        definition.is_active = active;
        Ok(false)
    })
    .await
    {
        Ok((item, definition)) => {
            Json(json!({ "scenario": render::scenario(&item, &definition) })).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// Activate a scenario.
#[utoipa::path(
    post,
    path = "/scenarios/{id}/start",
    tag = "scenarios",
    operation_id = "scenarios_start_scenario",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    responses(
        (status = 200, description = "The scenario, active", body = schema::ScenarioReply),
        (status = 403, description = "Not the scenario's creator nor an admin (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    set_active(state, caller, id, true).await
}

/// Deactivate a scenario.
#[utoipa::path(
    post,
    path = "/scenarios/{id}/stop",
    tag = "scenarios",
    operation_id = "scenarios_stop_scenario",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    responses(
        (status = 200, description = "The scenario, inactive", body = schema::ScenarioReply),
        (status = 403, description = "Not the scenario's creator nor an admin (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn stop(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    set_active(state, caller, id, false).await
}

/// Delete a scenario.
#[utoipa::path(
    delete,
    path = "/scenarios/{id}",
    tag = "scenarios",
    operation_id = "scenarios_delete_scenario",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    responses(
        (status = 200, description = "The id of the scenario deleted", body = schema::ScenarioDeleted),
        (status = 403, description = "Not the scenario's creator nor an admin (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        if id.parse::<i64>().is_err() {
            return Err(not_found("Scenario"));
        }
        let item = catalog::remove(&state, &caller, KIND, &id).await?;
        Ok(item.number)
    }
    .await;
    match result {
        Ok(number) => Json(json!({ "scenario": number })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Get a scenario's interface (typed inputs and outputs).
#[utoipa::path(
    get,
    path = "/scenarios/{id}/interface",
    tag = "scenarios",
    operation_id = "scenarios_get_interface",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    responses(
        (status = 200, description = "The interface", body = schema::InterfaceReply),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn get_interface(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok((_, definition)) => Json(json!({ "interface": definition.interface })).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Replace a scenario's interface.
#[utoipa::path(
    patch,
    path = "/scenarios/{id}/interface",
    tag = "scenarios",
    operation_id = "scenarios_set_interface",
    params(
        ("id" = i64, Path, description = "The scenario's id"),
    ),
    request_body = schema::InterfaceChange,
    responses(
        (status = 200, description = "The interface saved", body = schema::InterfaceReply),
        (status = 400, description = "Malformed body or invalid interface (INVALID_INPUT)", body = ErrorBody),
        (status = 403, description = "Not the scenario's creator nor an admin (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such scenario (NOT_FOUND)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn set_interface(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let result: Result<Interface> = async {
        let object = read_object(&state, body).await?;
        let value = object.get("interface").ok_or_else(|| {
            invalid_input(
                "interface is required: {\"interface\": {\"input\": [...], \"output\": [...]}}",
            )
        })?;
        let interface = parse_interface(value)?;
        let (_, definition) = save(&state, &caller, &id, |definition| {
            definition.interface = interface;
            Ok(false)
        })
        .await?;
        Ok(definition.interface)
    }
    .await;
    match result {
        Ok(interface) => Json(json!({ "interface": interface })).into_response(),
        Err(err) => err.into_response(),
    }
}
