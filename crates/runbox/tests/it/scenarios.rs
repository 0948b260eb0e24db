//! The scenarios dialect (seed 002) with real blueprints, on both backends.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{client, eventually, get_as, post, Backend, Server, ADMIN_KEY};

/// Creates and activates a scenario; returns its id.
pub(crate) async fn scenario(server: &Server, blueprint: Value, extra: Value) -> i64 {
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

pub(crate) async fn run(server: &Server, id: i64, data: Value, responsive: bool) -> (u16, Value) {
    post(
        server,
        &format!("/scenarios/{id}/run"),
        json!({"data": data, "responsive": responsive}),
    )
    .await
}

pub(crate) async fn execution(server: &Server, id: i64, eid: &str) -> Value {
    get_as(
        server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions/{eid}"),
    )
    .await
    .1["execution"]
        .clone()
}

pub(crate) async fn details(server: &Server, id: i64, eid: &str) -> Value {
    get_as(
        server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions/{eid}/details"),
    )
    .await
    .1["execution"]
        .clone()
}

pub(crate) fn flow(modules: Value) -> Value {
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
pub(crate) async fn http_target() -> (String, Arc<AtomicU32>) {
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

crate::on_both_backends!(
    inputs_variables_functions_json_and_code,
    iterator_aggregator_and_router_with_filters,
    http_modules_errors_and_ignore,
    listing_details_and_inactive,
);
