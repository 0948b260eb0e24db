//! The HTTP modules against a real local server (axum on 127.0.0.1),
//! through the outbound policy.

mod common;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{any, get};
use axum::{Json, Router};
use common::*;
use runbox_workflow::{ScenarioReport, ScenarioStatus};
use serde_json::{json, Value};

async fn server() -> String {
    let app = Router::new()
        .route("/json", get(|| async { Json(json!({"hello": "world", "items": [{"id": 1}, {"id": 2}]})) }))
        .route("/text", get(|| async { "plain text" }))
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom: database down") }))
        .route("/not-found", get(|| async { (StatusCode::NOT_FOUND, "nothing here") }))
        .route(
            "/echo",
            any(|method: Method, RawQuery(query): RawQuery, headers: HeaderMap, body: Bytes| async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
                Json(json!({
                    "method": method.as_str(),
                    "query": query,
                    "x-test": header("x-test"),
                    "content-type": header("content-type"),
                    "body": String::from_utf8_lossy(&body),
                }))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

async fn request(mapper: Value, allow: &[&str]) -> ScenarioReport {
    let flow = json!([
        start(),
        m(2, "http:MakeRequest", mapper),
        returning(
            3,
            json!({"response": "{{2}}", "status": "{{2.statusCode}}", "data": "{{2.data}}"})
        )
    ]);
    let mut run = Run::new(flow, json!({}));
    run.services = services_with(Arc::new(FakePython::default()), allow);
    run.go().await
}

#[tokio::test]
async fn get_parses_json_responses() {
    let base = server().await;
    let report = request(
        json!({"url": format!("{base}/json"), "method": "get"}),
        &["127.0.0.1"],
    )
    .await;
    assert_eq!(
        report.status,
        ScenarioStatus::Completed,
        "{:?}",
        report.error
    );
    assert_eq!(report.outputs["status"], json!(200));
    assert_eq!(
        report.outputs["data"],
        json!({"hello": "world", "items": [{"id": 1}, {"id": 2}]})
    );
    let output = &report.modules[1].output;
    assert_eq!(output["headers"]["content-type"], json!("application/json"));
    assert!(report.data_transfer > 50, "{}", report.data_transfer);
    assert_eq!(report.operations, 1);
}

#[tokio::test]
async fn post_sends_headers_query_and_json_data() {
    let base = server().await;
    let mapper = json!({
        "url": format!("{base}/echo"),
        "method": "Post",
        "headers": [{"name": "X-Test", "value": "yes {{1 + 1}}"}],
        "qs": [{"name": "q", "value": "a b"}, {"name": "n", "value": 2}],
        "data": {"k": "v"},
        "parseResponse": true,
    });
    let report = request(mapper, &["127.0.0.1/32"]).await;
    assert_eq!(
        report.status,
        ScenarioStatus::Completed,
        "{:?}",
        report.error
    );
    assert_eq!(
        report.outputs["data"],
        json!({"method": "POST", "query": "q=a+b&n=2", "x-test": "yes 2", "content-type": "application/json", "body": "{\"k\":\"v\"}"})
    );
}

#[tokio::test]
async fn raw_text_bodies_keep_their_content_type() {
    let base = server().await;
    let mapper = json!({"url": format!("{base}/echo"), "method": "PUT", "data": "a=1", "contentType": "urlencoded"});
    let report = request(mapper, &["127.0.0.1"]).await;
    assert_eq!(
        report.outputs["data"]["content-type"],
        json!("application/x-www-form-urlencoded")
    );
    assert_eq!(report.outputs["data"]["body"], json!("a=1"));
}

#[tokio::test]
async fn text_responses_stay_text_unless_json_is_required() {
    let base = server().await;
    let report = request(json!({"url": format!("{base}/text")}), &["127.0.0.1"]).await;
    assert_eq!(report.outputs["data"], json!("plain text"));
    let report = request(
        json!({"url": format!("{base}/text"), "parseResponse": true}),
        &["127.0.0.1"],
    )
    .await;
    assert_eq!(report.status, ScenarioStatus::Error);
    assert!(report.error.unwrap().message.contains("not valid JSON"));
}

#[tokio::test]
async fn a_server_error_is_a_module_error() {
    let base = server().await;
    let report = request(json!({"url": format!("{base}/fail")}), &["127.0.0.1"]).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    let error = report.error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.module_id),
        ("EXECUTION_ERROR", Some(2))
    );
    assert!(
        error.message.contains("500") && error.message.contains("boom: database down"),
        "{}",
        error.message
    );
    assert!(
        report.data_transfer > 0,
        "failed requests still count their bytes"
    );
    assert_eq!(report.operations, 1);
}

#[tokio::test]
async fn a_handled_404_resumes_with_a_substitute() {
    let base = server().await;
    let mut http = m(
        2,
        "http:ActionSendData",
        json!({"url": format!("{base}/not-found")}),
    );
    http["onerror"] = json!([m(
        9,
        "builtin:Resume",
        json!({"statusCode": 404, "data": "default"})
    )]);
    let flow = json!([start(), http, returning(3, json!({"data": "{{2.data}}"}))]);
    let mut run = Run::new(flow, json!({}));
    run.services = services_with(Arc::new(FakePython::default()), &["127.0.0.1"]);
    let report = run.go().await;
    assert_eq!(report.status, ScenarioStatus::Warning);
    assert_eq!(report.outputs, json!({"data": "default"}));
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let base = server().await;
    let report = request(json!({"url": format!("{base}/json")}), &[]).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    let message = report.error.unwrap().message;
    assert!(message.contains("RUNBOX_HTTP_ALLOW"), "{message}");
    let report = request(json!({"url": "ftp://example.com/x"}), &[]).await;
    assert!(report.error.unwrap().message.contains("scheme"));
    let report = request(json!({"url": "http://localhost:1/x"}), &[]).await;
    assert!(report.error.unwrap().message.contains("RUNBOX_HTTP_ALLOW"));
}
