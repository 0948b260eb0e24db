//! The guarded client against a real HTTP server on 127.0.0.1: refused
//! without an allow entry, reachable with one (by network or by host name),
//! and redirects to forbidden literals refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use runbox_config::HttpAllowEntry;
use runbox_netguard::{find_refusal, AddressClass, OutboundPolicy, Refusal, Url, USER_AGENT};

#[derive(Clone)]
struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
}

async fn hello(State(server): State<Server>, headers: HeaderMap) -> String {
    server.hits.fetch_add(1, Ordering::SeqCst);
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    format!("hello {agent}")
}

fn redirect_to(location: String) -> impl IntoResponse {
    (StatusCode::FOUND, [(header::LOCATION, location)])
}

async fn start() -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = Server {
        port,
        hits: Arc::new(AtomicUsize::new(0)),
    };
    let app = Router::new()
        .route("/hello", get(hello))
        .route(
            "/to-literal",
            get(move || async move { redirect_to(format!("http://127.0.0.1:{port}/hello")) }),
        )
        .route(
            "/to-name",
            get(move || async move { redirect_to(format!("http://localhost:{port}/hello")) }),
        )
        .route(
            "/to-file",
            get(|| async { redirect_to("file:///etc/passwd".into()) }),
        )
        .route("/loop", get(|| async { redirect_to("/loop".into()) }))
        .with_state(server.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    server
}

fn policy(entries: &[HttpAllowEntry]) -> OutboundPolicy {
    OutboundPolicy::new(entries.to_vec())
}

fn loopback_32() -> HttpAllowEntry {
    HttpAllowEntry::Network("127.0.0.1/32".parse().unwrap())
}

fn localhost() -> HttpAllowEntry {
    HttpAllowEntry::Host("localhost".into())
}

impl Server {
    fn url(&self, host: &str, path: &str) -> Url {
        Url::parse(&format!("http://{host}:{}{path}", self.port)).unwrap()
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Sends like a careful caller does: literal check first, then the request.
async fn get_text(policy: &OutboundPolicy, url: Url) -> Result<String, Box<dyn std::error::Error>> {
    policy.check_literal(&url)?;
    let client = policy.client(Duration::from_secs(5))?;
    let response = client.get(url).send().await?.error_for_status()?;
    Ok(response.text().await?)
}

fn refusal_of(error: &reqwest::Error) -> Refusal {
    match find_refusal(error) {
        Some(refusal) => refusal.clone(),
        None => panic!("no refusal in {error:?}"),
    }
}

#[tokio::test]
async fn refused_without_an_allow_entry() {
    let server = start().await;
    let none = policy(&[]);
    // A literal is refused before sending.
    let literal = server.url("127.0.0.1", "/hello");
    assert!(matches!(
        none.check_literal(&literal),
        Err(Refusal::Forbidden {
            class: AddressClass::Loopback,
            ..
        })
    ));
    // A name is refused by the client's resolver, at connect time.
    let client = none.client(Duration::from_secs(5)).unwrap();
    let error = client
        .get(server.url("localhost", "/hello"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(refusal_of(&error), Refusal::Forbidden { ref host, .. } if host == "localhost"),
        "{error:?}"
    );
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn allowed_by_network_entry() {
    let server = start().await;
    let allowed = policy(&[loopback_32()]);
    let body = get_text(&allowed, server.url("127.0.0.1", "/hello"))
        .await
        .unwrap();
    assert_eq!(body, format!("hello {USER_AGENT}"));
    assert!(USER_AGENT.starts_with("runbox/"));
    // The name resolves to an allowed address too.
    get_text(&allowed, server.url("localhost", "/hello"))
        .await
        .unwrap();
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn allowed_by_host_entry() {
    let server = start().await;
    let allowed = policy(&[localhost()]);
    get_text(&allowed, server.url("localhost", "/hello"))
        .await
        .unwrap();
    // The name is allowed, not the address behind it.
    assert!(allowed
        .check_literal(&server.url("127.0.0.1", "/hello"))
        .is_err());
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn redirect_to_forbidden_literal_is_refused() {
    let server = start().await;
    let allowed = policy(&[localhost()]);
    let client = allowed.client(Duration::from_secs(5)).unwrap();
    let error = client
        .get(server.url("localhost", "/to-literal"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_redirect(), "{error:?}");
    assert!(
        matches!(refusal_of(&error), Refusal::Forbidden { ref host, .. } if host == "127.0.0.1"),
        "{error:?}"
    );
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn redirects_to_allowed_destinations_are_followed_within_limits() {
    let server = start().await;
    let allowed = policy(&[loopback_32()]);
    let body = get_text(&allowed, server.url("127.0.0.1", "/to-name"))
        .await
        .unwrap();
    assert!(body.starts_with("hello"));

    let client = allowed.client(Duration::from_secs(5)).unwrap();
    // reqwest itself never follows a redirect to another scheme: the 302
    // comes back unfollowed (the policy would refuse it anyway).
    let response = client
        .get(server.url("127.0.0.1", "/to-file"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);

    let error = client
        .get(server.url("127.0.0.1", "/loop"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_redirect(), "{error:?}");
    assert!(find_refusal(&error).is_none());
}
