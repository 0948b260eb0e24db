//! `POST /v1/code/execute/python`: every row of the contract's outcome
//! table, validation errors, limits.

use serde_json::{json, Value};

use crate::harness::{post, python, Options, Server, ADMIN_KEY};

fn assert_envelope(body: &Value, code: u16) {
    assert_eq!(body["endpoint"], "/v1/code/execute/python");
    assert_eq!(body["code"], code);
    assert!(
        body["job_id"].as_str().is_some_and(|j| j.len() == 36),
        "{body}"
    );
    assert!(body["pid"].as_u64().is_some(), "{body}");
    assert!(body["queue_id"].as_i64().is_some(), "{body}");
    for key in ["run_time", "queue_time", "total_time"] {
        assert!(body[key].as_f64().is_some(), "{key} in {body}");
    }
    assert!(body["queue_length"].as_u64().is_some(), "{body}");
    assert_eq!(body["build_number"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn success_returns_stdout_and_the_request_id() {
    let server = Server::start();
    let (status, body) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "print('Hola Mundo')", "timeout": 10, "id": "peticion-unica-123"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_envelope(&body, 200);
    assert_eq!(body["id"], "peticion-unica-123");
    assert_eq!(body["message"], "success");
    assert_eq!(
        body["response"],
        json!({"result": null, "stdout": "Hola Mundo\n", "stderr": "", "exit_code": 0, "truncated": false})
    );
}

#[tokio::test]
async fn top_level_return_becomes_the_result() {
    let server = Server::start();
    let cases = [
        (
            "return {'a': [1, 2], 'b': None}",
            json!({"a": [1, 2], "b": null}),
        ),
        (
            "x = 20\nif x > 10:\n    return x * 2\nprint('unreached')",
            json!(40),
        ),
        ("def f():\n    return 5\nf()", Value::Null),
        // A bare `except:` does not swallow a top-level return.
        ("try:\n    return 5\nexcept:\n    pass\nreturn 6", json!(5)),
        ("return {1, 2}", json!("{1, 2}")),
        ("return float('nan')", json!("nan")),
        ("print('out')\nreturn 'done'", json!("done")),
    ];
    for (code, expected) in cases {
        let (status, body) = python(&server, code).await;
        assert_eq!(status, 200, "{code}: {body}");
        assert_eq!(body["response"]["result"], expected, "{code}");
    }
}

#[tokio::test]
async fn exception_is_400_with_the_last_traceback_line() {
    let server = Server::start();
    let (status, body) = python(&server, "print('partial')\n1/0").await;
    assert_eq!(status, 400, "{body}");
    assert_envelope(&body, 400);
    assert_eq!(body["response"], Value::Null);
    assert_eq!(body["error"], "ZeroDivisionError: division by zero");
    assert_eq!(body["stdout"], "partial\n");
    assert_eq!(body["exit_code"], 1);
    let stderr = body["stderr"].as_str().unwrap_or_default();
    assert!(
        stderr.starts_with("Traceback (most recent call last):"),
        "{stderr}"
    );
    assert!(stderr.contains("File \"<string>\", line 2"), "{stderr}");
    assert!(
        !stderr.contains("runner.py"),
        "runner frames leak: {stderr}"
    );
    assert_eq!(
        body["message"],
        json!({"error": "ZeroDivisionError: division by zero", "stdout": "partial\n", "stderr": stderr, "exit_code": 1})
    );
}

#[tokio::test]
async fn syntax_error_and_exit_codes() {
    let server = Server::start();
    let (status, body) = python(&server, "def broken(:\n  pass").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("SyntaxError")),
        "{body}"
    );
    assert_eq!(body["exit_code"], 1);

    let (status, body) = python(&server, "import sys\nprint('bye')\nsys.exit(3)").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "Process exited with code 3");
    assert_eq!(body["exit_code"], 3);
    assert_eq!(body["stdout"], "bye\n");

    let (status, body) = python(&server, "import sys\nsys.exit(0)").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["exit_code"], 0);

    let (status, body) = python(&server, "import os\nos._exit(7)").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["exit_code"], 7);
}

#[tokio::test]
async fn stderr_alone_does_not_fail_and_child_output_is_captured() {
    let server = Server::start();
    let code = "import sys, subprocess\nsys.stderr.write('careful\\n')\nsubprocess.run(['sh', '-c', 'echo from-child; echo child-err >&2'])";
    let (status, body) = python(&server, code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["stdout"], "from-child\n");
    assert_eq!(body["response"]["stderr"], "careful\nchild-err\n");
}

#[tokio::test]
async fn timeout_is_408() {
    let server = Server::start();
    let started = std::time::Instant::now();
    let (status, body) = post(
        &server,
        "/v1/code/execute/python",
        json!({"code": "import subprocess, time\nsubprocess.Popen(['sleep', '4711.5'])\nprint('start', flush=True)\ntime.sleep(30)", "timeout": 1}),
    )
    .await;
    assert_eq!(status, 408, "{body}");
    assert_envelope(&body, 408);
    assert_eq!(body["error"], "Execution timed out after 1 seconds");
    assert_eq!(
        body["message"],
        json!({"error": "Execution timed out after 1 seconds"})
    );
    assert_eq!(body["response"], Value::Null);
    assert!(started.elapsed().as_secs() < 10);
    let survivors = std::process::Command::new("pgrep")
        .arg("-f")
        .arg("sleep 4711.5")
        .output()
        .expect("pgrep");
    assert!(
        survivors.stdout.is_empty(),
        "a process of the timed-out run survived"
    );
}

#[tokio::test]
async fn queue_full_is_429_and_creates_nothing() {
    let server = Server::start_with(
        Options::default()
            .env("RUNBOX_WORKERS", "1")
            .env("RUNBOX_MAX_QUEUE_LENGTH", "1"),
    );
    let base = server.base.clone();
    let slow = |code: &'static str| {
        let url = format!("{base}/v1/code/execute/python");
        tokio::spawn(async move {
            crate::harness::client()
                .post(url)
                .header("x-api-key", ADMIN_KEY)
                .json(&json!({"code": code}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    let running = slow("import time; time.sleep(3)");
    crate::harness::eventually(
        "one running",
        std::time::Duration::from_secs(10),
        || async {
            let (_, h) = crate::harness::get_as(&server, ADMIN_KEY, "/admin/health").await;
            h["queue"]["running"] == 1
        },
    )
    .await;
    let queued = slow("print('queued one')");
    crate::harness::eventually("one queued", std::time::Duration::from_secs(10), || async {
        let (_, h) = crate::harness::get_as(&server, ADMIN_KEY, "/admin/health").await;
        h["queue"]["queued"] == 1
    })
    .await;
    let (status, body) = python(&server, "print('refused')").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["message"], "MAX_QUEUE_LENGTH (1) reached");
    assert_eq!(body["error"], "MAX_QUEUE_LENGTH (1) reached");
    assert_eq!(body["code"], 429);
    let (status, job) = post(
        &server,
        "/v1/toolkit/job/status",
        json!({"job_id": body["job_id"]}),
    )
    .await;
    assert_eq!(status, 404, "refused job must not exist: {job}");
    assert_eq!(running.await.ok().and_then(Result::ok), Some(200));
    assert_eq!(queued.await.ok().and_then(Result::ok), Some(200));
}

#[tokio::test]
async fn internal_failure_is_500() {
    // A missing interpreter makes the sandbox fail to start the program:
    // that is runbox's failure, not the code's.
    let server =
        Server::start_with(Options::default().env("RUNBOX_SANDBOX_PYTHON", "/nonexistent/python3"));
    let (status, body) = python(&server, "print('never')").await;
    assert_eq!(status, 500, "{body}");
    assert_envelope(&body, 500);
    assert_eq!(
        body["message"],
        json!({"error": "An internal server error occurred"})
    );
    assert_eq!(body["error"], "An internal server error occurred");
    assert!(
        body.get("stdout").is_some()
            && body.get("stderr").is_some()
            && body.get("exit_code").is_some(),
        "{body}"
    );
}

#[tokio::test]
async fn invalid_payloads_are_400_in_the_dialect_shape() {
    let server = Server::start();
    let cases = [
        (json!({}), "Invalid payload: 'code' is a required property"),
        (
            json!({"code": "print(1)", "timeout": 0}),
            "Invalid payload: 0 is less than the minimum of 1",
        ),
        (
            json!({"code": "print(1)", "timeout": 301}),
            "Invalid payload: 301 is greater than the maximum of 300",
        ),
        (
            json!({"code": "print(1)", "language": "js"}),
            "Invalid payload: Additional properties are not allowed ('language' was unexpected)",
        ),
        (
            json!({"code": 42}),
            "Invalid payload: 42 is not of type 'string'",
        ),
    ];
    for (input, message) in cases {
        let (status, body) = post(&server, "/v1/code/execute/python", input.clone()).await;
        assert_eq!(status, 400, "{input}: {body}");
        assert_eq!(
            body,
            json!({"error": message, "message": message, "stdout": "", "exit_code": 400}),
            "{input}"
        );
    }
    let response = crate::harness::client()
        .post(server.url("/v1/code/execute/python"))
        .header("x-api-key", ADMIN_KEY)
        .header("content-type", "application/json")
        .body("{\"code\": \"print(1)\"")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Invalid payload: malformed JSON")),
        "{body}"
    );
    assert_eq!(body["exit_code"], 400);
}

#[tokio::test]
async fn json_is_read_whatever_the_content_type() {
    let server = Server::start();
    let response = crate::harness::client()
        .post(server.url("/v1/code/execute/python"))
        .header("x-api-key", ADMIN_KEY)
        .header("content-type", "text/plain;charset=UTF-8")
        .body(r#"{"code": "print(6*7)"}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["response"]["stdout"], "42\n");
}

#[tokio::test]
async fn large_bodies_get_413_and_output_is_capped_at_1_mib() {
    let server = Server::start();
    let big = "#".repeat(1_100_000);
    let (status, body) = post(&server, "/v1/code/execute/python", json!({"code": big})).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["exit_code"], 413);

    let (status, body) = python(
        &server,
        "import sys\nsys.stdout.write('x' * (2 * 1024 * 1024))\nprint('still running')",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["truncated"], true);
    assert_eq!(
        body["response"]["stdout"].as_str().map(str::len),
        Some(1_048_576)
    );
}

#[tokio::test]
async fn unknown_routes_get_json_404() {
    let server = Server::start();
    let (status, body) = crate::harness::get_as(&server, ADMIN_KEY, "/v1/nothing/here").await;
    assert_eq!(status, 404);
    assert!(body.is_object(), "{body}");
    let (status, body) =
        crate::harness::get_as(&server, ADMIN_KEY, "/definitely/not/a/route").await;
    assert_eq!(status, 404);
    assert!(body.is_object(), "{body}");
}

#[tokio::test]
async fn threads_are_joined_and_exit_handlers_run_as_with_python_c() {
    let server = Server::start();
    let code = "import atexit, threading, time\natexit.register(lambda: print('bye from atexit'))\ndef late():\n    time.sleep(0.3)\n    print('thread done')\nthreading.Thread(target=late).start()\nprint('main done')";
    let (status, body) = python(&server, code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["response"]["stdout"],
        "main done\nthread done\nbye from atexit\n"
    );
    let (_, body) = python(
        &server,
        "import sys\nsys.stdout.write('no newline, no flush')",
    )
    .await;
    assert_eq!(body["response"]["stdout"], "no newline, no flush");
}
