//! API key management: create (the key is shown once), list (no secrets),
//! revoke by prefix; and the start-up key bootstrap.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use runbox_domain::{Timestamp, UserName};
use runbox_store::{ApiKeyRecord, Store, StoreError};
use serde_json::json;

use super::detail;
use crate::agents::reply::DetailBody;
use crate::auth::Caller;
use crate::body::{self, BodyError};
use crate::{keys, AppState};

/// A new key to create.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct NewKey {
    /// The key's user: letters, digits, `_`, `-`, `.` and `@`.
    user: String,
    /// An admin key sees and manages everything.
    admin: Option<bool>,
}

/// A key just created: the only time `key` is shown.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CreatedKey {
    user: String,
    key: String,
    prefix: String,
    admin: bool,
}

/// A stored key, without its secret.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct KeySummary {
    prefix: String,
    user: String,
    admin: bool,
    created_at: String,
}

/// A key revoked.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct RevokedKey {
    prefix: String,
    revoked: bool,
}

/// Create an API key (admin only).
#[utoipa::path(
    post,
    path = "/admin/api-keys",
    operation_id = "admin_create_key",
    tag = "admin",
    request_body = NewKey,
    responses(
        (status = 201, description = "The key, shown once", body = CreatedKey),
        (status = 400, description = "Malformed JSON", body = DetailBody),
        (status = 413, description = "Body too large", body = DetailBody),
        (status = 422, description = "Invalid user or field", body = DetailBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Response {
    if !caller.admin {
        return detail(StatusCode::FORBIDDEN, "Forbidden: an admin key is required");
    }
    let value = match body::read_json(&state, body).await {
        Ok(value) => value,
        Err(BodyError::TooLarge { .. }) => {
            return detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
        }
        Err(err) => return detail(StatusCode::BAD_REQUEST, err.to_string()),
    };
    let (user, admin) = match parse_create(&value) {
        Ok(parsed) => parsed,
        Err(why) => return detail(StatusCode::UNPROCESSABLE_ENTITY, why),
    };
    match issue_key(state.store.as_ref(), user, admin).await {
        Ok((key, record)) => (
            StatusCode::CREATED,
            Json(json!({ "user": record.user.as_str(), "key": key, "prefix": record.prefix, "admin": record.admin })),
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "could not store a new key");
            detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
    }
}

fn parse_create(value: &serde_json::Value) -> Result<(UserName, bool), String> {
    let object = value
        .as_object()
        .ok_or("body must be a JSON object {\"user\", \"admin\"?}")?;
    if let Some(extra) = object.keys().find(|k| *k != "user" && *k != "admin") {
        return Err(format!("unknown field {extra:?}"));
    }
    let user = object
        .get("user")
        .and_then(|u| u.as_str())
        .ok_or("\"user\" is required and must be a string")?;
    let user = UserName::parse(user).map_err(|e| e.to_string())?;
    let admin = match object.get("admin") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return Err("\"admin\" must be a boolean".to_owned()),
    };
    Ok((user, admin))
}

/// List API keys (admin only); secrets are never shown again.
#[utoipa::path(
    get,
    path = "/admin/api-keys",
    operation_id = "admin_list_keys",
    tag = "admin",
    responses((status = 200, description = "Every key", body = Vec<KeySummary>))
)]
pub async fn list(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    if !caller.admin {
        return detail(StatusCode::FORBIDDEN, "Forbidden: an admin key is required");
    }
    match state.store.list_keys().await {
        Ok(keys) => {
            let items: Vec<_> = keys
                .iter()
                .map(|k| json!({ "prefix": k.prefix, "user": k.user.as_str(), "admin": k.admin, "created_at": k.created_at.to_iso() }))
                .collect();
            Json(items).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "could not list keys");
            detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
    }
}

/// Revoke an API key by its prefix (admin only).
#[utoipa::path(
    delete,
    path = "/admin/api-keys/{prefix}",
    operation_id = "admin_revoke_key",
    tag = "admin",
    params(("prefix" = String, Path, description = "The key's prefix, as listed")),
    responses(
        (status = 200, description = "Revoked", body = RevokedKey),
        (status = 404, description = "No such key", body = DetailBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(prefix): Path<String>,
) -> Response {
    if !caller.admin {
        return detail(StatusCode::FORBIDDEN, "Forbidden: an admin key is required");
    }
    match state.store.revoke_key(&prefix).await {
        Ok(true) => Json(json!({ "prefix": prefix, "revoked": true })).into_response(),
        Ok(false) => detail(StatusCode::NOT_FOUND, "API key not found"),
        Err(err) => {
            tracing::error!(error = %err, "could not revoke a key");
            detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        }
    }
}

/// Creates and stores a new key for `user`; returns the key (shown once).
pub async fn issue_key(
    store: &dyn Store,
    user: UserName,
    admin: bool,
) -> Result<(String, ApiKeyRecord), StoreError> {
    loop {
        let key = keys::generate();
        let Some(prefix) = keys::prefix(&key) else {
            continue;
        };
        let record = ApiKeyRecord {
            prefix: prefix.to_owned(),
            hash: keys::hash(&key),
            user: user.clone(),
            admin,
            created_at: Timestamp::now(),
        };
        match store.insert_key(&record).await {
            Ok(()) => return Ok((key, record)),
            // A prefix collision: draw again.
            Err(StoreError::Conflict(_)) => continue,
            Err(err) => return Err(err),
        }
    }
}

/// At start-up: ensure `RUNBOX_API_KEY` (if given) belongs to admin `admin`;
/// if no key exists at all, create one and return it so the caller prints
/// it once.
pub async fn ensure_bootstrap_key(
    store: &dyn Store,
    configured: Option<&str>,
) -> Result<Option<String>, StoreError> {
    if let Some(key) = configured {
        let prefix = keys::prefix(key).unwrap_or(key).to_owned();
        let hash = keys::hash(key);
        match store.key_by_prefix(&prefix).await? {
            Some(existing)
                if existing.hash == hash
                    && existing.admin
                    && existing.user == UserName::admin() => {}
            Some(_) => {
                // The prefix belongs to an older key: the configured key wins.
                store.revoke_key(&prefix).await?;
                insert_configured(store, prefix, hash).await?;
            }
            None => insert_configured(store, prefix, hash).await?,
        }
        return Ok(None);
    }
    if store.count_keys().await? > 0 {
        return Ok(None);
    }
    let (key, _) = issue_key(store, UserName::admin(), true).await?;
    Ok(Some(key))
}

/// Several nodes starting together all ensure the configured key: losing
/// the race to insert it is fine as long as the winner stored the same key.
async fn insert_configured(
    store: &dyn Store,
    prefix: String,
    hash: Vec<u8>,
) -> Result<(), StoreError> {
    match store
        .insert_key(&admin_record(prefix.clone(), hash.clone()))
        .await
    {
        Err(StoreError::Conflict(why)) => match store.key_by_prefix(&prefix).await? {
            Some(existing) if existing.hash == hash => Ok(()),
            _ => Err(StoreError::Conflict(why)),
        },
        other => other,
    }
}

fn admin_record(prefix: String, hash: Vec<u8>) -> ApiKeyRecord {
    ApiKeyRecord {
        prefix,
        hash,
        user: UserName::admin(),
        admin: true,
        created_at: Timestamp::now(),
    }
}
