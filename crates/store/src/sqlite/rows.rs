//! Mapping between SQLite rows and domain values. Everything read back is
//! validated again (names, limits, enums, JSON); a value that does not fit
//! is reported as [`StoreError::Corrupt`] with the row and column it came from.

use runbox_domain::{Execution, ExecutionId, Timestamp, UserName};
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::decode::{self, corrupt, RawExecution};
use crate::{ApiKeyRecord, OutputChunk, OutputStream, StoreError, WebhookDelivery};

/// The columns [`execution`] reads, for `SELECT` and `RETURNING` lists.
pub(super) const EXECUTION_COLUMNS: &str = "seq, id, kind, user_name, status, cancel_requested, \
     priority, timeout_secs, job, outcome, created_at, started_at, finished_at, node_id, \
     subject, idempotency_key";

/// The columns [`webhook`] reads.
pub(super) const WEBHOOK_COLUMNS: &str = "id, execution_id, url, attempts";

/// The columns [`api_key`] reads.
pub(super) const KEY_COLUMNS: &str = "prefix, hash, user_name, is_admin, created_at";

/// The columns [`output_chunk`] reads.
pub(super) const OUTPUT_COLUMNS: &str = "seq, stream, data, at";

/// Serializes a domain value for a JSON column.
pub(super) fn encode_json<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt(&format!("cannot encode {what} as JSON"), e))
}

/// Lease and hold durations as milliseconds, saturating far in the future.
pub(super) fn after(now: Timestamp, span: std::time::Duration) -> i64 {
    let ms = i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
    now.as_millis().saturating_add(ms)
}

/// Limits and offsets as SQLite integers.
pub(super) fn count(n: u32) -> i64 {
    i64::from(n)
}

/// A `COUNT(*)` result as the unsigned total the traits return.
pub(super) fn total(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|e| corrupt("negative count", e))
}

pub(super) fn execution(row: &SqliteRow) -> Result<Execution, StoreError> {
    let cancel_requested: i64 = row.try_get("cancel_requested")?;
    decode::execution(RawExecution {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        user_name: row.try_get("user_name")?,
        status: row.try_get("status")?,
        cancel_requested: cancel_requested != 0,
        priority: row.try_get("priority")?,
        timeout_secs: row.try_get("timeout_secs")?,
        job: row.try_get("job")?,
        outcome: row.try_get("outcome")?,
        created_at: row.try_get("created_at")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        node_id: row.try_get("node_id")?,
        subject: row.try_get("subject")?,
        idempotency_key: row.try_get("idempotency_key")?,
    })
}

pub(super) fn api_key(row: &SqliteRow) -> Result<ApiKeyRecord, StoreError> {
    let prefix: String = row.try_get("prefix")?;
    let user_text: String = row.try_get("user_name")?;
    let user = UserName::parse(&user_text)
        .map_err(|e| corrupt(&format!("API key {prefix}: column user_name"), e))?;
    let admin: i64 = row.try_get("is_admin")?;
    Ok(ApiKeyRecord {
        hash: row.try_get("hash")?,
        user,
        admin: admin != 0,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        prefix,
    })
}

pub(super) fn webhook(row: &SqliteRow) -> Result<WebhookDelivery, StoreError> {
    let id: i64 = row.try_get("id")?;
    let attempts: i64 = row.try_get("attempts")?;
    let attempts = u32::try_from(attempts)
        .map_err(|e| corrupt(&format!("webhook {id}: column attempts"), e))?;
    let execution_id: String = row.try_get("execution_id")?;
    Ok(WebhookDelivery {
        id,
        execution_id: ExecutionId::from_raw(execution_id),
        url: row.try_get("url")?,
        attempts,
    })
}

pub(super) fn output_chunk(row: &SqliteRow) -> Result<OutputChunk, StoreError> {
    let seq: i64 = row.try_get("seq")?;
    let stream_text: String = row.try_get("stream")?;
    let stream = OutputStream::parse(&stream_text).ok_or_else(|| {
        corrupt(
            &format!("output chunk {seq}: column stream"),
            format!("unknown {stream_text:?}"),
        )
    })?;
    Ok(OutputChunk {
        seq,
        stream,
        data: row.try_get("data")?,
        at: Timestamp::from_millis(row.try_get("at")?),
    })
}
