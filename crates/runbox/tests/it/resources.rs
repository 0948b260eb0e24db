//! Per-run resources (contract section 13) in every dialect: a run that
//! allocates 50 MB and burns some CPU reports at least that much memory,
//! some CPU time and its wall time.

use serde_json::{json, Value};

use crate::harness::{post, python, run_agent_to_end, Backend, Server};
use crate::scenarios::{details, flow, run, scenario};

const MIB: u64 = 1024 * 1024;

/// Python that holds 50 MiB (touched, so resident) and spins ~50 ms.
const HOG: &str = "import time\nblock = bytearray(50 * 1024 * 1024)\nfor i in range(0, len(block), 4096):\n    block[i] = 1\nend = time.process_time() + 0.05\nwhile time.process_time() < end:\n    pass\n";

fn assert_measured(resources: &Value, what: &str) {
    let peak = resources["memory_peak_bytes"].as_u64().unwrap_or(0);
    assert!(
        peak >= 50 * MIB,
        "{what}: memory_peak_bytes {peak}: {resources}"
    );
    assert!(
        peak < 200 * MIB,
        "{what}: memory_peak_bytes {peak}: {resources}"
    );
    let cpu = resources["cpu_ms"].as_u64().unwrap_or(0);
    assert!(cpu >= 40, "{what}: cpu_ms {cpu}: {resources}");
    let wall = resources["wall_ms"].as_u64().unwrap_or(0);
    assert!(wall >= 40, "{what}: wall_ms {wall}: {resources}");
    assert_eq!(resources["net_rx_bytes"], 0, "{what}: {resources}");
    assert_eq!(resources["net_tx_bytes"], 0, "{what}: {resources}");
}

async fn every_dialect_reports_what_a_run_used(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());

    let (status, body) = python(&server, &format!("{HOG}return 'held'")).await;
    assert_eq!(status, 200, "{body}");
    assert_measured(&body["resources"], "python API");
    // A run that does little reports little: the figures are the run's own.
    let (_, small) = python(&server, "return 1").await;
    let small_cpu = small["resources"]["cpu_ms"].as_u64();
    assert!(small_cpu.is_some_and(|ms| ms < 40), "{small}");

    let command = format!("/usr/bin/python3 -c '{HOG}'");
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "hog", "name": "Hog", "command": command}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(&server, "/api/v1/execute/hog?wait=30", Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["exit_code"], 0, "{body}");
    assert_measured(&body["data"]["resources"], "button");

    let code = format!(
        "def run(input):\n{}    return {{'held': True}}\n",
        HOG.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    let (status, created) = post(
        &server,
        "/agents",
        json!({"name": "hog", "runtime": "python", "code": code}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let execution = run_agent_to_end(&server, &created["agent_id"]).await;
    assert_eq!(execution["status"], "COMPLETED", "{execution}");
    assert_measured(&execution["resources"], "agent");

    let blueprint = flow(json!([
        {"id": 1, "module": "code:ExecutePython", "mapper": {"code": format!("{HOG}return 'held'"), "input": {}}},
        {"id": 2, "module": "json:CreateJSON", "mapper": {"data": "{{1.result}}"}}
    ]));
    let id = scenario(&server, blueprint, json!({})).await;
    let (status, body) = run(&server, id, json!({}), true).await;
    assert_eq!(status, 200, "{body}");
    let eid = body["executionId"]
        .as_str()
        .expect("executionId")
        .to_owned();
    let modules = details(&server, id, &eid).await["modules"].clone();
    assert_measured(&modules[0]["resources"], "scenario module");
    assert!(
        modules[1].get("resources").is_none(),
        "a module that runs no code has no sandbox figures: {modules}"
    );
}

crate::on_both_backends!(every_dialect_reports_what_a_run_used);
