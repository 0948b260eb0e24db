//! [`KeyStore`] for SQLite: the `api_keys` table, found by public prefix.

use sqlx::sqlite::SqliteRow;

use super::rows::{self, KEY_COLUMNS};
use super::SqliteStore;
use crate::{ApiKeyRecord, KeyStore, StoreError};

#[async_trait::async_trait]
impl KeyStore for SqliteStore {
    async fn insert_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO api_keys (prefix, hash, user_name, is_admin, created_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (prefix) DO NOTHING",
        )
        .bind(&key.prefix)
        .bind(key.hash.as_slice())
        .bind(key.user.as_str())
        .bind(key.admin)
        .bind(key.created_at.as_millis())
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "an API key with prefix {:?} already exists",
                key.prefix
            )));
        }
        Ok(())
    }

    async fn key_by_prefix(&self, prefix: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE prefix = ?");
        let row: Option<SqliteRow> = sqlx::query(&sql)
            .bind(prefix)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(rows::api_key).transpose()
    }

    async fn list_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, rowid");
        let found = sqlx::query(&sql).fetch_all(&self.reader).await?;
        found.iter().map(rows::api_key).collect()
    }

    async fn revoke_key(&self, prefix: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM api_keys WHERE prefix = ?")
            .bind(prefix)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn count_keys(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys")
            .fetch_one(&self.reader)
            .await?;
        rows::total(n)
    }
}
