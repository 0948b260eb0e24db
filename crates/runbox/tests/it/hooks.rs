//! Incoming webhooks (contract section 12): hooks made with a key, called
//! without one; a request's body reaches a scenario's first bundle (or a
//! button's input file), `gateway:WebhookRespond` answers the caller, a
//! full queue refuses with 429 and loses nothing, tokens are stored hashed.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{
    call, client, eventually, get_as, post, post_as, user_key, Backend, Server, ADMIN_KEY,
};

async fn create_hook(server: &Server, body: Value) -> (i64, String) {
    let (status, reply) = post(server, "/hooks", body).await;
    assert_eq!(status, 201, "{reply}");
    let hook = &reply["hook"];
    let url = hook["url"].as_str().expect("url").to_owned();
    let token = url.strip_prefix("/hooks/").expect("url shape");
    assert!(token.len() >= 32, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    (hook["id"].as_i64().expect("id"), url)
}

/// Calls a hook's URL without any key.
async fn call_hook(
    server: &Server,
    method: Method,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    client()
        .request(method, server.url(url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send")
}

async fn scenario(server: &Server, flow: Value) -> i64 {
    let (status, body) = post(
        server,
        "/scenarios?teamId=1",
        json!({"name": "hooked", "blueprint": {"name": "hooked", "flow": flow}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["scenario"]["id"].as_i64().expect("id")
}

async fn finished_execution(server: &Server, scenario: i64, execution: &str) -> Value {
    let path = format!("/scenarios/{scenario}/executions/{execution}");
    let server_ref = &server;
    let path_ref = path.as_str();
    eventually(
        "the hook's run ends",
        Duration::from_secs(30),
        || async move {
            let (_, body) = get_as(server_ref, ADMIN_KEY, path_ref).await;
            !matches!(
                body["execution"]["status"].as_str(),
                Some("pending" | "running") | None
            )
        },
    )
    .await;
    let (_, details) = get_as(server, ADMIN_KEY, &format!("{path}/details")).await;
    details
}

async fn a_request_starts_the_bound_scenario_and_is_answered(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let (hook, url) = create_hook(&server, json!({"name": "orders", "teamId": 1})).await;
    let id = scenario(
        &server,
        json!([
            {"id": 1, "module": "gateway:CustomWebHook", "parameters": {"hook": hook}},
            {"id": 2, "module": "util:SetVariable2",
             "mapper": {"name": "greeting", "value": "Hello, {{1.name}} ({{1.__method}}, {{1.__query.src}})"}},
            {"id": 3, "module": "scenario-service:ReturnData", "mapper": {"greeting": "{{2.greeting}}"}}
        ]),
    )
    .await;
    let response = call_hook(
        &server,
        Method::POST,
        &url,
        "application/json",
        b"{\"name\": \"Ada\"}".to_vec(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 400, "inactive");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "SCENARIO_INACTIVE");

    call(
        &server,
        Method::POST,
        &format!("/scenarios/{id}/start"),
        None,
    )
    .await;
    let response = call_hook(
        &server,
        Method::POST,
        &format!("{url}?src=shop"),
        "application/json",
        b"{\"name\": \"Ada\"}".to_vec(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["accepted"], true, "{body}");
    let execution = body["executionId"].as_str().expect("execution").to_owned();
    let details = finished_execution(&server, id, &execution).await;
    let modules = details["execution"]["modules"].as_array().expect("modules");
    assert_eq!(modules[0]["output"]["name"], "Ada", "{details}");
    assert_eq!(modules[0]["output"]["__query"], json!({"src": "shop"}));
    let (_, run) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions/{execution}"),
    )
    .await;
    assert_eq!(
        run["execution"]["outputs"],
        json!({"greeting": "Hello, Ada (POST, shop)"}),
        "{run}"
    );

    // A form body, by GET too.
    let response = call_hook(
        &server,
        Method::GET,
        &format!("{url}?src=link"),
        "text/plain",
        vec![],
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    // The hook's recent requests.
    let (status, requests) = get_as(&server, ADMIN_KEY, &format!("/hooks/{hook}/requests")).await;
    assert_eq!(status, 200, "{requests}");
    assert_eq!(
        requests["requests"].as_array().map(Vec::len),
        Some(2),
        "{requests}"
    );

    // One scenario per hook.
    let (status, body) = post(
        &server,
        "/scenarios?teamId=1",
        json!({"name": "second", "blueprint": {"name": "second", "flow": [
            {"id": 1, "module": "gateway:CustomWebHook", "parameters": {"hook": hook}}]}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_INPUT");
    assert!(
        body.to_string().contains("already starts scenario"),
        "{body}"
    );

    // Unknown tokens, and a body over the limit.
    let response = call_hook(
        &server,
        Method::POST,
        "/hooks/NoSuchTokenNoSuchTokenNoSuchToken00",
        "text/plain",
        b"x".to_vec(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 404);
    let response = call_hook(
        &server,
        Method::POST,
        &url,
        "text/plain",
        vec![b'x'; 2 << 20],
    )
    .await;
    assert_eq!(response.status().as_u16(), 413);

    // Its hook deleted, the scenario can still be stopped and renamed.
    let (status, _) = call(&server, Method::DELETE, &format!("/hooks/{hook}"), None).await;
    assert_eq!(status, 200);
    let (status, body) = post(&server, &format!("/scenarios/{id}/stop"), json!(null)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scenario"]["isActive"], false, "{body}");
    let (status, body) = call(
        &server,
        Method::PATCH,
        &format!("/scenarios/{id}"),
        Some(json!({"name": "orders, unhooked"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn webhook_respond_answers_the_caller(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let (hook, url) = create_hook(&server, json!({"name": "ask"})).await;
    let id = scenario(
        &server,
        json!([
            {"id": 1, "module": "gateway:CustomWebHook", "parameters": {"hook": hook}},
            {"id": 2, "module": "gateway:WebhookRespond", "mapper": {
                "status": 201,
                "body": {"hello": "{{upper(1.name)}}"},
                "headers": [{"name": "X-Reply", "value": "yes"}]}},
            {"id": 3, "module": "util:FunctionSleep", "mapper": {"duration": 3}}
        ]),
    )
    .await;
    call(
        &server,
        Method::POST,
        &format!("/scenarios/{id}/start"),
        None,
    )
    .await;
    let started = std::time::Instant::now();
    let response = call_hook(
        &server,
        Method::POST,
        &url,
        "application/json",
        b"{\"name\": \"ada\"}".to_vec(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(
        response
            .headers()
            .get("x-reply")
            .and_then(|v| v.to_str().ok()),
        Some("yes")
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered when the module ran, not when the run ended"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(body, json!({"hello": "ADA"}));
}

async fn a_button_gets_the_raw_body_and_floods_are_refused(backend: Backend<'_>) {
    let server = Server::start_with(
        backend
            .options()
            .env("RUNBOX_MAX_QUEUE_LENGTH", "2")
            .env("RUNBOX_MAX_CONCURRENT_PER_USER", "1"),
    );
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "ingest", "name": "Ingest",
               "command": "wc -c < \"$RUNBOX_HOOK_FILE\"; echo \"$RUNBOX_HOOK_METHOD\"; head -c 5 \"$RUNBOX_HOOK_FILE\" | od -An -tx1"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (hook, url) = create_hook(
        &server,
        json!({"name": "raw", "target": {"button": "ingest"}}),
    )
    .await;
    let binary: Vec<u8> = (0..=255u8).collect();
    let response = call_hook(
        &server,
        Method::PUT,
        &url,
        "application/octet-stream",
        binary.clone(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 405, "POST and GET only");
    let response = call_hook(
        &server,
        Method::POST,
        &url,
        "application/octet-stream",
        binary,
    )
    .await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    let execution = body["executionId"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/execute/{execution}/status");
    let server_ref = &server;
    let path_ref = path.as_str();
    eventually(
        "the button's run ends",
        Duration::from_secs(30),
        || async move {
            let (_, body) = get_as(server_ref, ADMIN_KEY, path_ref).await;
            body["data"]["status"] == "completed"
        },
    )
    .await;
    let (_, done) = get_as(&server, ADMIN_KEY, &path).await;
    assert_eq!(
        done["data"]["output"], "256\nPOST\n 00 01 02 03 04\n",
        "{done}"
    );

    // A flood: two queued at most, the rest refused, nothing lost.
    let (_, slow) = call(
        &server,
        Method::PATCH,
        "/api/v1/buttons/ingest",
        Some(json!({"command": "sleep 2"})),
    )
    .await;
    assert_eq!(slow["success"], true);
    let mut accepted = Vec::new();
    let mut refused = 0;
    for _ in 0..8 {
        let response = call_hook(&server, Method::POST, &url, "text/plain", b"x".to_vec()).await;
        match response.status().as_u16() {
            200 => {
                let body: Value = response.json().await.expect("json");
                accepted.push(body["executionId"].as_str().expect("id").to_owned());
            }
            429 => {
                let body: Value = response.json().await.expect("json");
                assert_eq!(body["error"]["code"], "RATE_LIMITED");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(refused >= 4, "{refused} refused");
    for id in &accepted {
        let (status, body) =
            get_as(&server, ADMIN_KEY, &format!("/api/v1/execute/{id}/status")).await;
        assert_eq!(status, 200, "accepted {id} exists: {body}");
    }
    let (_, requests) = get_as(&server, ADMIN_KEY, &format!("/hooks/{hook}/requests")).await;
    assert_eq!(
        requests["requests"].as_array().map(Vec::len),
        Some(accepted.len() + 1),
        "every accepted request is an execution: {requests}"
    );
}

async fn hooks_belong_to_their_creator_and_tokens_are_stored_hashed(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let alice = user_key(&server, "alice").await;
    let bob = user_key(&server, "bob").await;
    let (status, body) = post_as(&server, &alice, "/hooks", json!({"name": "mine"})).await;
    assert_eq!(status, 201, "{body}");
    let id = body["hook"]["id"].as_i64().expect("id");
    let token = body["hook"]["udid"].as_str().expect("token").to_owned();
    assert_eq!(body["hook"]["url"], format!("/hooks/{token}"));

    let (status, _) = get_as(&server, &bob, &format!("/hooks/{id}")).await;
    assert_eq!(status, 404, "not bob's");
    let (_, list) = get_as(&server, &bob, "/hooks").await;
    assert_eq!(list["hooks"], json!([]));
    let (status, read) = get_as(&server, &alice, &format!("/hooks/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        read["hook"]["url"],
        format!("/hooks/{token}"),
        "the owner reads the URL again"
    );
    let (status, read) = get_as(&server, ADMIN_KEY, &format!("/api/v2/hooks/{id}")).await;
    assert_eq!(status, 200, "under Make's prefix too: {read}");
    let response = client()
        .get(server.url(&format!("/hooks/{id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 401, "a hook's id needs a key");

    let stored = crate::secrets::stored_text(&server, &backend);
    assert!(!stored.contains(&token), "the token is stored in clear");

    for bad in [
        json!({"name": ""}),
        json!({"name": "x", "typeName": "gateway-mailhook"}),
        json!({"name": "x", "target": {"scenario": 999}}),
        json!({"name": "x", "target": {"agent": "a"}}),
    ] {
        let (status, body) = post(&server, "/hooks", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "INVALID_INPUT");
    }
    let (status, _) = call(&server, Method::DELETE, &format!("/hooks/{id}"), None).await;
    assert_eq!(status, 200);
    let response = call_hook(
        &server,
        Method::POST,
        &format!("/hooks/{token}"),
        "text/plain",
        vec![],
    )
    .await;
    assert_eq!(
        response.status().as_u16(),
        404,
        "a deleted hook's URL is gone"
    );
}

crate::on_both_backends!(
    a_request_starts_the_bound_scenario_and_is_answered,
    webhook_respond_answers_the_caller,
    a_button_gets_the_raw_body_and_floods_are_refused,
    hooks_belong_to_their_creator_and_tokens_are_stored_hashed,
);
