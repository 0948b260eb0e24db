//! Button management: create, list, get, update, delete. Everybody may see
//! and run buttons; only their creator or an admin may change them.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use runbox_domain::{ButtonSpec, Destination, Env, Timeout, Timestamp};
use runbox_store::{CatalogItem, NewCatalogItem, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::reply::{success, ApiError, ButtonListReply, ButtonReply, Code, Done, ErrorBody, Lang};
use crate::auth::Caller;
use crate::body::{self, BodyError};
use crate::{catalog, fields, AppState};

pub const KIND: &str = runbox_domain::ButtonSpec::KIND;
pub const MAX_TIMEOUT: u32 = 300;
const FIELDS: [&str; 9] = [
    "id",
    "name",
    "command",
    "description",
    "timeout",
    "icon",
    "env",
    "network",
    "schedule",
];
/// Fields the API itself shows: a client may send a button back as it got
/// it (GET, change the name, PATCH); they are ignored, never written.
const READ_ONLY_FIELDS: [&str; 4] = ["owner", "created_at", "updated_at", "next_run"];
const MAX_ICON_CHARS: usize = 2048;

/// A button: a saved shell command anybody may run.
#[derive(Debug, Serialize, ToSchema)]
pub struct Button {
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "hello")]
    pub id: String,
    #[schema(example = "Say hello")]
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// Run as `/bin/sh -c COMMAND` in the sandbox.
    #[schema(example = "echo Hello World")]
    pub command: String,
    /// Seconds a run may last.
    #[schema(minimum = 1, maximum = 300)]
    pub timeout: u32,
    /// An emoji, a URL or a data: URL.
    #[schema(required = true)]
    pub icon: Option<String>,
    /// Environment variables the command gets: a text, or
    /// `{"secret": "NAME"}` (the secret's value is given when a run starts,
    /// and masked as `***` in what it prints).
    #[schema(value_type = crate::fields::EnvSchema)]
    pub env: Env,
    /// Destinations the command may reach through runbox's proxy
    /// (`host`, `*.domain`, an address or a CIDR, each with an optional `:port`).
    #[schema(value_type = Vec<String>)]
    pub network: Vec<Destination>,
    /// When it runs on its own (as its creator), or null.
    #[schema(required = true)]
    pub schedule: Option<ButtonSchedule>,
    /// The next scheduled run, ISO 8601 UTC; null without a schedule.
    #[schema(required = true, example = "2025-05-10T21:00:00.000Z")]
    pub next_run: Option<String>,
    /// The user who created it.
    pub owner: String,
    /// ISO 8601 UTC, milliseconds.
    #[schema(example = "2025-05-10T21:00:00.000Z")]
    pub created_at: String,
    #[schema(example = "2025-05-10T21:00:00.000Z")]
    pub updated_at: String,
}

/// A button to create.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewButton {
    /// Generated (`btn_…`) when absent or null.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", example = "hello")]
    id: Option<String>,
    /// Not blank; surrounding spaces are removed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "\\S",
        example = "Say hello"
    )]
    name: String,
    /// A valid command: non-empty, at most 64 KiB, no NUL byte, accepted by
    /// `sh -n`, first word not on the restricted list.
    #[schema(min_length = 1, example = "echo Hello World")]
    command: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Seconds, 1 to 300; 300 when absent or null.
    #[schema(minimum = 1, maximum = 300, example = 10)]
    timeout: Option<u32>,
    #[schema(max_length = 2048)]
    icon: Option<String>,
    #[schema(value_type = Option<crate::fields::EnvSchema>)]
    env: Option<runbox_domain::Env>,
    /// Destinations the command may reach; each must be covered by the
    /// operator's allow-list (none may be asked for when it is empty). At most 50.
    #[schema(max_items = 50)]
    network: Option<Vec<String>>,
    /// When it runs on its own, as its creator; null for never.
    schedule: Option<ScheduleInput>,
    /// Ignored (shown by the API, accepted so a button can be sent back as read).
    owner: Option<String>,
    /// Ignored.
    created_at: Option<String>,
    /// Ignored.
    updated_at: Option<String>,
}

/// Changes to a button: only the fields present change.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ButtonChanges {
    /// The id cannot change: when present it must be the button's.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$", nullable = false)]
    id: Option<String>,
    /// Not blank; surrounding spaces are removed.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S", nullable = false)]
    name: Option<String>,
    /// A valid command (see creation).
    #[schema(min_length = 1, nullable = false)]
    command: Option<String>,
    /// Null clears it.
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Seconds, 1 to 300; null keeps the current timeout.
    #[schema(minimum = 1, maximum = 300)]
    timeout: Option<u32>,
    /// Null clears it.
    #[schema(max_length = 2048)]
    icon: Option<String>,
    /// Replaces every variable; null keeps them.
    #[schema(value_type = Option<crate::fields::EnvSchema>)]
    env: Option<runbox_domain::Env>,
    /// Replaces the destinations; null clears them.
    #[schema(max_items = 50)]
    network: Option<Vec<String>>,
    /// Replaces the schedule; null removes it.
    schedule: Option<ScheduleInput>,
    /// Ignored.
    owner: Option<String>,
    /// Ignored.
    created_at: Option<String>,
    /// Ignored.
    updated_at: Option<String>,
}

/// A cron schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ButtonSchedule {
    /// Five fields (minute hour day-of-month month day-of-week) or six
    /// with seconds first; `*`, lists, ranges, steps and names (`mon`, `jan`).
    #[schema(example = "0 9 * * mon-fri")]
    pub cron: String,
    /// An IANA time zone; UTC when absent.
    #[schema(example = "Europe/Paris")]
    pub timezone: String,
}

/// A cron schedule to set.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ButtonScheduleInput)]
#[allow(dead_code)]
pub struct ScheduleInput {
    /// Five fields (minute hour day-of-month month day-of-week) or six
    /// with seconds first.
    #[schema(example = "0 9 * * mon-fri")]
    cron: String,
    /// An IANA time zone (default UTC); daylight saving is followed.
    #[schema(example = "Europe/Paris")]
    timezone: Option<String>,
}

/// The button as the API shows it.
pub fn render(item: &CatalogItem, spec: &ButtonSpec) -> Button {
    Button {
        id: item.id.clone(),
        name: spec.name.clone(),
        description: spec.description.clone(),
        command: spec.command.clone(),
        timeout: spec.timeout.secs(),
        icon: spec.icon.clone(),
        env: spec.env.clone(),
        network: spec.network.clone(),
        schedule: spec.schedule.as_ref().map(|s| ButtonSchedule {
            cron: s.cron.clone(),
            timezone: s.timezone.clone(),
        }),
        next_run: crate::fields::next_run(spec.schedule.as_ref()),
        owner: item.owner.as_str().to_owned(),
        created_at: item.created_at.to_iso(),
        updated_at: item.updated_at.to_iso(),
    }
}

pub fn spec_of(item: &CatalogItem) -> Result<ButtonSpec, ApiError> {
    serde_json::from_value(item.body.clone())
        .map_err(|e| ApiError::internal(&format!("stored button {} is unreadable: {e}", item.id)))
}

pub async fn find(state: &AppState, id: &str) -> Result<(CatalogItem, ButtonSpec), ApiError> {
    let item = catalog::find(state, KIND, id).await?;
    let spec = spec_of(&item)?;
    Ok((item, spec))
}

/// Create a button.
#[utoipa::path(
    post,
    path = "/api/v1/buttons",
    tag = "buttons",
    operation_id = "buttons_create_button",
    request_body = NewButton,
    responses(
        (status = 201, description = "The button created", body = ButtonReply,
            links(
                ("GetButton" = (operation_id = "buttons_get_button", parameters(("id" = "$response.body#/data/id")))),
                ("UpdateButton" = (operation_id = "buttons_update_button", parameters(("id" = "$response.body#/data/id")))),
                ("DeleteButton" = (operation_id = "buttons_delete_button", parameters(("id" = "$response.body#/data/id")))),
                ("ExecuteButton" = (operation_id = "buttons_execute_button", parameters(("id" = "$response.body#/data/id")))),
            )
        ),
        (status = 400, description = "Malformed body, invalid field (INVALID_REQUEST) or invalid command (INVALID_COMMAND)", body = ErrorBody),
        (status = 409, description = "A button with this id already exists (CONFLICT)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    body: Body,
) -> Response {
    match create_button(&state, &caller, body).await {
        Ok(value) => success(StatusCode::CREATED, value),
        Err(err) => err.render(lang),
    }
}

async fn create_button(state: &AppState, caller: &Caller, body: Body) -> Result<Button, ApiError> {
    let object = read_object(state, body).await?;
    let id = match object.get("id") {
        None | Some(Value::Null) => {
            format!("btn_{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
        }
        Some(Value::String(id)) if valid_id(id) => id.clone(),
        Some(_) => {
            return Err(ApiError::detail(
                Code::InvalidRequest,
                "id must match [a-z0-9_-]{1,64}",
            ))
        }
    };
    let spec = ButtonSpec {
        name: required_text(&object, "name", 200)?,
        command: object
            .get("command")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::detail(Code::InvalidRequest, "command must be a non-empty string")
            })?,
        description: optional_text(&object, "description", 2000)?,
        timeout: timeout(&object)?.unwrap_or(
            Timeout::new(i64::from(MAX_TIMEOUT), MAX_TIMEOUT)
                .map_err(|e| ApiError::internal(&e))?,
        ),
        icon: optional_text(&object, "icon", MAX_ICON_CHARS)?,
        env: env(&object)?.unwrap_or_default(),
        network: network(state, &object)?.unwrap_or_default(),
        schedule: schedule(&object)?.flatten(),
    };
    check_command(state, &spec.command).await?;
    let body = serde_json::to_value(&spec).map_err(|e| ApiError::internal(&e))?;
    let new = NewCatalogItem {
        kind: KIND,
        id: Some(&id),
        owner: &caller.user,
        body: &body,
        now: Timestamp::now(),
    };
    match state.store.insert_item(new).await {
        Ok(item) => Ok(render(&item, &spec)),
        Err(StoreError::Conflict(_)) => Err(ApiError::new(Code::Conflict)),
        Err(err) => Err(ApiError::internal(&err)),
    }
}

/// List every button.
#[utoipa::path(
    get,
    path = "/api/v1/buttons",
    tag = "buttons",
    operation_id = "buttons_list_buttons",
    responses((status = 200, description = "Every button", body = ButtonListReply))
)]
pub async fn list(State(state): State<AppState>, lang: Lang) -> Response {
    let items = match state.store.list_items(KIND).await {
        Ok(items) => items,
        Err(err) => return ApiError::internal(&err).render(lang),
    };
    let mut buttons = Vec::with_capacity(items.len());
    for item in &items {
        match spec_of(item) {
            Ok(spec) => buttons.push(render(item, &spec)),
            Err(err) => return err.render(lang),
        }
    }
    success(StatusCode::OK, buttons)
}

/// Show one button.
#[utoipa::path(
    get,
    path = "/api/v1/buttons/{id}",
    tag = "buttons",
    operation_id = "buttons_get_button",
    params(("id" = String, Path, description = "The button's id")),
    responses(
        (status = 200, description = "The button", body = ButtonReply),
        (status = 400, description = "The id is not valid UTF-8 (INVALID_REQUEST)", body = ErrorBody),
        (status = 404, description = "No such button (BUTTON_NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn get(State(state): State<AppState>, lang: Lang, Path(id): Path<String>) -> Response {
    match find(&state, &id).await {
        Ok((item, spec)) => success(StatusCode::OK, render(&item, &spec)),
        Err(err) => err.render(lang),
    }
}

/// Change a button (its creator or an admin).
#[utoipa::path(
    patch,
    path = "/api/v1/buttons/{id}",
    tag = "buttons",
    operation_id = "buttons_update_button",
    params(("id" = String, Path, description = "The button's id")),
    request_body = ButtonChanges,
    responses(
        (status = 200, description = "The button changed", body = ButtonReply),
        (status = 400, description = "Malformed body, invalid field (INVALID_REQUEST) or invalid command (INVALID_COMMAND)", body = ErrorBody),
        (status = 403, description = "Neither its creator nor an admin (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such button (BUTTON_NOT_FOUND)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    match update_button(&state, &caller, &id, body).await {
        Ok(value) => success(StatusCode::OK, value),
        Err(err) => err.render(lang),
    }
}

async fn update_button(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: Body,
) -> Result<Button, ApiError> {
    let item = catalog::find_to_change(state, caller, KIND, id).await?;
    let mut spec = spec_of(&item)?;
    let object = read_object(state, body).await?;
    if object.get("id").is_some_and(|v| v.as_str() != Some(id)) {
        return Err(ApiError::detail(
            Code::InvalidRequest,
            "id cannot be changed",
        ));
    }
    if object.contains_key("name") {
        spec.name = required_text(&object, "name", 200)?;
    }
    if let Some(command) = object.get("command") {
        let command = command
            .as_str()
            .ok_or_else(|| ApiError::detail(Code::InvalidRequest, "command must be a string"))?;
        check_command(state, command).await?;
        spec.command = command.to_owned();
    }
    if object.contains_key("description") {
        spec.description = optional_text(&object, "description", 2000)?;
    }
    if let Some(timeout) = timeout(&object)? {
        spec.timeout = timeout;
    }
    if object.contains_key("icon") {
        spec.icon = optional_text(&object, "icon", MAX_ICON_CHARS)?;
    }
    if let Some(env) = env(&object)? {
        spec.env = env;
    }
    if let Some(network) = network(state, &object)? {
        spec.network = network;
    }
    let new_schedule = schedule(&object)?;
    let schedule_changed = new_schedule.as_ref().is_some_and(|s| *s != spec.schedule);
    if let Some(new_schedule) = new_schedule {
        spec.schedule = new_schedule;
    }
    let body = serde_json::to_value(&spec).map_err(|e| ApiError::internal(&e))?;
    let updated = catalog::replace(state, caller, KIND, id, &body).await?;
    if schedule_changed {
        // The next occurrence is counted from the new schedule.
        state.store.reset_tick(KIND, id).await?;
    }
    Ok(render(&updated, &spec))
}

/// Delete a button (its creator or an admin).
#[utoipa::path(
    delete,
    path = "/api/v1/buttons/{id}",
    tag = "buttons",
    operation_id = "buttons_delete_button",
    params(("id" = String, Path, description = "The button's id")),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 400, description = "The id is not valid UTF-8 (INVALID_REQUEST)", body = ErrorBody),
        (status = 403, description = "Neither its creator nor an admin (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such button (BUTTON_NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        catalog::remove(&state, &caller, KIND, &id).await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => (StatusCode::OK, axum::Json(Done { success: true })).into_response(),
        Err(err) => err.render(lang),
    }
}

/// Applies the command rules; a failure of the check itself is internal.
pub async fn check_command(state: &AppState, command: &str) -> Result<(), ApiError> {
    match state.engine.check_command(command).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(invalid)) => Err(ApiError::detail(Code::InvalidCommand, invalid.to_string())),
        Err(failed) => Err(ApiError::internal(&failed)),
    }
}

fn schedule(
    object: &Map<String, Value>,
) -> Result<Option<Option<runbox_domain::CronSchedule>>, ApiError> {
    crate::fields::schedule(object, "schedule")
        .map_err(|why| ApiError::detail(Code::InvalidRequest, why))
}

fn network(
    state: &AppState,
    object: &Map<String, Value>,
) -> Result<Option<Vec<runbox_domain::Destination>>, ApiError> {
    crate::fields::network(object, &state.engine.services().gateway)
        .map_err(|why| ApiError::detail(Code::InvalidRequest, why))
}

pub fn valid_id(id: &str) -> bool {
    ButtonSpec::valid_id(id)
}

async fn read_object(state: &AppState, body: Body) -> Result<Map<String, Value>, ApiError> {
    let value = body::read_json(state, body)
        .await
        .map_err(|err| match err {
            BodyError::TooLarge { .. } => ApiError::new(Code::PayloadTooLarge),
            other => ApiError::detail(Code::InvalidRequest, other.to_string()),
        })?;
    let Value::Object(object) = value else {
        return Err(ApiError::detail(
            Code::InvalidRequest,
            "the body must be a JSON object",
        ));
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !FIELDS.contains(&k.as_str()) && !READ_ONLY_FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::detail(
            Code::InvalidRequest,
            format!("unknown field {unknown:?}"),
        ));
    }
    Ok(object)
}

/// The dialect's reading of the shared field helpers: a bad field is
/// INVALID_REQUEST with the helper's reason.
fn invalid(why: String) -> ApiError {
    ApiError::detail(Code::InvalidRequest, why)
}

fn required_text(object: &Map<String, Value>, field: &str, max: usize) -> Result<String, ApiError> {
    fields::required_text(object, field, max).map_err(invalid)
}

fn optional_text(
    object: &Map<String, Value>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    fields::optional_text(object, field, max).map_err(invalid)
}

fn timeout(object: &Map<String, Value>) -> Result<Option<Timeout>, ApiError> {
    fields::timeout(object, MAX_TIMEOUT).map_err(invalid)
}

fn env(object: &Map<String, Value>) -> Result<Option<Env>, ApiError> {
    fields::env(object).map_err(invalid)
}
