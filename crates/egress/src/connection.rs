//! One accepted connection from the run, served by hyper: each request is
//! a `CONNECT` (tunnel), an absolute-form `http://` request (forwarded) or
//! something a proxy does not do (400). A connection beyond the run's cap
//! gets one 503 and is closed.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::counting::Counting;
use crate::reply::{Body, Refused};
use crate::tunnel::{self, PendingTunnel};
use crate::{forward, Counters, Session};

/// A slow or silent client gets this long to send each request's headers
/// (an idle kept-alive connection too), so it cannot hold a connection
/// slot without using it.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection that is only told 503 gets less patience.
const REFUSED_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// What every connection of one `serve` call shares.
pub(crate) struct Shared {
    pub session: Arc<Session>,
    pub counters: Counters,
    pub stop: CancellationToken,
    /// Tasks spawned for the run (upstream connections) join the ones
    /// `serve` waits for when the run ends.
    pub tasks: TaskTracker,
}

/// Whether an accepted connection fits under the run's cap. The permit is
/// held until the connection, tunnel included, is closed.
pub(crate) enum Admission {
    Open(OwnedSemaphorePermit),
    Refused(OwnedSemaphorePermit),
}

pub(crate) async fn serve(stream: TcpStream, admission: Admission, shared: Arc<Shared>) {
    // Responses and tunnelled TLS records are written as they come; Nagle
    // would hold the small ones back.
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Counting::new(stream, shared.counters.clone()));
    match admission {
        Admission::Open(_permit) => serve_open(io, shared).await,
        Admission::Refused(_permit) => serve_refused(io, &shared.stop).await,
    }
}

async fn serve_open(io: TokioIo<Counting>, shared: Arc<Shared>) {
    // A `CONNECT` that was answered 200 leaves its target here; the tunnel
    // runs in this task once hyper hands the connection back, so it stays
    // under this connection's permit and `stop`.
    let pending = PendingTunnel::default();
    let service = {
        let shared = shared.clone();
        let pending = pending.clone();
        service_fn(move |request| {
            let shared = shared.clone();
            let pending = pending.clone();
            async move { Ok::<_, Infallible>(respond(request, &shared, &pending).await) }
        })
    };
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::select! {
        result = served => {
            if let Err(error) = result {
                tracing::debug!(%error, "proxy connection ended with an error");
            }
        }
        _ = shared.stop.cancelled() => return,
    }
    if let Some(tunnel) = pending.take() {
        tokio::select! {
            _ = tunnel.run() => {}
            _ = shared.stop.cancelled() => {}
        }
    }
}

async fn serve_refused(io: TokioIo<Counting>, stop: &CancellationToken) {
    let service = service_fn(|_request| async {
        let refused = Refused::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections open through this run's proxy; close some and retry",
        );
        Ok::<_, Infallible>(refused.into_response())
    });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSED_HEADER_TIMEOUT)
        .keep_alive(false)
        .serve_connection(io, service);
    tokio::select! {
        _ = served => {}
        _ = stop.cancelled() => {}
    }
}

async fn respond(
    request: Request<Incoming>,
    shared: &Shared,
    pending: &PendingTunnel,
) -> Response<Body> {
    let answer = if request.method() == Method::CONNECT {
        tunnel::open(request, &shared.session, pending).await
    } else {
        match request.uri().scheme_str() {
            Some("http") => forward::forward(request, shared).await,
            Some("https") => Err(Refused::new(
                StatusCode::BAD_REQUEST,
                "https:// URLs go through CONNECT; this client sent one as a plain request",
            )),
            Some(other) => Err(Refused::new(
                StatusCode::BAD_REQUEST,
                format!("scheme {other}:// is not proxied; only http:// and CONNECT are"),
            )),
            None => Err(Refused::new(
                StatusCode::BAD_REQUEST,
                "this is a proxy: send an absolute URL (GET http://host/path) or CONNECT host:port",
            )),
        }
    };
    answer.unwrap_or_else(Refused::into_response)
}
