//! The buttons dialect (seed 000): management, every error code at its
//! status, waits, cancel, history, French messages, the live stream.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{
    client, eventually, get_as, post, post_as, unique, user_key, Backend, Server, ADMIN_KEY,
};

async fn create(server: &Server, body: Value) -> (u16, Value) {
    post(server, "/api/v1/buttons", body).await
}

async fn execute(server: &Server, button: &str, wait: Option<u32>) -> (u16, Value) {
    let path = match wait {
        Some(w) => format!("/api/v1/execute/{button}?wait={w}"),
        None => format!("/api/v1/execute/{button}"),
    };
    let response = client()
        .post(server.url(&path))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn buttons_are_created_listed_updated_and_deleted(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let (status, body) = create(&server, json!({"id": "hello", "name": "Say hello", "command": "echo Hello World", "description": "greets", "icon": "👋", "timeout": 10, "env": {"WHO": "you"}})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["success"], true);
    let button = &body["data"];
    assert_eq!(button["id"], "hello");
    assert_eq!(button["timeout"], 10);
    assert_eq!(button["env"], json!({"WHO": "you"}));
    for key in [
        "name",
        "description",
        "command",
        "icon",
        "created_at",
        "updated_at",
    ] {
        assert!(!button[key].is_null(), "{key}");
    }
    let (status, generated) =
        create(&server, json!({"name": "Generated", "command": "date"})).await;
    assert_eq!(status, 201);
    assert_eq!(generated["data"]["timeout"], 300, "default timeout");
    let generated_id = generated["data"]["id"].as_str().expect("id").to_owned();

    let (_, list) = get_as(&server, ADMIN_KEY, "/api/v1/buttons").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2));
    let response = client()
        .patch(server.url("/api/v1/buttons/hello"))
        .header("x-api-key", ADMIN_KEY)
        .json(&json!({"name": "Say hi", "command": "echo hi $WHO"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let (_, fetched) = get_as(&server, ADMIN_KEY, "/api/v1/buttons/hello").await;
    assert_eq!(fetched["data"]["name"], "Say hi");
    let (status, run) = execute(&server, "hello", None).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["data"]["output"], "hi you\n");

    let response = client()
        .delete(server.url(&format!("/api/v1/buttons/{generated_id}")))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"success": true})
    );
    let (status, body) = get_as(
        &server,
        ADMIN_KEY,
        &format!("/api/v1/buttons/{generated_id}"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "BUTTON_NOT_FOUND");
}

async fn execute_completes_with_the_seed_shape(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    create(&server, json!({"id": "hello", "name": "Say hello", "command": "echo Hello World; echo oops >&2; echo done"})).await;
    let (status, body) = execute(&server, "hello", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let data = &body["data"];
    assert_eq!(data["button_id"], "hello");
    assert_eq!(data["status"], "completed");
    assert_eq!(
        data["output"], "Hello World\noops\ndone\n",
        "stdout and stderr interleaved in order"
    );
    assert_eq!(data["exit_code"], 0);
    assert_eq!(data["truncated"], false);
    assert!(data["execution_id"].is_string());
    for key in ["started_at", "completed_at"] {
        let text = data[key].as_str().unwrap_or_default();
        assert!(text.ends_with('Z') && text.len() == 24, "{key}: {text}");
    }
    let (status, again) = get_as(
        &server,
        ADMIN_KEY,
        &format!(
            "/api/v1/execute/{}/status",
            data["execution_id"].as_str().unwrap_or_default()
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["data"], *data);
}

async fn every_error_code_has_its_status(backend: Backend<'_>) {
    let server = Server::start_with(
        backend
            .options()
            .env("RUNBOX_WORKERS", "1")
            .env("RUNBOX_MAX_QUEUE_LENGTH", "1"),
    );
    let (status, body) = execute(&server, "missing", None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("BUTTON_NOT_FOUND"))
    );
    assert_eq!(body["success"], false);
    assert_eq!(body["error"]["message"], "Button not found");
    let (status, body) = get_as(&server, ADMIN_KEY, "/api/v1/execute/nope/status").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (404, json!("EXECUTION_NOT_FOUND"))
    );
    for command in ["if; then", "reboot", "", "echo \u{0}"] {
        let (status, body) = create(&server, json!({"name": "bad", "command": command})).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (400, json!("INVALID_COMMAND")),
            "{command:?}: {body}"
        );
    }
    for bad in [
        json!({"name": "x", "command": "true", "timeout": 0}),
        json!({"name": "x", "command": "true", "timeout": 301}),
        json!({"name": "x", "command": "true", "colour": "red"}),
        json!({"command": "true"}),
        json!({"name": "x"}),
        json!({"name": "x", "command": 5}),
        json!({"name": "x", "command": "true", "id": "Bad Id"}),
    ] {
        let (status, body) = create(&server, bad.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (400, json!("INVALID_REQUEST")),
            "{bad}: {body}"
        );
    }
    let response = client()
        .post(server.url("/api/v1/buttons"))
        .header("x-api-key", ADMIN_KEY)
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 400);
    create(
        &server,
        json!({"id": "fails", "name": "fails", "command": "echo partial; exit 3"}),
    )
    .await;
    let (status, body) = execute(&server, "fails", None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (500, json!("EXECUTION_ERROR")),
        "{body}"
    );
    assert_eq!(body["data"]["status"], "failed");
    assert_eq!(body["data"]["exit_code"], 3);
    assert_eq!(body["data"]["output"], "partial\n");
    let (status, body) = execute(&server, "fails", Some(99)).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("INVALID_REQUEST"))
    );
    create(
        &server,
        json!({"id": "slow", "name": "slow", "command": "sleep 30", "timeout": 1}),
    )
    .await;
    let (status, body) = execute(&server, "slow", None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (408, json!("TIMEOUT")),
        "{body}"
    );
    assert_eq!(body["data"]["status"], "timeout");
    let response = client()
        .post(server.url("/api/v1/execute/slow"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"]["code"],
        "UNAUTHORIZED"
    );
    let bob = user_key(&server, "bob").await;
    let response = client()
        .delete(server.url("/api/v1/buttons/slow"))
        .header("x-api-key", &bob)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"]["code"],
        "FORBIDDEN"
    );
    // Queue full: one running, one queued, the third refused.
    create(
        &server,
        json!({"id": "long", "name": "long", "command": "sleep 5", "timeout": 10}),
    )
    .await;
    let (status, _) = execute(&server, "long", Some(0)).await;
    assert_eq!(status, 202);
    eventually("running", Duration::from_secs(10), || async {
        get_as(&server, ADMIN_KEY, "/admin/health").await.1["queue"]["running"] == 1
    })
    .await;
    let (status, _) = execute(&server, "long", Some(0)).await;
    assert_eq!(status, 202);
    let (status, body) = execute(&server, "long", Some(0)).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (429, json!("RATE_LIMITED")),
        "{body}"
    );
}

async fn messages_are_french_on_request(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let response = client()
        .post(server.url("/api/v1/execute/missing"))
        .header("x-api-key", ADMIN_KEY)
        .header("accept-language", "fr-FR,fr;q=0.9")
        .send()
        .await
        .expect("send");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["message"], "Bouton non trouvé");
    let response = client()
        .get(server.url("/api/v1/execute/nope/status"))
        .header("x-api-key", ADMIN_KEY)
        .header("accept-language", "fr")
        .send()
        .await
        .expect("send");
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"]["message"],
        "Exécution non trouvée"
    );
    let response = client()
        .post(server.url("/api/v1/buttons"))
        .header("x-api-key", ADMIN_KEY)
        .header("accept-language", "fr")
        .json(&json!({"name": "x", "command": "reboot"}))
        .send()
        .await
        .expect("send");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["message"], "Commande invalide", "{body}");
    let details = body["error"]["details"].as_str().unwrap_or_default();
    assert!(details.contains("reboot"), "{body}");
}

async fn wait_0_answers_202_then_polling_sees_completion(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    create(
        &server,
        json!({"id": "later", "name": "later", "command": "sleep 1; echo finished"}),
    )
    .await;
    let (status, body) = execute(&server, "later", Some(0)).await;
    assert_eq!(status, 202, "{body}");
    let word = body["data"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(word == "pending" || word == "running", "{body}");
    let id = body["data"]["execution_id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually("completed", Duration::from_secs(20), || async {
        get_as(&server, ADMIN_KEY, &format!("/api/v1/execute/{id}/status"))
            .await
            .1["data"]["status"]
            == "completed"
    })
    .await;
    let (_, done) = get_as(&server, ADMIN_KEY, &format!("/api/v1/execute/{id}/status")).await;
    assert_eq!(done["data"]["output"], "finished\n");
    let (_, history) = get_as(
        &server,
        ADMIN_KEY,
        "/api/v1/executions?button_id=later&status=completed",
    )
    .await;
    assert_eq!(history["data"][0]["execution_id"], id.as_str());
}

async fn output_is_capped_at_1_mib(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    create(&server, json!({"id": "loud", "name": "loud", "command": "head -c 2097152 /dev/zero | tr '\\0' x; echo; echo end"})).await;
    let (status, body) = execute(&server, "loud", Some(30)).await;
    assert_eq!(
        status,
        200,
        "{}",
        &body.to_string()[..200.min(body.to_string().len())]
    );
    assert_eq!(body["data"]["truncated"], true);
    assert_eq!(
        body["data"]["output"].as_str().map(str::len),
        Some(1_048_576)
    );
}

async fn cancel_stops_a_running_command_and_a_pending_one(backend: Backend<'_>) {
    let marker = format!("1000.{}", unique());
    let server = Server::start_with(backend.options().env("RUNBOX_WORKERS", "1"));
    create(
        &server,
        json!({"id": "forever", "name": "forever", "command": format!("sleep {marker}")}),
    )
    .await;
    let (_, first) = execute(&server, "forever", Some(0)).await;
    let (_, second) = execute(&server, "forever", Some(0)).await;
    let first_id = first["data"]["execution_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let second_id = second["data"]["execution_id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually("running", Duration::from_secs(10), || async {
        get_as(
            &server,
            ADMIN_KEY,
            &format!("/api/v1/execute/{first_id}/status"),
        )
        .await
        .1["data"]["status"]
            == "running"
    })
    .await;
    let (status, body) = post(
        &server,
        &format!("/api/v1/execute/{second_id}/cancel"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["status"], "canceled",
        "pending → canceled at once"
    );
    let started = Instant::now();
    let (status, body) = post(
        &server,
        &format!("/api/v1/execute/{first_id}/cancel"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "canceled");
    assert!(started.elapsed() < Duration::from_secs(10));
    let survivors = std::process::Command::new("pgrep")
        .arg("-f")
        .arg(format!("sleep {marker}"))
        .output()
        .expect("pgrep");
    assert!(
        survivors.stdout.is_empty(),
        "the command's process was not killed"
    );
}

async fn seven_slow_runs_of_one_user_never_exceed_five(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    create(
        &server,
        json!({"id": "slow", "name": "slow", "command": "sleep 1.5"}),
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        let (status, body) = execute(&server, "slow", Some(0)).await;
        assert_eq!(status, 202);
        ids.push(
            body["data"]["execution_id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, list) = get_as(&server, ADMIN_KEY, "/api/v1/executions?button_id=slow").await;
        let items = list["data"].as_array().cloned().unwrap_or_default();
        let running = items.iter().filter(|i| i["status"] == "running").count();
        peak = peak.max(running);
        if items.iter().filter(|i| i["status"] == "completed").count() == 7 {
            break;
        }
        assert!(Instant::now() < deadline, "not all completed: {items:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(peak <= 5, "{peak} ran at once");
    assert!(peak >= 2);
}

async fn the_stream_delivers_output_before_the_command_ends(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    create(
        &server,
        json!({"id": "ticks", "name": "ticks", "command": "echo first; sleep 2; echo second"}),
    )
    .await;
    let (_, body) = execute(&server, "ticks", Some(0)).await;
    let id = body["data"]["execution_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let started = Instant::now();
    let mut response = client()
        .get(server.url(&format!("/api/v1/execute/{id}/stream")))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let mut text = String::new();
    let mut first_seen_at = None;
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        text.push_str(&String::from_utf8_lossy(&chunk));
        if first_seen_at.is_none() && text.contains("data: first") {
            first_seen_at = Some(started.elapsed());
        }
        if text.contains("event: status") && text.ends_with("\n\n") {
            break;
        }
    }
    let first_seen_at = first_seen_at.expect("first chunk seen");
    assert!(
        first_seen_at < Duration::from_millis(1800),
        "first chunk arrived after {first_seen_at:?}"
    );
    let output_at = text.find("data: second").expect("second chunk");
    let status_at = text.find("event: status").expect("status event");
    assert!(output_at < status_at, "{text}");
    assert_eq!(text.matches("event: status").count(), 1);
    let status_data = text[status_at..]
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("status data");
    let data: Value = serde_json::from_str(status_data).expect("json");
    assert_eq!(data["status"], "completed");
    assert_eq!(data["output"], "first\nsecond\n");
}

async fn buttons_from_the_config_file_exist_at_start(backend: Backend<'_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("runbox.toml");
    std::fs::write(
        &config,
        "[[buttons]]\nid = \"hello\"\nname = \"Say hello\"\ncommand = \"echo Hello World\"\ntimeout = 10\n\
         [[buttons]]\nid = \"boom\"\nname = \"Boom\"\ncommand = \"reboot\"\n\
         [[buttons]]\nid = \"ticking-boom\"\nname = \"Ticking boom\"\ncommand = \"reboot\"\n\
         schedule = { cron = \"* * * * * *\", timezone = \"UTC\" }\n",
    )
    .expect("write");
    let server = Server::start_with(
        backend
            .options()
            .arg("--config")
            .arg(config.display().to_string()),
    );
    let (status, body) = execute(&server, "hello", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["output"], "Hello World\n");
    let bob = user_key(&server, "bob").await;
    let (status, _) = post_as(&server, &bob, "/api/v1/execute/hello", Value::Null).await;
    assert_eq!(status, 200, "every user may run every button");
    // A restricted command in the file does not stop the server: running
    // it is refused as the contract's INVALID_COMMAND "on execute".
    let (status, body) = execute(&server, "boom", None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_COMMAND", "{body}");
    // On its schedule, the same rule fails the run instead of running it.
    let runs_path = "/api/v1/executions?button_id=ticking-boom&status=failed";
    eventually(
        "a scheduled run of the restricted button",
        Duration::from_secs(15),
        || async {
            let (_, runs) = get_as(&server, ADMIN_KEY, runs_path).await;
            runs["data"][0]["status"] == "failed"
        },
    )
    .await;
    let (_, runs) = get_as(&server, ADMIN_KEY, runs_path).await;
    assert!(
        runs["data"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("restricted")),
        "{runs}"
    );
}

crate::on_both_backends!(
    buttons_are_created_listed_updated_and_deleted,
    execute_completes_with_the_seed_shape,
    every_error_code_has_its_status,
    messages_are_french_on_request,
    wait_0_answers_202_then_polling_sees_completion,
    output_is_capped_at_1_mib,
    cancel_stops_a_running_command_and_a_pending_one,
    seven_slow_runs_of_one_user_never_exceed_five,
    the_stream_delivers_output_before_the_command_ends,
    buttons_from_the_config_file_exist_at_start,
);
