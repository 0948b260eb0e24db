//! A body naming a key twice is refused in every dialect (a proxy in front
//! could read the other value), and nothing is created or run.

use serde_json::Value;

use crate::harness::{get_as, post_raw, Backend, Server, ADMIN_KEY};

async fn duplicate_keys_are_refused_in_every_dialect(backend: Backend<'_>) {
    let server = Server::start_with(backend.options());
    let cases: [(&str, &'static str, &str); 4] = [
        (
            "/v1/code/execute/python",
            r#"{"code": "print('first')", "code": "print('second')"}"#,
            "/error",
        ),
        (
            "/api/v1/buttons",
            r#"{"id": "twice", "name": "a", "command": "true", "command": "id"}"#,
            "/error/details",
        ),
        (
            "/agents",
            r#"{"name": "a", "runtime": "command", "command": "cat", "command": "id"}"#,
            "/detail",
        ),
        (
            "/scenarios",
            r#"{"name": "s", "blueprint": {"flow": [], "flow": []}, "scheduling": {"type": "on-demand"}}"#,
            "/error/message",
        ),
    ];
    for (path, body, pointer) in cases {
        let (status, reply) = post_raw(&server, path, body).await;
        assert_eq!(status, 400, "{path}: {reply}");
        let text = reply
            .pointer(pointer)
            .map(Value::to_string)
            .unwrap_or_default();
        assert!(
            text.contains("duplicate key"),
            "{path}: the error names the duplicate: {reply}"
        );
    }
    let (_, buttons) = get_as(&server, ADMIN_KEY, "/api/v1/buttons").await;
    assert!(
        !buttons.to_string().contains("twice"),
        "nothing was created: {buttons}"
    );
}

crate::on_both_backends!(duplicate_keys_are_refused_in_every_dialect);
