//! [`Vault`]: secrets as stored — catalog items of kind `secret` whose
//! body holds the sealed value, never the value — and what one run may use
//! ([`RunSecrets`]): the secrets of its user and the shared ones,
//! decrypted when the run starts.

use std::collections::BTreeMap;
use std::sync::Arc;

use runbox_domain::{check_secret_name, Timestamp, UserName};
use runbox_store::{CatalogItem, NewCatalogItem, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::{Masker, SecretsKey};

/// The catalog kind secrets are stored under.
pub const KIND: &str = "secret";
/// Shorter values are refused: masking them would garble ordinary output.
pub const MIN_VALUE_BYTES: usize = 4;
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{0}")]
    Invalid(String),
    #[error("no such secret")]
    NotFound,
    #[error("a secret with this name already exists")]
    Conflict,
    #[error("stored secret {0} cannot be decrypted with this server's key (RUNBOX_SECRETS_KEY or the key file): is it the key the secrets were stored with?")]
    WrongKey(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A secret as listed: never its value.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretInfo {
    pub name: String,
    pub owner: UserName,
    /// Usable by every user (an admin's secret only).
    pub shared: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    name: String,
    #[serde(default)]
    shared: bool,
    /// [`SecretsKey::seal`]ed, bound to the item's id.
    sealed: String,
}

#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn Store>,
    key: SecretsKey,
}

/// A value's length within bounds.
pub fn check_value(value: &str) -> Result<(), String> {
    if value.len() < MIN_VALUE_BYTES {
        return Err(format!(
            "a secret's value must be at least {MIN_VALUE_BYTES} bytes: a shorter one cannot be masked in output without garbling it"
        ));
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(format!(
            "a secret's value must be at most {MAX_VALUE_BYTES} bytes"
        ));
    }
    Ok(())
}

fn item_id(owner: &UserName, name: &str) -> String {
    format!("{}:{name}", owner.as_str())
}

impl Vault {
    pub fn new(store: Arc<dyn Store>, key: SecretsKey) -> Self {
        Self { store, key }
    }

    /// Fails when a stored secret does not decrypt: the server was given
    /// another key than the one its secrets were sealed with.
    pub async fn check_key(&self) -> Result<(), VaultError> {
        for item in self.store.list_items(KIND).await? {
            self.open(&item)?;
        }
        Ok(())
    }

    pub async fn create(
        &self,
        owner: &UserName,
        name: &str,
        value: &str,
        shared: bool,
    ) -> Result<SecretInfo, VaultError> {
        check_secret_name(name).map_err(VaultError::Invalid)?;
        check_value(value).map_err(VaultError::Invalid)?;
        let id = item_id(owner, name);
        let body = self.body(&id, name, value, shared)?;
        let created = self
            .store
            .insert_item(NewCatalogItem {
                kind: KIND,
                id: Some(&id),
                owner,
                body: &body,
                now: Timestamp::now(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => VaultError::Conflict,
                other => VaultError::Store(other),
            })?;
        info(&created)
    }

    /// Replaces the value (and, when given, whether it is shared).
    pub async fn replace(
        &self,
        owner: &UserName,
        name: &str,
        value: &str,
        shared: Option<bool>,
    ) -> Result<SecretInfo, VaultError> {
        check_value(value).map_err(VaultError::Invalid)?;
        let id = item_id(owner, name);
        let item = self
            .store
            .get_item(KIND, &id)
            .await?
            .ok_or(VaultError::NotFound)?;
        let shared = match shared {
            Some(shared) => shared,
            None => stored(&item)?.shared,
        };
        let body = self.body(&id, name, value, shared)?;
        let updated = self
            .store
            .update_item(KIND, &id, &body, Timestamp::now())
            .await?
            .ok_or(VaultError::NotFound)?;
        info(&updated)
    }

    pub async fn delete(&self, owner: &UserName, name: &str) -> Result<(), VaultError> {
        if self.store.delete_item(KIND, &item_id(owner, name)).await? {
            Ok(())
        } else {
            Err(VaultError::NotFound)
        }
    }

    pub async fn get(&self, owner: &UserName, name: &str) -> Result<SecretInfo, VaultError> {
        let item = self
            .store
            .get_item(KIND, &item_id(owner, name))
            .await?
            .ok_or(VaultError::NotFound)?;
        info(&item)
    }

    /// Every secret, in creation order.
    pub async fn list(&self) -> Result<Vec<SecretInfo>, VaultError> {
        self.store
            .list_items(KIND)
            .await?
            .iter()
            .map(info)
            .collect()
    }

    /// What a run of `user` may use: their own secrets, and the shared
    /// ones (their own win on a name clash), decrypted.
    pub async fn for_run(&self, user: &UserName) -> Result<RunSecrets, VaultError> {
        let mut own = BTreeMap::new();
        let mut shared = BTreeMap::new();
        for item in self.store.list_items(KIND).await? {
            let mine = item.owner == *user;
            let stored = stored(&item)?;
            if !mine && !stored.shared {
                continue;
            }
            let value = self.open(&item)?;
            if mine {
                own.insert(stored.name, value);
            } else {
                shared.insert(stored.name, value);
            }
        }
        shared.extend(own);
        Ok(RunSecrets::new(shared))
    }

    /// Another secret of runbox's own (an incoming webhook's token)
    /// sealed with this vault's key, bound to `context`.
    pub fn seal(&self, value: &str, context: &str) -> Result<String, VaultError> {
        self.key
            .seal(value, context)
            .map_err(|e| VaultError::Invalid(e.to_string()))
    }

    /// What [`seal`](Self::seal) sealed with `context`.
    pub fn unseal(&self, sealed: &str, context: &str) -> Option<String> {
        self.key.open(sealed, context)
    }

    fn body(
        &self,
        id: &str,
        name: &str,
        value: &str,
        shared: bool,
    ) -> Result<serde_json::Value, VaultError> {
        let sealed = self
            .key
            .seal(value, id)
            .map_err(|e| VaultError::Invalid(e.to_string()))?;
        serde_json::to_value(Stored {
            name: name.to_owned(),
            shared,
            sealed,
        })
        .map_err(|e| VaultError::Invalid(e.to_string()))
    }

    fn open(&self, item: &CatalogItem) -> Result<String, VaultError> {
        let stored = stored(item)?;
        self.key
            .open(&stored.sealed, &item.id)
            .ok_or_else(|| VaultError::WrongKey(item.id.clone()))
    }
}

fn stored(item: &CatalogItem) -> Result<Stored, VaultError> {
    serde_json::from_value(item.body.clone())
        .map_err(|e| VaultError::Store(StoreError::Corrupt(format!("secret {}: {e}", item.id))))
}

fn info(item: &CatalogItem) -> Result<SecretInfo, VaultError> {
    let stored = stored(item)?;
    Ok(SecretInfo {
        name: stored.name,
        owner: item.owner.clone(),
        shared: stored.shared,
        created_at: item.created_at,
        updated_at: item.updated_at,
    })
}

/// The secrets one run may use, and the masker that hides all of them.
#[derive(Clone, Debug, Default)]
pub struct RunSecrets {
    values: BTreeMap<String, String>,
    masker: Masker,
}

impl RunSecrets {
    pub fn new(values: BTreeMap<String, String>) -> Self {
        let masker = Masker::new(values.values().map(String::as_str));
        Self { values, masker }
    }

    /// The value of the secret `name`, or why the run cannot have it.
    pub fn get(&self, name: &str) -> Result<&str, String> {
        self.values.get(name).map(String::as_str).ok_or_else(|| {
            format!("secret {name} is not defined (or not usable by this run's owner)")
        })
    }

    /// Every usable secret by name.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    pub fn masker(&self) -> &Masker {
        &self.masker
    }
}
