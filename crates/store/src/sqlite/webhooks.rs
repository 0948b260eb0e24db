//! [`WebhookStore`] for SQLite: the `webhook_outbox` table. A row is due
//! once its execution has ended and its next attempt time has come; taking
//! it holds it for a while so a second taker skips it.

use std::time::Duration;

use runbox_domain::{NodeId, Timestamp};

use super::rows::{self, WEBHOOK_COLUMNS};
use super::SqliteStore;
use crate::{StoreError, WebhookDelivery, WebhookStore};

#[async_trait::async_trait]
impl WebhookStore for SqliteStore {
    async fn take_due_webhooks(
        &self,
        node: &NodeId,
        now: Timestamp,
        hold: Duration,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        // One statement: choosing and holding the rows is one transaction.
        let sql = format!(
            "UPDATE webhook_outbox SET held_until = ?, held_by = ? \
             WHERE id IN (SELECT w.id FROM webhook_outbox w \
             JOIN executions e ON e.id = w.execution_id \
             WHERE w.delivered_at IS NULL AND w.gave_up_at IS NULL \
             AND w.next_attempt_at <= ? \
             AND (w.held_until IS NULL OR w.held_until < ?) \
             AND e.status IN ('succeeded', 'failed', 'timed_out', 'canceled') \
             ORDER BY w.next_attempt_at, w.id LIMIT ?) \
             RETURNING {WEBHOOK_COLUMNS}"
        );
        let found = sqlx::query(&sql)
            .bind(rows::after(now, hold))
            .bind(node.as_str())
            .bind(now.as_millis())
            .bind(now.as_millis())
            .bind(rows::count(limit))
            .fetch_all(&self.writer)
            .await?;
        let mut due = found
            .iter()
            .map(rows::webhook)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order; hand them out oldest first.
        due.sort_by_key(|d| d.id);
        Ok(due)
    }

    async fn webhook_delivered(&self, id: i64, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_outbox SET delivered_at = ?, held_until = NULL, held_by = NULL \
             WHERE id = ?",
        )
        .bind(at.as_millis())
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn webhook_failed(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), StoreError> {
        let query = match next_attempt_at {
            Some(next) => sqlx::query(
                "UPDATE webhook_outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, \
                 held_until = NULL, held_by = NULL WHERE id = ?",
            )
            .bind(i64::from(attempts))
            .bind(error)
            .bind(next.as_millis()),
            // The trait gives no clock here; giving up is recorded as of now.
            None => sqlx::query(
                "UPDATE webhook_outbox SET attempts = ?, last_error = ?, gave_up_at = ?, \
                 held_until = NULL, held_by = NULL WHERE id = ?",
            )
            .bind(i64::from(attempts))
            .bind(error)
            .bind(Timestamp::now().as_millis()),
        };
        query.bind(id).execute(&self.writer).await?;
        Ok(())
    }

    async fn pending_webhook_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL",
        )
        .fetch_one(&self.reader)
        .await?;
        rows::total(n)
    }
}
