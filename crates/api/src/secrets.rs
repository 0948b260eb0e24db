//! `/secrets` (contract section 12): values such as API tokens that
//! buttons, agents and scenarios use by reference. Only names, owners and
//! dates are ever shown; values go in and never come out. A secret belongs
//! to its creator; an admin's secret created with `"shared": true` is
//! usable by every user. An admin may act on another user's secret with
//! `?owner=NAME`. Errors are in the scenarios shape (`{"error": {"message",
//! "code"}}`), as for the other automation routes.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::UserName;
use runbox_secrets::{SecretInfo, Vault, VaultError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, Caller};
use crate::scenarios::reply::{self as errors, ErrorBody, ScenarioApiError};
use crate::{body, openapi, AppState};

type Result<T> = std::result::Result<T, ScenarioApiError>;

pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    let unauthorized: auth::Unauthorized = errors::unauthorized;
    let router = OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, replace, delete))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ));
    openapi::with_errors::<ErrorBody>(
        router,
        &[
            (401, "No valid API key (UNAUTHORIZED)"),
            (500, "Internal error (INTERNAL_ERROR)"),
        ],
    )
}

/// A secret as shown: never its value.
#[derive(Serialize, ToSchema)]
pub struct Secret {
    #[schema(example = "GITHUB_TOKEN")]
    name: String,
    /// The user it belongs to.
    owner: String,
    /// Usable by every user (an admin's secret only).
    shared: bool,
    #[schema(format = DateTime)]
    created: String,
    #[schema(format = DateTime)]
    updated: String,
}

impl From<SecretInfo> for Secret {
    fn from(info: SecretInfo) -> Self {
        Self {
            name: info.name,
            owner: info.owner.as_str().to_owned(),
            shared: info.shared,
            created: info.created_at.to_iso(),
            updated: info.updated_at.to_iso(),
        }
    }
}

/// `{"secret": …}`.
#[derive(Serialize, ToSchema)]
pub struct SecretReply {
    secret: Secret,
}

/// `{"secrets": […]}`.
#[derive(Serialize, ToSchema)]
pub struct SecretListReply {
    secrets: Vec<Secret>,
}

/// A secret to store.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewSecret {
    #[schema(pattern = "^[A-Z_][A-Z0-9_]{0,63}$", example = "GITHUB_TOKEN")]
    name: String,
    /// 4 bytes to 64 KiB: a shorter value could not be masked in output
    /// without garbling it.
    #[schema(min_length = 4, max_length = 65536)]
    value: String,
    /// Usable by every user; admins only.
    shared: Option<bool>,
}

/// A new value (and, when given, whether it is shared).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SecretValue {
    #[schema(min_length = 4, max_length = 65536)]
    value: String,
    shared: Option<bool>,
}

/// Whose secret: the caller's unless an admin names another owner.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OwnerQuery {
    /// Admins only: act on this user's secret.
    owner: Option<String>,
}

/// The deleted secret's name.
#[derive(Serialize, ToSchema)]
pub struct SecretDeleted {
    secret: String,
}

fn vault(state: &AppState) -> Result<&Vault> {
    state
        .engine
        .services()
        .vault
        .as_ref()
        .ok_or_else(|| errors::internal(&"this node has no secrets vault"))
}

fn refused(error: VaultError) -> ScenarioApiError {
    match error {
        VaultError::Invalid(why) => errors::invalid_input(why),
        VaultError::NotFound => errors::not_found("Secret"),
        VaultError::Conflict => ScenarioApiError {
            status: StatusCode::CONFLICT,
            code: "CONFLICT",
            message: "A secret with this name already exists: PUT /secrets/{name} replaces it"
                .to_owned(),
            details: None,
        },
        other => errors::internal(&other),
    }
}

fn forbidden(why: &str) -> ScenarioApiError {
    ScenarioApiError {
        status: StatusCode::FORBIDDEN,
        code: "FORBIDDEN",
        message: why.to_owned(),
        details: None,
    }
}

/// The owner a request acts for: the caller, or for an admin `?owner=`.
fn owner(caller: &Caller, query: &HashMap<String, String>) -> Result<UserName> {
    match query.get("owner") {
        None => Ok(caller.user.clone()),
        Some(name) if name == caller.user.as_str() => Ok(caller.user.clone()),
        Some(_) if !caller.admin => Err(forbidden("Only an admin may name another owner")),
        Some(name) => UserName::parse(name)
            .map_err(|_| errors::invalid_input(format!("owner {name:?} is not a user name"))),
    }
}

/// The body: an object with no field but `name`, `value` and `shared`.
async fn object(state: &AppState, body: Body) -> Result<Map<String, Value>> {
    let value = body::read_json(state, body)
        .await
        .map_err(|e| errors::body_error(&e))?;
    let Value::Object(object) = value else {
        return Err(errors::invalid_input("the body must be a JSON object"));
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !["name", "value", "shared"].contains(&k.as_str()))
    {
        return Err(errors::invalid_input(format!("unknown field {unknown:?}")));
    }
    Ok(object)
}

fn value_field(object: &Map<String, Value>) -> Result<&str> {
    object
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| errors::invalid_input("value must be a string"))
}

/// `shared`: only an admin's own secret may be shared with every user (an
/// admin managing another user's secret cannot hand it to everyone).
fn shared_field(
    object: &Map<String, Value>,
    caller: &Caller,
    owner: &UserName,
) -> Result<Option<bool>> {
    match object.get("shared") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(true)) if !caller.admin || *owner != caller.user => Err(forbidden(
            "Only an admin may share a secret with every user, and only their own",
        )),
        Some(Value::Bool(shared)) => Ok(Some(*shared)),
        Some(_) => Err(errors::invalid_input("shared must be a boolean")),
    }
}

fn reply(status: StatusCode, info: SecretInfo) -> Response {
    (
        status,
        Json(SecretReply {
            secret: info.into(),
        }),
    )
        .into_response()
}

/// List the secrets you may use: yours and the shared ones (an admin sees
/// every secret). Names only.
#[utoipa::path(
    get,
    path = "/secrets",
    tag = "secrets",
    operation_id = "secrets_list",
    responses((status = 200, description = "Names, owners and dates", body = SecretListReply))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response> {
    let all = vault(&state)?.list().await.map_err(refused)?;
    let secrets = all
        .into_iter()
        .filter(|s| caller.admin || s.owner == caller.user || s.shared)
        .map(Secret::from)
        .collect();
    Ok(Json(SecretListReply { secrets }).into_response())
}

/// Store a secret. Its value is encrypted at rest and never shown again.
#[utoipa::path(
    post,
    path = "/secrets",
    tag = "secrets",
    operation_id = "secrets_create",
    request_body = NewSecret,
    responses(
        (status = 201, description = "Stored", body = SecretReply),
        (status = 400, description = "An invalid name or value (INVALID_INPUT)", body = ErrorBody),
        (status = 403, description = "Only admins share secrets (FORBIDDEN)", body = ErrorBody),
        (status = 409, description = "You already have a secret of this name (CONFLICT)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<Response> {
    let object = object(&state, body).await?;
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| errors::invalid_input("name must be a string"))?;
    let value = value_field(&object)?;
    let shared = shared_field(&object, &caller, &caller.user)?.unwrap_or(false);
    let info = vault(&state)?
        .create(&caller.user, name, value, shared)
        .await
        .map_err(refused)?;
    Ok(reply(StatusCode::CREATED, info))
}

/// Show one of your secrets (never its value).
#[utoipa::path(
    get,
    path = "/secrets/{name}",
    tag = "secrets",
    operation_id = "secrets_get",
    params(("name" = String, Path, description = "The secret's name"), OwnerQuery),
    responses(
        (status = 200, description = "Its name, owner and dates", body = SecretReply),
        (status = 400, description = "An invalid owner (INVALID_INPUT)", body = ErrorBody),
        (status = 403, description = "Only admins name another owner (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such secret (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let owner = owner(&caller, &query)?;
    let info = vault(&state)?.get(&owner, &name).await.map_err(refused)?;
    Ok(reply(StatusCode::OK, info))
}

/// Set a secret's value: replaces yours, or stores a new one.
#[utoipa::path(
    put,
    path = "/secrets/{name}",
    tag = "secrets",
    operation_id = "secrets_replace",
    params(("name" = String, Path, description = "The secret's name"), OwnerQuery),
    request_body = SecretValue,
    responses(
        (status = 200, description = "Replaced", body = SecretReply),
        (status = 201, description = "Stored (there was none)", body = SecretReply),
        (status = 400, description = "An invalid name, value or owner (INVALID_INPUT)", body = ErrorBody),
        (status = 403, description = "Only admins share secrets or name another owner (FORBIDDEN)", body = ErrorBody),
        (status = 413, description = "Body too large (PAYLOAD_TOO_LARGE)", body = ErrorBody),
    )
)]
pub async fn replace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Result<Response> {
    let owner = owner(&caller, &query)?;
    let object = object(&state, body).await?;
    let value = value_field(&object)?;
    let shared = shared_field(&object, &caller, &owner)?;
    let vault = vault(&state)?;
    match vault.replace(&owner, &name, value, shared).await {
        Ok(info) => Ok(reply(StatusCode::OK, info)),
        Err(VaultError::NotFound) => {
            let info = vault
                .create(&owner, &name, value, shared.unwrap_or(false))
                .await
                .map_err(refused)?;
            Ok(reply(StatusCode::CREATED, info))
        }
        Err(other) => Err(refused(other)),
    }
}

/// Delete one of your secrets. Runs that reference it then fail with a
/// clear error.
#[utoipa::path(
    delete,
    path = "/secrets/{name}",
    tag = "secrets",
    operation_id = "secrets_delete",
    params(("name" = String, Path, description = "The secret's name"), OwnerQuery),
    responses(
        (status = 200, description = "Deleted", body = SecretDeleted),
        (status = 400, description = "An invalid owner (INVALID_INPUT)", body = ErrorBody),
        (status = 403, description = "Only admins name another owner (FORBIDDEN)", body = ErrorBody),
        (status = 404, description = "No such secret (NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let owner = owner(&caller, &query)?;
    vault(&state)?
        .delete(&owner, &name)
        .await
        .map_err(refused)?;
    Ok(Json(SecretDeleted { secret: name }).into_response())
}
