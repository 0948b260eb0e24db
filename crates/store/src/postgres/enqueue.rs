//! Creating executions across nodes: `enqueue` takes the schema's enqueue
//! advisory lock, so enqueues on all nodes are serialized. Under it the
//! idempotency-key lookup and the count of queued executions cannot be
//! invalidated before commit (only an enqueue adds a queued row or a key),
//! which makes `max_queue_length` hold across nodes and lets a concurrent
//! repeat of an idempotency key find the first execution. The unique index
//! on `(user_name, idempotency_key)` is the backstop: should it ever refuse
//! an insert, the first execution is looked up and answered as a repeat.

use runbox_domain::{Execution, Idempotency, NewExecution, Timestamp};
use sqlx::{PgConnection, Row};

use super::rows::{self, EXECUTION_COLUMNS};
use super::PgStore;
use crate::{EnqueueError, Enqueued, StoreError, StoreEvent};

/// The answer to a repeated idempotency key: the first execution, or a
/// conflict when it was created for a different request.
fn repeat(
    first: Execution,
    fingerprint: Option<String>,
    idempotency: &Idempotency,
) -> Result<Enqueued, EnqueueError> {
    if fingerprint.as_deref() == Some(idempotency.fingerprint.as_str()) {
        Ok(Enqueued {
            execution: first,
            created: false,
        })
    } else {
        Err(EnqueueError::IdempotencyConflict)
    }
}

/// True for a duplicate `(user_name, idempotency_key)`.
fn is_idempotency_clash(error: &EnqueueError) -> bool {
    match error {
        EnqueueError::Store(StoreError::Database(sqlx::Error::Database(db))) => {
            db.code().as_deref() == Some("23505")
                && db.constraint() == Some("executions_idempotency")
        }
        _ => false,
    }
}

impl PgStore {
    /// The first execution this user created with this idempotency key, with
    /// the fingerprint of the request it was created for.
    async fn by_idempotency_key(
        conn: &mut PgConnection,
        new: &NewExecution,
        key: &str,
    ) -> Result<Option<(Execution, Option<String>)>, StoreError> {
        let sql = format!(
            "SELECT {EXECUTION_COLUMNS}, idempotency_fingerprint FROM executions \
             WHERE user_name = $1 AND idempotency_key = $2"
        );
        let row = sqlx::query(&sql)
            .bind(new.user.as_str())
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
        match row {
            Some(row) => {
                let fingerprint: Option<String> = row.try_get("idempotency_fingerprint")?;
                Ok(Some((rows::execution(&row)?, fingerprint)))
            }
            None => Ok(None),
        }
    }

    async fn enqueue_locked(
        &self,
        new: &NewExecution,
        job: &str,
        now: Timestamp,
        max_queue_length: u32,
    ) -> Result<Enqueued, EnqueueError> {
        let mut tx = self.begin().await?;
        // Serializes enqueues: what we read below cannot change until commit.
        Self::xact_lock(&mut tx, self.locks.enqueue).await?;

        if let Some(idempotency) = &new.idempotency {
            if let Some((first, fingerprint)) =
                Self::by_idempotency_key(&mut tx, new, &idempotency.key).await?
            {
                tx.rollback().await?;
                return repeat(first, fingerprint, idempotency);
            }
        }

        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM executions WHERE status = 'queued'")
                .fetch_one(&mut *tx)
                .await?;
        if queued >= i64::from(max_queue_length) {
            tx.rollback().await?;
            return Err(EnqueueError::QueueFull {
                max: max_queue_length,
            });
        }

        let sql = format!(
            "INSERT INTO executions (id, kind, user_name, status, cancel_requested, priority, \
             timeout_secs, job, created_at, subject, idempotency_key, idempotency_fingerprint) \
             VALUES ($1, $2, $3, 'queued', FALSE, $4, $5, $6::json, $7, $8, $9, $10) \
             RETURNING {EXECUTION_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.id.as_str())
            .bind(new.kind().as_str())
            .bind(new.user.as_str())
            .bind(i32::from(new.priority.value()))
            .bind(i32::try_from(new.timeout.secs()).unwrap_or(i32::MAX))
            .bind(job)
            .bind(now.as_millis())
            .bind(new.subject.as_deref())
            .bind(new.idempotency.as_ref().map(|i| i.key.as_str()))
            .bind(new.idempotency.as_ref().map(|i| i.fingerprint.as_str()))
            .fetch_one(&mut *tx)
            .await?;
        let execution = rows::execution(&row)?;

        if let Some(url) = &new.webhook_url {
            sqlx::query(
                "INSERT INTO webhook_outbox (execution_id, url, attempts, next_attempt_at) \
                 VALUES ($1, $2, 0, $3)",
            )
            .bind(new.id.as_str())
            .bind(url)
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await?;
        }

        let delivery = self
            .announce(
                &mut tx,
                vec![StoreEvent::Enqueued {
                    id: execution.id.clone(),
                }],
            )
            .await?;
        tx.commit().await?;
        delivery.wait().await;
        Ok(Enqueued {
            execution,
            created: true,
        })
    }

    /// [`ExecutionStore::enqueue`]: see the module doc.
    pub(super) async fn create(
        &self,
        new: &NewExecution,
        now: Timestamp,
        max_queue_length: u32,
    ) -> Result<Enqueued, EnqueueError> {
        let job = rows::encode_json("job", &new.job)?;
        let result = self.enqueue_locked(new, &job, now, max_queue_length).await;
        // The enqueue lock makes a duplicate key impossible between runbox
        // nodes; should the unique index still refuse one, answer as a repeat.
        if let (Err(error), Some(idempotency)) = (&result, &new.idempotency) {
            if is_idempotency_clash(error) {
                let mut conn = self.pool.acquire().await?;
                if let Some((first, fingerprint)) =
                    Self::by_idempotency_key(&mut conn, new, &idempotency.key).await?
                {
                    return repeat(first, fingerprint, idempotency);
                }
            }
        }
        result
    }
}
