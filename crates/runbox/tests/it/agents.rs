//! The agents dialect (seed 004): the seed's run/poll loop, both runtimes,
//! failures with `error_log`, two-phase cancel, priorities, idempotency,
//! the SSE stream, 404/422/400 in `{"detail"}` shape.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{client, get_as, post, unique, Backend, Server, ADMIN_KEY};

async fn create_agent(server: &Server, body: Value) -> String {
    let (status, agent) = post(server, "/agents", body).await;
    assert_eq!(status, 201, "{agent}");
    agent["agent_id"].as_str().expect("agent_id").to_owned()
}

async fn run(server: &Server, body: Value) -> String {
    let (status, reply) = post(server, "/executions/run", body).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(reply["status"], "QUEUED");
    reply["execution_id"]
        .as_str()
        .expect("execution_id")
        .to_owned()
}

/// The seed's `runAgentAndWait`, translated: poll every 100 ms until a final state.
async fn run_and_wait(server: &Server, agent_id: &str, input: Value) -> Value {
    let execution_id = run(server, json!({"agent_id": agent_id, "input": input})).await;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let (status, execution) =
            get_as(server, ADMIN_KEY, &format!("/executions/{execution_id}")).await;
        assert_eq!(status, 200);
        if ["COMPLETED", "FAILED", "CANCELED"]
            .contains(&execution["status"].as_str().unwrap_or_default())
        {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("execution timed out");
}

const WEATHER: &str = "def run(input):\n    print('thinking about', input['question'])\n    return {'answer': 'Today is sunny with 25C', 'confidence': 0.95}\n";

async fn the_seed_run_and_poll_loop_completes_with_final_result(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let agent_id = create_agent(
        &server,
        json!({"name": "weather", "runtime": "python", "code": WEATHER, "priority": 70}),
    )
    .await;
    let execution = run_and_wait(
        &server,
        &agent_id,
        json!({"question": "What is the weather today?", "context": {}}),
    )
    .await;
    assert_eq!(execution["status"], "COMPLETED", "{execution}");
    assert_eq!(execution["agent_id"], agent_id.as_str());
    assert_eq!(execution["priority"], 70);
    assert_eq!(
        execution["payload"],
        json!({"question": "What is the weather today?", "context": {}})
    );
    assert_eq!(
        execution["final_result"],
        json!({"answer": "Today is sunny with 25C", "confidence": 0.95})
    );
    assert_eq!(execution["error_log"], Value::Null);
    for key in ["created_at", "started_at", "completed_at"] {
        assert!(
            execution[key].as_str().is_some_and(|t| t.ends_with('Z')),
            "{key}"
        );
    }
}

async fn command_agents_read_stdin_and_print_json(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let echo = create_agent(
        &server,
        json!({"name": "echo", "runtime": "command", "command": "cat"}),
    )
    .await;
    let execution = run_and_wait(&server, &echo, json!({"hello": "world", "n": [1, 2]})).await;
    assert_eq!(execution["status"], "COMPLETED", "{execution}");
    assert_eq!(
        execution["final_result"],
        json!({"hello": "world", "n": [1, 2]})
    );
    let list = create_agent(
        &server,
        json!({"name": "list", "runtime": "command", "command": "echo '[1, 2, 3]'"}),
    )
    .await;
    let execution = run_and_wait(&server, &list, json!({})).await;
    assert_eq!(
        execution["final_result"],
        json!({"result": [1, 2, 3]}),
        "non-objects are wrapped"
    );
    let wrapped = create_agent(
        &server,
        json!({"name": "scalar", "runtime": "python", "code": "def run(input):\n    return 42"}),
    )
    .await;
    assert_eq!(
        run_and_wait(&server, &wrapped, json!({})).await["final_result"],
        json!({"result": 42})
    );
}

async fn failures_carry_an_error_log(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let raises = create_agent(&server, json!({"name": "raises", "runtime": "python", "code": "def run(input):\n    raise ValueError('bad input')"})).await;
    let execution = run_and_wait(&server, &raises, json!({})).await;
    assert_eq!(execution["status"], "FAILED");
    let log = execution["error_log"].as_str().unwrap_or_default();
    assert!(
        log.contains("Traceback") && log.contains("ValueError: bad input"),
        "{log}"
    );
    assert_eq!(execution["final_result"], Value::Null);

    let no_run = create_agent(
        &server,
        json!({"name": "norun", "runtime": "python", "code": "x = 1"}),
    )
    .await;
    let execution = run_and_wait(&server, &no_run, json!({})).await;
    assert!(
        execution["error_log"]
            .as_str()
            .is_some_and(|l| l.contains("run(input)")),
        "{execution}"
    );

    let chatty = create_agent(
        &server,
        json!({"name": "chatty", "runtime": "command", "command": "echo hello there"}),
    )
    .await;
    let execution = run_and_wait(&server, &chatty, json!({})).await;
    assert_eq!(execution["status"], "FAILED");
    assert!(
        execution["error_log"]
            .as_str()
            .is_some_and(|l| l.contains("not a JSON object")),
        "{execution}"
    );

    let exits = create_agent(
        &server,
        json!({"name": "exits", "runtime": "command", "command": "echo broken >&2; exit 4"}),
    )
    .await;
    let execution = run_and_wait(&server, &exits, json!({})).await;
    assert_eq!(execution["status"], "FAILED");
    assert_eq!(execution["error_log"], "broken");

    let slow = create_agent(
        &server,
        json!({"name": "slow", "runtime": "command", "command": "sleep 30", "timeout": 1}),
    )
    .await;
    let execution = run_and_wait(&server, &slow, json!({})).await;
    assert_eq!(execution["status"], "FAILED");
    assert_eq!(execution["error_log"], "timed out after 1 s");
}

async fn cancel_is_two_phase_and_finished_runs_conflict(backend: Backend<'_>) {
    let marker = format!("777.{}", unique());
    let server = Server::start_with(backend.options().env("RUNBOX_MAX_CONCURRENT_PER_USER", "1"));
    let sleeper = create_agent(
        &server,
        json!({"name": "sleeper", "runtime": "command", "command": format!("sleep {marker}")}),
    )
    .await;
    let running = run(&server, json!({"agent_id": sleeper})).await;
    let pending = run(&server, json!({"agent_id": sleeper})).await;
    crate::harness::eventually("running", Duration::from_secs(10), || async {
        get_as(&server, ADMIN_KEY, &format!("/executions/{running}"))
            .await
            .1["status"]
            == "RUNNING"
    })
    .await;
    assert_eq!(
        get_as(&server, ADMIN_KEY, &format!("/executions/{pending}"))
            .await
            .1["status"],
        "PENDING"
    );
    let (status, reply) = post(
        &server,
        &format!("/executions/{pending}/cancel"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        reply,
        json!({"status": "cancel_requested", "execution_id": pending})
    );
    assert_eq!(
        get_as(&server, ADMIN_KEY, &format!("/executions/{pending}"))
            .await
            .1["status"],
        "CANCELED",
        "pending → CANCELED at once"
    );

    let started = Instant::now();
    let (status, _) = post(
        &server,
        &format!("/executions/{running}/cancel"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    crate::harness::eventually("canceled", Duration::from_secs(10), || async {
        get_as(&server, ADMIN_KEY, &format!("/executions/{running}"))
            .await
            .1["status"]
            == "CANCELED"
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let left = std::process::Command::new("pgrep")
        .arg("-f")
        .arg(format!("sleep {marker}"))
        .output()
        .expect("pgrep");
    assert!(left.stdout.is_empty(), "no process is left");
    let (status, body) = post(
        &server,
        &format!("/executions/{running}/cancel"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, body),
        (409, json!({"detail": "Execution already finished"}))
    );
}

async fn unknown_ids_404_invalid_bodies_422_malformed_400(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let (status, body) = get_as(
        &server,
        ADMIN_KEY,
        "/executions/00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(status, 404);
    assert!(body["detail"].is_string());
    let (status, body) = post(&server, "/executions/run", json!({"agent_id": "nope"})).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["detail"].is_string());
    let (status, _) = get_as(&server, ADMIN_KEY, "/agents/nope").await;
    assert_eq!(status, 404);
    let agent = create_agent(
        &server,
        json!({"name": "ok", "runtime": "command", "command": "cat"}),
    )
    .await;
    for bad in [
        json!({}),
        json!({"agent_id": agent, "input": [1]}),
        json!({"agent_id": agent, "priority": 101}),
        json!({"agent_id": agent, "priority": "high"}),
    ] {
        let (status, body) = post(&server, "/executions/run", bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body["detail"].is_string());
    }
    // Fields the schema does not know are ignored, as pydantic does.
    let (status, body) = post(
        &server,
        "/executions/run",
        json!({"agent_id": agent, "extra": 1}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    for bad in [
        json!({"name": "x", "runtime": "ruby", "code": "1"}),
        json!({"name": "x", "runtime": "python"}),
        json!({"runtime": "command", "command": "cat"}),
        json!({"name": "x", "runtime": "command", "command": "reboot"}),
        json!({"name": "x", "runtime": "command", "command": "cat", "timeout": 3601}),
    ] {
        let (status, body) = post(&server, "/agents", bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let response = client()
        .post(server.url("/executions/run"))
        .header("x-api-key", ADMIN_KEY)
        .body("{oops")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.json::<Value>().await.expect("json")["detail"].is_string());
    let response = client()
        .get(server.url("/agents"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 401);
}

async fn higher_priority_runs_first_when_the_user_limit_is_saturated(backend: Backend<'_>) {
    let server = Server::start_with(backend.options().env("RUNBOX_MAX_CONCURRENT_PER_USER", "1"));
    let agent = create_agent(&server, json!({"name": "stamp", "runtime": "python", "code": "import time\ndef run(input):\n    time.sleep(input.get('sleep', 0))\n    return {'at': time.time()}", "priority": 50})).await;
    let blocker = run(&server, json!({"agent_id": agent, "input": {"sleep": 1.0}})).await;
    crate::harness::eventually("blocker running", Duration::from_secs(10), || async {
        get_as(&server, ADMIN_KEY, &format!("/executions/{blocker}"))
            .await
            .1["status"]
            == "RUNNING"
    })
    .await;
    let low = run(&server, json!({"agent_id": agent, "priority": 10})).await;
    let high = run(&server, json!({"agent_id": agent, "priority": 90})).await;
    let default = run(&server, json!({"agent_id": agent})).await;
    let mut finished = Vec::new();
    for id in [&low, &high, &default] {
        crate::harness::eventually("completed", Duration::from_secs(30), || async {
            get_as(&server, ADMIN_KEY, &format!("/executions/{id}"))
                .await
                .1["status"]
                == "COMPLETED"
        })
        .await;
        let execution = get_as(&server, ADMIN_KEY, &format!("/executions/{id}"))
            .await
            .1;
        finished.push((
            execution["started_at"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            id.clone(),
        ));
    }
    assert_eq!(
        get_as(&server, ADMIN_KEY, &format!("/executions/{default}"))
            .await
            .1["priority"],
        50,
        "the agent's priority by default"
    );
    finished.sort();
    let order: Vec<&String> = finished.iter().map(|(_, id)| id).collect();
    assert_eq!(order, vec![&high, &default, &low]);
}

async fn idempotency_key_repeats_and_conflicts(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let agent = create_agent(
        &server,
        json!({"name": "echo", "runtime": "command", "command": "cat"}),
    )
    .await;
    let send = |body: Value, key: &'static str| {
        let url = server.url("/executions/run");
        async move {
            let response = client()
                .post(url)
                .header("x-api-key", ADMIN_KEY)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .expect("send");
            (
                response.status().as_u16(),
                response.json::<Value>().await.expect("json"),
            )
        }
    };
    let (s1, first) = send(json!({"agent_id": agent, "input": {"a": 1}}), "key-1").await;
    let (s2, second) = send(json!({"agent_id": agent, "input": {"a": 1}}), "key-1").await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(first["execution_id"], second["execution_id"]);
    let (s3, conflict) = send(json!({"agent_id": agent, "input": {"a": 2}}), "key-1").await;
    assert_eq!(s3, 422, "{conflict}");
    let (_, list) = get_as(&server, ADMIN_KEY, &format!("/executions?agent_id={agent}")).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "one execution for one key"
    );
}

async fn the_event_stream_shows_status_changes_and_log_lines(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let agent = create_agent(&server, json!({"name": "talker", "runtime": "python", "code": "import time\ndef run(input):\n    print('step one', flush=True)\n    time.sleep(0.5)\n    print('step two')\n    return {'done': True}"})).await;
    let id = run(&server, json!({"agent_id": agent})).await;
    let mut response = client()
        .get(server.url(&format!("/executions/{id}/events")))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let mut text = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(30), response.chunk())
        .await
        .expect("stream stalled")
        .expect("chunk")
    {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let events: Vec<(String, String)> = text
        .split("\n\n")
        .filter_map(|block| {
            let name = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect::<Vec<_>>()
                .join("\n");
            Some((name.to_owned(), data))
        })
        .collect();
    let logs: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "log")
        .map(|(_, d)| d.as_str())
        .collect();
    assert_eq!(logs, vec!["step one", "step two"], "{text}");
    let statuses: Vec<String> = events
        .iter()
        .filter(|(n, _)| n == "status")
        .map(|(_, d)| {
            serde_json::from_str::<Value>(d)
                .map(|v| v["status"].as_str().unwrap_or_default().to_owned())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("COMPLETED"),
        "{text}"
    );
    assert!(statuses.iter().any(|s| s == "RUNNING"), "{statuses:?}");
    let last = events.last().expect("events");
    assert_eq!(last.0, "status", "the stream ends with the terminal status");
}

async fn agents_are_listed_updated_deleted_and_come_from_the_config_file(backend: Backend<'_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("runbox.toml");
    std::fs::write(
        &config,
        "[[agents]]\nname = \"echo\"\nruntime = \"command\"\ncommand = \"cat\"\n",
    )
    .expect("write");
    let server = Server::start_with(
        backend
            .options()
            .arg("--config")
            .arg(config.display().to_string()),
    );
    let (_, agents) = get_as(&server, ADMIN_KEY, "/agents").await;
    let echo = agents
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "echo"))
        .cloned()
        .expect("configured agent");
    assert_eq!(echo["runtime"], "command");
    assert_eq!(echo["priority"], 50);
    assert_eq!(echo["timeout"], 600);
    let id = echo["agent_id"].as_str().expect("id").to_owned();
    let response = client()
        .patch(server.url(&format!("/agents/{id}")))
        .header("x-api-key", ADMIN_KEY)
        .json(&json!({"priority": 80}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json")["priority"],
        80
    );
    assert_eq!(
        run_and_wait(&server, &id, json!({"x": 1})).await["final_result"],
        json!({"x": 1})
    );
    let response = client()
        .delete(server.url(&format!("/agents/{id}")))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        get_as(&server, ADMIN_KEY, &format!("/agents/{id}")).await.0,
        404
    );
}

crate::on_both_backends!(
    the_seed_run_and_poll_loop_completes_with_final_result,
    command_agents_read_stdin_and_print_json,
    failures_carry_an_error_log,
    cancel_is_two_phase_and_finished_runs_conflict,
    unknown_ids_404_invalid_bodies_422_malformed_400,
    higher_priority_runs_first_when_the_user_limit_is_saturated,
    idempotency_key_repeats_and_conflicts,
    the_event_stream_shows_status_changes_and_log_lines,
    agents_are_listed_updated_deleted_and_come_from_the_config_file,
);
