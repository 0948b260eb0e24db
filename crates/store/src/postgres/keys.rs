//! [`KeyStore`] for PostgreSQL: the `api_keys` table, found by public prefix.

use sqlx::postgres::PgRow;

use super::rows::{self, KEY_COLUMNS};
use super::{unstorable, PgStore};
use crate::{ApiKeyRecord, KeyStore, StoreError};

#[async_trait::async_trait]
impl KeyStore for PgStore {
    async fn insert_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO api_keys (prefix, hash, user_name, is_admin, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (prefix) DO NOTHING",
        )
        .bind(&key.prefix)
        .bind(key.hash.as_slice())
        .bind(key.user.as_str())
        .bind(key.admin)
        .bind(key.created_at.as_millis())
        .execute(&self.pool)
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
        if unstorable(prefix) {
            return Ok(None);
        }
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE prefix = $1");
        let row: Option<PgRow> = sqlx::query(&sql)
            .bind(prefix)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::api_key).transpose()
    }

    async fn list_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, position");
        let found = sqlx::query(&sql).fetch_all(&self.pool).await?;
        found.iter().map(rows::api_key).collect()
    }

    async fn revoke_key(&self, prefix: &str) -> Result<bool, StoreError> {
        if unstorable(prefix) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM api_keys WHERE prefix = $1")
            .bind(prefix)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn count_keys(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_keys")
            .fetch_one(&self.pool)
            .await?;
        rows::total(n)
    }
}
