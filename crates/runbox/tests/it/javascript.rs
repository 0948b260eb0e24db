//! More languages (contract section 14): `POST /v1/code/execute/javascript`
//! with the Python API's contract, JavaScript agents and the scenario step
//! `code:ExecuteJavaScript`, an operator's runtime from the configuration,
//! `GET /v1/code/runtimes`, and the sandbox's promises for Node.js (no
//! network, the data directory invisible, processes killed on timeout).

use std::io::Write as _;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{
    call, eventually, get_as, post, run_agent_to_end, unique, Backend, Options, Server, ADMIN_KEY,
};
use crate::webhooks::start_receiver;

const ENDPOINT: &str = "/v1/code/execute/javascript";

async fn js(server: &Server, body: Value) -> (u16, Value) {
    post(server, ENDPOINT, body).await
}

fn assert_envelope(body: &Value, code: u16) {
    assert_eq!(body["endpoint"], ENDPOINT, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["job_id"].as_str().is_some_and(|id| id.len() == 36),
        "{body}"
    );
    for field in [
        "pid",
        "queue_id",
        "run_time",
        "queue_time",
        "total_time",
        "queue_length",
        "build_number",
    ] {
        assert!(!body[field].is_null(), "{field} missing: {body}");
    }
}

async fn the_python_contract_holds_for_javascript(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    // console.log, await at top level, return.
    let (status, body) = js(
        &server,
        json!({"code": "console.log('hi'); const n = await Promise.resolve(21);\nreturn {answer: n * 2, list: [1, 'two', null]}", "id": "r-1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_envelope(&body, 200);
    assert_eq!(body["id"], "r-1");
    assert_eq!(body["message"], "success");
    assert_eq!(
        body["response"],
        json!({"result": {"answer": 42, "list": [1, "two", null]}, "stdout": "hi\n", "stderr": "", "exit_code": 0, "truncated": false})
    );
    assert!(body["resources"]["cpu_ms"].as_u64().is_some(), "{body}");

    // No return: result null. A value JSON cannot encode: a text.
    let (_, body) = js(&server, json!({"code": "console.error('warn'); 1 + 1"})).await;
    assert_eq!(body["response"]["result"], Value::Null, "{body}");
    assert_eq!(
        body["response"]["stderr"], "warn\n",
        "stderr alone does not fail"
    );
    let (_, body) = js(&server, json!({"code": "return 10n"})).await;
    assert_eq!(body["response"]["result"], "10n", "{body}");

    // An uncaught error: 400, its first line, the stack on stderr.
    let (status, body) = js(&server, json!({"code": "const x = 1;\nx();"})).await;
    assert_eq!(status, 400, "{body}");
    assert_envelope(&body, 400);
    assert_eq!(body["error"], "TypeError: x is not a function");
    assert_eq!(body["exit_code"], 1);
    let stderr = body["stderr"].as_str().unwrap_or_default();
    assert!(
        stderr.starts_with("TypeError: x is not a function\n    at code.js:2:"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("runner.js"),
        "the runner's own frames are hidden: {stderr}"
    );
    let (status, body) = js(
        &server,
        json!({"code": "await Promise.reject(new RangeError('too far'))"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "RangeError: too far");
    let (status, body) = js(&server, json!({"code": "return {"})).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("SyntaxError:")),
        "{body}"
    );
    let (status, body) = js(
        &server,
        json!({"code": "console.log('bye'); process.exit(3)"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["exit_code"], 3);
    assert_eq!(body["error"], "Process exited with code 3");
    assert_eq!(body["stdout"], "bye\n");

    // Timeouts are 408 and leave nothing behind.
    let (status, body) = js(&server, json!({"code": "while (true) {}", "timeout": 1})).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"], "Execution timed out after 1 seconds");

    // Body validation is the Python API's, word for word.
    let (status, body) = js(&server, json!({"code": 5})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Invalid payload: 5 is not of type 'string'");

    // Job status works for JavaScript runs too.
    let (_, done) = js(&server, json!({"code": "return 1"})).await;
    let (status, job) = post(
        &server,
        "/v1/toolkit/job/status",
        json!({"job_id": done["job_id"]}),
    )
    .await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["response"]["job_status"], "done");
    assert_eq!(job["response"]["response"]["endpoint"], ENDPOINT);
}

async fn webhooks_deliver_javascript_results(backend: Backend<'_>) {
    let server = Server::start_with(backend.options().env("RUNBOX_HTTP_ALLOW", "127.0.0.1"));
    let (url, receiver) = start_receiver(0).await;
    let (status, body) = js(
        &server,
        json!({"code": "return 'done'", "webhook_url": url}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["message"], "processing");
    let hits = receiver.hits.clone();
    eventually("the webhook", Duration::from_secs(20), || {
        let hits = hits.clone();
        async move { !hits.lock().expect("lock").is_empty() }
    })
    .await;
    let delivered = receiver.hits.lock().expect("lock")[0].1.clone();
    assert_eq!(delivered["endpoint"], ENDPOINT);
    assert_eq!(delivered["response"]["result"], "done");
}

async fn javascript_agents_and_scenario_steps(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let (status, agent) = post(
        &server,
        "/agents",
        json!({"name": "doubler", "runtime": "javascript",
               "code": "async function run(input) {\n  console.log('got', input.n);\n  return {double: input.n * 2};\n}"}),
    )
    .await;
    assert_eq!(status, 201, "{agent}");
    assert_eq!(agent["runtime"], "javascript");
    let (status, run) = post(
        &server,
        "/executions/run",
        json!({"agent_id": agent["agent_id"], "input": {"n": 21}}),
    )
    .await;
    assert_eq!(status, 202, "{run}");
    let id = run["execution_id"].as_str().expect("id");
    let server_ref = &server;
    eventually("the agent's run", Duration::from_secs(30), || async move {
        let (_, body) = get_as(server_ref, ADMIN_KEY, &format!("/executions/{id}")).await;
        body["status"] == "COMPLETED"
    })
    .await;
    let (_, body) = get_as(&server, ADMIN_KEY, &format!("/executions/{id}")).await;
    assert_eq!(body["final_result"], json!({"double": 42}));
    // A plain function, a non-object value (wrapped), a missing run().
    let (_, plain) = post(&server, "/agents", json!({"name": "plain", "runtime": "javascript", "code": "function run(input) { return input.n + 1 }"})).await;
    let finished = run_agent_to_end(&server, &plain["agent_id"]).await;
    assert_eq!(finished["status"], "COMPLETED", "{finished}");
    let (_, missing) = post(
        &server,
        "/agents",
        json!({"name": "broken", "runtime": "javascript", "code": "const x = 1"}),
    )
    .await;
    let failed = run_agent_to_end(&server, &missing["agent_id"]).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(
        failed["error_log"]
            .as_str()
            .is_some_and(|e| e.contains("must define run(input)")),
        "{failed}"
    );
    let (status, body) = post(
        &server,
        "/agents",
        json!({"name": "x", "runtime": "cobol", "code": "x"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("javascript")),
        "{body}"
    );

    // The scenario step.
    let (status, created) = post(
        &server,
        "/scenarios?teamId=1",
        json!({"name": "js", "blueprint": {"name": "js", "flow": [
            {"id": 1, "module": "scenario-service:StartSubscenario"},
            {"id": 2, "module": "code:ExecuteJavaScript", "mapper": {
                "code": "console.log('step'); return input.words.map(w => w.toUpperCase())",
                "input": {"words": "{{var.input.words}}"}}},
            {"id": 3, "module": "scenario-service:ReturnData", "mapper": {"shout": "{{2.result}}", "log": "{{2.stdout}}"}}
        ]}}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let scenario = created["scenario"]["id"].as_i64().expect("id");
    call(
        &server,
        Method::POST,
        &format!("/scenarios/{scenario}/start"),
        None,
    )
    .await;
    let (status, run) = post(
        &server,
        &format!("/scenarios/{scenario}/run"),
        json!({"data": {"words": ["a", "b"]}, "responsive": true}),
    )
    .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(
        run["outputs"],
        json!({"shout": ["A", "B"], "log": "step\n"})
    );
}

crate::on_both_backends!(
    the_python_contract_holds_for_javascript,
    webhooks_deliver_javascript_results,
    javascript_agents_and_scenario_steps,
);

/// A runtime from the configuration file: `perl` (Debian always has it).
fn perl_config() -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("config file");
    writeln!(
        file,
        "[runtimes.perl]\ncommand = [\"/usr/bin/perl\", \"{{file}}\"]\nextension = \"pl\""
    )
    .expect("write");
    file
}

#[tokio::test]
async fn an_operators_runtime_runs_code_and_agents_and_is_listed() {
    let config = perl_config();
    let server = Server::start_with(
        Options::default()
            .arg("--config")
            .arg(config.path().to_string_lossy()),
    );
    let (status, body) = post(
        &server,
        "/v1/code/execute/perl",
        json!({"code": "print \"perl: \", 6 * 7, \"\\n\"; warn \"careful\\n\";"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["endpoint"], "/v1/code/execute/perl");
    assert_eq!(body["response"]["stdout"], "perl: 42\n");
    assert_eq!(body["response"]["stderr"], "careful\n");
    assert_eq!(body["response"]["result"], Value::Null);
    let (status, body) = post(&server, "/v1/code/execute/perl", json!({"code": "exit 4;"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "Process exited with code 4");
    let (status, body) = post(&server, "/v1/code/execute/ruby", json!({"code": "puts 1"})).await;
    assert_eq!(status, 404, "{body}");

    // A perl agent: JSON on stdin, a JSON object on stdout.
    let (status, agent) = post(
        &server,
        "/agents",
        json!({"name": "perl-agent", "runtime": "perl",
               "code": "my $in = do { local $/; <STDIN> }; $in =~ /\"n\":\\s*(\\d+)/; print \"{\\\"triple\\\": \", $1 * 3, \"}\\n\";"}),
    )
    .await;
    assert_eq!(status, 201, "{agent}");
    assert_eq!(agent["runtime"], "perl");
    let (_, run) = post(
        &server,
        "/executions/run",
        json!({"agent_id": agent["agent_id"], "input": {"n": 5}}),
    )
    .await;
    let id = run["execution_id"].as_str().expect("id").to_owned();
    let server_ref = &server;
    let id_ref = id.as_str();
    eventually("the perl agent", Duration::from_secs(30), || async move {
        let (_, body) = get_as(server_ref, ADMIN_KEY, &format!("/executions/{id_ref}")).await;
        body["status"] == "COMPLETED"
    })
    .await;
    let (_, body) = get_as(&server, ADMIN_KEY, &format!("/executions/{id}")).await;
    assert_eq!(body["final_result"], json!({"triple": 15}));

    let (status, list) = get_as(&server, ADMIN_KEY, "/v1/code/runtimes").await;
    assert_eq!(status, 200, "{list}");
    let names: Vec<&str> = list["runtimes"]
        .as_array()
        .expect("runtimes")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, ["python", "javascript", "perl"]);
    for runtime in list["runtimes"].as_array().expect("runtimes") {
        assert!(
            runtime["version"].as_str().is_some_and(|v| !v.is_empty()),
            "{runtime}"
        );
        assert_eq!(
            runtime["endpoint"],
            format!(
                "/v1/code/execute/{}",
                runtime["name"].as_str().unwrap_or_default()
            )
        );
    }
    assert!(list["runtimes"][1]["version"]
        .as_str()
        .is_some_and(|v| v.starts_with('v')));
}

/// The sandbox holds for Node.js as for Python: no network, none of
/// runbox's files, nothing left running after a timeout.
#[tokio::test]
async fn node_gets_the_same_sandbox() {
    let server = Server::start();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let code = format!(
        "const net = require('net');\n\
         const result = await new Promise((resolve) => {{\n\
           const s = net.connect({port}, '127.0.0.1');\n\
           s.on('connect', () => resolve('connected'));\n\
           s.on('error', (e) => resolve(e.code));\n\
           setTimeout(() => resolve('timeout'), 3000);\n\
         }});\n\
         return result"
    );
    let (status, body) = js(&server, json!({"code": code})).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body["response"]["result"], "connected", "{body}");

    let data = server.data_path().to_string_lossy().into_owned();
    let (_, body) = js(
        &server,
        json!({"code": format!("const fs = require('fs'); return [fs.existsSync({data:?}), fs.existsSync('/etc/shadow') && (() => {{ try {{ fs.readFileSync('/etc/shadow'); return 'read'; }} catch (e) {{ return e.code; }} }})(), require('os').hostname(), process.getuid()]")}),
    )
    .await;
    let result = &body["response"]["result"];
    assert_eq!(result[0], false, "the data directory is invisible: {body}");
    assert_ne!(result[1], "read", "{body}");
    assert_eq!(result[2], "runbox");
    assert_ne!(result[3], 0, "not root");

    let marker = format!("runbox-js-orphan-{}", unique());
    let (status, _) = js(
        &server,
        json!({"code": format!("require('child_process').spawn('/bin/sh', ['-c', 'exec -a {marker} sleep 60'], {{detached: true, stdio: 'ignore'}}).unref();\nwhile (true) {{}}"), "timeout": 2}),
    )
    .await;
    assert_eq!(status, 408);
    let survivors = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .expect("pgrep");
    assert!(
        String::from_utf8_lossy(&survivors.stdout).trim().is_empty(),
        "processes outlived the run"
    );
}
