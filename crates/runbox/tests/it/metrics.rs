//! `/metrics` (contract section 13): who may read it, and that its figures
//! move with real runs, labelled by route template and never by an id.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{client, eventually, post, python, user_key, Backend, Server, ADMIN_KEY};
use crate::webhooks::start_receiver;

const TOKEN: &str = "scrape-token-0123456789";

async fn scrape_with(server: &Server, header: (&str, &str)) -> (u16, String) {
    let response = client()
        .get(server.url("/metrics"))
        .header(header.0, header.1)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn scrape(server: &Server) -> String {
    let (status, text) = scrape_with(server, ("authorization", &format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, 200, "{text}");
    text
}

/// The value of the sample written exactly `series` (name and labels), 0
/// when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter_map(|line| line.strip_prefix(series))
        .filter_map(|rest| rest.strip_prefix(' '))
        .find_map(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn only_admins_and_the_token_may_read_metrics(backend: Backend<'_>) {
    let server = Server::start_with(backend.options().env("RUNBOX_METRICS_TOKEN", TOKEN));
    let status = client()
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status, 401, "no credentials");
    let (status, body) =
        scrape_with(&server, ("authorization", "Bearer wrong-token-0123456789")).await;
    assert_eq!(status, 401, "{body}");
    let alice = user_key(&server, "alice").await;
    let (status, body) = scrape_with(&server, ("x-api-key", &alice)).await;
    assert_eq!(status, 403, "a user's key: {body}");
    assert!(body.contains("detail"), "{body}");
    let (status, body) = scrape_with(&server, ("x-api-key", ADMIN_KEY)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("runbox_build_info{version=\""), "{body}");
    let (status, body) = scrape_with(&server, ("authorization", &format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, 200, "{body}");
    for name in [
        "runbox_queue_depth",
        "runbox_executions_running",
        "runbox_webhook_deliveries_total{result=\"delivered\"}",
    ] {
        assert!(
            body.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{body}"
        );
    }
}

async fn counters_move_with_real_runs(backend: Backend<'_>) {
    let (hook, receiver) = start_receiver(0).await;
    let server = Server::start_with(
        backend
            .options()
            .env("RUNBOX_METRICS_TOKEN", TOKEN)
            .env("RUNBOX_HTTP_ALLOW", "127.0.0.1"),
    );
    let before = scrape(&server).await;
    let succeeded = "runbox_executions_total{kind=\"python\",status=\"succeeded\"}";
    let failed = "runbox_executions_total{kind=\"python\",status=\"failed\"}";
    let python_route =
        "runbox_http_requests_total{method=\"POST\",route=\"/v1/code/execute/python\",status=\"200\"}";
    assert_eq!(sample(&before, succeeded), 0.0, "{before}");

    for _ in 0..2 {
        let (status, body) = python(&server, "return 1").await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = python(&server, "raise SystemExit(3)").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "hi", "name": "Hi", "command": "echo hi"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(&server, "/api/v1/execute/hi?wait=30", Value::Null).await;
    assert_eq!(status, 200, "{body}");
    let execution_id = body["data"]["execution_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let status_path = format!("/api/v1/execute/{execution_id}/status");
    let (status, _) = crate::harness::get_as(&server, ADMIN_KEY, &status_path).await;
    assert_eq!(status, 200);
    let (status, body) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "return 2", "webhook_url": hook}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    eventually("the webhook delivered", Duration::from_secs(20), || async {
        receiver.hits.lock().map(|h| !h.is_empty()).unwrap_or(false)
    })
    .await;

    // The receiver has the body a moment before runbox records the attempt.
    let mut after = scrape(&server).await;
    for _ in 0..100 {
        if sample(
            &after,
            "runbox_webhook_deliveries_total{result=\"delivered\"}",
        ) >= 1.0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&server).await;
    }
    assert_eq!(
        sample(
            &after,
            "runbox_webhook_deliveries_total{result=\"delivered\"}"
        ),
        1.0,
        "{after}"
    );
    assert_eq!(sample(&after, succeeded), 3.0, "{after}");
    assert_eq!(sample(&after, failed), 1.0, "{after}");
    assert_eq!(
        sample(
            &after,
            "runbox_executions_total{kind=\"shell\",status=\"succeeded\"}"
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        sample(&after, python_route) - sample(&before, python_route),
        2.0,
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            "runbox_http_requests_total{method=\"GET\",route=\"/api/v1/execute/{id}/status\",status=\"200\"}"
        ),
        1.0,
        "{after}"
    );
    assert!(
        sample(&after, "runbox_queue_time_seconds_count") >= 5.0,
        "{after}"
    );
    assert!(
        sample(&after, "runbox_sandbox_start_seconds_count") >= 5.0,
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            "runbox_execution_duration_seconds_count{kind=\"python\"}"
        ),
        4.0,
        "{after}"
    );
    assert!(
        after.contains(
            "runbox_http_request_duration_seconds_bucket{route=\"/v1/code/execute/python\",le=\""
        ),
        "{after}"
    );
    assert!(!execution_id.is_empty());
    assert!(
        !after.contains(&execution_id),
        "an id leaked into a label:\n{after}"
    );
}

crate::on_both_backends!(
    only_admins_and_the_token_may_read_metrics,
    counters_move_with_real_runs
);
