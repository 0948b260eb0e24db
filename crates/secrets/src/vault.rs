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
        // One secret that cannot be opened fails only the runs that use it.
        let mut unreadable = BTreeMap::new();
        for item in self.store.list_items(KIND).await? {
            let mine = item.owner == *user;
            let Ok(stored) = stored(&item) else {
                continue;
            };
            if !mine && !stored.shared {
                continue;
            }
            match self.open(&item) {
                Ok(value) if mine => {
                    own.insert(stored.name, value);
                }
                Ok(value) => {
                    shared.insert(stored.name, value);
                }
                Err(err) => {
                    unreadable.insert(stored.name, err.to_string());
                }
            }
        }
        shared.extend(own);
        let mut secrets = RunSecrets::new(shared);
        secrets.unreadable = unreadable;
        Ok(secrets)
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
    /// Secrets the run could use but that did not open: name → why.
    unreadable: BTreeMap<String, String>,
    masker: Masker,
}

impl RunSecrets {
    pub fn new(values: BTreeMap<String, String>) -> Self {
        let masker = Masker::new(values.values().map(String::as_str));
        Self {
            values,
            unreadable: BTreeMap::new(),
            masker,
        }
    }

    /// The value of the secret `name`, or why the run cannot have it.
    pub fn get(&self, name: &str) -> Result<&str, String> {
        if let Some(why) = self.unreadable.get(name) {
            return Err(format!("secret {name} could not be read: {why}"));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(store: &Arc<dyn Store>, key: char) -> Vault {
        let key = SecretsKey::parse(&key.to_string().repeat(64)).expect("key");
        Vault::new(store.clone(), key)
    }

    /// A secret sealed under another key (a node given its own key file)
    /// fails only the runs that use it, saying why.
    #[tokio::test]
    async fn a_secret_that_does_not_open_fails_only_its_users() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
        let store = runbox_store::open(&url).await.expect("store");
        let alice = UserName::parse("alice").expect("name");
        vault(&store, 'a')
            .create(&alice, "OTHER_NODE", "sealed-elsewhere", false)
            .await
            .expect("create");
        let here = vault(&store, 'b');
        here.create(&alice, "HERE", "sealed-here", false)
            .await
            .expect("create");

        let secrets = here.for_run(&alice).await.expect("the run's secrets");
        assert_eq!(secrets.get("HERE"), Ok("sealed-here"));
        let refused = secrets.get("OTHER_NODE").expect_err("unreadable");
        assert!(refused.contains("could not be read"), "{refused}");
        assert!(here.check_key().await.is_err(), "start-up still refuses");
    }
}
