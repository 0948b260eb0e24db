//! What a slow or idle client meets before any handler: a request head
//! that does not arrive within 10 s, and a keep-alive connection idle that
//! long, are closed by the server.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::Server;

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
