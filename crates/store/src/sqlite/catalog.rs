//! [`CatalogStore`] for SQLite: the `catalog` table and its per-kind
//! counters. Numbers come from `catalog_counters`, so a deleted item's
//! number is never handed out again.

use runbox_domain::Timestamp;
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::rows::encode_json;
use super::SqliteStore;
use crate::decode::{self, RawCatalogItem};
use crate::{CatalogItem, CatalogStore, NewCatalogItem, StoreError};

const COLUMNS: &str = "kind, id, number, owner, body, created_at, updated_at, next_tick";

fn item(row: &SqliteRow) -> Result<CatalogItem, StoreError> {
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
impl CatalogStore for SqliteStore {
    async fn insert_item(&self, new: NewCatalogItem<'_>) -> Result<CatalogItem, StoreError> {
        let body = encode_json("catalog body", new.body)?;
        let mut tx = self.writer.begin().await?;
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO catalog_counters (kind, last) VALUES (?, 1) \
             ON CONFLICT (kind) DO UPDATE SET last = last + 1 RETURNING last",
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
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING RETURNING {COLUMNS}"
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
        let sql = format!("SELECT {COLUMNS} FROM catalog WHERE kind = ? AND id = ?");
        let row = sqlx::query(&sql)
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(item).transpose()
    }

    async fn list_items(&self, kind: &str) -> Result<Vec<CatalogItem>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM catalog WHERE kind = ? ORDER BY number");
        let rows = sqlx::query(&sql).bind(kind).fetch_all(&self.reader).await?;
        rows.iter().map(item).collect()
    }

    async fn update_item(
        &self,
        kind: &str,
        id: &str,
        body: &Value,
        now: Timestamp,
    ) -> Result<Option<CatalogItem>, StoreError> {
        let body = encode_json("catalog body", body)?;
        let sql = format!("UPDATE catalog SET body = ?, updated_at = ? WHERE kind = ? AND id = ? RETURNING {COLUMNS}");
        let row = sqlx::query(&sql)
            .bind(&body)
            .bind(now.as_millis())
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref().map(item).transpose()
    }

    async fn delete_item(&self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM catalog WHERE kind = ? AND id = ?")
            .bind(kind)
            .bind(id)
            .execute(&self.writer)
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
        let done = sqlx::query(
            "UPDATE catalog SET next_tick = ? WHERE kind = ? AND id = ? AND (next_tick IS NULL OR next_tick <= ?)",
        )
        .bind(next.as_millis())
        .bind(kind)
        .bind(id)
        .bind(now.as_millis())
        .execute(&self.writer)
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
        let done = sqlx::query(
            "UPDATE catalog SET next_tick = ? WHERE kind = ? AND id = ? AND next_tick IS ?",
        )
        .bind(to.as_millis())
        .bind(kind)
        .bind(id)
        .bind(from.map(Timestamp::as_millis))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn reset_tick(&self, kind: &str, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE catalog SET next_tick = NULL WHERE kind = ? AND id = ?")
            .bind(kind)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
