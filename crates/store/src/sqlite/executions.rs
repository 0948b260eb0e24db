//! [`ExecutionStore`] for SQLite: the state changes of executions (enqueue,
//! claim, leases, finish, cancel, orphans), each one transaction on the
//! writer connection followed by its events. Listing lives in `query.rs`,
//! live output in `output.rs`.

use runbox_domain::{
    Execution, ExecutionId, ExecutionStatus, NewExecution, NodeId, Outcome, OutcomeKind, Timestamp,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::rows::{self, EXECUTION_COLUMNS};
use super::SqliteStore;
use crate::{
    CancelOutcome, ClaimRequest, EnqueueError, Enqueued, ExecutionFilter, ExecutionStore,
    OutputChunk, OutputStream, QueueCounts, StoreError, StoreEvent,
};

fn changed(execution: &Execution) -> StoreEvent {
    StoreEvent::Changed {
        id: execution.id.clone(),
        status: execution.status,
        cancel_requested: execution.cancel_requested,
    }
}

impl SqliteStore {
    /// The first execution this user created with this idempotency key, with
    /// the fingerprint of the request it was created for.
    async fn by_idempotency_key(
        tx: &mut sqlx::SqliteConnection,
        new: &NewExecution,
        key: &str,
    ) -> Result<Option<(Execution, Option<String>)>, StoreError> {
        let sql = format!(
            "SELECT {EXECUTION_COLUMNS}, idempotency_fingerprint FROM executions \
             WHERE user_name = ? AND idempotency_key = ?"
        );
        let row = sqlx::query(&sql)
            .bind(new.user.as_str())
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        match row {
            Some(row) => {
                let fingerprint: Option<String> = row.try_get("idempotency_fingerprint")?;
                Ok(Some((rows::execution(&row)?, fingerprint)))
            }
            None => Ok(None),
        }
    }
}

#[async_trait::async_trait]
impl ExecutionStore for SqliteStore {
    async fn enqueue(
        &self,
        new: &NewExecution,
        now: Timestamp,
        max_queue_length: u32,
    ) -> Result<Enqueued, EnqueueError> {
        let job = rows::encode_json("job", &new.job)?;
        let mut tx = self.write_tx().await?;

        if let Some(idempotency) = &new.idempotency {
            if let Some((first, fingerprint)) =
                Self::by_idempotency_key(&mut tx, new, &idempotency.key).await?
            {
                tx.rollback().await?;
                return if fingerprint.as_deref() == Some(idempotency.fingerprint.as_str()) {
                    Ok(Enqueued {
                        execution: first,
                        created: false,
                    })
                } else {
                    Err(EnqueueError::IdempotencyConflict)
                };
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
             VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?) RETURNING {EXECUTION_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.id.as_str())
            .bind(new.kind().as_str())
            .bind(new.user.as_str())
            .bind(i64::from(new.priority.value()))
            .bind(i64::from(new.timeout.secs()))
            .bind(&job)
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
                 VALUES (?, ?, 0, ?)",
            )
            .bind(new.id.as_str())
            .bind(url)
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await?;
        }

        tx.commit().await?;
        self.publish(StoreEvent::Enqueued {
            id: execution.id.clone(),
        });
        Ok(Enqueued {
            execution,
            created: true,
        })
    }

    async fn claim_next(&self, claim: &ClaimRequest) -> Result<Option<Execution>, StoreError> {
        // One statement, so the choice and the update are one transaction.
        let mut qb =
            QueryBuilder::<Sqlite>::new("UPDATE executions SET status = 'running', started_at = ");
        qb.push_bind(claim.now.as_millis())
            .push(", node_id = ")
            .push_bind(claim.node.as_str())
            .push(", lease_until = ")
            .push_bind(rows::after(claim.now, claim.lease))
            .push(
                " WHERE status = 'queued' AND seq = (SELECT e.seq FROM executions e \
                 WHERE e.status = 'queued' AND (SELECT COUNT(*) FROM executions r \
                 WHERE r.user_name = e.user_name AND r.status = 'running') < ",
            )
            .push_bind(rows::count(claim.max_running_per_user));
        if !claim.kinds.is_empty() {
            qb.push(" AND e.kind IN (");
            let mut kinds = qb.separated(", ");
            for kind in &claim.kinds {
                kinds.push_bind(kind.as_str());
            }
            qb.push(")");
        }
        qb.push(" ORDER BY e.priority DESC, e.seq ASC LIMIT 1) RETURNING ");
        qb.push(EXECUTION_COLUMNS);

        let row = qb.build().fetch_optional(&self.writer).await?;
        let Some(row) = row else { return Ok(None) };
        let execution = rows::execution(&row)?;
        self.publish(changed(&execution));
        Ok(Some(execution))
    }

    async fn renew_leases(&self, node: &NodeId, until: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE executions SET lease_until = ? WHERE status = 'running' AND node_id = ?",
        )
        .bind(until.as_millis())
        .bind(node.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn finish(
        &self,
        id: &ExecutionId,
        status: ExecutionStatus,
        outcome: &Outcome,
        now: Timestamp,
    ) -> Result<Option<Execution>, StoreError> {
        if !status.is_terminal() {
            return Err(StoreError::Conflict(format!(
                "cannot finish execution {id} as {}: not a final status",
                status.as_str()
            )));
        }
        let outcome = rows::encode_json("outcome", outcome)?;
        let sql = format!(
            "UPDATE executions SET status = ?, outcome = ?, finished_at = ?, lease_until = NULL \
             WHERE id = ? AND status = 'running' RETURNING {EXECUTION_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(status.as_str())
            .bind(&outcome)
            .bind(now.as_millis())
            .bind(id.as_str())
            .fetch_optional(&self.writer)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let execution = rows::execution(&row)?;
        self.publish(changed(&execution));
        Ok(Some(execution))
    }

    async fn request_cancel(
        &self,
        id: &ExecutionId,
        now: Timestamp,
    ) -> Result<CancelOutcome, StoreError> {
        let outcome = rows::encode_json(
            "outcome",
            &Outcome::without_output(OutcomeKind::Canceled, "canceled before it started"),
        )?;
        let mut tx = self.write_tx().await?;

        let sql = format!(
            "UPDATE executions SET status = 'canceled', outcome = ?, finished_at = ? \
             WHERE id = ? AND status = 'queued' RETURNING {EXECUTION_COLUMNS}"
        );
        let canceled = sqlx::query(&sql)
            .bind(&outcome)
            .bind(now.as_millis())
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = canceled {
            let execution = rows::execution(&row)?;
            tx.commit().await?;
            self.publish(changed(&execution));
            return Ok(CancelOutcome::Canceled(execution));
        }

        let sql = format!(
            "UPDATE executions SET cancel_requested = 1 \
             WHERE id = ? AND status = 'running' RETURNING {EXECUTION_COLUMNS}"
        );
        let flagged = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = flagged {
            let execution = rows::execution(&row)?;
            tx.commit().await?;
            self.publish(changed(&execution));
            self.publish(StoreEvent::CancelRequested {
                id: execution.id.clone(),
                node: execution.node.clone(),
            });
            return Ok(CancelOutcome::Requested(execution));
        }

        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = ?");
        let ended = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        tx.rollback().await?;
        match ended {
            Some(row) => Ok(CancelOutcome::AlreadyFinished(rows::execution(&row)?)),
            None => Ok(CancelOutcome::NotFound),
        }
    }

    async fn get_execution(&self, id: &ExecutionId) -> Result<Option<Execution>, StoreError> {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(rows::execution).transpose()
    }

    async fn list_executions(
        &self,
        filter: &ExecutionFilter,
    ) -> Result<Vec<Execution>, StoreError> {
        self.list(filter).await
    }

    async fn count_executions(&self, filter: &ExecutionFilter) -> Result<u64, StoreError> {
        self.count(filter).await
    }

    async fn queue_counts(&self) -> Result<QueueCounts, StoreError> {
        self.counts().await
    }

    async fn fail_orphans(
        &self,
        now: Timestamp,
        all_running: bool,
    ) -> Result<Vec<ExecutionId>, StoreError> {
        let outcome = rows::encode_json("outcome", &Outcome::interrupted())?;
        let rows = sqlx::query(
            "UPDATE executions SET status = 'failed', outcome = ?, finished_at = ?, \
             lease_until = NULL \
             WHERE status = 'running' AND (? OR lease_until IS NULL OR lease_until < ?) \
             RETURNING id, cancel_requested",
        )
        .bind(&outcome)
        .bind(now.as_millis())
        .bind(all_running)
        .bind(now.as_millis())
        .fetch_all(&self.writer)
        .await?;

        let mut ids = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = ExecutionId::from_raw(row.try_get::<String, _>("id")?);
            let cancel_requested: i64 = row.try_get("cancel_requested")?;
            ids.push((id, cancel_requested != 0));
        }
        for (id, cancel_requested) in &ids {
            self.publish(StoreEvent::Changed {
                id: id.clone(),
                status: ExecutionStatus::Failed,
                cancel_requested: *cancel_requested,
            });
        }
        Ok(ids.into_iter().map(|(id, _)| id).collect())
    }

    async fn append_output(
        &self,
        id: &ExecutionId,
        chunks: &[(OutputStream, Vec<u8>)],
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        self.append(id, chunks, now).await
    }

    async fn output_after(
        &self,
        id: &ExecutionId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutputChunk>, StoreError> {
        self.chunks_after(id, after, limit).await
    }
}
