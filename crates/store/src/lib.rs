//! Durable state: API keys, executions (the queue), their live output and the
//! webhook outbox. This crate is the only place that knows SQL.
//!
//! Callers hold an `Arc<dyn Store>` and never learn which database is behind
//! it. [`open`] picks the implementation from the database URL: SQLite (the
//! embedded default, one node) or PostgreSQL (several nodes).
//!
//! Architecture invariant: every state change of an execution goes through a
//! method here, in one transaction, and is announced on [`Store::events`]
//! only after it committed.

mod catalog;
mod decode;
mod error;
mod events;
mod executions;
mod keys;
mod postgres;
mod sqlite;
mod webhooks;

use std::sync::Arc;

pub use catalog::{CatalogItem, CatalogStore, NewCatalogItem};
pub use error::StoreError;
pub use events::StoreEvent;
pub use executions::{
    CancelOutcome, ClaimRequest, EnqueueError, Enqueued, ExecutionFilter, ExecutionStore,
    OutputChunk, OutputStream, QueueCounts,
};
pub use keys::{ApiKeyRecord, KeyStore};
pub use webhooks::{WebhookDelivery, WebhookStore};

/// Facts about the database for health checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseInfo {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The engine's own version string (`3.45.1`, `15.19`).
    pub version: String,
}

/// Everything runbox keeps. One trait object per process.
#[async_trait::async_trait]
pub trait Store:
    KeyStore + ExecutionStore + WebhookStore + CatalogStore + Send + Sync + 'static
{
    /// Subscribes to committed changes. A receiver that lags loses events
    /// (and is told so); listeners must re-read state after a lag.
    fn events(&self) -> tokio::sync::broadcast::Receiver<StoreEvent>;

    /// Checks the database answers; used by `/admin/health`.
    async fn ping(&self) -> Result<DatabaseInfo, StoreError>;

    /// True when several nodes may share this database (PostgreSQL).
    fn is_shared(&self) -> bool;
}

/// Opens (creating and migrating if needed) the store behind `url`:
/// The version of the SQLite library runbox is built with (what a SQLite
/// store reports as its database version), asked once of an in-memory
/// database.
pub async fn sqlite_library_version() -> Option<String> {
    static VERSION: tokio::sync::OnceCell<Option<String>> = tokio::sync::OnceCell::const_new();
    VERSION
        .get_or_init(|| async {
            use sqlx::Connection;
            let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
                .await
                .ok()?;
            sqlx::query_scalar::<_, String>("select sqlite_version()")
                .fetch_one(&mut conn)
                .await
                .ok()
        })
        .await
        .clone()
}

/// `sqlite://PATH` or `postgres://…` / `postgresql://…` (any libpq-style URL
/// sqlx accepts, e.g. `?options=-c%20search_path%3Dmyschema` to use a schema
/// other than `public`; the schema must exist).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let store = sqlite::SqliteStore::open(std::path::Path::new(path)).await?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = postgres::PgStore::open(url).await?;
        Ok(Arc::new(store))
    } else {
        Err(StoreError::Unsupported(format!(
            "database URL must start with sqlite:// or postgres://, got {url:?}"
        )))
    }
}
