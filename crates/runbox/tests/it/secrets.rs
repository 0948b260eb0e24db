//! Secrets (contract section 12): stored encrypted, listed by name only,
//! used by reference from buttons, agents and scenario mappers, resolved
//! when a run starts, and masked as `***` everywhere a run's output shows —
//! the live stream too, when a value is split across two chunks. A wrong
//! key stops start-up.

use std::process::Command;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::harness::{
    call, client, eventually, get_as, post, post_as, run_agent_to_end, user_key, Backend, Options,
    Server, ADMIN_KEY,
};
use crate::webhooks::start_receiver;

const TOKEN: &str = "ghp_s3cretValue123";

async fn store_secret(server: &Server, key: &str, name: &str, value: &str) {
    let (status, body) = post_as(
        server,
        key,
        "/secrets",
        json!({"name": name, "value": value}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(!body.to_string().contains(value), "{body}");
}

/// Every byte of the database files (SQLite) or of the catalog table
/// (PostgreSQL), as text.
pub(crate) fn stored_text(server: &Server, backend: &Backend<'_>) -> String {
    match backend {
        Backend::Sqlite => {
            let mut text = String::new();
            for entry in std::fs::read_dir(server.data_path())
                .expect("data dir")
                .flatten()
            {
                if entry.file_name().to_string_lossy().starts_with("runbox.db") {
                    let bytes = std::fs::read(entry.path()).expect("read");
                    text.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            assert!(!text.is_empty(), "no database file");
            text
        }
        Backend::Postgres(db) => {
            let out = Command::new("psql")
                .arg(&db.url)
                .args(["-At", "-c", "SELECT kind, body::text FROM catalog; SELECT job::text, outcome::text FROM executions; SELECT convert_from(data, 'UTF8') FROM execution_output"])
                .output()
                .expect("psql");
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr)
        }
    }
}

async fn stream_text(server: &Server, id: &str) -> String {
    let mut response = client()
        .get(server.url(&format!("/api/v1/execute/{id}/stream")))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let mut text = String::new();
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if text.contains("event: status") && text.ends_with("\n\n") {
            break;
        }
    }
    text
}

async fn buttons_get_secrets_by_reference_and_never_show_them(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    store_secret(&server, ADMIN_KEY, "GITHUB_TOKEN", TOKEN).await;
    let (status, list) = get_as(&server, ADMIN_KEY, "/secrets").await;
    assert_eq!(status, 200);
    assert_eq!(list["secrets"][0]["name"], "GITHUB_TOKEN", "{list}");
    assert_eq!(list["secrets"][0]["owner"], "admin");
    assert!(!list.to_string().contains(TOKEN));

    // The value is printed whole, and split across two writes 300 ms apart
    // (so two output chunks).
    let command = "echo \"token=$TOKEN\"; printf '%s' \"$TOKEN\" | head -c 8; sleep 0.3; \
                   printf '%s\\n' \"$TOKEN\" | tail -c +9; echo len=${#TOKEN}";
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "gh", "name": "GitHub", "command": command,
               "env": {"TOKEN": {"secret": "GITHUB_TOKEN"}, "PLAIN": "x"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"]["env"]["TOKEN"],
        json!({"secret": "GITHUB_TOKEN"})
    );

    let (_, started) = call(&server, Method::POST, "/api/v1/execute/gh?wait=0", None).await;
    let id = started["data"]["execution_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let streamed = stream_text(&server, &id).await;
    assert!(!streamed.contains(TOKEN), "{streamed}");
    assert!(
        !streamed.contains("Value123"),
        "the split value leaked: {streamed}"
    );
    assert!(streamed.contains("token=***"), "{streamed}");

    let (status, done) = get_as(&server, ADMIN_KEY, &format!("/api/v1/execute/{id}/status")).await;
    assert_eq!(status, 200);
    assert_eq!(done["data"]["status"], "completed", "{done}");
    assert_eq!(
        done["data"]["output"], "token=***\n***\nlen=18\n",
        "the program had the value; its output shows none"
    );
    let stored = stored_text(&server, &backend);
    assert!(!stored.contains(TOKEN), "the value is in the database");
    assert!(
        !stored.contains("Value123"),
        "a part of the value is in the database"
    );

    // A value written into a command by hand is masked in its output too.
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "literal", "name": "Literal", "command": format!("echo {TOKEN}")}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, run) = call(
        &server,
        Method::POST,
        "/api/v1/execute/literal?wait=20",
        None,
    )
    .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["data"]["output"], "***\n");
}

async fn agents_and_scenarios_use_secrets_and_mask_them(backend: Backend<'_>) {
    let server = Server::start_with(backend.options().env("RUNBOX_HTTP_ALLOW", "127.0.0.1"));
    store_secret(&server, ADMIN_KEY, "API_TOKEN", TOKEN).await;

    let (status, agent) = post(
        &server,
        "/agents",
        json!({"name": "leaky", "runtime": "python",
               "code": "import os\ndef run(input):\n    print(os.environ['T'])\n    return {'t': os.environ['T'], 'n': len(os.environ['T'])}",
               "env": {"T": {"secret": "API_TOKEN"}}}),
    )
    .await;
    assert_eq!(status, 201, "{agent}");
    let done = run_agent_to_end(&server, &agent["agent_id"]).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["final_result"], json!({"t": "***", "n": 18}));

    // A scenario sends the token to an HTTP endpoint (which receives the
    // real value) and also returns it (which the caller sees masked).
    let (url, receiver) = start_receiver(0).await;
    let blueprint = json!({
        "name": "Uses a token",
        "flow": [
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "http:ActionSendData", "mapper": {
                "url": url, "method": "post",
                "headers": [{"name": "Authorization", "value": "Bearer {{secret.API_TOKEN}}"}],
                "contentType": "application/json", "data": "{\"t\": \"{{secret.API_TOKEN}}\"}"}},
            {"id": 3, "module": "scenario-service:ReturnData",
             "mapper": {"echo": "{{secret.API_TOKEN}}"}}
        ]
    });
    let (status, created) = post(
        &server,
        "/scenarios?teamId=1",
        json!({"name": "s", "blueprint": blueprint}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["scenario"]["id"].as_i64().expect("id");
    call(
        &server,
        Method::POST,
        &format!("/scenarios/{id}/start"),
        None,
    )
    .await;
    let (status, run) = post(
        &server,
        &format!("/scenarios/{id}/run"),
        json!({"data": {}, "responsive": true}),
    )
    .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["outputs"], json!({"echo": "***"}));
    let hits = receiver.hits.lock().expect("lock").clone();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].0.get("authorization").and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(hits[0].1, json!({"t": TOKEN}));
    let execution = run["executionId"].as_str().expect("execution id");
    let (_, details) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/scenarios/{id}/executions/{execution}/details"),
    )
    .await;
    let details = details.to_string();
    assert!(details.contains("Bearer ***"), "{details}");
    assert!(!details.contains(TOKEN), "{details}");
    let stored = stored_text(&server, &backend);
    assert!(!stored.contains(TOKEN), "the value is in the database");
}

async fn missing_short_and_foreign_secrets(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    for (body, why) in [
        (json!({"name": "T", "value": "abc"}), "at least 4 bytes"),
        (json!({"name": "lower", "value": "abcdef"}), "must match"),
        (json!({"name": "T", "value": 5}), "value must be a string"),
        (
            json!({"name": "T", "value": "abcdef", "colour": 1}),
            "unknown field",
        ),
    ] {
        let (status, reply) = post(&server, "/secrets", body.clone()).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert_eq!(reply["error"]["code"], "INVALID_INPUT");
        assert!(reply.to_string().contains(why), "{reply}");
    }
    let alice = user_key(&server, "alice").await;
    let bob = user_key(&server, "bob").await;
    let (status, reply) = post_as(
        &server,
        &alice,
        "/secrets",
        json!({"name": "T", "value": "abcdef", "shared": true}),
    )
    .await;
    assert_eq!(status, 403, "only admins share: {reply}");
    store_secret(&server, &alice, "ALICE_ONLY", "alice-value-1").await;
    let (status, _) = post_as(
        &server,
        &alice,
        "/secrets",
        json!({"name": "ALICE_ONLY", "value": "again"}),
    )
    .await;
    assert_eq!(status, 409);
    // An admin may manage Alice's secret, not hand it to every user.
    let (status, reply) = call(
        &server,
        Method::PUT,
        "/secrets/ALICE_ONLY?owner=alice",
        Some(json!({"value": "alice-value-2", "shared": true})),
    )
    .await;
    assert_eq!(status, 403, "only an admin's own secret is shared: {reply}");
    let (status, shared) = post(
        &server,
        "/secrets",
        json!({"name": "SHARED", "value": "shared-value-1", "shared": true}),
    )
    .await;
    assert_eq!(status, 201, "{shared}");
    let (_, bob_list) = get_as(&server, &bob, "/secrets").await;
    let names: Vec<&str> = bob_list["secrets"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["SHARED"], "bob sees the shared secret only");

    // Bob's button may use the shared secret, not Alice's.
    let (status, body) = post_as(
        &server,
        &bob,
        "/api/v1/buttons",
        json!({"id": "b", "name": "b", "command": "echo $S; echo $A",
               "env": {"S": {"secret": "SHARED"}, "A": {"secret": "ALICE_ONLY"}}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, run) = post_as(&server, &bob, "/api/v1/execute/b?wait=20", json!(null)).await;
    assert_eq!(status, 500, "{run}");
    assert_eq!(run["data"]["status"], "failed");
    assert!(
        run["data"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("secret ALICE_ONLY is not defined")),
        "{run}"
    );
    let (status, _) = call(
        &server,
        Method::PATCH,
        "/api/v1/buttons/b",
        Some(json!({"env": {"S": {"secret": "SHARED"}}})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, run) = post_as(&server, &bob, "/api/v1/execute/b?wait=20", json!(null)).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["data"]["output"], "***\n\n");

    // Replaced and deleted: runs see the change at once.
    let (status, replaced) = call(
        &server,
        Method::PUT,
        "/secrets/SHARED",
        Some(json!({"value": "next-shared-value"})),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["secret"]["shared"], true, "sharing is kept");
    let (status, _) = call(&server, Method::DELETE, "/secrets/SHARED", None).await;
    assert_eq!(status, 200);
    let (status, run) = post_as(&server, &bob, "/api/v1/execute/b?wait=20", json!(null)).await;
    assert_eq!(status, 500, "{run}");
    assert!(
        run.to_string().contains("secret SHARED is not defined"),
        "{run}"
    );
    let (status, _) = call(&server, Method::DELETE, "/secrets/SHARED", None).await;
    assert_eq!(status, 404);
    // A reference to a name that is not a secret name is refused at once.
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"name": "x", "command": "true", "env": {"X": {"secret": "bad name"}}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

crate::on_both_backends!(
    buttons_get_secrets_by_reference_and_never_show_them,
    agents_and_scenarios_use_secrets_and_mask_them,
    missing_short_and_foreign_secrets,
);

/// A server given another key than the one its secrets were sealed with
/// refuses to start, saying so; with the right key it starts. Without
/// `RUNBOX_SECRETS_KEY` a 0600 key file in the data directory is used.
#[tokio::test]
async fn a_wrong_key_stops_start_up() {
    let key_a = "a".repeat(64);
    let mut server = Server::start_with(Options::default().env("RUNBOX_SECRETS_KEY", &key_a));
    store_secret(&server, ADMIN_KEY, "KEPT", "kept-value-1").await;
    server.kill9();
    let data = server.data_path().to_owned();
    let start = move |key: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_runbox"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("RUNBOX_API_KEY", ADMIN_KEY)
            .env("RUNBOX_SECRETS_KEY", key);
        command
    };
    let output = tokio::task::spawn_blocking(move || {
        let mut command = start(&"b".repeat(64));
        command.output().expect("run")
    })
    .await
    .expect("join");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot be decrypted with this server's key"),
        "{stderr}"
    );
    let malformed = Command::new(env!("CARGO_BIN_EXE_runbox"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(server.data_path())
        .env("RUNBOX_SECRETS_KEY", "short")
        .output()
        .expect("run");
    assert!(!malformed.status.success());
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("RUNBOX_SECRETS_KEY"));
    server.restart();
    let (status, list) = get_as(&server, ADMIN_KEY, "/secrets").await;
    assert_eq!(status, 200, "the right key starts: {list}");

    let plain = Server::start();
    eventually("the key file", Duration::from_secs(5), || async {
        plain.data_path().join("secrets.key").exists()
    })
    .await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(plain.data_path().join("secrets.key"))
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
