//! One client connection from the run: hyper parses each request; CONNECT
//! becomes a tunnel, an absolute-form `http://` request is forwarded, and
//! anything else is refused with a one-line reason.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONNECTION, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use crate::counting::Counting;
use crate::dial::{dial, Refused};
use crate::{Counters, Session};

type Body = BoxBody<Bytes, hyper::Error>;

/// A slow or silent client gets this long to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// A tunnel waiting for hyper to hand over the client's connection.
type PendingTunnel = Arc<Mutex<Option<(hyper::upgrade::OnUpgrade, TcpStream)>>>;

pub(crate) async fn connection(
    stream: TcpStream,
    permit: Option<OwnedSemaphorePermit>,
    session: Arc<Session>,
    counters: Counters,
    stop: CancellationToken,
) {
    let over_limit = permit.is_none();
    let io = TokioIo::new(Counting { stream, counters });
    let pending: PendingTunnel = Arc::default();
    let service = {
        let pending = pending.clone();
        let stop = stop.clone();
        service_fn(move |request| {
            let session = session.clone();
            let pending = pending.clone();
            let stop = stop.clone();
            async move {
                let response = if over_limit {
                    refusal(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "too many connections open through this run's proxy",
                    )
                } else {
                    respond(request, &session, &pending, &stop).await
                };
                Ok::<_, Infallible>(response)
            }
        })
    };
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(!over_limit)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::select! {
        _ = served => {}
        _ = stop.cancelled() => return,
    }
    let tunnel = pending.lock().ok().and_then(|mut slot| slot.take());
    if let Some((upgrade, target)) = tunnel {
        tokio::select! {
            _ = run_tunnel(upgrade, target) => {}
            _ = stop.cancelled() => {}
        }
    }
    drop(permit);
}

async fn run_tunnel(upgrade: hyper::upgrade::OnUpgrade, mut target: TcpStream) {
    let Ok(upgraded) = upgrade.await else { return };
    let mut client = TokioIo::new(upgraded);
    let _ =
        tokio::io::copy_bidirectional_with_sizes(&mut client, &mut target, 64 * 1024, 64 * 1024)
            .await;
}

async fn respond(
    request: Request<Incoming>,
    session: &Session,
    pending: &PendingTunnel,
    stop: &CancellationToken,
) -> Response<Body> {
    if request.method() == Method::CONNECT {
        return connect(request, session, pending).await;
    }
    match request.uri().scheme_str() {
        Some("http") => forward(request, session, stop).await,
        Some("https") => refusal(
            StatusCode::BAD_REQUEST,
            "https:// URLs go through CONNECT; this client sent one as a plain request",
        ),
        Some(other) => refusal(
            StatusCode::BAD_REQUEST,
            &format!("scheme {other:?} is not proxied; use http or CONNECT"),
        ),
        None => refusal(
            StatusCode::BAD_REQUEST,
            "this is a proxy: send absolute URLs (http://host/path) or CONNECT host:port",
        ),
    }
}

async fn connect(
    request: Request<Incoming>,
    session: &Session,
    pending: &PendingTunnel,
) -> Response<Body> {
    let Some(authority) = request.uri().authority().cloned() else {
        return refusal(StatusCode::BAD_REQUEST, "CONNECT needs host:port");
    };
    let port = authority.port_u16().unwrap_or(443);
    let target = match dial(session, authority.host(), port).await {
        Ok(target) => target,
        Err(Refused { status, reason }) => return refusal(status, &reason),
    };
    if let Ok(mut slot) = pending.lock() {
        *slot = Some((hyper::upgrade::on(request), target));
    }
    Response::new(empty())
}

async fn forward(
    request: Request<Incoming>,
    session: &Session,
    stop: &CancellationToken,
) -> Response<Body> {
    let (mut parts, body) = request.into_parts();
    let Some(authority) = parts.uri.authority().cloned() else {
        return refusal(StatusCode::BAD_REQUEST, "the URL has no host");
    };
    let port = authority.port_u16().unwrap_or(80);
    let target = match dial(session, authority.host(), port).await {
        Ok(target) => target,
        Err(Refused { status, reason }) => return refusal(status, &reason),
    };
    let (mut sender, upstream) = match hyper::client::conn::http1::handshake(TokioIo::new(target))
        .await
    {
        Ok(pair) => pair,
        Err(error) => return refusal(StatusCode::BAD_GATEWAY, &format!("{authority}: {error}")),
    };
    let stop = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = upstream => {}
            _ = stop.cancelled() => {}
        }
    });
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    parts.uri = match path.parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => return refusal(StatusCode::BAD_REQUEST, "the URL's path is not valid"),
    };
    strip_hop_headers(&mut parts.headers);
    if !parts.headers.contains_key(HOST) {
        if let Ok(value) = HeaderValue::from_str(authority.as_str()) {
            parts.headers.insert(HOST, value);
        }
    }
    match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_headers(&mut parts.headers);
            Response::from_parts(parts, body.boxed())
        }
        Err(error) => refusal(StatusCode::BAD_GATEWAY, &format!("{authority}: {error}")),
    }
}

/// Headers that concern one hop, not the end-to-end message (RFC 9110 §7.6.1).
fn strip_hop_headers(headers: &mut hyper::HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in [
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authorization",
        "proxy-authenticate",
        "te",
        "trailer",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

fn empty() -> Body {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}

/// An answer from the proxy itself: the status and one line saying why.
fn refusal(status: StatusCode, reason: &str) -> Response<Body> {
    let line: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let body = Full::new(Bytes::from(format!("runbox proxy: {line}\n")))
        .map_err(|never| match never {})
        .boxed();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
