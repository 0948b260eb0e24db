//! [`ExecutionStore`] for PostgreSQL: the state changes of executions
//! (claim, leases, finish, cancel, orphans), each one transaction that also
//! NOTIFYs its events. Why claims hold across nodes is explained in the
//! module doc of `postgres`. Creating lives in `enqueue.rs`, listing in
//! `query.rs`, live output in `output.rs`.

use runbox_domain::{
    Execution, ExecutionId, ExecutionStatus, NewExecution, NodeId, Outcome, OutcomeKind, Timestamp,
};
use sqlx::{Postgres, QueryBuilder, Row};

use super::rows::{self, EXECUTION_COLUMNS};
use super::{unstorable, PgStore};
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

#[async_trait::async_trait]
impl ExecutionStore for PgStore {
    async fn enqueue(
        &self,
        new: &NewExecution,
        now: Timestamp,
        max_queue_length: u32,
    ) -> Result<Enqueued, EnqueueError> {
        self.create(new, now, max_queue_length).await
    }

    async fn claim_next(&self, claim: &ClaimRequest) -> Result<Option<Execution>, StoreError> {
        if claim.max_running_per_user == 0 {
            return Ok(None);
        }
        let mut tx = self.begin().await?;
        // Serializes claims: the running counts read below are exact (or too
        // high) until we commit, on every node.
        Self::xact_lock(&mut tx, self.locks.claim).await?;

        let mut qb = QueryBuilder::<Postgres>::new(
            "UPDATE executions SET status = 'running', started_at = ",
        );
        qb.push_bind(claim.now.as_millis())
            .push(", node_id = ")
            .push_bind(claim.node.as_str())
            .push(", lease_until = ")
            .push_bind(rows::after(claim.now, claim.lease))
            .push(
                " WHERE status = 'queued' AND seq = (SELECT e.seq FROM executions e \
                 WHERE e.status = 'queued' AND e.user_name NOT IN (SELECT r.user_name \
                 FROM executions r WHERE r.status = 'running' GROUP BY r.user_name \
                 HAVING COUNT(*) >= ",
            )
            .push_bind(rows::count(claim.max_running_per_user))
            .push(")");
        if !claim.kinds.is_empty() {
            qb.push(" AND e.kind IN (");
            let mut kinds = qb.separated(", ");
            for kind in &claim.kinds {
                kinds.push_bind(kind.as_str());
            }
            qb.push(")");
        }
        qb.push(
            " ORDER BY e.priority DESC, e.seq ASC LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED) \
             RETURNING ",
        );
        qb.push(EXECUTION_COLUMNS);

        let row = qb.build().fetch_optional(&mut *tx).await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let execution = rows::execution(&row)?;
        let delivery = self.announce(&mut tx, vec![changed(&execution)]).await?;
        tx.commit().await?;
        delivery.wait().await;
        Ok(Some(execution))
    }

    async fn renew_leases(&self, node: &NodeId, until: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE executions SET lease_until = $1 WHERE status = 'running' AND node_id = $2",
        )
        .bind(until.as_millis())
        .bind(node.as_str())
        .execute(&self.pool)
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
        if unstorable(id.as_str()) {
            return Ok(None);
        }
        let outcome = rows::encode_json("outcome", outcome)?;
        let mut tx = self.begin().await?;
        let sql = format!(
            "UPDATE executions SET status = $1, outcome = $2::json, finished_at = $3, \
             lease_until = NULL WHERE id = $4 AND status = 'running' RETURNING {EXECUTION_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(status.as_str())
            .bind(&outcome)
            .bind(now.as_millis())
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        let execution = rows::execution(&row)?;
        let delivery = self.announce(&mut tx, vec![changed(&execution)]).await?;
        tx.commit().await?;
        delivery.wait().await;
        Ok(Some(execution))
    }

    async fn request_cancel(
        &self,
        id: &ExecutionId,
        now: Timestamp,
    ) -> Result<CancelOutcome, StoreError> {
        if unstorable(id.as_str()) {
            return Ok(CancelOutcome::NotFound);
        }
        let outcome = rows::encode_json(
            "outcome",
            &Outcome::without_output(OutcomeKind::Canceled, "canceled before it started"),
        )?;
        let mut tx = self.begin().await?;

        let sql = format!(
            "UPDATE executions SET status = 'canceled', outcome = $1::json, finished_at = $2 \
             WHERE id = $3 AND status = 'queued' RETURNING {EXECUTION_COLUMNS}"
        );
        let canceled = sqlx::query(&sql)
            .bind(&outcome)
            .bind(now.as_millis())
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = canceled {
            let execution = rows::execution(&row)?;
            let delivery = self.announce(&mut tx, vec![changed(&execution)]).await?;
            tx.commit().await?;
            delivery.wait().await;
            return Ok(CancelOutcome::Canceled(execution));
        }

        // Not queued (any more): a claim may have just made it running.
        let sql = format!(
            "UPDATE executions SET cancel_requested = TRUE \
             WHERE id = $1 AND status = 'running' RETURNING {EXECUTION_COLUMNS}"
        );
        let flagged = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = flagged {
            let execution = rows::execution(&row)?;
            let events = vec![
                changed(&execution),
                StoreEvent::CancelRequested {
                    id: execution.id.clone(),
                    node: execution.node.clone(),
                },
            ];
            let delivery = self.announce(&mut tx, events).await?;
            tx.commit().await?;
            delivery.wait().await;
            return Ok(CancelOutcome::Requested(execution));
        }

        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1");
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
        if unstorable(id.as_str()) {
            return Ok(None);
        }
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
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
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "UPDATE executions SET status = 'failed', outcome = $1::json, finished_at = $2, \
             lease_until = NULL \
             WHERE status = 'running' AND ($3 OR lease_until IS NULL OR lease_until < $2) \
             RETURNING seq, id, cancel_requested",
        )
        .bind(&outcome)
        .bind(now.as_millis())
        .bind(all_running)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }

        let mut failed = Vec::with_capacity(rows.len());
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            let id = ExecutionId::from_raw(row.try_get::<String, _>("id")?);
            let cancel_requested: bool = row.try_get("cancel_requested")?;
            failed.push((seq, id, cancel_requested));
        }
        failed.sort_by_key(|(seq, _, _)| *seq);
        let events = failed
            .iter()
            .map(|(_, id, cancel_requested)| StoreEvent::Changed {
                id: id.clone(),
                status: ExecutionStatus::Failed,
                cancel_requested: *cancel_requested,
            })
            .collect();
        let delivery = self.announce(&mut tx, events).await?;
        tx.commit().await?;
        delivery.wait().await;
        Ok(failed.into_iter().map(|(_, id, _)| id).collect())
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
