//! Scenario runs over time, on both backends: stop, retry, time limits,
//! the interface, schedules, and the bounds on data and flow size.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{client, eventually, get_as, post, Backend, Server, ADMIN_KEY};
use crate::scenarios::{details, execution, flow, http_target, run, scenario};

async fn stop_retry_timeout_and_interface(backend: Backend<'_>) {
    let (base, flaky) = http_target().await;
    let server = Server::start_with(backend.options().env("RUNBOX_HTTP_ALLOW", "127.0.0.1"));
    let sleeper = scenario(
        &server,
        flow(json!([{"id": 1, "module": "util:FunctionSleep", "mapper": {"duration": 30}}])),
        json!({}),
    )
    .await;
    let (_, body) = run(&server, sleeper, json!({}), false).await;
    let eid = body["executionId"].as_str().expect("id").to_owned();
    eventually("running", Duration::from_secs(20), || async {
        execution(&server, sleeper, &eid).await["status"] == "running"
    })
    .await;
    let started = Instant::now();
    let (status, body) = post(
        &server,
        &format!("/scenarios/{sleeper}/executions/{eid}/stop"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["execution"]["status"], "stopped", "{body}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Retry resumes at the failed module; the ones before it do not run again.
    let blueprint = flow(json!([
        {"id": 1, "module": "scenario-service:StartSubscenario"},
        {"id": 2, "module": "code:ExecutePython", "mapper": {"code": "return 'computed once'", "input": {}}},
        {"id": 3, "module": "http:ActionSendData", "mapper": {"url": format!("{base}/flaky"), "method": "POST", "data": "{{2.result}}"}},
        {"id": 4, "module": "scenario-service:ReturnData", "mapper": {"first": "{{2.result}}", "status": "{{3.statusCode}}"}}
    ]));
    let retried = scenario(&server, blueprint, json!({})).await;
    let (status, body) = run(&server, retried, json!({}), true).await;
    assert_eq!(status, 500, "{body}");
    let failed = body["error"]["details"]["executionId"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default();
    let failed = if failed.is_empty() {
        let (_, page) = get_as(
            &server,
            ADMIN_KEY,
            &format!("/scenarios/{retried}/executions"),
        )
        .await;
        page["executions"][0]["id"].as_str().expect("id").to_owned()
    } else {
        failed
    };
    assert_eq!(
        execution(&server, retried, &failed).await["status"],
        "error"
    );
    let (status, body) = post(
        &server,
        &format!("/scenarios/{retried}/executions/{failed}/retry"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let second = body["executionId"].as_str().expect("id").to_owned();
    eventually("retry completed", Duration::from_secs(20), || async {
        execution(&server, retried, &second).await["status"] == "completed"
    })
    .await;
    let view = execution(&server, retried, &second).await;
    assert_eq!(
        view["outputs"],
        json!({"first": "computed once", "status": 200})
    );
    assert_eq!(view["retryOf"], failed.as_str());
    let ran: Vec<i64> = details(&server, retried, &second).await["modules"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default();
    assert!(
        !ran.contains(&2),
        "module 2 completed before: it must not run again ({ran:?})"
    );
    assert!(ran.contains(&3));
    assert_eq!(flaky.load(Ordering::SeqCst), 2);
    let (status, _) = post(
        &server,
        &format!("/scenarios/{retried}/executions/{second}/retry"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 400, "a completed run cannot be retried");

    // maxDuration → TIMEOUT.
    let slow = scenario(
        &server,
        flow(json!([{"id": 1, "module": "util:FunctionSleep", "mapper": {"duration": 10}}])),
        json!({"maxDuration": 1}),
    )
    .await;
    let started = Instant::now();
    let (status, body) = run(&server, slow, json!({}), true).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (504, json!("TIMEOUT")),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    let reported = &body["error"]["details"];
    assert_eq!(reported["moduleId"], 1, "the module in flight: {body}");
    let timed_out = reported["executionId"]
        .as_str()
        .expect("executionId")
        .to_owned();
    let view = execution(&server, slow, &timed_out).await;
    assert_eq!(view["status"], "error", "{view}");
    assert_eq!(view["error"]["code"], "TIMEOUT", "{view}");

    // The interface checks and defaults the run's data.
    let typed = scenario(&server, flow(json!([
        {"id": 1, "module": "scenario-service:StartSubscenario"},
        {"id": 2, "module": "scenario-service:ReturnData", "mapper": {"who": "{{var.input.who}}", "times": "{{var.input.times}}"}}
    ])), json!({})).await;
    let interface = json!({"interface": {"input": [{"name": "who", "type": "text", "required": true}, {"name": "times", "type": "number", "default": 2}], "output": [{"name": "who", "type": "text"}]}});
    let response = client()
        .patch(server.url(&format!("/scenarios/{typed}/interface")))
        .header("x-api-key", ADMIN_KEY)
        .json(&interface)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let (_, got) = get_as(&server, ADMIN_KEY, &format!("/scenarios/{typed}/interface")).await;
    assert_eq!(got["interface"]["input"][0]["name"], "who");
    let (status, body) = run(&server, typed, json!({}), true).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("INVALID_INPUT"))
    );
    let (status, body) = run(&server, typed, json!({"who": 5}), true).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("INVALID_INPUT"))
    );
    let (status, body) = run(&server, typed, json!({"who": "Ada"}), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outputs"], json!({"who": "Ada", "times": 2}));
}

async fn a_scheduled_scenario_runs_on_its_interval(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let blueprint = flow(
        json!([{"id": 1, "module": "util:SetVariable2", "mapper": {"name": "t", "value": "{{now}}"}}]),
    );
    let (status, created) = post(&server, "/scenarios", json!({"teamId": 3, "name": "tick", "scheduling": {"type": "indefinitely", "interval": 1}, "blueprint": blueprint})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scenario"]["teamId"], 3);
    let id = created["scenario"]["id"].as_i64().expect("id");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, page) = get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}/executions")).await;
    assert_eq!(page["pg"]["total"], 0, "inactive scenarios do not run");
    let (status, _) = post(&server, &format!("/scenarios/{id}/start"), Value::Null).await;
    assert_eq!(status, 200);
    eventually("three runs", Duration::from_secs(15), || async {
        get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}/executions"))
            .await
            .1["pg"]["total"]
            .as_u64()
            .unwrap_or(0)
            >= 3
    })
    .await;
    post(&server, &format!("/scenarios/{id}/stop"), Value::Null).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}/executions"))
        .await
        .1["pg"]["total"]
        .as_u64()
        .unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}/executions"))
        .await
        .1["pg"]["total"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(before, after, "a paused scenario stops running");

    // Without `interval`: accepted, echoed as sent, and run every 900 s
    // (Make's default): once when activated, then not again for now. The
    // body's teamId may be a numeric string.
    let (status, created) = post(&server, "/scenarios", json!({"teamId": "3", "name": "default", "scheduling": {"type": "indefinitely"}, "blueprint": blueprint})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scenario"]["teamId"], 3, "{created}");
    assert_eq!(
        created["scenario"]["scheduling"],
        json!({"type": "indefinitely"})
    );
    let id = created["scenario"]["id"].as_i64().expect("id");
    let (_, listed) = get_as(&server, ADMIN_KEY, "/scenarios?teamId=3").await;
    assert_eq!(
        listed["scenarios"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    post(&server, &format!("/scenarios/{id}/start"), Value::Null).await;
    let total = || async {
        get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}/executions"))
            .await
            .1["pg"]["total"]
            .as_u64()
            .unwrap_or(0)
    };
    eventually("the first run", Duration::from_secs(15), || async {
        total().await == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(total().await, 1, "the next run is 900 s away");
    post(&server, &format!("/scenarios/{id}/stop"), Value::Null).await;
    for team in [json!("three"), json!("3.5"), json!(true)] {
        let (status, body) = post(
            &server,
            "/scenarios",
            json!({"teamId": team, "name": "bad", "blueprint": blueprint}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (400, json!("INVALID_INPUT")),
            "teamId {team}: {body}"
        );
    }
}

/// Starts a run of the napping scenario; returns its execution id.
async fn nap(server: &Server, id: i64, secs: u64) -> String {
    let (status, body) = run(server, id, json!({"secs": secs}), false).await;
    assert_eq!(status, 202, "{body}");
    body["executionId"].as_str().expect("id").to_owned()
}

/// `POST /scenarios/{id}/executions/{eid}/{action}` (stop, retry).
async fn act(server: &Server, id: i64, eid: &str, action: &str) -> (u16, Value) {
    post(
        server,
        &format!("/scenarios/{id}/executions/{eid}/{action}"),
        Value::Null,
    )
    .await
}

/// Retry of runs with nothing to resume from: they start over, with the
/// blueprint and input of the original run.
async fn retry_starts_over_when_there_is_nothing_to_resume(backend: Backend<'_>) {
    let (base, flaky) = http_target().await;
    let mut server = Server::start_with(
        backend
            .options()
            .env("RUNBOX_HTTP_ALLOW", "127.0.0.1")
            .env("RUNBOX_MAX_CONCURRENT_PER_USER", "1")
            // A crashed node's runs are recorded as interrupted soon on a
            // shared database too.
            .env("RUNBOX_LEASE_SECS", "2"),
    );
    let napper = scenario(
        &server,
        flow(json!([
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "util:FunctionSleep", "mapper": {"duration": "{{var.input.secs}}"}},
            {"id": 3, "module": "scenario-service:ReturnData", "mapper": {"slept": "{{var.input.secs}}"}}
        ])),
        json!({}),
    )
    .await;
    // Stopped while still pending (one run at a time per user).
    let long = nap(&server, napper, 30).await;
    eventually("running", Duration::from_secs(20), || async {
        execution(&server, napper, &long).await["status"] == "running"
    })
    .await;
    let pending = nap(&server, napper, 0).await;
    assert_eq!(
        execution(&server, napper, &pending).await["status"],
        "pending"
    );
    let (status, body) = act(&server, napper, &pending, "stop").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["execution"]["status"], "stopped", "{body}");
    assert!(body["execution"]["started"].is_null(), "{body}");
    let (status, body) = act(&server, napper, &pending, "retry").await;
    assert_eq!(status, 202, "{body}");
    let again = body["executionId"].as_str().expect("id").to_owned();
    act(&server, napper, &long, "stop").await;
    eventually("retry completed", Duration::from_secs(20), || async {
        execution(&server, napper, &again).await["status"] == "completed"
    })
    .await;
    let view = execution(&server, napper, &again).await;
    assert_eq!(
        view["outputs"],
        json!({"slept": 0}),
        "the same input: {view}"
    );
    assert_eq!(view["retryOf"], pending.as_str());

    // Rolled back: nothing is kept, every module runs again.
    let rolled = scenario(
        &server,
        flow(json!([
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "util:SetVariable2", "mapper": {"name": "id", "value": "{{uuid}}"}},
            {"id": 3, "module": "http:ActionSendData", "mapper": {"url": format!("{base}/flaky"), "method": "POST", "data": "x"},
             "onerror": [{"id": 9, "module": "builtin:Rollback"}]},
            {"id": 4, "module": "scenario-service:ReturnData", "mapper": {"id": "{{2.id}}", "status": "{{3.statusCode}}"}}
        ])),
        json!({}),
    )
    .await;
    let (status, body) = run(&server, rolled, json!({}), true).await;
    assert_eq!(status, 500, "{body}");
    let first = body["error"]["details"]["executionId"]
        .as_str()
        .expect("executionId")
        .to_owned();
    let first_id = details(&server, rolled, &first).await["modules"][1]["output"]["id"].clone();
    assert!(first_id.is_string(), "{first_id}");
    let (status, body) = post(
        &server,
        &format!("/scenarios/{rolled}/executions/{first}/retry"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 202, "a rolled-back run can be retried: {body}");
    let second = body["executionId"].as_str().expect("id").to_owned();
    eventually("retry completed", Duration::from_secs(20), || async {
        execution(&server, rolled, &second).await["status"] == "completed"
    })
    .await;
    let outputs = execution(&server, rolled, &second).await["outputs"].clone();
    assert_eq!(outputs["status"], 200);
    assert_ne!(outputs["id"], first_id, "module 2 ran again");
    assert_eq!(flaky.load(Ordering::SeqCst), 2);

    // Interrupted by a crash of the node.
    let crashed = nap(&server, napper, 30).await;
    eventually("running", Duration::from_secs(20), || async {
        execution(&server, napper, &crashed).await["status"] == "running"
    })
    .await;
    server.restart();
    eventually("interrupted", Duration::from_secs(30), || async {
        execution(&server, napper, &crashed).await["status"] == "error"
    })
    .await;
    let (status, body) = act(&server, napper, &crashed, "retry").await;
    assert_eq!(status, 202, "an interrupted run can be retried: {body}");
    let resumed = body["executionId"].as_str().expect("id").to_owned();
    eventually("retry running", Duration::from_secs(20), || async {
        execution(&server, napper, &resumed).await["status"] == "running"
    })
    .await;
    let (_, body) = act(&server, napper, &resumed, "stop").await;
    assert_eq!(body["execution"]["status"], "stopped", "{body}");
    assert_eq!(body["execution"]["retryOf"], crashed.as_str());
    let ran: Vec<i64> = details(&server, napper, &resumed).await["modules"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(ran, [1, 2], "from the start, with the same input");
    let (status, body) = act(&server, napper, &again, "retry").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("INVALID_INPUT")),
        "a completed run cannot be retried: {body}"
    );
}

fn nested(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!({ "a": inner }))
}

/// Deeply nested data is refused at the door or kept readable: it once
/// broke the executions listing for good. A long chain of modules runs.
async fn deep_data_and_long_flows(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let mut modules = vec![json!({"id": 1, "module": "scenario-service:StartSubscenario"})];
    for id in 2..400 {
        modules.push(json!({"id": id, "module": "util:SetVariable2", "mapper": {"name": "n", "value": "{{1.a.a.a}}"}}));
    }
    modules.push(
        json!({"id": 400, "module": "scenario-service:ReturnData", "mapper": {"n": "{{399.n}}"}}),
    );
    let id = scenario(&server, flow(json!(modules)), json!({})).await;
    let (status, body) = run(&server, id, nested(60), true).await;
    assert_eq!(status, 200, "{body}");
    let eid = body["executionId"].as_str().expect("id").to_owned();
    assert_eq!(
        details(&server, id, &eid).await["modules"]
            .as_array()
            .map(Vec::len),
        Some(400)
    );
    let (status, body) = run(&server, id, nested(70), true).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_INPUT");
    let (status, listing) =
        get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}/executions")).await;
    assert_eq!(status, 200, "{listing}");
    assert_eq!(listing["pg"]["total"], 1);
    let (status, _) = get_as(&server, ADMIN_KEY, "/admin/health").await;
    assert_eq!(status, 200);
}

crate::on_both_backends!(
    stop_retry_timeout_and_interface,
    a_scheduled_scenario_runs_on_its_interval,
    retry_starts_over_when_there_is_nothing_to_resume,
    deep_data_and_long_flows,
);
