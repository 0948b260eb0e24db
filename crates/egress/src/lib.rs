//! runbox's filtering forward proxy: the only way out of a sandboxed run
//! that was given network (contract section 11).
//!
//! Each such run gets a listener inside its own network namespace (made by
//! the sandbox); [`serve`] answers it for the run's lifetime. It speaks
//! HTTP/1.1 through hyper: `CONNECT host:port` tunnels (HTTPS) and
//! absolute-form plain HTTP requests, which it forwards. Every destination
//! is checked against the run's [`Session`]: its destination list first,
//! then — after the proxy resolved the name itself — the SSRF rules on each
//! address. The proxy connects to exactly an address it checked, so a name
//! that resolves elsewhere the second time (DNS rebinding) gains nothing.
//! Refusals are HTTP answers with a one-line reason, because that is what
//! `curl`, `pip` and `requests` show their user.
//!
//! Bytes are counted on the run's side of every connection ([`Counters`]).
//! The run is untrusted, so it is bounded: a cap on open connections, a
//! deadline on request headers and on connecting, and everything closed
//! when the run ends. Nothing a run sends can panic or block the server.
//!
//! Layout:
//! - `session`: [`Session`], [`Counters`], [`Usage`];
//! - `counting`: the byte-counting wrapper around each accepted stream;
//! - `connection`: one accepted connection, served by hyper, and the
//!   dispatch of each request;
//! - `dial`: from `host:port` to a connected socket: list, resolution,
//!   SSRF rules, connect;
//! - `tunnel`: `CONNECT`;
//! - `forward`: absolute-form `http://` requests;
//! - `reply`: the proxy's own answers (refusals).

mod connection;
mod counting;
mod dial;
mod forward;
mod reply;
mod session;
mod tunnel;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use connection::{Admission, Shared};
pub use session::{Counters, Permits, Session, Usage};

/// Connections beyond `max_connections` that are still answered 503 at
/// once; past this, a flooding run's connections are closed unanswered, so
/// a flood costs the server no more than this many extra sockets.
const REFUSED_AT_ONCE: usize = 32;

/// How long connections get to close once the run has ended. They stop at
/// once on `stop`; this only bounds a task that is slow to notice.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Serves `listener` until `stop` is cancelled; then closes every
/// connection it opened and returns.
pub async fn serve(
    listener: TcpListener,
    session: Arc<Session>,
    counters: Counters,
    stop: CancellationToken,
) {
    let open = Arc::new(Semaphore::new(
        session.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let refusing = Arc::new(Semaphore::new(REFUSED_AT_ONCE));
    let tasks = TaskTracker::new();
    let shared = Arc::new(Shared {
        session,
        counters,
        stop: stop.clone(),
        tasks: tasks.clone(),
    });
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of descriptors, say: wait a little rather than spin.
                tracing::debug!(%error, "proxy accept failed");
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(50)) => continue,
                }
            }
        };
        let admission = if let Ok(permit) = open.clone().try_acquire_owned() {
            Admission::Open(permit)
        } else if let Ok(permit) = refusing.clone().try_acquire_owned() {
            Admission::Refused(permit)
        } else {
            tracing::debug!("proxy flooded; closing a connection unanswered");
            continue;
        };
        tasks.spawn(connection::serve(stream, admission, shared.clone()));
    }
    drop(listener);
    tasks.close();
    if tokio::time::timeout(CLOSE_GRACE, tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("proxy connections still open after the run ended");
    }
}
