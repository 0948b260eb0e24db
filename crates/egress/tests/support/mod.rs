//! What the proxy tests stand on: a proxy serving a listener on port 0,
//! a small web server and a TCP echo server, all on 127.0.0.1, and raw
//! HTTP/1.1 helpers for what reqwest will not send.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use runbox_egress::{serve, Counters, Session};
use runbox_netguard::OutboundPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running proxy for one pretend run.
pub struct Proxy {
    pub address: SocketAddr,
    pub counters: Counters,
    pub stop: CancellationToken,
    pub served: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(session: Session) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let counters = Counters::default();
        let stop = CancellationToken::new();
        let served = tokio::spawn(serve(
            listener,
            Arc::new(session),
            counters.clone(),
            stop.clone(),
        ));
        Self {
            address,
            counters,
            stop,
            served,
        }
    }

    /// A client that sends everything through this proxy, as a program
    /// given `HTTP_PROXY` would.
    pub fn client(&self) -> reqwest::Client {
        let proxy = reqwest::Proxy::all(format!("http://{}", self.address)).unwrap();
        reqwest::Client::builder()
            .proxy(proxy)
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
    }
}

/// A session whose list holds exactly `destinations`.
pub fn session(
    destinations: &[(&str, u16)],
    ssrf: Option<OutboundPolicy>,
    max_connections: usize,
) -> Session {
    let list: Vec<(String, u16)> = destinations
        .iter()
        .map(|&(host, port)| (host.to_owned(), port))
        .collect();
    Session {
        permits: Arc::new(move |host, port| list.iter().any(|(h, p)| h == host && *p == port)),
        ssrf,
        max_connections,
    }
}

/// SSRF rules as an operator who allowed `entries` in `RUNBOX_HTTP_ALLOW`.
pub fn policy(entries: &[&str]) -> OutboundPolicy {
    OutboundPolicy::new(entries.iter().map(|e| e.parse().unwrap()).collect())
}

/// The usual test session: the list holds `destinations` on 127.0.0.1,
/// and the operator allowed 127.0.0.1.
pub fn local_session(ports: &[u16]) -> Session {
    let destinations: Vec<(&str, u16)> = ports.iter().map(|&p| ("127.0.0.1", p)).collect();
    session(&destinations, Some(policy(&["127.0.0.1"])), 64)
}

/// The destination web server. `/release` lets `/stream` send its second
/// half.
pub struct Origin {
    pub address: SocketAddr,
    pub release: Arc<Notify>,
}

pub async fn origin() -> Origin {
    let release = Arc::new(Notify::new());
    let streaming = release.clone();
    let app = Router::new()
        .route(
            "/hello",
            get(|| async { ([("x-origin", "runbox-test")], "hello from origin") }),
        )
        .route(
            "/echo",
            post(|body: Bytes| async move { format!("received {} bytes", body.len()) }),
        )
        .route(
            "/headers",
            get(|headers: HeaderMap| async move { describe(&headers) }),
        )
        .route(
            "/bytes/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<usize>| async move { vec![b'x'; n] }),
        )
        .route(
            "/stream",
            get(move || {
                let release = streaming.clone();
                async move {
                    let parts = futures::stream::unfold(0, move |step| {
                        let release = release.clone();
                        async move {
                            match step {
                                0 => Some((Ok::<_, std::io::Error>(Bytes::from("first;")), 1)),
                                1 => {
                                    release.notified().await;
                                    Some((Ok(Bytes::from("second")), 2))
                                }
                                _ => None,
                            }
                        }
                    });
                    Body::from_stream(parts)
                }
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Origin { address, release }
}

/// `name=value` lines for the headers a proxy must rewrite or drop.
fn describe(headers: &HeaderMap) -> String {
    [
        "host",
        "proxy-authorization",
        "proxy-connection",
        "x-hop",
        "x-kept",
    ]
    .iter()
    .map(|name| {
        let value = headers
            .get(*name)
            .map(|v| v.to_str().unwrap_or("?").to_owned())
            .unwrap_or_else(|| "-".to_owned());
        format!("{name}={value}\n")
    })
    .collect()
}

/// A raw TCP server that sends back whatever it receives.
pub async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (mut reader, mut writer) = stream.split();
                let _ = tokio::io::copy(&mut reader, &mut writer).await;
            });
        }
    });
    address
}

/// A port on 127.0.0.1 nothing listens on.
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// Sends `CONNECT target` and returns the stream and the response head.
pub async fn connect(proxy: SocketAddr, target: &str) -> (TcpStream, String) {
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_head(&mut stream).await;
    (stream, head)
}

/// Reads up to the blank line that ends a response head.
pub async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(15), stream.read(&mut byte))
            .await
            .expect("response head in time")
            .unwrap();
        assert_eq!(n, 1, "connection closed inside a response head: {head:?}");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Sends `request` as is on a new connection and reads the whole answer
/// (the request should say `Connection: close`).
pub async fn raw_exchange(proxy: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer))
        .await
        .expect("answer in time")
        .unwrap();
    String::from_utf8(answer).unwrap()
}

/// The status code of a raw response.
pub fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

/// The body of a raw response whose head is complete.
pub fn body_of(response: &str) -> &str {
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or("")
}

/// Checks the shape every refusal shares: text/plain, one line,
/// `runbox proxy: ` first.
pub fn assert_refusal(content_type: Option<&str>, body: &str) {
    let content_type = content_type.unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain"),
        "content type {content_type:?}"
    );
    assert!(body.starts_with("runbox proxy: "), "body {body:?}");
    assert_eq!(body.trim_end().lines().count(), 1, "body {body:?}");
}
