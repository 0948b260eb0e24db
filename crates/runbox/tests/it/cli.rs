//! The binary's other faces: health, `runbox keys`, `runbox version`,
//! configuration errors at start-up.

use std::process::Command;

use serde_json::json;

use crate::harness::{client, get_as, post_as, Server};

fn runbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_runbox"))
}

#[tokio::test]
async fn health_reports_database_queue_and_version() {
    let server = Server::start();
    let response = client()
        .get(server.url("/admin/health"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "sqlite");
    assert!(
        body["sqlite_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{body}"
    );
    assert!(body["uptime_sec"].is_u64());
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["queue"], json!({"queued": 0, "running": 0}));
}

#[test]
fn version_prints_the_build_number() {
    let out = runbox().arg("version").output().expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        env!("CARGO_PKG_VERSION")
    );
}

#[tokio::test]
async fn keys_commands_act_on_the_store_of_a_running_server() {
    let server = Server::start();
    let out = runbox()
        .args(["keys", "create", "--user", "carol"])
        .arg("--data-dir")
        .arg(server.data_path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(key.starts_with("rbx_"));
    let (status, body) = post_as(
        &server,
        &key,
        "/v1/code/execute/python",
        json!({"code": "print('carol')"}),
    )
    .await;
    assert_eq!(
        status, 200,
        "a key created by the CLI works at once: {body}"
    );
    let (status, _) = get_as(&server, &key, "/admin/api-keys").await;
    assert_eq!(status, 403, "carol is not an admin");

    let list = runbox()
        .args(["keys", "list"])
        .arg("--data-dir")
        .arg(server.data_path())
        .output()
        .expect("run");
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(
        listing.contains("carol") && listing.contains(&key[..8]) && !listing.contains(&key),
        "{listing}"
    );

    let revoke = runbox()
        .args(["keys", "revoke", &key[..8]])
        .arg("--data-dir")
        .arg(server.data_path())
        .output()
        .expect("run");
    assert!(revoke.status.success());
    let (status, _) = post_as(
        &server,
        &key,
        "/v1/code/execute/python",
        json!({"code": "print('carol')"}),
    )
    .await;
    assert_eq!(
        status, 401,
        "a key revoked by the CLI stops working at once"
    );
}

#[test]
fn an_invalid_config_file_stops_start_up_naming_key_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("runbox.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\n[limits]\nmax_queue_length = 10\nworkers = 0\n",
    )
    .expect("write");
    let out = runbox()
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("limits.workers") && stderr.contains("line 4"),
        "{stderr}"
    );
}

/// Two servers on one SQLite database would each take the other's running
/// executions for orphans: the second refuses to start.
#[test]
fn a_second_server_on_the_same_sqlite_database_refuses_to_start() {
    let server = Server::start();
    let out = runbox()
        .arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(server.data_path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another runbox serve"), "{stderr}");
}

#[tokio::test]
async fn json_logs_are_one_object_a_line_with_the_execution_id() {
    let server =
        Server::start_with(crate::harness::Options::default().env("RUNBOX_LOG_FORMAT", "json"));
    let (status, body) = crate::harness::python(&server, "print('hi')").await;
    assert_eq!(status, 200, "{body}");
    let job = body["job_id"].as_str().expect("job_id").to_owned();
    let mut finished = None;
    for _ in 0..50 {
        let log = server.log();
        finished = log
            .lines()
            .filter(|line| line.starts_with('{'))
            .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
            .find(|line| line["message"] == "execution finished");
        if finished.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let finished =
        finished.unwrap_or_else(|| panic!("no JSON 'execution finished' line:\n{}", server.log()));
    assert_eq!(finished["execution.id"], job.as_str(), "{finished}");
    assert_eq!(finished["level"], "INFO", "{finished}");
    for line in server.log().lines() {
        // The start-up address line is for people and scripts, not a log.
        if !line.starts_with("listening on ") {
            assert!(
                serde_json::from_str::<serde_json::Value>(line).is_ok(),
                "not JSON: {line}"
            );
        }
    }

    let refused = Command::new(env!("CARGO_BIN_EXE_runbox"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUNBOX_LOG_FORMAT", "xml")
        .output()
        .expect("run runbox");
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("RUNBOX_LOG_FORMAT: expected text or json"),
        "{stderr}"
    );
}
