//! Scenario management: create, list, get, update, delete, activate and
//! deactivate, the interface, the blueprint. A blueprint is validated when
//! saved; errors name the module. The bodies are read field by field in
//! `input`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::Timestamp;
use runbox_store::{CatalogItem, NewCatalogItem};
use runbox_workflow::definition::{Interface, ScenarioDefinition, KIND};
use serde_json::{json, Value};

use super::input;
use super::render;
use super::reply::{internal, invalid_input, not_found, ErrorBody, ScenarioApiError};
use super::schema;
use crate::auth::Caller;
use crate::{catalog, fields, AppState};

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
        let object = input::read_object(&state, body).await?;
        let blueprint = input::blueprint(
            object
                .get("blueprint")
                .ok_or_else(|| invalid_input("blueprint is required"))?,
        )?;
        let interface = input::given_interface(&object, Some(&blueprint))?.unwrap_or_default();
        let definition = ScenarioDefinition {
            name: input::name_or_blueprints(&object, &blueprint)?,
            team_id: input::team_id(&query, &object)?,
            blueprint,
            scheduling: input::scheduling(
                object.get("scheduling"),
                state.settings.scenario_min_interval_secs,
            )?,
            max_duration: input::max_duration(object.get("maxDuration"))?,
            is_active: false,
            interface,
            description: fields::optional_text(&object, "description", 4000)
                .map_err(invalid_input)?,
            folder_id: input::folder_id(&object)?,
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
    let hook_was = definition.bound_hook();
    let activated_now = change(&mut definition)? || (!was_active && definition.is_active);
    let rescheduled = definition.scheduling != scheduling_was;
    // Only a new binding is checked: a scenario whose hook was deleted must
    // still be renamed, stopped or rebound.
    if definition.bound_hook() != hook_was {
        super::hooks::check_binding(state, &definition, Some(item.number)).await?;
    }
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
        let object = input::read_object(&state, body).await?;
        let min_interval = state.settings.scenario_min_interval_secs;
        save(&state, &caller, &id, |definition| {
            if object.contains_key("name") {
                definition.name = input::name(&object)?;
            }
            let new_blueprint = object.get("blueprint").map(input::blueprint).transpose()?;
            if let Some(interface) = input::given_interface(&object, new_blueprint.as_ref())? {
                definition.interface = interface;
            }
            if let Some(value) = new_blueprint {
                definition.blueprint = value;
            }
            if object.contains_key("folderId") {
                definition.folder_id = input::folder_id(&object)?;
            }
            if object.contains_key("scheduling") {
                definition.scheduling = input::scheduling(object.get("scheduling"), min_interval)?;
            }
            if object.contains_key("maxDuration") {
                definition.max_duration = input::max_duration(object.get("maxDuration"))?;
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
        let object = input::read_object(&state, body).await?;
        let value = object.get("interface").ok_or_else(|| {
            invalid_input(
                "interface is required: {\"interface\": {\"input\": [...], \"output\": [...]}}",
            )
        })?;
        let interface = input::parse_interface(value)?;
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
