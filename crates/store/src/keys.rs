//! API keys: only a hash of each key is stored, found by its public prefix.

use runbox_domain::{Timestamp, UserName};

use crate::StoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The first characters of the key (`rbx_abcd`); unique, shown in lists.
    pub prefix: String,
    /// SHA-256 of the whole key.
    pub hash: Vec<u8>,
    pub user: UserName,
    pub admin: bool,
    pub created_at: Timestamp,
}

#[async_trait::async_trait]
pub trait KeyStore {
    /// Stores a key. Fails with [`StoreError::Conflict`] if the prefix exists.
    async fn insert_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;
    async fn key_by_prefix(&self, prefix: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// All keys, oldest first.
    async fn list_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// Deletes a key; false when no key has this prefix.
    async fn revoke_key(&self, prefix: &str) -> Result<bool, StoreError>;
    async fn count_keys(&self) -> Result<u64, StoreError>;
}
