//! runbox's filtering forward proxy: the only way out of a sandboxed run
//! that was given network (contract section 11).
//!
//! Each such run gets a listener inside its own network namespace (made by
//! the sandbox); [`serve`] answers it for the run's lifetime. It speaks
//! HTTP/1.1 through hyper: `CONNECT host:port` tunnels (HTTPS) and
//! absolute-form plain HTTP requests, which it forwards. Every connection is
//! checked against the run's [`Session`]: its destination list first, then
//! — after the proxy resolved the name itself — the SSRF rules on each
//! address, and the proxy connects to exactly an address it checked, so a
//! name that resolves elsewhere the second time (DNS rebinding) gains
//! nothing. Refusals are HTTP answers with a one-line reason.
//!
//! Bytes are counted on the run's side of every connection ([`Counters`]).
//! A hostile run is bounded: a cap on open connections, a deadline on
//! request headers and on connecting, and everything closed when the run
//! ends.
//!
//! - `session`: [`Session`], [`Counters`], [`Usage`];
//! - `counting`: the byte-counting stream wrapper;
//! - `dial`: resolution, checks and connecting;
//! - `handle`: one client connection: CONNECT, forwarding, refusals.

mod counting;
mod dial;
mod handle;
mod session;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use session::{Counters, Session, Usage};

/// How long connections get to close once the run has ended.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Serves `listener` until `stop` is cancelled; then closes every
/// connection it opened and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    session: Arc<Session>,
    counters: Counters,
    stop: CancellationToken,
) {
    let open = Arc::new(Semaphore::new(session.max_connections.max(1)));
    let tasks = TaskTracker::new();
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
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let permit = open.clone().try_acquire_owned().ok();
        tasks.spawn(handle::connection(
            stream,
            permit,
            session.clone(),
            counters.clone(),
            stop.clone(),
        ));
    }
    drop(listener);
    tasks.close();
    let _ = tokio::time::timeout(CLOSE_GRACE, tasks.wait()).await;
}
