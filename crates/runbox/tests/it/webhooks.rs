//! Webhook delivery of Python results to a real local receiver.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use crate::harness::{eventually, post, Options, Server};

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) hits: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    failures_left: Arc<Mutex<u32>>,
}

/// A receiver on 127.0.0.1 that answers 500 `failures` times, then 200.
pub(crate) async fn start_receiver(failures: u32) -> (String, Receiver) {
    let receiver = Receiver {
        failures_left: Arc::new(Mutex::new(failures)),
        ..Receiver::default()
    };
    let state = receiver.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                state.hits.lock().expect("lock").push((headers, value));
                let mut left = state.failures_left.lock().expect("lock");
                if *left > 0 {
                    *left -= 1;
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), receiver)
}

#[tokio::test]
async fn result_is_posted_and_retried_after_a_500() {
    let (url, receiver) = start_receiver(1).await;
    let server = Server::start_with(
        Options::default()
            .env("RUNBOX_HTTP_ALLOW", "127.0.0.1")
            .env(
                "RUNBOX_WEBHOOK_SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ),
    );
    let (status, accepted) = post(&server, "/v1/code/execute/python", json!({"code": "print('to the hook')\nreturn {'ok': True}", "webhook_url": url, "id": "w-1"})).await;
    assert_eq!(status, 202, "{accepted}");
    eventually(
        "two deliveries (500, then 200)",
        Duration::from_secs(20),
        || async { receiver.hits.lock().map(|h| h.len() >= 2).unwrap_or(false) },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hits = receiver.hits.lock().expect("lock").clone();
    assert_eq!(
        hits.len(),
        2,
        "delivered once successfully, no more retries"
    );
    for (headers, body) in &hits {
        assert_eq!(body["job_id"], accepted["job_id"]);
        assert_eq!(body["id"], "w-1");
        assert_eq!(body["code"], 200);
        assert_eq!(body["endpoint"], "/v1/code/execute/python");
        assert_eq!(body["response"]["stdout"], "to the hook\n");
        assert_eq!(body["response"]["result"], json!({"ok": true}));
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            assert!(headers.get(name).is_some(), "{name} missing");
        }
        let signature = headers
            .get("webhook-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(signature.starts_with("v1,"), "{signature}");
    }
    assert_eq!(
        hits[0].0.get("webhook-id"),
        hits[1].0.get("webhook-id"),
        "the message id is stable across retries"
    );
}

#[tokio::test]
async fn private_webhook_urls_are_refused_unless_allowed() {
    let (url, receiver) = start_receiver(0).await;
    let server = Server::start();
    let (status, body) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "print(1)", "webhook_url": url}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Invalid payload")),
        "{body}"
    );
    let (status, _) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "print(1)", "webhook_url": "http://localhost:9/x"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "print(1)", "webhook_url": "ftp://example.com/x"}),
    )
    .await;
    assert_eq!(status, 400);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receiver.hits.lock().expect("lock").is_empty(),
        "nothing ran, nothing was sent"
    );
}

#[tokio::test]
async fn a_pending_delivery_survives_a_restart() {
    let (url, receiver) = start_receiver(0).await;
    let mut server = Server::start_with(Options::default().env("RUNBOX_HTTP_ALLOW", "127.0.0.1"));
    let (status, accepted) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "import time\ntime.sleep(0.5)\nprint('survivor')", "webhook_url": url}),
    )
    .await;
    assert_eq!(status, 202);
    // Kill before delivery is possible: the run has not even finished.
    server.kill9();
    server.restart();
    eventually(
        "delivery after restart",
        Duration::from_secs(20),
        || async {
            receiver
                .hits
                .lock()
                .map(|hits| hits.iter().any(|(_, b)| b["job_id"] == accepted["job_id"]))
                .unwrap_or(false)
        },
    )
    .await;
}
