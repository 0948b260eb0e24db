//! The dispatcher end to end: a real SQLite store, a real HTTP receiver on
//! 127.0.0.1, and the delivery loop between them.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use runbox_domain::{NodeId, Timestamp};
use sha2::Sha256;

use support::*;

/// Verifies a Standard Webhooks signature the way a receiver would.
fn verify(received: &Received) {
    let id = received.header("webhook-id");
    let timestamp = received.header("webhook-timestamp");
    let key = STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(received.header("webhook-signature"), expected);
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn delivers_an_ended_execution_signed() {
    let t = fresh_store().await;
    let receiver = Receiver::start(&[]).await;
    let id = ended(&t.store, &receiver.url()).await;
    let running = start_dispatcher(&t.store, allow_loopback(), fast_settings());

    let got = receiver.wait_for(1).await;
    let hook = &got[0];
    assert_eq!(hook.header("content-type"), "application/json");
    assert!(hook.header("user-agent").starts_with("runbox/"));
    assert_eq!(hook.header("webhook-id"), format!("msg_{id}"));
    let sent_at: i64 = hook.header("webhook-timestamp").parse().unwrap();
    assert!((sent_at - unix_now()).abs() <= 5, "{sent_at}");
    verify(hook);
    let body: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "job_id": id,
            "status": "succeeded",
            "stdout": "hi\n",
            "result": {"answer": 42},
        })
    );

    wait_settled(&t.store).await;
    let row = outbox_row(&t.path, &id).await;
    assert!(row.delivered && !row.gave_up, "{row:?}");
    // Delivered once only.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 0);
    running.stop().await;
}

#[tokio::test]
async fn unsigned_without_a_secret() {
    let t = fresh_store().await;
    let receiver = Receiver::start(&[]).await;
    ended(&t.store, &receiver.url()).await;
    let settings = runbox_webhooks::WebhookSettings {
        secret: None,
        ..fast_settings()
    };
    let running = start_dispatcher(&t.store, allow_loopback(), settings);
    let got = receiver.wait_for(1).await;
    assert!(got[0].headers.get("webhook-signature").is_none());
    assert!(got[0].headers.get("webhook-id").is_none());
    running.stop().await;
}

#[tokio::test]
async fn waits_for_the_end_and_wakes_on_it() {
    let t = fresh_store().await;
    let receiver = Receiver::start(&[]).await;
    let id = enqueue(&t.store, &receiver.url()).await;
    // Polling so slow that only the "execution ended" event can explain a
    // prompt delivery.
    let settings = runbox_webhooks::WebhookSettings {
        poll_interval: Duration::from_secs(60),
        ..fast_settings()
    };
    let running = start_dispatcher(&t.store, allow_loopback(), settings);

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 0, "delivered while queued");
    claim(&t.store).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 0, "delivered while running");

    finish(&t.store, &id).await;
    let started = std::time::Instant::now();
    let got = receiver.wait_for(1).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["status"], "succeeded");
    running.stop().await;
}

#[tokio::test]
async fn retries_server_errors_with_doubling_backoff() {
    let t = fresh_store().await;
    let receiver = Receiver::start(&[500, 500, 200]).await;
    let id = ended(&t.store, &receiver.url()).await;
    let running = start_dispatcher(&t.store, allow_loopback(), fast_settings());

    let got = receiver.wait_for(3).await;
    wait_settled(&t.store).await;
    let first_gap = got[1].at - got[0].at;
    let second_gap = got[2].at - got[1].at;
    // first_retry is 100 ms, then 200 ms; polling adds up to 20 ms, and
    // timestamps are kept to the millisecond.
    assert!(first_gap >= Duration::from_millis(95), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(195), "{second_gap:?}");
    assert!(second_gap > first_gap, "{first_gap:?} then {second_gap:?}");
    // Same message each time (stable id, same body), each signed anew.
    for hook in &got {
        assert_eq!(hook.header("webhook-id"), format!("msg_{id}"));
        assert_eq!(hook.body, got[0].body);
        verify(hook);
    }
    let row = outbox_row(&t.path, &id).await;
    assert!(row.delivered, "{row:?}");
    assert_eq!(row.attempts, 2, "two failed attempts recorded");
    assert_eq!(
        row.last_error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
    running.stop().await;
}

#[tokio::test]
async fn gives_up_at_once_on_a_client_error() {
    let t = fresh_store().await;
    let receiver = Receiver::start_with(&[], Some(400)).await;
    let id = ended(&t.store, &receiver.url()).await;
    let running = start_dispatcher(&t.store, allow_loopback(), fast_settings());

    receiver.wait_for(1).await;
    wait_settled(&t.store).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), 0, "retried after a 400");
    let row = outbox_row(&t.path, &id).await;
    assert!(row.gave_up && !row.delivered, "{row:?}");
    assert_eq!(row.attempts, 1);
    assert_eq!(
        row.last_error.as_deref(),
        Some("the receiver answered HTTP 400 Bad Request")
    );
    running.stop().await;
}

#[tokio::test]
async fn gives_up_after_max_attempts() {
    let t = fresh_store().await;
    let receiver = Receiver::start_with(&[], Some(503)).await;
    let id = ended(&t.store, &receiver.url()).await;
    let settings = runbox_webhooks::WebhookSettings {
        max_attempts: 3,
        first_retry: Duration::from_millis(20),
        ..fast_settings()
    };
    let running = start_dispatcher(&t.store, allow_loopback(), settings);

    wait_settled(&t.store).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.wait_for(3).await.len(), 3);
    let row = outbox_row(&t.path, &id).await;
    assert!(row.gave_up, "{row:?}");
    assert_eq!(row.attempts, 3);
    assert_eq!(
        row.last_error.as_deref(),
        Some("gave up after 3 attempts; last: HTTP 503 Service Unavailable")
    );
    running.stop().await;
}

#[tokio::test]
async fn forbidden_destinations_are_given_up_unsent() {
    let t = fresh_store().await;
    let receiver = Receiver::start(&[]).await;
    let by_literal = ended(&t.store, &receiver.url()).await;
    let by_name = ended(
        &t.store,
        &format!("http://localhost:{}/hook", receiver.port),
    )
    .await;
    // No allow entry: loopback is forbidden.
    let running = start_dispatcher(&t.store, Vec::new(), fast_settings());

    wait_settled(&t.store).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.count(), 0);
    let literal = outbox_row(&t.path, &by_literal).await;
    assert!(literal.gave_up && literal.attempts == 1, "{literal:?}");
    assert_eq!(
        literal.last_error.as_deref(),
        Some(
            "webhook_url host 127.0.0.1 is a loopback address; \
             add it to RUNBOX_HTTP_ALLOW to allow it"
        )
    );
    let named = outbox_row(&t.path, &by_name).await;
    assert!(named.gave_up && named.attempts == 1, "{named:?}");
    let error = named.last_error.unwrap_or_default();
    assert!(
        error.starts_with("webhook_url host localhost resolves to 127.0.0.1, a loopback address"),
        "{error}"
    );
    running.stop().await;
}

#[tokio::test]
async fn survives_a_restart() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("t.db");
    let receiver = Receiver::start(&[]).await;
    let id = {
        let store = open_store(&path).await;
        let id = ended(&store, &receiver.url()).await;
        // A node took the delivery and died before recording anything.
        let held = store
            .take_due_webhooks(
                &NodeId::from_raw("dead-node"),
                Timestamp::now(),
                Duration::from_millis(300),
                16,
            )
            .await
            .unwrap();
        assert_eq!(held.len(), 1);
        id
    };

    let store = open_store(&path).await;
    assert_eq!(store.pending_webhook_count().await.unwrap(), 1);
    let running = start_dispatcher(&store, allow_loopback(), fast_settings());
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("webhook-id"), format!("msg_{id}"));
    wait_settled(&store).await;
    assert!(outbox_row(&path, &id).await.delivered);
    running.stop().await;
}

#[tokio::test]
async fn network_errors_are_retried() {
    let t = fresh_store().await;
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let id = ended(&t.store, &url).await;
    let settings = runbox_webhooks::WebhookSettings {
        max_attempts: 2,
        first_retry: Duration::from_millis(20),
        ..fast_settings()
    };
    let running = start_dispatcher(&t.store, allow_loopback(), settings);

    wait_settled(&t.store).await;
    let row = outbox_row(&t.path, &id).await;
    assert!(row.gave_up && row.attempts == 2, "{row:?}");
    let error = row.last_error.unwrap_or_default();
    assert!(
        error.starts_with("gave up after 2 attempts; last: "),
        "{error}"
    );
    assert!(error.to_lowercase().contains("connect"), "{error}");
    assert!(
        !error.contains(&url),
        "the URL stays out of the error: {error}"
    );
    running.stop().await;
}
