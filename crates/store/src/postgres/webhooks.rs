//! [`WebhookStore`] for PostgreSQL: the `webhook_outbox` table. A row is due
//! once its execution has ended and its next attempt time has come. Taking
//! rows is one statement: it locks the chosen rows with `SKIP LOCKED` (a
//! concurrent taker on another node passes over them instead of waiting) and
//! marks them held, so each delivery is with one node at a time until the
//! hold ends or the attempt is recorded.

use std::time::Duration;

use runbox_domain::{NodeId, Timestamp};

use super::rows::{self, WEBHOOK_COLUMNS};
use super::PgStore;
use crate::{StoreError, WebhookDelivery, WebhookStore};

/// Attempt counts as the `INTEGER` column stores them.
fn attempts_column(attempts: u32) -> i32 {
    i32::try_from(attempts).unwrap_or(i32::MAX)
}

#[async_trait::async_trait]
impl WebhookStore for PgStore {
    async fn take_due_webhooks(
        &self,
        node: &NodeId,
        now: Timestamp,
        hold: Duration,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        // The choice is a CTE so that it runs exactly once: a locking
        // `IN (SELECT … LIMIT)` may be re-run per outer row and then skip the
        // rows this very statement already changed. The outer conditions are
        // checked again, on rows we now hold.
        let sql = format!(
            "WITH due AS (SELECT w.id AS due_id FROM webhook_outbox w \
             JOIN executions e ON e.id = w.execution_id \
             WHERE w.delivered_at IS NULL AND w.gave_up_at IS NULL \
             AND w.next_attempt_at <= $3 \
             AND (w.held_until IS NULL OR w.held_until < $3) \
             AND e.status IN ('succeeded', 'failed', 'timed_out', 'canceled') \
             ORDER BY w.next_attempt_at, w.id LIMIT $4 \
             FOR NO KEY UPDATE OF w SKIP LOCKED) \
             UPDATE webhook_outbox SET held_until = $1, held_by = $2 FROM due \
             WHERE id = due.due_id AND delivered_at IS NULL AND gave_up_at IS NULL \
             AND (held_until IS NULL OR held_until < $3) \
             RETURNING {WEBHOOK_COLUMNS}"
        );
        let found = sqlx::query(&sql)
            .bind(rows::after(now, hold))
            .bind(node.as_str())
            .bind(now.as_millis())
            .bind(rows::count(limit))
            .fetch_all(&self.pool)
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
            "UPDATE webhook_outbox SET delivered_at = $1, held_until = NULL, held_by = NULL \
             WHERE id = $2",
        )
        .bind(at.as_millis())
        .bind(id)
        .execute(&self.pool)
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
        // PostgreSQL text cannot hold NUL; the message is only diagnostic.
        let error = error.replace('\0', "");
        let query = match next_attempt_at {
            Some(next) => sqlx::query(
                "UPDATE webhook_outbox SET attempts = $1, last_error = $2, next_attempt_at = $3, \
                 held_until = NULL, held_by = NULL WHERE id = $4",
            )
            .bind(attempts_column(attempts))
            .bind(error)
            .bind(next.as_millis()),
            // The trait gives no clock here; giving up is recorded as of now.
            None => sqlx::query(
                "UPDATE webhook_outbox SET attempts = $1, last_error = $2, gave_up_at = $3, \
                 held_until = NULL, held_by = NULL WHERE id = $4",
            )
            .bind(attempts_column(attempts))
            .bind(error)
            .bind(Timestamp::now().as_millis()),
        };
        query.bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn pending_webhook_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        rows::total(n)
    }
}
