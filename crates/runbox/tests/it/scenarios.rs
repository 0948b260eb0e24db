//! The scenarios dialect (seed 002) with real blueprints, on both backends.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{client, eventually, get_as, post, Backend, Server, ADMIN_KEY};

/// Creates and activates a scenario; returns its id.
async fn scenario(server: &Server, blueprint: Value, extra: Value) -> i64 {
    let mut body =
        json!({"name": "test", "scheduling": {"type": "on-demand"}, "blueprint": blueprint});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, created) = post(server, "/scenarios?teamId=7", body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["scenario"]["isActive"], false);
    let id = created["scenario"]["id"].as_i64().expect("id");
    let response = client()
        .patch(server.url(&format!("/scenarios/{id}")))
        .header("x-api-key", ADMIN_KEY)
        .json(&json!({"isPaused": false}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    id
}

async fn run(server: &Server, id: i64, data: Value, responsive: bool) -> (u16, Value) {
    post(
        server,
        &format!("/scenarios/{id}/run"),
        json!({"data": data, "responsive": responsive}),
    )
    .await
}

async fn execution(server: &Server, id: i64, eid: &str) -> Value {
    get_as(
        server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions/{eid}"),
    )
    .await
    .1["execution"]
        .clone()
}

async fn details(server: &Server, id: i64, eid: &str) -> Value {
    get_as(
        server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions/{eid}/details"),
    )
    .await
    .1["execution"]
        .clone()
}

fn flow(modules: Value) -> Value {
    json!({"name": "bp", "flow": modules, "metadata": {"version": 1}})
}

async fn inputs_variables_functions_json_and_code(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let blueprint = flow(json!([
        {"id": 1, "module": "scenario-service:StartSubscenario"},
        {"id": 2, "module": "util:SetVariable2", "mapper": {"name": "greeting", "value": "{{upper(\"hello \" + var.input.who)}}"}},
        {"id": 3, "module": "json:ParseJSON", "mapper": {"json": "{\"items\": [{\"name\": \"first\"}, {\"name\": \"second\"}]}"}},
        {"id": 4, "module": "code:ExecutePython", "mapper": {"code": "return {'n': len(input['s']) * 2}", "input": {"s": "{{2.greeting}}"}}},
        {"id": 5, "module": "scenario-service:ReturnData", "mapper": {
            "greeting": "{{2.greeting}}", "second": "{{3.items[2].name}}", "doubled": "{{4.result.n}}",
            "scenario": "{{var.scenario.id}}", "count": "{{length(3.items)}}"
        }}
    ]));
    let id = scenario(&server, blueprint, json!({})).await;
    let (status, body) = run(&server, id, json!({"who": "ada"}), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["outputs"]["greeting"], "HELLO ADA");
    assert_eq!(body["outputs"]["second"], "second", "1-based index");
    assert_eq!(body["outputs"]["doubled"], 18);
    assert_eq!(body["outputs"]["scenario"], id);
    assert_eq!(body["outputs"]["count"], 2);
    assert_eq!(
        body["stats"]["operations"], 3,
        "StartSubscenario and ReturnData cost nothing"
    );
    let eid = body["executionId"].as_str().expect("id").to_owned();
    assert_eq!(eid.len(), 32);
    let modules = details(&server, id, &eid).await["modules"].clone();
    let code = modules
        .as_array()
        .and_then(|m| m.iter().find(|m| m["id"] == 4))
        .cloned()
        .expect("code module");
    assert_eq!(code["status"], "completed");
    assert_eq!(code["input"]["input"], json!({"s": "HELLO ADA"}));
    assert_eq!(code["output"]["result"], json!({"n": 18}));
    assert!(code["duration"].is_u64() && code["bundle"] == 1);

    // A failing step is worded as the Python API words a failed run.
    let failing = scenario(
        &server,
        flow(json!([
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "code:ExecutePython", "mapper": {"code": "{{var.input.code}}", "input": {}}}
        ])),
        json!({}),
    )
    .await;
    for (code, error) in [
        (
            "import sys\nprint('bye', file=sys.stderr)\nsys.exit(3)",
            "Process exited with code 3",
        ),
        ("x = 1 / 0", "ZeroDivisionError: division by zero"),
    ] {
        let (status, body) = run(&server, failing, json!({"code": code}), true).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["error"]["details"]["error"], error, "{code}: {body}");
        assert_eq!(body["error"]["details"]["moduleId"], 2);
    }
}

async fn iterator_aggregator_and_router_with_filters(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let blueprint = flow(json!([
        {"id": 1, "module": "scenario-service:StartSubscenario"},
        {"id": 2, "module": "builtin:BasicFeeder", "mapper": {"array": "{{var.input.numbers}}"}},
        {"id": 3, "module": "util:SetVariable2", "mapper": {"name": "square", "value": "{{2.value * 2.value}}"}},
        {"id": 4, "module": "builtin:BasicAggregator", "parameters": {"feeder": 2}, "mapper": {"value": "{{3.square}}"}},
        {"id": 5, "module": "builtin:BasicRouter", "routes": [
            {"flow": [
                {"id": 6, "module": "scenario-service:ReturnData", "filter": {"name": "big", "conditions": [[{"a": "{{length(4.array)}}", "o": "number:greater", "b": "3"}]]},
                 "mapper": {"route": "big", "squares": "{{4.array}}"}}
            ]},
            {"flow": [
                {"id": 7, "module": "scenario-service:ReturnData", "filter": {"name": "small", "conditions": [[{"a": "{{length(4.array)}}", "o": "number:less", "b": "4"}]]},
                 "mapper": {"route": "small", "squares": "{{4.array}}"}}
            ]}
        ]}
    ]));
    let id = scenario(&server, blueprint, json!({})).await;
    let (status, body) = run(&server, id, json!({"numbers": [1, 2, 3]}), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["outputs"],
        json!({"route": "small", "squares": [1, 4, 9]})
    );
    let eid = body["executionId"].as_str().expect("id").to_owned();
    let ran: Vec<(i64, Value)> = details(&server, id, &eid).await["modules"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| (x["id"].as_i64().unwrap_or(0), x["status"].clone()))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !ran.iter().any(|(id, _)| *id == 6),
        "module 6's filter failed: it did not run, so it has no entry ({ran:?})"
    );
    assert_eq!(ran.iter().filter(|(id, _)| *id == 3).count(), 3, "{ran:?}");
    assert!(ran.iter().any(|(id, _)| *id == 7), "{ran:?}");
    assert!(
        ran.iter().all(|(_, status)| status == "completed"),
        "{ran:?}"
    );
    assert_eq!(
        body["stats"]["operations"],
        1 + 3 + 1,
        "feeder, 3×set, aggregator; routers cost nothing, as in Make"
    );
    let (_, body) = run(&server, id, json!({"numbers": [1, 2, 3, 4, 5]}), true).await;
    assert_eq!(
        body["outputs"],
        json!({"route": "big", "squares": [1, 4, 9, 16, 25]})
    );
}

/// A local HTTP server: `/json` answers JSON, `/fail` 500, `/flaky` 500 once then 200.
async fn http_target() -> (String, Arc<AtomicU32>) {
    let flaky = Arc::new(AtomicU32::new(0));
    let counter = flaky.clone();
    let app = axum::Router::new()
        .route(
            "/json",
            axum::routing::get(|| async {
                axum::Json(json!({"user": {"name": "Ada", "langs": ["rust", "python"]}}))
            }),
        )
        .route(
            "/fail",
            axum::routing::get(|| async {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom")
            }),
        )
        .route(
            "/flaky",
            axum::routing::post(move || {
                let counter = counter.clone();
                async move {
                    if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "not yet")
                            .into_response_parts()
                    } else {
                        (axum::http::StatusCode::OK, "{\"ok\": true}").into_response_parts()
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), flaky)
}

trait IntoParts {
    fn into_response_parts(self) -> axum::response::Response;
}

impl<T: axum::response::IntoResponse> IntoParts for T {
    fn into_response_parts(self) -> axum::response::Response {
        self.into_response()
    }
}

async fn http_modules_errors_and_ignore(backend: Backend<'_>) {
    let (base, _) = http_target().await;
    let server = Server::start_with(backend.options().env("RUNBOX_HTTP_ALLOW", "127.0.0.1"));
    let fetch = |url: String, onerror: Value| {
        flow(json!([
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "http:MakeRequest", "metadata": {"designer": {"name": "Fetch user"}}, "mapper": {"url": url, "method": "get", "parseResponse": true}, "onerror": onerror},
            {"id": 3, "module": "scenario-service:ReturnData", "mapper": {"name": "{{2.data.user.name}}", "second": "{{2.data.user.langs[2]}}", "status": "{{2.statusCode}}"}}
        ]))
    };
    let ok = scenario(&server, fetch(format!("{base}/json"), json!([])), json!({})).await;
    let (status, body) = run(&server, ok, json!({}), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["outputs"],
        json!({"name": "Ada", "second": "python", "status": 200})
    );
    assert!(body["stats"]["dataTransfer"]
        .as_u64()
        .is_some_and(|n| n > 0));

    let failing = scenario(&server, fetch(format!("{base}/fail"), json!([])), json!({})).await;
    let (status, body) = run(&server, failing, json!({}), true).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "EXECUTION_ERROR");
    assert_eq!(body["error"]["details"]["moduleId"], 2);
    assert!(body["error"]["details"]["moduleName"].is_string());
    assert!(
        body["error"]["details"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{body}"
    );

    let ignored = scenario(
        &server,
        fetch(
            format!("{base}/fail"),
            json!([{"id": 9, "module": "builtin:Ignore"}]),
        ),
        json!({}),
    )
    .await;
    let (status, body) = run(&server, ignored, json!({}), false).await;
    assert_eq!(status, 202);
    let eid = body["executionId"].as_str().expect("id").to_owned();
    eventually("warning", Duration::from_secs(20), || async {
        execution(&server, ignored, &eid).await["status"] == "warning"
    })
    .await;

    // An error route that ends in ReturnData: the run returns its outputs
    // and ends `warning`, as with Ignore.
    let returned = scenario(
        &server,
        fetch(
            format!("{base}/fail"),
            json!([
                {"id": 11, "module": "util:SetVariable2", "mapper": {"name": "why", "value": "{{2.error.message}}"}},
                {"id": 12, "module": "scenario-service:ReturnData", "mapper": {"handled": "{{11.why}}"}}
            ]),
        ),
        json!({}),
    )
    .await;
    let (status, body) = run(&server, returned, json!({}), true).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["outputs"]["handled"]
            .as_str()
            .is_some_and(|m| m.contains("500")),
        "{body}"
    );
    let eid = body["executionId"].as_str().expect("id").to_owned();
    assert_eq!(
        execution(&server, returned, &eid).await["status"],
        "warning"
    );
    let (_, listed) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/scenarios/{returned}/executions?status=warning"),
    )
    .await;
    assert_eq!(listed["pg"]["total"], 1, "{listed}");

    // Its own database: on a shared one, the node above (which allows
    // 127.0.0.1) could pick the run up.
    let refused = Server::start();
    let blocked = scenario(
        &refused,
        fetch(format!("{base}/json"), json!([])),
        json!({}),
    )
    .await;
    let (status, body) = run(&refused, blocked, json!({}), true).await;
    assert_eq!(
        status, 500,
        "private addresses need RUNBOX_HTTP_ALLOW: {body}"
    );
}

async fn listing_details_and_inactive(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let blueprint = flow(json!([
        {"id": 1, "module": "scenario-service:StartSubscenario"},
        {"id": 2, "module": "util:SetVariable2", "mapper": {"name": "x", "value": "{{var.input.n}}"}},
        {"id": 3, "module": "scenario-service:ReturnData", "mapper": {"x": "{{2.x}}"}}
    ]));
    let id = scenario(&server, blueprint.clone(), json!({})).await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let (status, body) = run(&server, id, json!({"n": n}), false).await;
        assert_eq!(status, 202);
        ids.push(body["executionId"].as_str().expect("id").to_owned());
    }
    for eid in &ids {
        eventually("completed", Duration::from_secs(30), || async {
            execution(&server, id, eid).await["status"] == "completed"
        })
        .await;
    }
    let (_, page) = get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}/executions")).await;
    assert_eq!(page["pg"], json!({"limit": 10, "offset": 0, "total": 12}));
    assert_eq!(page["executions"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        page["executions"][0]["id"],
        ids[11].as_str(),
        "newest first"
    );
    let (_, page) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions?pg[limit]=5&pg[offset]=10&status=completed"),
    )
    .await;
    assert_eq!(page["pg"], json!({"limit": 5, "offset": 10, "total": 12}));
    assert_eq!(page["executions"].as_array().map(Vec::len), Some(2));
    let (_, none) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions?status=error"),
    )
    .await;
    assert_eq!(none["pg"]["total"], 0);
    let (_, clamped) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions?pg[limit]=1000"),
    )
    .await;
    assert_eq!(clamped["pg"]["limit"], 100);
    let future = "2999-01-01T00:00:00.000Z";
    let (_, later) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions?from={future}"),
    )
    .await;
    assert_eq!(later["pg"]["total"], 0);

    let run_view = execution(&server, id, &ids[3]).await;
    for key in [
        "id",
        "scenarioId",
        "status",
        "started",
        "finished",
        "operations",
        "dataTransfer",
        "duration",
        "outputs",
    ] {
        assert!(!run_view[key].is_null(), "{key} in {run_view}");
    }
    assert_eq!(run_view["outputs"], json!({"x": 3}));
    let detail = details(&server, id, &ids[3]).await;
    let names: Vec<i64> = detail["modules"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default();
    assert!(names.contains(&2), "{detail}");

    let (status, body) = post(&server, &format!("/scenarios/{id}/stop"), Value::Null).await;
    assert_eq!(
        (status, body["scenario"]["isActive"].clone()),
        (200, json!(false))
    );
    let (status, body) = run(&server, id, json!({}), true).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "SCENARIO_INACTIVE");
    let (status, body) = get_as(&server, ADMIN_KEY, "/scenarios/99999").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("NOT_FOUND"))
    );
    let (status, body) = post(
        &server,
        "/scenarios?teamId=1",
        json!({"name": "bad", "blueprint": flow(json!([{"id": 1, "module": "nope:Nothing"}]))}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("INVALID_INPUT")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains('1')),
        "names the module: {body}"
    );
    let (status, body) = post(&server, "/scenarios?teamId=1", json!({"name": "bad", "blueprint": flow(json!([{"id": 1, "module": "util:SetVariable2", "mapper": {"name": "x", "value": "{{upper(}}"}}]))})).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("INVALID_INPUT")),
        "unparsable expression: {body}"
    );
}

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
    inputs_variables_functions_json_and_code,
    iterator_aggregator_and_router_with_filters,
    http_modules_errors_and_ignore,
    listing_details_and_inactive,
    stop_retry_timeout_and_interface,
    a_scheduled_scenario_runs_on_its_interval,
    retry_starts_over_when_there_is_nothing_to_resume,
    deep_data_and_long_flows,
);
