//! Cron schedules (contract section 12) on buttons and scenarios: reads
//! show the next run, occurrences start executions as the owner, a slow
//! target never piles up more than one queued occurrence, bad expressions
//! and zones are refused in each dialect's shape, and two nodes on one
//! PostgreSQL database start each occurrence exactly once.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{
    call, eventually, get_as, post, post_as, user_key, Backend, Options, PgDatabase, Server,
    ADMIN_KEY,
};

const EVERY_SECOND: &str = "* * * * * *";

async fn button_runs(server: &Server, key: &str, button: &str) -> Vec<Value> {
    let (status, body) = get_as(
        server,
        key,
        &format!("/api/v1/executions?button_id={button}&limit=1000"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

fn parse_iso(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    runbox_domain::Timestamp::parse(text)
        .unwrap_or_else(|| panic!("not a time: {text}"))
        .as_millis()
}

async fn buttons_run_on_their_schedule_as_their_owner(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let alice = user_key(&server, "alice").await;
    let (status, body) = post_as(
        &server,
        &alice,
        "/api/v1/buttons",
        json!({"id": "tick", "name": "Tick", "command": "echo tick",
               "schedule": {"cron": EVERY_SECOND, "timezone": "Europe/Paris"}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["data"]["schedule"],
        json!({"cron": EVERY_SECOND, "timezone": "Europe/Paris"})
    );
    let next = parse_iso(&body["data"]["next_run"]);
    let now = runbox_domain::Timestamp::now().as_millis();
    assert!(
        next > now - 50 && next <= now + 1100,
        "next_run {next} vs now {now}"
    );

    let server_ref = &server;
    let alice_ref = alice.as_str();
    eventually(
        "three scheduled runs",
        Duration::from_secs(15),
        || async move {
            let runs = button_runs(server_ref, alice_ref, "tick").await;
            runs.iter().filter(|r| r["status"] == "completed").count() >= 3
        },
    )
    .await;
    let runs = button_runs(&server, &alice, "tick").await;
    assert!(runs.iter().all(|r| r["button_id"] == "tick"));
    let done = runs
        .iter()
        .find(|r| r["status"] == "completed")
        .expect("a completed run");
    assert_eq!(done["output"], "tick\n");
    // The owner's runs: another user does not see them.
    assert!(
        button_runs(&server, &user_key(&server, "bob").await, "tick")
            .await
            .is_empty()
    );

    // Removing the schedule stops it.
    let (status, body) = call(
        &server,
        Method::PATCH,
        "/api/v1/buttons/tick",
        Some(json!({"schedule": null})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["schedule"], Value::Null);
    assert_eq!(body["data"]["next_run"], Value::Null);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = button_runs(&server, &alice, "tick").await.len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        button_runs(&server, &alice, "tick").await.len(),
        settled,
        "no run after the schedule was removed"
    );
}

async fn bad_expressions_and_zones_are_refused(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let cases = [
        (json!({"cron": "61 * * * *"}), "invalid cron expression"),
        (json!({"cron": "* * * *"}), "4 fields"),
        (json!({"cron": "0 0 30 2 *"}), "never matches"),
        (
            json!({"cron": "* * * * *", "timezone": "Mars/Base"}),
            "unknown time zone",
        ),
        (json!({"cron": 5}), "schedule.cron"),
        (
            json!({"cron": "* * * * *", "every": 3}),
            "not a schedule field",
        ),
        (json!("* * * * *"), "must be an object"),
    ];
    for (schedule, why) in &cases {
        let (status, body) = post(
            &server,
            "/api/v1/buttons",
            json!({"name": "x", "command": "true", "schedule": schedule}),
        )
        .await;
        assert_eq!(status, 400, "{schedule}: {body}");
        assert_eq!(body["error"]["code"], "INVALID_REQUEST", "{body}");
        assert!(
            body["error"]["details"].to_string().contains(why),
            "{schedule}: {body}"
        );
    }
    let (_, list) = get_as(&server, ADMIN_KEY, "/api/v1/buttons").await;
    assert_eq!(list["data"], json!([]), "nothing was created");

    for (scheduling, why) in [
        (json!({"type": "cron"}), "scheduling.cron"),
        (json!({"type": "cron", "cron": "1 2 3"}), "3 fields"),
        (
            json!({"type": "cron", "cron": "0 9 * * *", "timezone": "Paris"}),
            "unknown time zone",
        ),
    ] {
        let (status, body) = post(
            &server,
            "/scenarios?teamId=1",
            json!({"name": "s", "scheduling": scheduling, "blueprint": blueprint()}),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["code"], "INVALID_INPUT", "{body}");
        assert!(body.to_string().contains(why), "{body}");
    }
}

fn blueprint() -> Value {
    json!({
        "name": "Stamp",
        "flow": [
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "scenario-service:ReturnData", "mapper": {"at": "{{now}}"}}
        ]
    })
}

async fn scenario_executions(server: &Server, id: i64) -> Vec<Value> {
    let (status, body) = get_as(server, ADMIN_KEY, &format!("/scenarios/{id}/logs")).await;
    assert_eq!(status, 200, "{body}");
    body["scenarioLogs"].as_array().cloned().unwrap_or_default()
}

async fn cron_scenarios_run_only_while_active(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let (status, body) = post(
        &server,
        "/scenarios?teamId=1",
        json!({"name": "Every second", "blueprint": blueprint(),
               "scheduling": {"type": "cron", "cron": EVERY_SECOND}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let scenario = &body["scenario"];
    let id = scenario["id"].as_i64().expect("id");
    assert_eq!(
        scenario["scheduling"],
        json!({"type": "cron", "cron": EVERY_SECOND, "timezone": "UTC"})
    );
    assert_eq!(scenario["nextRun"], Value::Null, "inactive: no next run");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert!(
        scenario_executions(&server, id).await.is_empty(),
        "an inactive scenario does not run"
    );

    let (status, body) = call(
        &server,
        Method::POST,
        &format!("/scenarios/{id}/start"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, read) = get_as(&server, ADMIN_KEY, &format!("/scenarios/{id}")).await;
    let next = parse_iso(&read["scenario"]["nextRun"]);
    assert!(
        next - runbox_domain::Timestamp::now().as_millis() <= 1100,
        "{read}"
    );
    let server_ref = &server;
    eventually(
        "two scheduled runs",
        Duration::from_secs(15),
        || async move { scenario_executions(server_ref, id).await.len() >= 2 },
    )
    .await;
    let logs = scenario_executions(&server, id).await;
    assert!(logs.iter().all(|l| l["type"] == "auto"), "{logs:?}");

    let (status, _) = call(
        &server,
        Method::POST,
        &format!("/scenarios/{id}/stop"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settled = scenario_executions(&server, id).await.len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(scenario_executions(&server, id).await.len(), settled);
}

/// An every-second schedule on a command that takes 4 s, with one run at
/// a time per user: occurrences that find one still queued are skipped,
/// so at most one waits.
async fn a_slow_target_never_piles_up(backend: Backend<'_>) {
    let server = Server::start_with(backend.options().env("RUNBOX_MAX_CONCURRENT_PER_USER", "1"));
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "slow", "name": "Slow", "command": "sleep 4",
               "schedule": {"cron": EVERY_SECOND}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mut most_queued = 0;
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let runs = button_runs(&server, ADMIN_KEY, "slow").await;
        let queued = runs.iter().filter(|r| r["status"] == "pending").count();
        let running = runs.iter().filter(|r| r["status"] == "running").count();
        assert!(running <= 1, "{runs:?}");
        most_queued = most_queued.max(queued);
    }
    assert!(most_queued <= 1, "{most_queued} queued at once");
    let total = button_runs(&server, ADMIN_KEY, "slow").await.len();
    assert!(
        (1..=3).contains(&total),
        "{total} runs in 6 s of a 4 s command"
    );
}

/// A schedule changed in the config file counts from the new schedule
/// after a restart, not from the tick the old one left.
async fn a_schedule_changed_in_the_config_file_takes_effect(backend: Backend<'_>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("runbox.toml");
    let button = |cron: &str| {
        format!(
            "[[buttons]]\nid = \"tick\"\nname = \"Tick\"\ncommand = \"echo tick\"\n\
             schedule = {{ cron = \"{cron}\", timezone = \"UTC\" }}\n"
        )
    };
    std::fs::write(&config, button("0 0 1 1 *")).expect("write");
    let mut server = Server::start_with(
        backend
            .options()
            .arg("--config")
            .arg(config.display().to_string()),
    );
    // Let the scheduler arm the yearly tick.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(button_runs(&server, ADMIN_KEY, "tick").await.is_empty());
    std::fs::write(&config, button(EVERY_SECOND)).expect("write");
    server.restart();
    eventually(
        "a run on the new schedule",
        Duration::from_secs(15),
        || async { !button_runs(&server, ADMIN_KEY, "tick").await.is_empty() },
    )
    .await;
}

crate::on_both_backends!(
    a_schedule_changed_in_the_config_file_takes_effect,
    buttons_run_on_their_schedule_as_their_owner,
    bad_expressions_and_zones_are_refused,
    cron_scenarios_run_only_while_active,
    a_slow_target_never_piles_up,
);

/// Two nodes on one database: an every-second schedule starts one
/// execution per second, never two for the same occurrence.
#[tokio::test]
async fn two_nodes_run_an_every_second_cron_exactly_once_per_second() {
    let Some(db) = PgDatabase::create() else {
        return;
    };
    let node = || Options::default().database(&db.url);
    let first = Server::start_with(node());
    let second = Server::start_with(node());
    let (status, body) = post(
        &first,
        "/api/v1/buttons",
        json!({"id": "beat", "name": "Beat", "command": "true",
               "schedule": {"cron": EVERY_SECOND}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    tokio::time::sleep(Duration::from_secs(8)).await;
    let (status, _) = call(
        &second,
        Method::PATCH,
        "/api/v1/buttons/beat",
        Some(json!({"schedule": null})),
    )
    .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let runs = button_runs(&first, ADMIN_KEY, "beat").await;
    assert!(runs.iter().all(|r| r["status"] == "completed"), "{runs:?}");
    // Each occurrence's run starts within milliseconds of its second.
    let created: BTreeSet<i64> = runs
        .iter()
        .map(|r| parse_iso(&r["started_at"]).div_euclid(1000))
        .collect();
    assert_eq!(
        created.len(),
        runs.len(),
        "two executions in the same second: {runs:?}"
    );
    assert!(
        (7..=10).contains(&runs.len()),
        "{} runs in about 8 s",
        runs.len()
    );
    let first_log = first.log();
    let second_log = second.log();
    let started_by = |log: &str| log.matches("scheduled run").count();
    assert_eq!(
        started_by(&first_log) + started_by(&second_log),
        runs.len(),
        "each run was started by exactly one node"
    );
}
