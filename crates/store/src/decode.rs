//! Turning a row's raw columns into domain values, the same for both
//! backends: each backend reads its columns into a `Raw…` struct (its
//! own column types: SQLite integers for booleans, PostgreSQL `INT4`s),
//! and these functions validate everything again (names, limits, enums,
//! JSON), reporting a value that does not fit as [`StoreError::Corrupt`]
//! with the row and column it came from.

use runbox_domain::{
    Execution, ExecutionId, ExecutionKind, ExecutionStatus, JobSpec, NodeId, Outcome, Priority,
    Timeout, Timestamp, UserName,
};
use serde::de::DeserializeOwned;

use crate::{CatalogItem, StoreError};

/// The longest timeout a stored execution may carry (one day).
pub(crate) const MAX_TIMEOUT_SECS: u32 = 86_400;

pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {detail}"))
}

pub(crate) fn decode_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn timestamp(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp::from_millis)
}

/// An `executions` row as a backend reads it.
pub(crate) struct RawExecution {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub user_name: String,
    pub status: String,
    pub cancel_requested: bool,
    pub priority: i64,
    pub timeout_secs: i64,
    pub job: String,
    pub outcome: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub node_id: Option<String>,
    pub subject: Option<String>,
    pub idempotency_key: Option<String>,
}

pub(crate) fn execution(raw: RawExecution) -> Result<Execution, StoreError> {
    let id = raw.id;
    let what = |column: &str| format!("execution {id}: column {column}");
    let kind = ExecutionKind::parse(&raw.kind)
        .ok_or_else(|| corrupt(&what("kind"), format!("unknown kind {:?}", raw.kind)))?;
    let user = UserName::parse(&raw.user_name).map_err(|e| corrupt(&what("user_name"), e))?;
    let status = ExecutionStatus::parse(&raw.status)
        .ok_or_else(|| corrupt(&what("status"), format!("unknown status {:?}", raw.status)))?;
    let priority = Priority::new(raw.priority).map_err(|e| corrupt(&what("priority"), e))?;
    let timeout = Timeout::new(raw.timeout_secs, MAX_TIMEOUT_SECS)
        .map_err(|e| corrupt(&what("timeout_secs"), e))?;
    let job: JobSpec = decode_json(&what("job"), &raw.job)?;
    if job.kind() != kind {
        return Err(corrupt(
            &what("job"),
            format!(
                "a {} job in a {} execution",
                job.kind().as_str(),
                kind.as_str()
            ),
        ));
    }
    let outcome: Option<Outcome> = match raw.outcome {
        Some(text) => Some(decode_json(&what("outcome"), &text)?),
        None => None,
    };
    Ok(Execution {
        seq: raw.seq,
        kind,
        user,
        status,
        cancel_requested: raw.cancel_requested,
        priority,
        timeout,
        job,
        outcome,
        created_at: Timestamp::from_millis(raw.created_at),
        started_at: timestamp(raw.started_at),
        finished_at: timestamp(raw.finished_at),
        node: raw.node_id.map(NodeId::from_raw),
        subject: raw.subject,
        idempotency_key: raw.idempotency_key,
        id: ExecutionId::from_raw(id),
    })
}

/// A `catalog` row as a backend reads it.
pub(crate) struct RawCatalogItem {
    pub kind: String,
    pub id: String,
    pub number: i64,
    pub owner: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub next_tick: Option<i64>,
}

pub(crate) fn catalog_item(raw: RawCatalogItem) -> Result<CatalogItem, StoreError> {
    let what = |column: &str| format!("catalog {}/{}: column {column}", raw.kind, raw.id);
    Ok(CatalogItem {
        owner: UserName::parse(&raw.owner).map_err(|e| corrupt(&what("owner"), e))?,
        body: decode_json(&what("body"), &raw.body)?,
        number: raw.number,
        created_at: Timestamp::from_millis(raw.created_at),
        updated_at: Timestamp::from_millis(raw.updated_at),
        next_tick: timestamp(raw.next_tick),
        kind: raw.kind,
        id: raw.id,
    })
}
