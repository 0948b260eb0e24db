//! The shared PostgreSQL store: connecting (one pool per node), migrations,
//! the advisory-lock keys, and the [`Store`] trait itself. The other traits
//! live in the sibling modules; the LISTEN side of events in `listener.rs`.
//!
//! Several nodes share one database, so every rule the SQLite store gets from
//! its single writer connection is made to hold across nodes here:
//!
//! - **Enqueue** takes a transaction-scoped advisory lock (one key per
//!   schema) before it looks up the idempotency key and counts queued rows,
//!   then inserts. Enqueues are therefore serialized: the count always sees
//!   every earlier enqueue (the lock is released only after commit), so
//!   `max_queue_length` holds across nodes, and a concurrent duplicate
//!   idempotency key finds the first execution instead of racing it. The
//!   unique index on `(user_name, idempotency_key)` is the backstop.
//! - **Claim** takes another advisory lock (the claim key) and then runs one
//!   `UPDATE … WHERE seq = (SELECT … FOR NO KEY UPDATE SKIP LOCKED)` that
//!   picks the best queued row among users below their limit. Only a claim
//!   turns an execution `running`, and claims are serialized by the lock, so
//!   the per-user count each claim reads (a fresh snapshot taken after the
//!   lock was granted, hence after the previous claim committed) is exact or,
//!   with a finish in flight, too high: the limit can never be overshot, not
//!   even by two nodes claiming a user's 5th and 6th at once. The row lock
//!   with `SKIP LOCKED` keeps a claim from waiting on a row a cancel is
//!   changing, and the re-checked `status = 'queued'` means no row is ever
//!   handed out twice. (`NO KEY UPDATE` is the lock an `UPDATE` takes
//!   anyway; unlike `FOR UPDATE` it does not conflict with the key-share
//!   lock an output insert holds on its execution through the foreign key.)
//!   Claims are short single statements, so serializing them costs little
//!   next to the runs they start.
//! - **Everything else** is a single conditional statement (finish only from
//!   running, cancel, orphans, leases, schedule ticks, webhook holds with
//!   `SKIP LOCKED`) whose row locks and READ COMMITTED re-check make exactly
//!   one of several concurrent callers win; output appends take a per-
//!   execution advisory lock so sequence numbers stay gapless.
//!
//! No transaction outlives the call that opened it. Events are sent with
//! `pg_notify` inside the changing transaction, so they exist only if it
//! commits; see `listener.rs` for how they come back to every node.

mod catalog;
mod enqueue;
mod executions;
mod keys;
mod listener;
mod output;
mod query;
mod rows;
mod webhooks;
mod wire;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};
use tokio::sync::{broadcast, oneshot};

use crate::{DatabaseInfo, Store, StoreError, StoreEvent};

use listener::{Delivery, Hub};

/// Connections each node keeps to the database (the listener has its own).
const POOL_SIZE: u32 = 10;
/// How long a call waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections above zero are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// A safety net: the server ends a session left idle inside a transaction.
/// runbox never does that on purpose; every transaction is one short call.
const IDLE_IN_TRANSACTION: &str = "60s";

/// Advisory-lock keys, derived from the schema so that two runbox
/// installations in different schemas of one database never contend.
#[derive(Clone, Copy, Debug)]
struct LockKeys {
    /// Serializes enqueues (the queue-length count and idempotency keys).
    enqueue: i64,
    /// Serializes claims (the per-user running count).
    claim: i64,
    /// First half of the two-key lock that serializes appends to one
    /// execution's output (the second half is a hash of its id).
    output: i32,
}

impl LockKeys {
    fn for_schema(schema: &str) -> Self {
        let key = |purpose: &str| fnv1a(format!("runbox:{schema}:{purpose}").as_bytes());
        Self {
            enqueue: key("enqueue") as i64,
            claim: key("claim") as i64,
            output: key("output") as i32,
        }
    }
}

/// FNV-1a: a small, stable hash, identical on every node and every version.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The NOTIFY channel: `runbox_events` in the default schema, and one of its
/// own for any other schema (channels are per database, not per schema).
fn channel_for(schema: &str) -> String {
    if schema == "public" {
        return "runbox_events".to_owned();
    }
    let named = format!("runbox_events:{schema}");
    // Channel names are identifiers: at most 63 bytes.
    if named.len() <= 63 {
        named
    } else {
        format!("runbox_events:{:016x}", fnv1a(schema.as_bytes()))
    }
}

/// PostgreSQL refuses NUL in text; such a value can match nothing stored.
pub(super) fn unstorable(text: &str) -> bool {
    text.contains('\0')
}

pub(crate) struct PgStore {
    pool: PgPool,
    hub: Arc<Hub>,
    locks: LockKeys,
    /// Dropping the store drops this, which stops the listener task.
    _stop_listener: oneshot::Sender<()>,
}

impl PgStore {
    /// Connects to `url`, applies pending migrations (sqlx holds an advisory
    /// lock meanwhile, so nodes starting together are safe) and starts
    /// listening for events before returning.
    pub(crate) async fn open(url: &str) -> Result<PgStore, StoreError> {
        let options = connect_options(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(Some(IDLE_TIMEOUT))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;

        let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await?;
        let schema = schema.ok_or_else(|| {
            StoreError::Unsupported("the PostgreSQL search_path names no existing schema".into())
        })?;

        let hub = Hub::new(channel_for(&schema));
        let stop = listener::start(&options, pool.clone(), hub.clone()).await?;
        tracing::debug!(%schema, channel = %hub.channel, "opened PostgreSQL store");
        Ok(PgStore {
            pool,
            hub,
            locks: LockKeys::for_schema(&schema),
            _stop_listener: stop,
        })
    }

    async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Waits, inside the current transaction, until no other transaction
    /// holds the advisory lock `key`; it is released at commit or rollback.
    async fn xact_lock(conn: &mut PgConnection, key: i64) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Sends `events` with NOTIFY inside the transaction on `conn`: every
    /// node, this one included, hears them once (and only if) it commits.
    /// Wait on the returned [`Delivery`] after committing.
    async fn announce(
        &self,
        conn: &mut PgConnection,
        events: Vec<StoreEvent>,
    ) -> Result<Delivery, StoreError> {
        self.hub.announce(conn, events).await
    }
}

/// The URL's options plus runbox's defaults (each only when not already set).
fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let mut options = PgConnectOptions::from_str(url)?;
    if options.get_application_name().is_none() {
        options = options.application_name("runbox");
    }
    let has_idle_timeout = options
        .get_options()
        .is_some_and(|o| o.contains("idle_in_transaction_session_timeout"));
    if !has_idle_timeout {
        options = options.options([("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION)]);
    }
    Ok(options)
}

#[async_trait::async_trait]
impl Store for PgStore {
    fn events(&self) -> broadcast::Receiver<StoreEvent> {
        self.hub.subscribe()
    }

    async fn ping(&self) -> Result<DatabaseInfo, StoreError> {
        let setting: String = sqlx::query_scalar("SELECT current_setting('server_version')")
            .fetch_one(&self.pool)
            .await?;
        // `15.19 (Debian 15.19-0+deb12u1)` → `15.19`.
        let version = setting
            .split_whitespace()
            .next()
            .unwrap_or(&setting)
            .to_owned();
        Ok(DatabaseInfo {
            backend: "postgres",
            version,
        })
    }

    fn is_shared(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_fit_identifiers() {
        assert_eq!(channel_for("public"), "runbox_events");
        assert_eq!(channel_for("t_ab12"), "runbox_events:t_ab12");
        let long = channel_for(&"s".repeat(63));
        assert!(long.len() <= 63, "{long}");
        assert!(long.starts_with("runbox_events:"));
    }

    #[test]
    fn lock_keys_differ_by_schema_and_purpose() {
        let a = LockKeys::for_schema("a");
        let b = LockKeys::for_schema("b");
        assert_ne!(a.enqueue, a.claim);
        assert_ne!(a.enqueue, b.enqueue);
        assert_ne!(a.claim, b.claim);
    }

    #[test]
    fn options_keep_what_the_url_sets() {
        let o = connect_options("postgres://u@h/db?options=-c%20search_path%3Dt_x").unwrap();
        let text = o.get_options().unwrap();
        assert!(text.contains("search_path=t_x"), "{text}");
        assert!(
            text.contains("idle_in_transaction_session_timeout=60s"),
            "{text}"
        );
        assert_eq!(o.get_application_name(), Some("runbox"));
        let o = connect_options("postgres://u@h/db?application_name=mine").unwrap();
        assert_eq!(o.get_application_name(), Some("mine"));
    }
}
