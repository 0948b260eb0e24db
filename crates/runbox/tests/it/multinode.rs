//! Several nodes on one PostgreSQL database: two `serve` processes and one
//! `worker` share the queue; every execution runs exactly once; limits,
//! status and cancel work across nodes; a dead worker's runs are recorded as
//! interrupted once its lease expires while the survivors run the queue.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{client, eventually, get_as, post, Options, PgDatabase, Server, ADMIN_KEY};

fn node(db: &PgDatabase) -> Options {
    Options::default()
        .database(&db.url)
        .env("RUNBOX_LEASE_SECS", "3")
}

async fn button(server: &Server, id: &str, command: &str) {
    let (status, body) = post(
        server,
        "/api/v1/buttons",
        json!({"id": id, "name": id, "command": command}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn start_run(server: &Server, button: &str) -> String {
    let response = client()
        .post(server.url(&format!("/api/v1/execute/{button}?wait=0")))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("json");
    body["data"]["execution_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn status(server: &Server, id: &str) -> Value {
    get_as(server, ADMIN_KEY, &format!("/api/v1/execute/{id}/status"))
        .await
        .1["data"]
        .clone()
}

/// How often each execution id was reported finished in the nodes' logs.
fn finished_counts(nodes: &[&Server]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for node in nodes {
        for line in node
            .log()
            .lines()
            .filter(|l| l.contains("execution finished"))
        {
            if let Some(id) = line
                .split("execution.id=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
            {
                *counts.entry(id.to_owned()).or_insert(0) += 1;
            }
        }
    }
    counts
}

#[tokio::test]
async fn three_nodes_share_the_queue_limits_status_and_cancel() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let a = Server::start_with(node(&db));
    let b = Server::start_with(node(&db));
    let w = Server::start_with(node(&db).worker());
    button(&a, "quick", "echo ran $RUNBOX_EXECUTION_ID").await;

    // 30 executions submitted across both API nodes all complete, each once.
    let mut ids = Vec::new();
    for i in 0..30 {
        let via = if i % 2 == 0 { &a } else { &b };
        ids.push(start_run(via, "quick").await);
    }
    for id in &ids {
        eventually("completed", Duration::from_secs(60), || async {
            status(&b, id).await["status"] == "completed"
        })
        .await;
        let data = status(&a, id).await;
        assert_eq!(
            data["output"],
            format!("ran {id}\n"),
            "status answered by either node"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts = finished_counts(&[&a, &b, &w]);
    for id in &ids {
        assert_eq!(
            counts.get(id),
            Some(&1),
            "{id} must run exactly once: {counts:?}"
        );
    }
    let nodes_used = [&a, &b, &w]
        .iter()
        .filter(|n| n.log().contains("execution finished"))
        .count();
    assert!(nodes_used >= 2, "work should spread over nodes");

    // One user's 7 slow runs never exceed 5 running across nodes.
    button(&a, "slow", "sleep 1.5").await;
    let mut slow = Vec::new();
    for i in 0..7 {
        slow.push(start_run(if i % 2 == 0 { &a } else { &b }, "slow").await);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut peak = 0;
    loop {
        let (_, health) = get_as(&a, ADMIN_KEY, "/admin/health").await;
        peak = peak.max(health["queue"]["running"].as_u64().unwrap_or(0));
        let mut done = 0;
        for id in &slow {
            if status(&a, id).await["status"] == "completed" {
                done += 1;
            }
        }
        if done == 7 {
            break;
        }
        assert!(Instant::now() < deadline, "slow runs did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(peak <= 5, "{peak} ran at once across nodes");

    // A cancel sent to the other node stops the run wherever it runs.
    button(&a, "forever", "sleep 4321.5").await;
    let id = start_run(&a, "forever").await;
    eventually("running", Duration::from_secs(20), || async {
        status(&a, &id).await["status"] == "running"
    })
    .await;
    let (code, body) = post(&b, &format!("/api/v1/execute/{id}/cancel"), Value::Null).await;
    assert_eq!(code, 200, "{body}");
    eventually("canceled", Duration::from_secs(15), || async {
        status(&a, &id).await["status"] == "canceled"
    })
    .await;
    let left = std::process::Command::new("pgrep")
        .arg("-f")
        .arg("sleep 4321.5")
        .output()
        .expect("pgrep");
    assert!(
        left.stdout.is_empty(),
        "the canceled command's process is gone"
    );

    // Health reports the shared database.
    let (_, health) = get_as(&b, ADMIN_KEY, "/admin/health").await;
    assert_eq!(health["database"], "postgres");
    assert_eq!(health["status"], "ok");
    assert!(
        health["sqlite_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{health}"
    );
    assert!(health["database_version"].is_string(), "{health}");
}

#[tokio::test]
async fn a_killed_workers_runs_are_interrupted_and_survivors_take_the_queue() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let one_at_a_time = |o: Options| o.env("RUNBOX_MAX_CONCURRENT_PER_USER", "2");
    let api = Server::start_with(one_at_a_time(node(&db)).arg("--no-workers"));
    let mut worker =
        Server::start_with(one_at_a_time(node(&db)).worker().env("RUNBOX_WORKERS", "2"));
    button(&api, "long", "sleep 2468.5").await;
    button(&api, "short", "echo survived").await;
    let long = vec![start_run(&api, "long").await, start_run(&api, "long").await];
    for id in &long {
        eventually("running on the worker", Duration::from_secs(20), || async {
            status(&api, id).await["status"] == "running"
        })
        .await;
    }
    // A second executing node joins; the user's limit (2) keeps these queued.
    let survivor = Server::start_with(one_at_a_time(node(&db)));
    let short = vec![
        start_run(&api, "short").await,
        start_run(&survivor, "short").await,
    ];
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in &short {
        assert_eq!(status(&api, id).await["status"], "pending");
    }
    worker.kill9();
    let killed_at = Instant::now();
    for id in &long {
        eventually("interrupted", Duration::from_secs(30), || async {
            status(&api, id).await["status"] == "failed"
        })
        .await;
        let data = status(&api, id).await;
        assert!(
            data["error"]
                .as_str()
                .is_some_and(|e| e.contains("interrupted")),
            "{data}"
        );
    }
    assert!(
        killed_at.elapsed() >= Duration::from_secs(2),
        "failed only after the lease expired"
    );
    for id in &short {
        eventually("queued run picked up", Duration::from_secs(30), || async {
            status(&survivor, id).await["status"] == "completed"
        })
        .await;
        assert_eq!(status(&api, id).await["output"], "survived\n");
    }
    let left = std::process::Command::new("pgrep")
        .arg("-f")
        .arg("sleep 2468.5")
        .output()
        .expect("pgrep");
    assert!(
        left.stdout.is_empty(),
        "the dead worker's sandboxes died with it"
    );
}

#[tokio::test]
async fn health_is_degraded_when_the_database_is_gone() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let server = Server::start_with(node(&db));
    let (code, health) = get_as(&server, ADMIN_KEY, "/admin/health").await;
    assert_eq!((code, health["status"].clone()), (200, json!("ok")));
    db.drop_now().expect("drop database");
    eventually("degraded", Duration::from_secs(20), || async {
        let response = client().get(server.url("/admin/health")).send().await;
        match response {
            Ok(r) if r.status().as_u16() == 503 => r
                .json::<Value>()
                .await
                .map(|b| b["status"] == "degraded")
                .unwrap_or(false),
            _ => false,
        }
    })
    .await;
}

/// A worker that stalls past its lease (here: stopped with SIGSTOP) finds
/// its run ended by another node when it wakes, and stops it instead of
/// running on outside every limit.
#[tokio::test]
async fn a_worker_that_lost_its_lease_stops_the_run() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let api_only = Server::start_with(node(&db).arg("--no-workers"));
    let worker = Server::start_with(node(&db).worker());
    button(&api_only, "stall", "sleep 1357.5").await;
    let id = start_run(&api_only, "stall").await;
    eventually("running on the worker", Duration::from_secs(20), || async {
        status(&api_only, &id).await["status"] == "running"
    })
    .await;
    let signal = |sig: i32| {
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(worker.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    };
    let stalled_alive = || {
        std::process::Command::new("pgrep")
            .arg("-f")
            .arg("sleep 1357.5")
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false)
    };
    // "running" is recorded as the sandbox starts: wait for the process.
    eventually(
        "the run's process to show",
        Duration::from_secs(15),
        || async { stalled_alive() },
    )
    .await;
    // SIGSTOP: no heartbeat from now on. Another executing node notices the
    // silent lease.
    signal(19);
    let reaper = Server::start_with(node(&db));
    eventually(
        "interrupted by the other node",
        Duration::from_secs(30),
        || async { status(&reaper, &id).await["status"] == "failed" },
    )
    .await;
    signal(18); // SIGCONT
    eventually(
        "the stalled run's process is gone",
        Duration::from_secs(15),
        || async { !stalled_alive() },
    )
    .await;
    let data = status(&reaper, &id).await;
    assert_eq!(data["status"], "failed", "{data}");
}
