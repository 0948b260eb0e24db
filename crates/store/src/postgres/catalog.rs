//! [`CatalogStore`] for PostgreSQL: the `catalog` table and its per-kind
//! counters. Numbers come from `catalog_counters` (an upsert that locks the
//! kind's row until commit, so concurrent inserts on any node get distinct,
//! increasing numbers), and a deleted item's number is never handed out
//! again. A schedule tick is claimed by one conditional `UPDATE`: of several
//! nodes racing for it, the row lock lets one through and the others
//! re-check the condition against its new tick and fail.

use runbox_domain::Timestamp;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::rows::encode_json;
use super::{unstorable, PgStore};
use crate::decode::{self, RawCatalogItem};
use crate::{CatalogItem, CatalogStore, NewCatalogItem, StoreError};

const COLUMNS: &str =
    "kind, id, number, owner, body::text AS body, created_at, updated_at, next_tick";

fn item(row: &PgRow) -> Result<CatalogItem, StoreError> {
    decode::catalog_item(RawCatalogItem {
        kind: row.try_get("kind")?,
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        owner: row.try_get("owner")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        next_tick: row.try_get("next_tick")?,
    })
}

#[async_trait::async_trait]
impl CatalogStore for PgStore {
    async fn insert_item(&self, new: NewCatalogItem<'_>) -> Result<CatalogItem, StoreError> {
        let body = encode_json("catalog body", new.body)?;
        let mut tx = self.begin().await?;
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO catalog_counters (kind, last) VALUES ($1, 1) \
             ON CONFLICT (kind) DO UPDATE SET last = catalog_counters.last + 1 RETURNING last",
        )
        .bind(new.kind)
        .fetch_one(&mut *tx)
        .await?;
        let id = new
            .id
            .map(str::to_owned)
            .unwrap_or_else(|| number.to_string());
        let sql = format!(
            "INSERT INTO catalog (kind, id, number, owner, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5::json, $6, $7) ON CONFLICT (kind, id) DO NOTHING \
             RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.kind)
            .bind(&id)
            .bind(number)
            .bind(new.owner.as_str())
            .bind(&body)
            .bind(new.now.as_millis())
            .bind(new.now.as_millis())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "a {} with id {id:?} already exists",
                new.kind
            )));
        };
        let created = item(&row)?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_item(&self, kind: &str, id: &str) -> Result<Option<CatalogItem>, StoreError> {
        if unstorable(kind) || unstorable(id) {
            return Ok(None);
        }
        let sql = format!("SELECT {COLUMNS} FROM catalog WHERE kind = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(item).transpose()
    }

    async fn list_items(&self, kind: &str) -> Result<Vec<CatalogItem>, StoreError> {
        if unstorable(kind) {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {COLUMNS} FROM catalog WHERE kind = $1 ORDER BY number");
        let rows = sqlx::query(&sql).bind(kind).fetch_all(&self.pool).await?;
        rows.iter().map(item).collect()
    }

    async fn update_item(
        &self,
        kind: &str,
        id: &str,
        body: &Value,
        now: Timestamp,
    ) -> Result<Option<CatalogItem>, StoreError> {
        if unstorable(kind) || unstorable(id) {
            return Ok(None);
        }
        let body = encode_json("catalog body", body)?;
        let sql = format!(
            "UPDATE catalog SET body = $1::json, updated_at = $2 WHERE kind = $3 AND id = $4 \
             RETURNING {COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&body)
            .bind(now.as_millis())
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(item).transpose()
    }

    async fn delete_item(&self, kind: &str, id: &str) -> Result<bool, StoreError> {
        if unstorable(kind) || unstorable(id) {
            return Ok(false);
        }
        let done = sqlx::query("DELETE FROM catalog WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn claim_tick(
        &self,
        kind: &str,
        id: &str,
        now: Timestamp,
        next: Timestamp,
    ) -> Result<bool, StoreError> {
        if unstorable(kind) || unstorable(id) {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE catalog SET next_tick = $1 WHERE kind = $2 AND id = $3 \
             AND (next_tick IS NULL OR next_tick <= $4)",
        )
        .bind(next.as_millis())
        .bind(kind)
        .bind(id)
        .bind(now.as_millis())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn move_tick(
        &self,
        kind: &str,
        id: &str,
        from: Option<Timestamp>,
        to: Timestamp,
    ) -> Result<bool, StoreError> {
        if unstorable(kind) || unstorable(id) {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE catalog SET next_tick = $1 WHERE kind = $2 AND id = $3 \
             AND next_tick IS NOT DISTINCT FROM $4",
        )
        .bind(to.as_millis())
        .bind(kind)
        .bind(id)
        .bind(from.map(Timestamp::as_millis))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn reset_tick(&self, kind: &str, id: &str) -> Result<(), StoreError> {
        if unstorable(kind) || unstorable(id) {
            return Ok(());
        }
        sqlx::query("UPDATE catalog SET next_tick = NULL WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
