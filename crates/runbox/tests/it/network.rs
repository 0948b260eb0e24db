//! Network egress (contract section 11): a run reaches what the operator
//! allows and it asked for, only through runbox's proxy; everything else
//! stays closed. The destination is a local HTTP server on 127.0.0.1
//! (allowed as a private address through RUNBOX_HTTP_ALLOW).

use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::harness::{get_as, post, python, run_agent_to_end, Backend, Options, Server, ADMIN_KEY};

/// A local destination serving `hello from the destination` at `/` and
/// 200 KiB at `/big`; returns its port.
async fn destination() -> u16 {
    let app = Router::new()
        .route("/", get(|| async { "hello from the destination" }))
        .route("/big", get(|| async { vec![b'x'; 200 * 1024] }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

fn options(backend: &Backend<'_>, allow: &str) -> Options {
    backend
        .options()
        .env("RUNBOX_NETWORK_ALLOW", allow)
        .env("RUNBOX_HTTP_ALLOW", "127.0.0.1")
}

fn network_block(entries: &[String]) -> String {
    let list: Vec<String> = entries.iter().map(|e| format!("{e:?}")).collect();
    format!(
        "# /// script\n# [tool.runbox]\n# network = [{}]\n# ///\n",
        list.join(", ")
    )
}

const FETCH: &str = "import urllib.request, urllib.error\ndef fetch(url):\n    try:\n        return urllib.request.urlopen(url, timeout=10).read().decode()[:60]\n    except urllib.error.HTTPError as e:\n        return 'HTTP %d %s' % (e.code, e.read().decode().strip())\n    except Exception as e:\n        return 'failed: %s' % type(e).__name__\n";

async fn allowed_destinations_are_reached_through_the_proxy_only(backend: Backend<'_>) {
    let port = destination().await;
    let other = destination().await;
    let server = Server::start_with(options(
        &backend,
        &format!("127.0.0.1:{port},127.0.0.1:{other}"),
    ));
    let code = format!(
        "{}{FETCH}import os, socket\nout = {{'proxy': os.environ.get('HTTPS_PROXY'), 'ok': fetch('http://127.0.0.1:{port}/'), 'big': len(fetch('http://127.0.0.1:{port}/big')), 'other': fetch('http://127.0.0.1:{other}/')}}\ns = socket.socket()\ns.settimeout(2)\ntry:\n    s.connect(('127.0.0.1', {port}))\n    out['direct'] = 'connected'\nexcept OSError as e:\n    out['direct'] = 'refused'\nreturn out",
        network_block(&[format!("127.0.0.1:{port}")])
    );
    let (status, body) = python(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    let result = &body["response"]["result"];
    assert_eq!(result["proxy"], "http://127.0.0.1:3128");
    assert_eq!(result["ok"], "hello from the destination");
    assert_eq!(result["big"], 60);
    // Allowed to the server but not asked for by this run: 403 from the proxy.
    let other_answer = result["other"].as_str().unwrap_or_default();
    assert!(
        other_answer.starts_with("HTTP 403 runbox proxy: "),
        "{other_answer}"
    );
    assert_eq!(result["direct"], "refused", "no route but the proxy");
    let resources = &body["resources"];
    assert!(
        resources["net_rx_bytes"].as_u64().unwrap_or(0) > 200 * 1024,
        "{resources}"
    );
    assert!(
        resources["net_tx_bytes"].as_u64().unwrap_or(0) > 0,
        "{resources}"
    );

    // A run that did not ask has no proxy at all.
    let (status, body) = python(
        &server,
        &format!("{FETCH}import os, socket\ns = socket.socket()\ntry:\n    s.connect(('127.0.0.1', 3128))\n    c = 'connected'\nexcept OSError:\n    c = 'refused'\nreturn [os.environ.get('HTTP_PROXY'), c, fetch('http://127.0.0.1:{port}/')]"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["response"]["result"],
        json!([null, "refused", "failed: URLError"])
    );
    assert_eq!(body["resources"]["net_rx_bytes"], 0);
}

async fn requests_beyond_the_operator_list_are_refused(backend: Backend<'_>) {
    let server = Server::start_with(options(&backend, "*.example.org"));
    let (status, body) = python(&server, &network_block(&["api.github.com".into()])).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        "Invalid network request: api.github.com is not covered by the server's network allow list (RUNBOX_NETWORK_ALLOW)"
    );
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"name": "n", "command": "true", "network": ["evil.example"]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_REQUEST");
    let (status, body) = post(
        &server,
        "/agents",
        json!({"name": "n", "runtime": "command", "command": "cat", "network": ["x.example.com"]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "net", "name": "n", "command": "true", "network": ["api.example.org"]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["network"], json!(["api.example.org"]));
}

crate::on_both_backends!(
    allowed_destinations_are_reached_through_the_proxy_only,
    requests_beyond_the_operator_list_are_refused,
);

#[tokio::test]
async fn buttons_and_command_agents_use_the_proxy_too() {
    let port = destination().await;
    let server = Server::start_with(options(&Backend::Sqlite, &format!("127.0.0.1:{port}")));
    let fetch = format!(
        "/usr/bin/python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{port}/').read().decode())\""
    );
    let (status, body) = post(
        &server,
        "/api/v1/buttons",
        json!({"id": "fetch", "name": "Fetch", "command": fetch, "network": [format!("127.0.0.1:{port}")]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(&server, "/api/v1/execute/fetch?wait=30", Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["output"], "hello from the destination\n");
    assert!(
        body["data"]["resources"]["net_rx_bytes"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );

    let agent = format!(
        "/usr/bin/python3 -c \"import json, urllib.request; print(json.dumps({{'got': urllib.request.urlopen('http://127.0.0.1:{port}/').read().decode()}}))\""
    );
    let (status, created) = post(
        &server,
        "/agents",
        json!({"name": "fetcher", "runtime": "command", "command": agent, "network": [format!("127.0.0.1:{port}")]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let execution = run_agent_to_end(&server, &created["agent_id"]).await;
    assert_eq!(
        execution["final_result"],
        json!({"got": "hello from the destination"}),
        "{execution}"
    );
}

#[tokio::test]
async fn private_addresses_need_the_ssrf_allow_list_even_when_named() {
    let port = destination().await;
    // `localhost` is allowed by the operator, but resolves to a loopback
    // address, which RUNBOX_HTTP_ALLOW does not list here.
    let server = Server::start_with(
        Options::default().env("RUNBOX_NETWORK_ALLOW", format!("localhost:{port}")),
    );
    let code = format!(
        "{}{FETCH}return fetch('http://localhost:{port}/')",
        network_block(&[format!("localhost:{port}")])
    );
    let (status, body) = python(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    let answer = body["response"]["result"].as_str().unwrap_or_default();
    assert!(
        answer.starts_with(
            "HTTP 403 runbox proxy: host localhost resolves to 127.0.0.1, a loopback address"
        ),
        "{answer}"
    );
}

#[tokio::test]
async fn a_run_flooding_the_proxy_gets_503_and_the_server_stays_healthy() {
    let port = destination().await;
    let server = Server::start_with(options(&Backend::Sqlite, &format!("127.0.0.1:{port}")));
    let code = format!(
        "{}import socket\nheld = []\ncodes = []\nfor i in range(80):\n    s = socket.create_connection(('127.0.0.1', 3128), timeout=5)\n    s.sendall(b'CONNECT 127.0.0.1:{port} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n    codes.append(s.recv(64).split(b' ')[1].decode())\n    held.append(s)\nreturn [codes.count('200'), codes.count('503')]",
        network_block(&[format!("127.0.0.1:{port}")])
    );
    let (status, body) = python(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["result"], json!([64, 16]));
    let (status, _) = get_as(&server, ADMIN_KEY, "/admin/health").await;
    assert_eq!(status, 200);
}
