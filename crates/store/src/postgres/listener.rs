//! Events across nodes: LISTEN/NOTIFY.
//!
//! A state change sends its [`StoreEvent`]s with `pg_notify` inside its own
//! transaction, so PostgreSQL delivers them to every listening session, in
//! commit order, only if it commits. Each store instance keeps one dedicated
//! connection that LISTENs on the schema's channel (`runbox_events` in the
//! default schema) and turns every notification back into a `StoreEvent` on
//! the instance's broadcast channel, which is what [`crate::Store::events`]
//! subscribes to. Nothing is published locally, so each event arrives once,
//! on every node alike, this one included.
//!
//! Payloads are a small JSON object (see `wire.rs`: ids, status, flags,
//! node), far below PostgreSQL's 8000-byte limit, tagged with the sending
//! instance and a number. The sender waits
//! (briefly, after commit) until its own listener has published the event,
//! so that — as with SQLite — a caller that subscribed before a change finds
//! its event on the channel once the call returns.
//!
//! When the listening connection is lost (or stays silent and fails a
//! keep-alive query), the task reconnects with exponential backoff.
//! Notifications sent meanwhile are lost, and a broadcast sender cannot make
//! subscribers lag, so after reconnecting the task re-announces what cannot
//! be recovered by polling: a `CancelRequested` for every running execution
//! whose cancel was requested (its node must still kill it) and one
//! `Enqueued` for the head of the queue (to wake idle claimers). Everything
//! else is covered by the consumers' own polling: claim loops, webhook
//! dispatchers, `wait_for_end` and output streams all re-read state at least
//! every poll interval or second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use runbox_domain::{ExecutionId, NodeId};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{Executor, PgConnection, Row};
use tokio::sync::{broadcast, oneshot};

use super::wire::Wire;
use crate::{StoreError, StoreEvent};

/// How many events a slow subscriber may fall behind before it lags.
const EVENT_CAPACITY: usize = 4096;
/// How long a change waits for its own notification to come back.
const DELIVERY_WAIT: Duration = Duration::from_secs(2);
/// A listener that heard nothing for this long checks its connection.
const KEEPALIVE: Duration = Duration::from_secs(30);
/// How long that check may take before the connection counts as lost.
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// Senders waiting for their own notifications, while the listener is up.
#[derive(Default)]
struct Waiting {
    connected: bool,
    senders: HashMap<u64, oneshot::Sender<()>>,
}

/// What the store methods and the listener task share.
pub(super) struct Hub {
    pub(super) channel: String,
    origin: String,
    events: broadcast::Sender<StoreEvent>,
    next: AtomicU64,
    waiting: Mutex<Waiting>,
}

impl Hub {
    pub(super) fn new(channel: String) -> Arc<Hub> {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        Arc::new(Hub {
            channel,
            origin: uuid::Uuid::new_v4().simple().to_string(),
            events,
            next: AtomicU64::new(1),
            waiting: Mutex::new(Waiting::default()),
        })
    }

    pub(super) fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    fn waiting(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_connected(&self, connected: bool) {
        let mut waiting = self.waiting();
        waiting.connected = connected;
        if !connected {
            // Their notifications may never come back: release the senders.
            waiting.senders.clear();
        }
    }

    /// Sends `events` on `conn`'s transaction; see [`super::PgStore::announce`].
    pub(super) async fn announce(
        self: &Arc<Self>,
        conn: &mut PgConnection,
        events: Vec<StoreEvent>,
    ) -> Result<Delivery, StoreError> {
        let mut delivery = Delivery {
            hub: self.clone(),
            pending: Vec::with_capacity(events.len()),
        };
        for event in events {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            let wire = Wire {
                o: self.origin.clone(),
                k,
                event: event.into(),
            };
            let payload = serde_json::to_string(&wire)
                .map_err(|e| StoreError::Corrupt(format!("cannot encode an event: {e}")))?;
            {
                let mut waiting = self.waiting();
                if waiting.connected {
                    let (tx, rx) = oneshot::channel();
                    waiting.senders.insert(k, tx);
                    delivery.pending.push((k, rx));
                }
            }
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(&self.channel)
                .bind(&payload)
                .execute(&mut *conn)
                .await?;
        }
        Ok(delivery)
    }

    /// Publishes one notification and releases its sender if it was ours.
    fn deliver(&self, payload: &str) {
        let wire: Wire = match serde_json::from_str(payload) {
            Ok(wire) => wire,
            Err(error) => {
                tracing::warn!(%error, payload, "ignoring an unreadable store event");
                return;
            }
        };
        // Publish first: when the sender wakes up, the event is there.
        let _ = self.events.send(wire.event.into());
        if wire.o == self.origin {
            if let Some(tx) = self.waiting().senders.remove(&wire.k) {
                let _ = tx.send(());
            }
        }
    }

    fn publish(&self, event: StoreEvent) {
        let _ = self.events.send(event);
    }
}

/// The notifications of one committed change, on their way back.
pub(super) struct Delivery {
    hub: Arc<Hub>,
    pending: Vec<(u64, oneshot::Receiver<()>)>,
}

impl Delivery {
    /// Returns once this node's listener has published every event of the
    /// change, or after a short while if it does not (connection trouble).
    pub(super) async fn wait(mut self) {
        let deadline = tokio::time::Instant::now() + DELIVERY_WAIT;
        for (_, rx) in &mut self.pending {
            if tokio::time::timeout_at(deadline, rx).await.is_err() {
                tracing::debug!("a store event was not heard back in time");
                return;
            }
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut waiting = self.hub.waiting();
        for (k, _) in &self.pending {
            waiting.senders.remove(k);
        }
    }
}

/// Connects the listener and spawns its task. Dropping the returned sender
/// stops the task.
pub(super) async fn start(
    options: &PgConnectOptions,
    pool: PgPool,
    hub: Arc<Hub>,
) -> Result<oneshot::Sender<()>, StoreError> {
    let options = options.clone().application_name("runbox-listener");
    let listener = listen(&options, &hub.channel).await?;
    hub.set_connected(true);
    let (stop_tx, stop_rx) = oneshot::channel();
    tokio::spawn(run(listener, options, pool, hub, stop_rx));
    Ok(stop_tx)
}

/// A listener on a connection of its own. Each (re)connection gets a fresh
/// one-connection pool: a lost connection may hang while the old listener
/// is dropped, and must not keep the new one from connecting.
async fn listen(options: &PgConnectOptions, channel: &str) -> Result<PgListener, sqlx::Error> {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(super::ACQUIRE_TIMEOUT)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&own).await?;
    // Reconnecting is ours to do, so that we can catch up afterwards.
    listener.eager_reconnect(false);
    listener.ignore_pool_close_event(true);
    listener.listen(channel).await?;
    Ok(listener)
}

async fn run(
    mut listener: PgListener,
    options: PgConnectOptions,
    pool: PgPool,
    hub: Arc<Hub>,
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let lost = tokio::select! {
            _ = &mut stop => return,
            received = tokio::time::timeout(KEEPALIVE, listener.try_recv()) => match received {
                Ok(Ok(Some(notification))) => {
                    hub.deliver(notification.payload());
                    continue;
                }
                Ok(Ok(None)) => "the connection was closed".to_owned(),
                Ok(Err(error)) => error.to_string(),
                // Quiet for a while: make sure the connection is still there.
                Err(_) => match keepalive(&mut listener).await {
                    Ok(()) => continue,
                    Err(error) => error,
                },
            },
        };
        hub.set_connected(false);
        tracing::warn!(
            error = %lost,
            channel = %hub.channel,
            "lost the store event listener; reconnecting"
        );
        drop(listener);

        let mut backoff = BACKOFF_FIRST;
        listener = loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            match listen(&options, &hub.channel).await {
                Ok(listener) => break listener,
                Err(error) => {
                    tracing::warn!(
                        %error,
                        retry_in = ?backoff,
                        "cannot reconnect the store event listener"
                    );
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        };
        hub.set_connected(true);
        tracing::info!(channel = %hub.channel, "store event listener reconnected");
        if let Err(error) = catch_up(&pool, &hub).await {
            tracing::warn!(%error, "could not re-announce state after reconnecting");
        }
    }
}

/// Checks that a quiet listening connection still answers.
async fn keepalive(listener: &mut PgListener) -> Result<(), String> {
    match tokio::time::timeout(KEEPALIVE_TIMEOUT, listener.execute("SELECT 1")).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("the keep-alive query timed out".to_owned()),
    }
}

/// Re-announces what subscribers cannot find by polling (see the module doc).
async fn catch_up(pool: &PgPool, hub: &Hub) -> Result<(), sqlx::Error> {
    let flagged = sqlx::query(
        "SELECT id, node_id FROM executions \
         WHERE status = 'running' AND cancel_requested ORDER BY seq",
    )
    .fetch_all(pool)
    .await?;
    for row in &flagged {
        let id: String = row.try_get("id")?;
        let node: Option<String> = row.try_get("node_id")?;
        hub.publish(StoreEvent::CancelRequested {
            id: ExecutionId::from_raw(id),
            node: node.map(NodeId::from_raw),
        });
    }
    let head: Option<String> = sqlx::query_scalar(
        "SELECT id FROM executions WHERE status = 'queued' ORDER BY priority DESC, seq LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    if let Some(id) = head {
        hub.publish(StoreEvent::Enqueued {
            id: ExecutionId::from_raw(id),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivery_publishes_and_releases_the_sender() {
        let hub = Hub::new("c".into());
        let mut rx = hub.subscribe();
        hub.set_connected(true);
        let (tx, wait) = oneshot::channel();
        hub.waiting().senders.insert(3, tx);
        let payload = format!(
            r#"{{"o":"{}","k":3,"t":"output","id":"e","seq":2}}"#,
            hub.origin
        );
        hub.deliver(&payload);
        assert_eq!(
            rx.try_recv().unwrap(),
            StoreEvent::Output {
                id: ExecutionId::from_raw("e"),
                seq: 2
            }
        );
        assert!(wait.await.is_ok());
        // Garbage is ignored; someone else's events are published too.
        hub.deliver("not json");
        hub.deliver(r#"{"o":"other","k":3,"t":"enqueued","id":"x"}"#);
        assert_eq!(
            rx.try_recv().unwrap(),
            StoreEvent::Enqueued {
                id: ExecutionId::from_raw("x")
            }
        );
        assert!(rx.try_recv().is_err());
    }
}
