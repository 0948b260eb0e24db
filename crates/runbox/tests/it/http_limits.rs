//! What a slow or idle client meets before any handler: a request head
//! that does not arrive within 10 s, and a keep-alive connection idle that
//! long, are closed by the server; protocol errors answer JSON.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Options, Server};

async fn connect(server: &Server) -> TcpStream {
    let address = server
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    TcpStream::connect(address).await.expect("connect")
}

/// Waits for the server to close `stream`; how long that took.
async fn closed_after(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let server = Server::start();
    let mut stream = connect(&server).await;
    let started = Instant::now();
    stream
        .write_all(b"GET /admin/health HTTP/1.1\r\n")
        .await
        .expect("write");
    // One header byte a second: never a whole head.
    let trickle = async {
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if stream.write_all(b"X").await.is_err() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(14), trickle).await;
    let waited = closed_after(&mut stream, Duration::from_secs(3)).await;
    assert!(
        waited.is_some(),
        "still open {:?} after the first byte",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let server = Server::start();
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET /admin/health HTTP/1.1\r\nHost: runbox\r\n\r\n")
        .await
        .expect("write");
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&reply).contains("\"status\"") {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before the reply");
        reply.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"));
    let waited = closed_after(&mut stream, Duration::from_secs(20)).await;
    let waited = waited.expect("the idle connection is closed");
    assert!(
        waited >= Duration::from_secs(5),
        "closed too soon: {waited:?}"
    );
}

/// Sends `request` raw and reads the whole reply: status and JSON body.
async fn raw_exchange(server: &Server, request: &[u8]) -> (u16, serde_json::Value) {
    let mut stream = connect(server).await;
    // The server may answer and close before a huge request is all sent.
    let _ = stream.write_all(request).await;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "the server did not close the connection");
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{text}"
    );
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, body)
}

#[tokio::test]
async fn protocol_errors_answer_json_in_the_dialects_shape() {
    let server = Server::start();
    let (status, body) = raw_exchange(&server, b"GARBAGE\r\n\r\n").await;
    assert_eq!(status, 400);
    assert_eq!(body["detail"], "Malformed HTTP request", "{body}");

    let (status, body) = raw_exchange(&server, b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status, 400);
    assert!(body["detail"].is_string(), "{body}");

    let mut long_url = b"GET /api/v1/".to_vec();
    long_url.extend(std::iter::repeat_n(b'a', 100_000));
    long_url.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    let (status, body) = raw_exchange(&server, &long_url).await;
    assert_eq!(status, 414);
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], "URI_TOO_LONG", "{body}");

    let mut many = b"GET /agents HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..2000 {
        many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let (status, body) = raw_exchange(&server, &many).await;
    assert_eq!(status, 431);
    assert!(body["detail"].is_string(), "{body}");

    let mut big = b"GET /v1/code/execute/python HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 1_000_000));
    big.extend_from_slice(b"\r\n\r\n");
    let (status, body) = raw_exchange(&server, &big).await;
    assert_eq!(status, 431);
    assert_eq!(body["code"], 431, "{body}");

    // A path segment that is not UTF-8 reaches the router: the extractor's
    // rejection comes back in the route's dialect.
    let request = format!(
        "GET /api/v1/execute/%FF/status HTTP/1.1\r\nHost: x\r\nx-api-key: {}\r\nconnection: close\r\n\r\n",
        crate::harness::ADMIN_KEY
    );
    let (status, body) = raw_exchange(&server, request.as_bytes()).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "INVALID_REQUEST", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("UTF-8"),
        "{body}"
    );

    // The server still serves.
    let (status, _) = raw_exchange(
        &server,
        b"GET /admin/health HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
}

/// Past `max_connections` a new connection gets a JSON 503 with
/// `Retry-After` and is closed; once the held ones close, a new one is
/// served again.
#[tokio::test]
async fn connections_past_the_cap_get_503_and_the_server_recovers() {
    let server = Server::start_with(Options::default().env("RUNBOX_MAX_CONNECTIONS", "4"));
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect(&server).await);
    }
    // The held connections have been accepted once one of them is served.
    held[0]
        .write_all(b"GET /admin/health HTTP/1.1\r\nHost: runbox\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 4096];
    let n = held[0].read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    let mut over = connect(&server).await;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), over.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "the connection over the cap was not closed");
    let text = String::from_utf8_lossy(&reply).into_owned();
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("retry-after: 1"),
        "{text}"
    );
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE", "{body}");

    drop(held);
    let server = &server;
    crate::harness::eventually(
        "a connection is served again",
        Duration::from_secs(10),
        || async move {
            let mut stream = connect(server).await;
            if stream
                .write_all(
                    b"GET /admin/health HTTP/1.1\r\nHost: runbox\r\nConnection: close\r\n\r\n",
                )
                .await
                .is_err()
            {
                return false;
            }
            let mut reply = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut reply)).await;
            String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200")
        },
    )
    .await;
}
