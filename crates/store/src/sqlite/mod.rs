//! The embedded SQLite store: opening the file (permissions, pragmas), the
//! two connection pools, migrations, the in-process event channel and the
//! [`Store`] trait itself. The other traits live in the sibling modules.
//!
//! All writes go through a pool of exactly one connection, so write
//! transactions in this process are serialized and never meet SQLITE_BUSY on
//! a lock upgrade; plain reads use a separate small pool and, thanks to WAL,
//! never wait for the writer.

mod catalog;
mod executions;
mod keys;
mod output;
mod query;
mod rows;
mod webhooks;

use std::fs::{OpenOptions, Permissions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::broadcast;

use crate::{DatabaseInfo, Store, StoreError, StoreEvent};

/// How many events a slow subscriber may fall behind before it lags.
const EVENT_CAPACITY: usize = 4096;
/// Connections for plain reads.
const READERS: u32 = 4;
/// Page cache of each connection, KiB.
const CACHE_KIB: u32 = 512;
/// How long a statement waits for another process's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The database file holds key hashes and job data: owner only.
const FILE_MODE: u32 = 0o600;

pub(crate) struct SqliteStore {
    /// Exactly one connection: every write and read-modify-write goes here.
    writer: SqlitePool,
    /// A few connections for reads that need no transaction with a write.
    reader: SqlitePool,
    events: broadcast::Sender<StoreEvent>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file (mode 0600) and its
    /// parent directory if needed, and applies pending migrations.
    pub(crate) async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        // Create the file ourselves so it never exists with looser permissions,
        // then force the mode whatever the umask was (or the file had).
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(FILE_MODE)
            .open(path)?;
        std::fs::set_permissions(path, Permissions::from_mode(FILE_MODE))?;

        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // Each connection's page cache: SQLite's default (2 MiB) makes
            // the server's memory creep up for minutes as the file grows;
            // the hot pages are in the kernel's cache anyway.
            .pragma("cache_size", format!("-{CACHE_KIB}"));

        let writer = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone().journal_mode(SqliteJournalMode::Wal))
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;

        // WAL is a property of the file now; readers need not set it again.
        let reader = SqlitePoolOptions::new()
            .min_connections(0)
            .max_connections(READERS)
            .connect_with(options)
            .await?;

        // SQLite gives its -wal and -shm files the main file's mode; make
        // sure of it for files left by an older run too.
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = Path::new(&side);
            if side.exists() {
                std::fs::set_permissions(side, Permissions::from_mode(FILE_MODE))?;
            }
        }

        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        tracing::debug!(path = %path.display(), "opened SQLite store");
        Ok(SqliteStore {
            writer,
            reader,
            events,
        })
    }

    /// Starts a write transaction holding the write lock from the start, so
    /// it cannot fail half-way on a lock upgrade.
    async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Announces a committed change. Having no subscriber is fine.
    fn publish(&self, event: StoreEvent) {
        let _ = self.events.send(event);
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn events(&self) -> broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    async fn ping(&self) -> Result<DatabaseInfo, StoreError> {
        // Reading the schema touches the file, so a broken one is noticed.
        let version: String = sqlx::query_scalar(
            "SELECT sqlite_version() WHERE (SELECT count(*) FROM sqlite_schema) >= 0",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(DatabaseInfo {
            backend: "sqlite",
            version,
        })
    }

    fn is_shared(&self) -> bool {
        false
    }
}
