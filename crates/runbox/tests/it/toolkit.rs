//! NCA toolkit job status routes.

use std::time::Duration;

use serde_json::json;

use crate::harness::{eventually, post, python, Options, Server};

#[tokio::test]
async fn job_status_of_a_finished_sync_job_is_done_with_its_envelope() {
    let server = Server::start();
    let (_, run) = python(&server, "print('hi')\nreturn 7").await;
    let (status, body) = post(
        &server,
        "/v1/toolkit/job/status",
        json!({"job_id": run["job_id"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["endpoint"], "/v1/toolkit/job/status");
    let response = &body["response"];
    assert_eq!(response["job_status"], "done");
    assert_eq!(response["job_id"], run["job_id"]);
    assert_eq!(response["queue_id"], run["queue_id"]);
    assert!(response["process_id"].is_u64());
    assert_eq!(response["response"]["response"]["result"], 7);
    assert_eq!(response["response"]["code"], 200);
}

#[tokio::test]
async fn failed_code_is_still_done_and_unknown_jobs_are_404() {
    let server = Server::start();
    let (_, run) = python(&server, "raise ValueError('boom')").await;
    let (_, body) = post(
        &server,
        "/v1/toolkit/job/status",
        json!({"job_id": run["job_id"]}),
    )
    .await;
    assert_eq!(body["response"]["job_status"], "done");
    assert_eq!(body["response"]["response"]["error"], "ValueError: boom");

    let (status, body) = post(
        &server,
        "/v1/toolkit/job/status",
        json!({"job_id": "00000000-0000-0000-0000-000000000000"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["message"],
        json!({"error": "Job not found", "job_id": "00000000-0000-0000-0000-000000000000"})
    );
    assert_eq!(body["code"], 404);

    let (status, body) = post(&server, "/v1/toolkit/job/status", json!({})).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn async_jobs_move_from_running_to_done_and_are_listed() {
    let server = Server::start_with(Options::default().env("RUNBOX_HTTP_ALLOW", "127.0.0.1"));
    // The webhook receiver does not exist; delivery fails, the job does not care.
    let (status, accepted) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "import time\ntime.sleep(1.5)\nprint('late')", "webhook_url": "http://127.0.0.1:9/hook", "id": "req-9"}),
    )
    .await;
    assert_eq!(status, 202, "{accepted}");
    assert_eq!(accepted["message"], "processing");
    assert_eq!(accepted["id"], "req-9");
    for key in [
        "job_id",
        "pid",
        "queue_id",
        "max_queue_length",
        "queue_length",
        "build_number",
    ] {
        assert!(!accepted[key].is_null(), "{key} missing in {accepted}");
    }
    let job_id = accepted["job_id"].clone();
    let (_, early) = post(&server, "/v1/toolkit/job/status", json!({"job_id": job_id})).await;
    let word = early["response"]["job_status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(word == "queued" || word == "running", "{early}");
    assert!(early["response"]["response"].is_null());
    eventually("job done", Duration::from_secs(20), || async {
        let (_, body) = post(&server, "/v1/toolkit/job/status", json!({"job_id": job_id})).await;
        body["response"]["job_status"] == "done"
    })
    .await;
    let (status, all) = post(
        &server,
        "/v1/toolkit/jobs/status",
        json!({"since_seconds": 600}),
    )
    .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["response"][job_id.as_str().unwrap_or_default()], "done");
}
