//! Read-only execution queries: listing and counting with an
//! [`ExecutionFilter`] (the WHERE clause is built with bound values only),
//! and the queue totals. Each is one statement on the pool, no transaction.

use runbox_domain::Execution;
use sqlx::{Postgres, QueryBuilder, Row};

use super::rows::{self, EXECUTION_COLUMNS};
use super::{unstorable, PgStore};
use crate::{ExecutionFilter, QueueCounts, StoreError};

/// Appends ` WHERE …` for every condition the filter sets.
fn push_filter<'a>(qb: &mut QueryBuilder<'a, Postgres>, filter: &'a ExecutionFilter) {
    qb.push(" WHERE TRUE");
    if let Some(user) = &filter.user {
        qb.push(" AND user_name = ").push_bind(user.as_str());
    }
    if let Some(kind) = filter.kind {
        qb.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(subject) = &filter.subject {
        qb.push(" AND subject = ").push_bind(subject.as_str());
    }
    if !filter.statuses.is_empty() {
        qb.push(" AND status IN (");
        let mut statuses = qb.separated(", ");
        for status in &filter.statuses {
            statuses.push_bind(status.as_str());
        }
        qb.push(")");
    }
    if let Some(requested) = filter.cancel_requested {
        qb.push(" AND cancel_requested = ").push_bind(requested);
    }
    if let Some(from) = filter.created_from {
        qb.push(" AND created_at >= ").push_bind(from.as_millis());
    }
    if let Some(to) = filter.created_to {
        qb.push(" AND created_at <= ").push_bind(to.as_millis());
    }
}

/// A filter on a text PostgreSQL cannot even hold matches nothing.
fn matches_nothing(filter: &ExecutionFilter) -> bool {
    filter.subject.as_deref().is_some_and(unstorable)
}

impl PgStore {
    pub(super) async fn list(
        &self,
        filter: &ExecutionFilter,
    ) -> Result<Vec<Execution>, StoreError> {
        if matches_nothing(filter) {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Postgres>::new("SELECT ");
        qb.push(EXECUTION_COLUMNS).push(" FROM executions");
        push_filter(&mut qb, filter);
        qb.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(rows::count(filter.limit))
            .push(" OFFSET ")
            .push_bind(rows::count(filter.offset));
        let found = qb.build().fetch_all(&self.pool).await?;
        found.iter().map(rows::execution).collect()
    }

    pub(super) async fn count(&self, filter: &ExecutionFilter) -> Result<u64, StoreError> {
        if matches_nothing(filter) {
            return Ok(0);
        }
        let mut qb = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM executions");
        push_filter(&mut qb, filter);
        let n: i64 = qb.build_query_scalar().fetch_one(&self.pool).await?;
        rows::total(n)
    }

    pub(super) async fn counts(&self) -> Result<QueueCounts, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) FILTER (WHERE status = 'queued') AS queued, \
             COUNT(*) FILTER (WHERE status = 'running') AS running \
             FROM executions WHERE status IN ('queued', 'running')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(QueueCounts {
            queued: rows::total(row.try_get("queued")?)?,
            running: rows::total(row.try_get("running")?)?,
        })
    }
}
