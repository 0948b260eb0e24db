//! The catalog as the dialects use it: buttons, agents, scenarios and
//! hooks, found by kind and id, with the one rule of who may change them
//! (their creator or an admin). Each dialect renders [`CatalogError`] in
//! its own shape through a `From` conversion, so handlers use `?`.

use runbox_store::{CatalogItem, StoreError};
use serde_json::Value;

use crate::auth::Caller;
use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("not found")]
    NotFound,
    #[error("only its creator or an admin may change it")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The item `kind`/`id`.
pub async fn find(state: &AppState, kind: &str, id: &str) -> Result<CatalogItem, CatalogError> {
    state
        .store
        .get_item(kind, id)
        .await?
        .ok_or(CatalogError::NotFound)
}

/// The item `kind`/`id`, which `caller` may change.
pub async fn find_to_change(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    id: &str,
) -> Result<CatalogItem, CatalogError> {
    let item = find(state, kind, id).await?;
    if caller.can_change(&item.owner) {
        Ok(item)
    } else {
        Err(CatalogError::Forbidden)
    }
}

/// Replaces the body of an item `caller` may change.
pub async fn replace(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    id: &str,
    body: &Value,
) -> Result<CatalogItem, CatalogError> {
    find_to_change(state, caller, kind, id).await?;
    state
        .store
        .update_item(kind, id, body, runbox_domain::Timestamp::now())
        .await?
        .ok_or(CatalogError::NotFound)
}

/// Deletes an item `caller` may change; what it was.
pub async fn remove(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    id: &str,
) -> Result<CatalogItem, CatalogError> {
    let item = find_to_change(state, caller, kind, id).await?;
    if state.store.delete_item(kind, id).await? {
        Ok(item)
    } else {
        Err(CatalogError::NotFound)
    }
}
