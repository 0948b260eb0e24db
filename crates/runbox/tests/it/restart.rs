//! kill -9 with executions running and queued: on restart the running ones
//! are failed as interrupted, the queued ones complete, nothing is lost;
//! SIGTERM drains gracefully and exits 0.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{eventually, post, python, Options, Server};

async fn submit(server: &Server, code: &str) -> Value {
    let (status, body) = post(
        server,
        "/v1/code/execute/python",
        json!({"code": code, "webhook_url": "http://127.0.0.1:9/unused"}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    body["job_id"].clone()
}

async fn job(server: &Server, id: &Value) -> Value {
    let (status, body) = post(server, "/v1/toolkit/job/status", json!({"job_id": id})).await;
    assert_eq!(status, 200, "{body}");
    body["response"].clone()
}

#[tokio::test]
async fn kill_9_then_restart_interrupts_running_and_runs_queued() {
    // Its own outside uids, so its sandboxed processes can be found by uid.
    let uid_base = 2_700_000;
    let mut server = Server::start_with(
        Options::default()
            .env("RUNBOX_WORKERS", "2")
            .env("RUNBOX_HTTP_ALLOW", "127.0.0.1")
            .env("RUNBOX_SANDBOX_UID_BASE", uid_base.to_string()),
    );
    let (_, finished) = python(&server, "print('before the crash')").await;
    let running: Vec<Value> = vec![
        submit(&server, "import time\ntime.sleep(4242)").await,
        submit(&server, "import time\ntime.sleep(4242)").await,
    ];
    for id in &running {
        eventually("running", Duration::from_secs(15), || async {
            job(&server, id).await["job_status"] == "running"
        })
        .await;
    }
    let queued: Vec<Value> = vec![
        submit(&server, "print('queued 1')").await,
        submit(&server, "print('queued 2')").await,
    ];
    for id in &queued {
        assert_eq!(job(&server, id).await["job_status"], "queued");
    }
    // Every sandboxed process (running, and pre-started for the next run)
    // dies with its launcher.
    let uids: Vec<String> = (uid_base..uid_base + 4).map(|u| u.to_string()).collect();
    let sandboxed = || {
        let out = std::process::Command::new("pgrep")
            .arg("-u")
            .arg(uids.join(","))
            .output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    assert!(
        !sandboxed().is_empty(),
        "the check must see the sandboxes while the server lives"
    );
    server.kill9();
    eventually(
        "sandbox processes gone",
        Duration::from_secs(10),
        || async { sandboxed().is_empty() },
    )
    .await;
    server.restart();
    for id in &running {
        let status = job(&server, id).await;
        assert_eq!(status["job_status"], "failed", "{status}");
        let envelope = &status["response"];
        assert_eq!(envelope["code"], 500);
        assert!(
            envelope["error"]
                .as_str()
                .is_some_and(|e| e.contains("interrupted")),
            "{envelope}"
        );
    }
    for (i, id) in queued.iter().enumerate() {
        eventually("queued job done", Duration::from_secs(20), || async {
            job(&server, id).await["job_status"] == "done"
        })
        .await;
        let status = job(&server, id).await;
        assert_eq!(
            status["response"]["response"]["stdout"],
            format!("queued {}\n", i + 1)
        );
    }
    let before = job(&server, &finished["job_id"]).await;
    assert_eq!(
        before["response"]["response"]["stdout"], "before the crash\n",
        "finished results survive"
    );
    // The restarted node now holds pre-started interpreters for its next
    // runs: they too die with the server.
    assert!(!sandboxed().is_empty());
    server.kill9();
    eventually(
        "pre-started sandboxes gone",
        Duration::from_secs(10),
        || async { sandboxed().is_empty() },
    )
    .await;
}

#[tokio::test]
async fn sigterm_lets_running_executions_finish_then_exits_0() {
    let mut server = Server::start_with(Options::default().env("RUNBOX_SHUTDOWN_GRACE_SECS", "10"));
    let url = server.url("/v1/code/execute/python");
    let request = tokio::spawn(async move {
        crate::harness::client()
            .post(url)
            .header("x-api-key", crate::harness::ADMIN_KEY)
            .json(&json!({"code": "import time\ntime.sleep(1)\nprint('finished in time')"}))
            .send()
            .await
            .expect("send")
            .json::<Value>()
            .await
            .expect("json")
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .expect("join");
    assert!(status.success(), "exit status {status:?}");
    let body = request.await.expect("join");
    assert_eq!(body["response"]["stdout"], "finished in time\n");
}

/// Past the grace period a run is interrupted, and keeps what it printed.
#[tokio::test]
async fn sigterm_past_the_grace_interrupts_and_keeps_the_output() {
    let mut server = Server::start_with(
        Options::default()
            .env("RUNBOX_SHUTDOWN_GRACE_SECS", "1")
            .env("RUNBOX_HTTP_ALLOW", "127.0.0.1"),
    );
    let id = submit(
        &server,
        "import time\nprint('started', flush=True)\ntime.sleep(60)",
    )
    .await;
    eventually("the run to start", Duration::from_secs(15), || async {
        job(&server, &id).await["job_status"] == "running"
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
    server.restart();
    let response = job(&server, &id).await;
    assert_eq!(response["job_status"], "failed", "{response}");
    let response = &response["response"];
    assert_eq!(response["stdout"], "started\n", "{response}");
    assert!(
        response["error"]
            .as_str()
            .is_some_and(|e| e.contains("interrupted")),
        "{response}"
    );
}

/// A request waiting on a queued execution does not hold a graceful stop:
/// it is answered 202 with the job's id, to be polled after the restart.
#[tokio::test]
async fn sigterm_answers_waiters_of_queued_runs_and_exits_promptly() {
    let mut server = Server::start_with(
        Options::default()
            .env("RUNBOX_SHUTDOWN_GRACE_SECS", "1")
            .env("RUNBOX_MAX_CONCURRENT_PER_USER", "1"),
    );
    let sync_run = |code: &'static str| {
        let url = server.url("/v1/code/execute/python");
        tokio::spawn(async move {
            let response = crate::harness::client()
                .post(url)
                .header("x-api-key", crate::harness::ADMIN_KEY)
                .json(&json!({ "code": code }))
                .send()
                .await
                .expect("send");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("json"))
        })
    };
    let running = sync_run("import time\ntime.sleep(60)");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let queued = sync_run("print('later')");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .expect("join");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "stopped in {:?}",
        started.elapsed()
    );
    let (code, body) = queued.await.expect("join");
    assert_eq!(code, 202, "{body}");
    assert!(body["job_id"].is_string(), "{body}");
    let (code, body) = running.await.expect("join");
    assert_eq!(code, 500, "{body}");
}
