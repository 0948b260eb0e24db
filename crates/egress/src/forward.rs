//! Absolute-form plain HTTP (`GET http://host/path`): check and connect,
//! then send the request on in origin form over a fresh upstream
//! connection and stream the response back. Bodies are never buffered, so
//! a large download costs no memory.

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONNECTION, HOST};
use hyper::http::uri::{Authority, PathAndQuery};
use hyper::{HeaderMap, Request, Response, StatusCode, Uri};
use hyper_util::rt::TokioIo;

use crate::connection::Shared;
use crate::dial::dial;
use crate::reply::{Body, Refused};

/// Headers that concern one hop, not the end-to-end message (RFC 9110
/// §7.6.1), plus the proxy's own credentials, which must not travel on to
/// the destination. hyper frames bodies itself from the length it knows.
const HOP_BY_HOP: [HeaderName; 9] = [
    CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    hyper::header::PROXY_AUTHORIZATION,
    hyper::header::PROXY_AUTHENTICATE,
    hyper::header::TE,
    hyper::header::TRAILER,
    hyper::header::TRANSFER_ENCODING,
    hyper::header::UPGRADE,
];

pub(crate) async fn forward(
    request: Request<Incoming>,
    shared: &Shared,
) -> Result<Response<Body>, Refused> {
    let (mut parts, body) = request.into_parts();
    let Some(authority) = parts.uri.authority().cloned() else {
        return Err(Refused::new(StatusCode::BAD_REQUEST, "the URL has no host"));
    };
    let port = authority.port_u16().unwrap_or(80);
    let target = dial(&shared.session, authority.host(), port).await?;
    let shown = format!("{}:{port}", authority.host());
    let (mut sender, upstream) = hyper::client::conn::http1::handshake(TokioIo::new(target))
        .await
        .map_err(|error| Refused::new(StatusCode::BAD_GATEWAY, format!("{shown}: {error}")))?;
    let stop = shared.stop.clone();
    shared.tasks.spawn(async move {
        tokio::select! {
            _ = upstream => {}
            _ = stop.cancelled() => {}
        }
    });

    parts.uri = origin_form(&parts.uri);
    strip_hop_by_hop(&mut parts.headers);
    // RFC 9112 §3.2.2: the target's host replaces any Host the client
    // sent. Keeping the client's would let a run reach any site behind a
    // shared front end (a CDN) that hosts one listed name.
    if let Some(host) = host_header(&authority) {
        parts.headers.insert(HOST, host);
    }

    let response = sender
        .send_request(Request::from_parts(parts, body))
        .await
        .map_err(|error| {
            Refused::new(
                StatusCode::BAD_GATEWAY,
                format!("{shown} did not answer: {error}"),
            )
        })?;
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Ok(Response::from_parts(parts, body.boxed()))
}

/// `/path?query` of an absolute URL; `/` when it has none.
fn origin_form(uri: &Uri) -> Uri {
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    Uri::from(path)
}

/// `host[:port]` of the URL, without any `user:password@`.
fn host_header(authority: &Authority) -> Option<HeaderValue> {
    let value = match authority.port() {
        Some(port) => format!("{}:{}", authority.host(), port.as_str()),
        None => authority.host().to_owned(),
    };
    HeaderValue::from_str(&value).ok()
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
}
