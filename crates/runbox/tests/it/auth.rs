//! API keys: the three header forms, 401s in each shape, admin-only key
//! management, and per-user visibility of executions.

use serde_json::{json, Value};

use crate::harness::{client, get_as, post, post_as, python, user_key, Server, ADMIN_KEY};

#[tokio::test]
async fn the_three_header_forms_are_accepted() {
    let server = Server::start();
    let url = server.url("/v1/toolkit/authenticate");
    for (name, value) in [
        ("x-api-key", ADMIN_KEY.to_owned()),
        ("authorization", format!("Token {ADMIN_KEY}")),
        ("authorization", format!("Bearer {ADMIN_KEY}")),
    ] {
        let response = client()
            .get(&url)
            .header(name, value)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status().as_u16(), 200, "{name}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["response"], "Authorized");
        assert_eq!(body["endpoint"], "/v1/toolkit/authenticate");
    }
}

#[tokio::test]
async fn missing_or_unknown_keys_get_401() {
    let server = Server::start();
    let response = client()
        .post(server.url("/v1/code/execute/python"))
        .json(&json!({"code": "print(1)"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"message": "Unauthorized"})
    );
    let (status, body) = post_as(
        &server,
        "rbx_not_a_real_key_at_all_000000",
        "/v1/code/execute/python",
        json!({"code": "print(1)"}),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body, json!({"message": "Unauthorized"}));
    let (status, _) = post_as(
        &server,
        &ADMIN_KEY[..ADMIN_KEY.len() - 1],
        "/v1/code/execute/python",
        json!({"code": "print(1)"}),
    )
    .await;
    assert_eq!(
        status, 401,
        "a key differing in its last character must fail"
    );
    let (status, body) = get_as(&server, "wrong", "/admin/api-keys").await;
    assert_eq!(status, 401);
    assert!(body["detail"].is_string(), "{body}");
    // Health needs no key.
    let response = client()
        .get(server.url("/admin/health"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn keys_are_managed_by_admins_only_and_revocation_is_immediate() {
    let server = Server::start();
    let (status, created) = post(
        &server,
        "/admin/api-keys",
        json!({"user": "alice", "admin": false}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["user"], "alice");
    let key = created["key"].as_str().expect("key").to_owned();
    let prefix = created["prefix"].as_str().expect("prefix").to_owned();
    assert!(key.starts_with("rbx_") && key.starts_with(&prefix) && prefix.len() == 8);

    let (status, listed) = get_as(&server, ADMIN_KEY, "/admin/api-keys").await;
    assert_eq!(status, 200);
    let text = listed.to_string();
    assert!(
        text.contains(&prefix) && !text.contains(&key),
        "list shows prefixes, never keys: {text}"
    );

    let (status, _) = post_as(
        &server,
        &key,
        "/admin/api-keys",
        json!({"user": "mallory", "admin": true}),
    )
    .await;
    assert_eq!(status, 403, "a non-admin cannot create keys");
    let (status, _) = get_as(&server, &key, "/admin/api-keys").await;
    assert_eq!(status, 403);

    let (status, body) = post_as(
        &server,
        &key,
        "/v1/code/execute/python",
        json!({"code": "print('alice')"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let response = client()
        .delete(server.url(&format!("/admin/api-keys/{prefix}")))
        .header("x-api-key", ADMIN_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 200);
    let (status, _) = post_as(
        &server,
        &key,
        "/v1/code/execute/python",
        json!({"code": "print('alice')"}),
    )
    .await;
    assert_eq!(status, 401, "a revoked key stops working at once");
}

#[tokio::test]
async fn executions_are_visible_to_their_user_and_admins_only() {
    let server = Server::start();
    let alice = user_key(&server, "alice").await;
    let bob = user_key(&server, "bob").await;
    let (status, run) = post_as(
        &server,
        &alice,
        "/v1/code/execute/python",
        json!({"code": "print('secret of alice')"}),
    )
    .await;
    assert_eq!(status, 200, "{run}");
    let job_id = run["job_id"].clone();
    let (status, body) = post_as(
        &server,
        &bob,
        "/v1/toolkit/job/status",
        json!({"job_id": job_id}),
    )
    .await;
    assert_eq!(status, 404, "bob must not see alice's job: {body}");
    assert!(!body.to_string().contains("secret of alice"));
    let (status, body) = post_as(
        &server,
        &alice,
        "/v1/toolkit/job/status",
        json!({"job_id": job_id}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["response"]["response"]["response"]["stdout"],
        "secret of alice\n"
    );
    let (status, _) = post(&server, "/v1/toolkit/job/status", json!({"job_id": job_id})).await;
    assert_eq!(status, 200, "admins see every job");
    let (_, listing) = post_as(&server, &bob, "/v1/toolkit/jobs/status", json!({})).await;
    assert!(
        listing["response"]
            .get(job_id.as_str().unwrap_or_default())
            .is_none(),
        "{listing}"
    );
    let (_, own) = python(&server, "print(1)").await;
    assert_eq!(own["code"], 200);
}

#[tokio::test]
async fn the_bootstrap_key_is_printed_once() {
    let mut server =
        Server::start_with(crate::harness::Options::default().env("RUNBOX_API_KEY", ""));
    let log = server.log();
    let key = log
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("rbx_"))
        .map(str::to_owned)
        .expect("bootstrap key printed");
    let (status, _) = get_as(&server, &key, "/admin/api-keys").await;
    assert_eq!(status, 200, "the printed key is an admin key");
    server.restart();
    let printed_again = server
        .log()
        .lines()
        .filter(|l| l.trim().starts_with("rbx_"))
        .count();
    assert_eq!(printed_again, 1, "never printed again on later starts");
}

/// The operator picks the key's strength: a short one works as it is.
#[tokio::test]
async fn a_short_configured_key_is_accepted() {
    let server = Server::start_with(crate::harness::Options::default().env("RUNBOX_API_KEY", "k"));
    let (status, body) = get_as(&server, "k", "/admin/api-keys").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = get_as(&server, "kk", "/admin/api-keys").await;
    assert_eq!(status, 401);
}
