//! The contract suite on PostgreSQL, each test in a fresh schema of the
//! database at `RUNBOX_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped afterwards; plus, in
//! `nodes`, what only several nodes can show: two store instances (two
//! pools, two listeners) on one schema.
//!
//! Without a reachable PostgreSQL these tests print a loud warning and pass,
//! unless `CI` is `true` or `1`: then they fail.

mod nodes;

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use crate::contract::*;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub fn database_url() -> String {
    std::env::var("RUNBOX_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

async fn connect(url: &str) -> Result<PgConnection, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A schema of its own for one test; dropped (with everything in it) when
/// the guard is.
pub struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// Creates an empty schema, or returns `None` after a loud warning when
    /// PostgreSQL cannot be reached (panics instead under CI).
    pub async fn create() -> Option<Schema> {
        let url = database_url();
        let mut conn = match connect(&url).await {
            Ok(conn) => conn,
            Err(error) => {
                if in_ci() {
                    panic!(
                        "PostgreSQL at {url} is unreachable: {error}. CI is set, so the \
                         PostgreSQL store tests fail instead of being skipped."
                    );
                }
                // Once per run, and straight to the process's stderr: the
                // test harness would swallow `eprintln!` of a passing test.
                static WARNED: std::sync::Once = std::sync::Once::new();
                WARNED.call_once(|| {
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "\n!!! SKIPPING PostgreSQL store tests: PostgreSQL at {url} is \
                         unreachable ({error}). Start it or set RUNBOX_TEST_DATABASE_URL; \
                         with CI=true these tests fail instead. !!!\n"
                    );
                });
                return None;
            }
        };
        let name = format!("t_{}", &ExecutionId::new_hex32().as_str()[..16]);
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let _ = conn.close().await;
        Some(Schema { url, name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database URL with this schema as the whole search path.
    pub fn store_url(&self) -> String {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.url, self.name
        )
    }

    /// A store instance (a "node") on this schema.
    pub async fn open(&self) -> Arc<dyn Store> {
        runbox_store::open(&self.store_url()).await.unwrap()
    }

    /// A plain connection to the database, for inspecting it.
    pub async fn admin(&self) -> PgConnection {
        connect(&self.url).await.unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let url = self.url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // clean up from a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let dropped = async {
                    let mut conn = connect(&url).await?;
                    sqlx::query("SET lock_timeout = '10s'")
                        .execute(&mut conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .execute(&mut conn)
                        .await
                        .map_err(|e| e.to_string())?;
                    let _ = conn.close().await;
                    Ok::<_, String>(())
                };
                if let Err(error) = dropped.await {
                    eprintln!("could not drop test schema {name}: {error}");
                }
            });
        });
        let _ = cleanup.join();
    }
}

pub async fn fresh() -> Option<(Schema, Arc<dyn Store>)> {
    let schema = Schema::create().await?;
    let store = schema.open().await;
    Some((schema, store))
}

contract_suite!(fresh);

#[tokio::test]
async fn reports_postgres_and_accepts_both_schemes() {
    let Some((schema, store)) = fresh().await else {
        return;
    };
    let info = store.ping().await.unwrap();
    assert_eq!(info.backend, "postgres");
    assert!(
        info.version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
            && !info.version.contains(' '),
        "{}",
        info.version
    );
    assert!(store.is_shared());

    // `postgresql://` is the same thing; migrating again is a no-op.
    let url = schema.store_url();
    let other = runbox_store::open(&url.replacen("postgres://", "postgresql://", 1))
        .await
        .unwrap();
    let e = new_exec("alice", 50, python("x"));
    enqueue(&store, &e, at(0)).await;
    assert_eq!(
        other.get_execution(&e.id).await.unwrap().map(|x| x.id),
        Some(e.id)
    );
}

#[tokio::test]
async fn unreachable_database_is_an_error() {
    // Nothing listens on port 1.
    let result = runbox_store::open("postgres://postgres@127.0.0.1:1/test").await;
    assert!(
        matches!(result, Err(StoreError::Database(_))),
        "{:?}",
        result.err()
    );
}

/// Other tests run meanwhile, so only a transaction idle for a while counts.
#[tokio::test]
async fn no_transaction_is_left_open() {
    let Some((schema, store)) = fresh().await else {
        return;
    };
    crate::contract::cancel(store.clone()).await;
    crate::contract::webhooks(store.clone()).await;
    let mut admin = schema.admin().await;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name LIKE 'runbox%' \
         AND state LIKE 'idle in transaction%' AND state_change < now() - interval '2 seconds'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(open, 0);
}
