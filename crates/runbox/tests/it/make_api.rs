//! Make's API names for the scenarios dialect (contract section 6, "Make
//! API compatibility"): every route under `/api/v2`, `scheduling` and
//! `blueprint` as JSON strings, the interface from `metadata` or the
//! blueprint, `callbackUrl`, and `/logs`, on both backends.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{call, client, eventually, Backend, Server};
use crate::webhooks::start_receiver;

const V2: &str = "/api/v2";

fn greeter() -> Value {
    json!({
        "name": "Greeter",
        "flow": [
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "util:SetVariable2", "mapper": {"name": "g", "value": "Hello {{var.input.who}}"}},
            {"id": 3, "module": "scenario-service:ReturnData", "mapper": {"text": "{{2.g}}"}},
        ],
    })
}

fn slow() -> Value {
    json!({
        "name": "Slow",
        "flow": [
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "util:FunctionSleep", "mapper": {"duration": 30}},
        ],
    })
}

/// What Make's SDK sends: both as JSON strings, the interface as metadata.
fn sdk_body(blueprint: &Value) -> Value {
    json!({
        "teamId": 3,
        "folderId": 12,
        "scheduling": "{\"type\":\"on-demand\"}",
        "blueprint": blueprint.to_string(),
        "metadata": {
            "input_spec": [{"name": "who", "type": "text", "required": true}],
            "output_spec": [{"name": "text", "type": "text"}],
        },
    })
}

async fn every_scenarios_route_is_served_under_api_v2(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let (status, created) = call(
        &server,
        Method::POST,
        &format!("{V2}/scenarios?confirmed=true&cols[]=*"),
        Some(sdk_body(&greeter())),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let scenario = &created["scenario"];
    assert_eq!(scenario["name"], "Greeter", "named after its blueprint");
    assert_eq!(scenario["scheduling"], json!({"type": "on-demand"}));
    assert_eq!(scenario["folderId"], 12);
    assert_eq!(
        scenario["usedPackages"],
        json!(["scenario-service", "util"])
    );
    let id = scenario["id"].as_i64().expect("id");
    let at = |path: &str| format!("{V2}/scenarios/{id}{path}");

    let (status, got) = call(&server, Method::GET, &at("?cols[]=*"), None).await;
    assert_eq!((status, &got["scenario"]["id"]), (200, &json!(id)));
    let (status, listed) = call(
        &server,
        Method::GET,
        &format!("{V2}/scenarios?teamId=3&pg[limit]=5"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["scenarios"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    // The same scenario at the root paths: one set of routes, two prefixes.
    let (status, root) = call(&server, Method::GET, &format!("/scenarios/{id}"), None).await;
    assert_eq!(
        (status, &root["scenario"]["name"]),
        (200, &json!("Greeter"))
    );

    let (status, interface) = call(&server, Method::GET, &at("/interface"), None).await;
    assert_eq!(status, 200);
    assert_eq!(interface["interface"]["input"][0]["name"], "who");
    let (status, interface) = call(
        &server,
        Method::PATCH,
        &at("/interface"),
        Some(json!({"interface": {
            "input": [{"name": "who", "type": "text", "default": "world"}],
            "output": [{"name": "text", "type": "text"}],
        }})),
    )
    .await;
    assert_eq!(
        (status, &interface["interface"]["input"][0]["default"]),
        (200, &json!("world"))
    );
    let (status, blueprint) = call(&server, Method::GET, &at("/blueprint"), None).await;
    assert_eq!(status, 200);
    assert_eq!(blueprint["response"]["blueprint"]["name"], "Greeter");
    assert_eq!(blueprint["response"]["scheduling"]["type"], "on-demand");
    assert_eq!(
        blueprint["response"]["metadata"]["input_spec"][0]["default"],
        "world"
    );

    // Inactive: refused, with Make's top-level message too.
    let (status, refused) = call(
        &server,
        Method::POST,
        &at("/run"),
        Some(json!({"data": {}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["code"], "SCENARIO_INACTIVE");
    assert_eq!(refused["message"], refused["error"]["message"]);
    let (status, started) = call(&server, Method::POST, &at("/start"), None).await;
    assert_eq!(
        (status, &started["scenario"]["isActive"]),
        (200, &json!(true))
    );

    let (status, ran) = call(
        &server,
        Method::POST,
        &at("/run"),
        Some(json!({"data": {"who": "Ada"}, "responsive": true})),
    )
    .await;
    assert_eq!(status, 200, "{ran}");
    assert_eq!(ran["outputs"], json!({"text": "Hello Ada"}));
    assert_eq!(ran["status"], 1, "Make's number for success");
    let eid = ran["executionId"].as_str().expect("executionId").to_owned();

    let (status, execution) = call(
        &server,
        Method::GET,
        &at(&format!("/executions/{eid}")),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(execution["execution"]["status"], "completed");
    assert_eq!(
        execution["status"], "SUCCESS",
        "Make's getDetail shape beside it"
    );
    assert_eq!(execution["outputs"], json!({"text": "Hello Ada"}));
    let (status, details) = call(
        &server,
        Method::GET,
        &at(&format!("/executions/{eid}/details")),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        details["execution"]["modules"].as_array().map(Vec::len),
        Some(3)
    );
    let (status, list) = call(&server, Method::GET, &at("/executions?pg[limit]=5"), None).await;
    assert_eq!((status, &list["pg"]["total"]), (200, &json!(1)));

    let (status, logs) = call(
        &server,
        Method::GET,
        &at("/logs?pg[limit]=5&pg[sortDir]=desc"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{logs}");
    let log = &logs["scenarioLogs"][0];
    assert_eq!(log["id"], json!(eid));
    assert_eq!(log["imtId"], json!(eid));
    assert_eq!(log["status"], 1);
    assert_eq!(log["type"], "manual");
    assert!(
        log["duration"].is_number() && log["operations"].is_number() && log["transfer"].is_number(),
        "{log}"
    );
    assert!(
        log["timestamp"].as_str().is_some_and(|t| t.contains('T')),
        "{log}"
    );
    assert_eq!(logs["pg"]["total"], 1);
    let (status, one) = call(&server, Method::GET, &at(&format!("/logs/{eid}")), None).await;
    assert_eq!((status, &one["scenarioLog"]["id"]), (200, &json!(eid)));
    let (status, _) = call(
        &server,
        Method::GET,
        &at("/logs/0123456789abcdef0123456789abcdef"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // stop and retry under the prefix, on a run that sleeps.
    let (status, _) = call(&server, Method::PATCH, &at(""), Some(json!({"blueprint": slow().to_string(), "metadata": {"input_spec": [], "output_spec": []}}))).await;
    assert_eq!(status, 200);
    let (status, kept) = call(&server, Method::GET, &at("/interface"), None).await;
    assert_eq!(
        (status, &kept["interface"]["input"][0]["name"]),
        (200, &json!("who")),
        "an empty metadata keeps the interface"
    );
    let (status, queued) = call(
        &server,
        Method::POST,
        &at("/run"),
        Some(json!({"data": {}})),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let slow_id = queued["executionId"].as_str().expect("id").to_owned();
    let (status, stopped) = call(
        &server,
        Method::POST,
        &at(&format!("/executions/{slow_id}/stop")),
        None,
    )
    .await;
    assert_eq!(
        (status, &stopped["execution"]["status"]),
        (200, &json!("stopped"))
    );
    let (status, retried) = call(
        &server,
        Method::POST,
        &at(&format!("/executions/{slow_id}/retry")),
        None,
    )
    .await;
    assert_eq!(status, 202, "{retried}");
    let retry_id = retried["executionId"].as_str().expect("id").to_owned();
    call(
        &server,
        Method::POST,
        &at(&format!("/executions/{retry_id}/stop")),
        None,
    )
    .await;
    let (_, failed) = call(&server, Method::GET, &at("/logs?status=3"), None).await;
    assert_eq!(
        failed["pg"]["total"], 2,
        "both stopped runs are Make's 3: {failed}"
    );
    assert!(failed["scenarioLogs"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|l| l["status"] == 3));

    let (status, paused) = call(&server, Method::POST, &at("/stop"), None).await;
    assert_eq!(
        (status, &paused["scenario"]["isActive"]),
        (200, &json!(false))
    );
    let (status, _) = call(&server, Method::DELETE, &at(""), None).await;
    assert_eq!(status, 200);
    let (status, gone) = call(&server, Method::GET, &at(""), None).await;
    assert_eq!((status, &gone["error"]["code"]), (404, &json!("NOT_FOUND")));
    let (status, unknown) = call(&server, Method::GET, &format!("{V2}/no-such-route"), None).await;
    assert_eq!(
        (status, &unknown["error"]["code"]),
        (404, &json!("NOT_FOUND")),
        "{unknown}"
    );
    let anonymous = client()
        .get(server.url(&format!("{V2}/scenarios")))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status().as_u16(), 401);
}

async fn strings_metadata_and_blueprint_interfaces(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let create = |body: Value| {
        let server = &server;
        async move { call(server, Method::POST, "/scenarios", Some(body)).await }
    };
    // The blueprint's own `interface` (what Make's blueprints hold).
    let mut blueprint = greeter();
    blueprint["interface"] =
        json!({"input": [{"name": "who", "type": "text", "default": "you"}], "output": []});
    let (status, created) = create(json!({"teamId": "3", "name": "x", "blueprint": blueprint.to_string(), "scheduling": {"type": "indefinitely", "interval": 600}})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["scenario"]["scheduling"],
        json!({"type": "indefinitely", "interval": 600})
    );
    let id = created["scenario"]["id"].as_i64().expect("id");
    let (_, interface) = call(
        &server,
        Method::GET,
        &format!("/scenarios/{id}/interface"),
        None,
    )
    .await;
    assert_eq!(interface["interface"]["input"][0]["default"], "you");
    // A string scheduling on update; metadata with fields replaces the interface.
    let (status, updated) = call(
        &server,
        Method::PATCH,
        &format!("/scenarios/{id}"),
        Some(json!({
            "scheduling": "{\"type\":\"ondemand\"}",
            "metadata": {"input_spec": [{"name": "n", "type": "number"}], "output_spec": null},
        })),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["scenario"]["scheduling"],
        json!({"type": "ondemand"})
    );
    let (_, interface) = call(
        &server,
        Method::GET,
        &format!("/scenarios/{id}/interface"),
        None,
    )
    .await;
    assert_eq!(
        interface["interface"],
        json!({"input": [{"name": "n", "type": "number"}], "output": []})
    );

    for (body, needle) in [
        (
            json!({"teamId": 3, "blueprint": greeter(), "scheduling": "{\"type\":\"immediately\"}"}),
            "immediately",
        ),
        (
            json!({"teamId": 3, "blueprint": greeter(), "scheduling": "{not json"}),
            "scheduling",
        ),
        (json!({"teamId": 3, "blueprint": "{not json"}), "blueprint"),
        (
            json!({"teamId": 3, "blueprint": greeter(), "metadata": {"input_spec": [{"name": "a", "type": "shape"}]}}),
            "interface",
        ),
        (
            json!({"teamId": 3, "blueprint": greeter(), "metadata": {"input_spec": [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}]}}),
            "unique",
        ),
        (
            json!({"teamId": 3, "blueprint": greeter(), "metadata": "no"}),
            "metadata",
        ),
        (
            json!({"teamId": 3, "blueprint": greeter(), "folderId": "x"}),
            "folderId",
        ),
    ] {
        let (status, refused) = create(body.clone()).await;
        assert_eq!(status, 400, "{body} → {refused}");
        assert_eq!(refused["error"]["code"], "INVALID_INPUT");
        let message = refused["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{message:?} names {needle:?}");
    }
    let (_, all) = call(&server, Method::GET, "/scenarios", None).await;
    assert_eq!(
        all["scenarios"].as_array().map(Vec::len),
        Some(1),
        "nothing refused was stored"
    );
}

async fn callback_url_gets_the_result_when_the_run_ends(backend: Backend<'_>) {
    let (url, receiver) = start_receiver(1).await;
    let server = Server::start_with(backend.options().env("RUNBOX_HTTP_ALLOW", "127.0.0.1").env(
        "RUNBOX_WEBHOOK_SECRET",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ));
    let (_, created) = call(
        &server,
        Method::POST,
        &format!("{V2}/scenarios"),
        Some(sdk_body(&greeter())),
    )
    .await;
    let id = created["scenario"]["id"].as_i64().expect("id");
    call(
        &server,
        Method::POST,
        &format!("{V2}/scenarios/{id}/start"),
        None,
    )
    .await;
    let (status, queued) = call(
        &server,
        Method::POST,
        &format!("{V2}/scenarios/{id}/run"),
        Some(json!({
            "data": {"who": "Bo"}, "responsive": false, "callbackUrl": url,
        })),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    // The receiver fails the first POST: the delivery is retried.
    eventually("two deliveries", Duration::from_secs(30), || async {
        receiver.hits.lock().map(|h| h.len() >= 2).unwrap_or(false)
    })
    .await;
    let hits = receiver.hits.lock().expect("lock").clone();
    for (headers, body) in &hits {
        assert_eq!(
            body,
            &json!({"executionId": queued["executionId"], "status": "completed", "outputs": {"text": "Hello Bo"}, "error": null})
        );
        assert!(headers
            .get("webhook-signature")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|s| s.starts_with("v1,")));
    }
    for bad in [json!("ftp://x/y"), json!(5), json!("http://10.1.2.3/hook")] {
        let (status, refused) = call(
            &server,
            Method::POST,
            &format!("/scenarios/{id}/run"),
            Some(json!({"data": {"who": "x"}, "callbackUrl": bad})),
        )
        .await;
        assert_eq!(status, 400, "{bad} → {refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("callbackUrl"),
            "{refused}"
        );
    }
}

crate::on_both_backends!(
    every_scenarios_route_is_served_under_api_v2,
    strings_metadata_and_blueprint_interfaces,
    callback_url_gets_the_result_when_the_run_ends,
);
