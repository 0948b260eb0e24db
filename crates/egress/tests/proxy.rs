//! The proxy as a sandboxed program meets it: real sockets on 127.0.0.1,
//! reqwest configured with `HTTP_PROXY`-style settings, and raw `CONNECT`
//! where a TLS client would tunnel.

mod support;

use std::time::Duration;

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn plain_get_returns_the_destinations_body_and_headers() {
    let origin = origin().await;
    let proxy = Proxy::start(local_session(&[origin.address.port()])).await;

    let response = proxy
        .client()
        .get(format!("http://{}/hello", origin.address))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-origin"], "runbox-test");
    assert_eq!(response.text().await.unwrap(), "hello from origin");
}

#[tokio::test]
async fn post_body_reaches_the_destination() {
    let origin = origin().await;
    let proxy = Proxy::start(local_session(&[origin.address.port()])).await;

    let response = proxy
        .client()
        .post(format!("http://{}/echo", origin.address))
        .body(vec![7u8; 12345])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "received 12345 bytes");
}

#[tokio::test]
async fn one_client_connection_serves_requests_to_several_destinations() {
    let first = origin().await;
    let second = origin().await;
    let proxy = Proxy::start(local_session(&[
        first.address.port(),
        second.address.port(),
    ]))
    .await;
    let client = proxy.client();

    for origin in [&first, &second, &first] {
        let body = client
            .get(format!("http://{}/hello", origin.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "hello from origin");
    }
}

#[tokio::test]
async fn destination_sees_the_urls_host_and_no_proxy_headers() {
    let origin = origin().await;
    let proxy = Proxy::start(local_session(&[origin.address.port()])).await;
    let target = origin.address;

    // A Host naming another site must not reach the destination: behind a
    // shared front end it would select a site that is not on the list.
    let answer = raw_exchange(
        proxy.address,
        &format!(
            "GET http://{target}/headers HTTP/1.1\r\nHost: elsewhere.example\r\n\
             Proxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\n\
             Connection: close, x-hop\r\nX-Hop: 1\r\nX-Kept: 2\r\n\r\n"
        ),
    )
    .await;

    assert_eq!(status_of(&answer), 200, "{answer}");
    let seen = body_of(&answer);
    assert!(seen.contains(&format!("host={target}\n")), "{seen}");
    assert!(seen.contains("proxy-authorization=-\n"), "{seen}");
    assert!(seen.contains("proxy-connection=-\n"), "{seen}");
    assert!(seen.contains("x-hop=-\n"), "{seen}");
    assert!(seen.contains("x-kept=2\n"), "{seen}");
}

#[tokio::test]
async fn responses_stream_before_the_destination_finishes() {
    let origin = origin().await;
    let proxy = Proxy::start(local_session(&[origin.address.port()])).await;

    let mut response = proxy
        .client()
        .get(format!("http://{}/stream", origin.address))
        .send()
        .await
        .unwrap();
    // The origin sends its second half only once the client holds the
    // first: a proxy that buffered whole bodies would never deliver it.
    let first = tokio::time::timeout(Duration::from_secs(5), response.chunk())
        .await
        .expect("first half arrives before the body is complete")
        .unwrap();
    assert_eq!(first.as_deref(), Some(&b"first;"[..]));
    origin.release.notify_one();
    let rest = response.text().await.unwrap();
    assert_eq!(rest, "second");
}

#[tokio::test]
async fn connect_tunnels_bytes_both_ways() {
    let echo = echo_server().await;
    let proxy = Proxy::start(local_session(&[echo.port()])).await;

    let (mut tunnel, head) = connect(proxy.address, &echo.to_string()).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    for message in [
        &b"hello through the tunnel"[..],
        &[0u8, 255, 13, 10, 13, 10],
    ] {
        tunnel.write_all(message).await.unwrap();
        let mut back = vec![0u8; message.len()];
        tunnel.read_exact(&mut back).await.unwrap();
        assert_eq!(back, message);
    }
}

#[tokio::test]
async fn destination_not_in_the_list_is_refused_with_403() {
    let origin = origin().await;
    let echo = echo_server().await;
    let proxy = Proxy::start(local_session(&[])).await;

    let response = proxy
        .client()
        .get(format!("http://{}/hello", origin.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert_refusal(Some(&content_type), &body);
    assert_eq!(
        body.trim_end(),
        format!(
            "runbox proxy: {} is not in this run's network list",
            origin.address
        )
    );

    let (_stream, head) = connect(proxy.address, &echo.to_string()).await;
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");
}

#[tokio::test]
async fn listed_name_that_resolves_to_loopback_is_refused_by_ssrf_rules() {
    let origin = origin().await;
    let port = origin.address.port();
    let proxy = Proxy::start(session(&[("localhost", port)], Some(policy(&[])), 8)).await;

    let response = proxy
        .client()
        .get(format!("http://localhost:{port}/hello"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 403);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert_refusal(Some(&content_type), &body);
    assert!(
        body.starts_with("runbox proxy: host localhost resolves to "),
        "{body}"
    );
    assert!(body.contains("a loopback address"), "{body}");
}

#[tokio::test]
async fn loopback_literal_is_refused_unless_the_operator_allowed_it() {
    let origin = origin().await;
    let port = origin.address.port();
    let url = format!("http://127.0.0.1:{port}/hello");

    let strict = Proxy::start(session(&[("127.0.0.1", port)], Some(policy(&[])), 8)).await;
    let response = strict.client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with("runbox proxy: host 127.0.0.1 is a loopback address;"),
        "{body}"
    );

    let allowing = Proxy::start(session(
        &[("127.0.0.1", port)],
        Some(policy(&["127.0.0.1"])),
        8,
    ))
    .await;
    let response = allowing.client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello from origin");
}

#[tokio::test]
async fn trusted_session_reaches_a_loopback_name() {
    let origin = origin().await;
    let port = origin.address.port();
    let proxy = Proxy::start(session(&[("localhost", port)], None, 8)).await;

    let response = proxy
        .client()
        .get(format!("http://localhost:{port}/hello"))
        .send()
        .await
        .unwrap();

    // `localhost` may resolve to ::1 first, where nothing listens: the
    // proxy goes on to 127.0.0.1.
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello from origin");
}

#[tokio::test]
async fn ipv6_literal_is_checked_as_written_and_not_resolved() {
    // The list sees `[::1]` as the URL writes it; the SSRF rules judge ::1.
    let proxy = Proxy::start(session(&[("[::1]", 443)], Some(policy(&[])), 8)).await;

    let answer = raw_exchange(
        proxy.address,
        "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\nConnection: close\r\n\r\n",
    )
    .await;

    assert_eq!(status_of(&answer), 403, "{answer}");
    let body = body_of(&answer);
    assert!(
        body.starts_with("runbox proxy: host [::1] is a loopback address;"),
        "{body}"
    );
}

#[tokio::test]
async fn requests_a_proxy_does_not_serve_are_400() {
    let origin = origin().await;
    let proxy = Proxy::start(local_session(&[origin.address.port()])).await;

    for request in [
        "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_owned(),
        format!(
            "GET https://{}/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            origin.address
        ),
        format!(
            "GET ftp://{}/file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            origin.address
        ),
    ] {
        let answer = raw_exchange(proxy.address, &request).await;
        assert_eq!(status_of(&answer), 400, "{request} → {answer}");
        let content_type = answer
            .lines()
            .find_map(|line| line.strip_prefix("content-type: "));
        assert_refusal(content_type, body_of(&answer));
    }
}

#[tokio::test]
async fn unreachable_destination_is_502() {
    let port = closed_port().await;
    let proxy = Proxy::start(local_session(&[port])).await;

    let response = proxy
        .client()
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with(&format!("runbox proxy: cannot connect to 127.0.0.1:{port}")),
        "{body}"
    );

    let (_stream, head) = connect(proxy.address, &format!("127.0.0.1:{port}")).await;
    assert!(head.starts_with("HTTP/1.1 502"), "{head}");
}

#[tokio::test]
async fn connections_beyond_the_cap_get_503() {
    let echo = echo_server().await;
    let ports = [echo.port()];
    let mut session = local_session(&ports);
    session.max_connections = 2;
    let proxy = Proxy::start(session).await;
    let target = echo.to_string();

    let (first, head) = connect(proxy.address, &target).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (second, head) = connect(proxy.address, &target).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    let (_third, head) = connect(proxy.address, &target).await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");

    // Closing one frees its place.
    drop(first);
    drop(second);
    let mut admitted = false;
    for _ in 0..50 {
        let (_again, head) = connect(proxy.address, &target).await;
        if head.starts_with("HTTP/1.1 200") {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(admitted, "a closed tunnel's place was never given back");
}

#[tokio::test]
async fn download_is_counted_as_received() {
    let origin = origin().await;
    let proxy = Proxy::start(local_session(&[origin.address.port()])).await;
    let size = 1024 * 1024;

    let body = proxy
        .client()
        .get(format!("http://{}/bytes/{size}", origin.address))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    assert_eq!(body.len(), size);
    let usage = proxy.counters.usage();
    assert!(usage.rx_bytes >= size as u64, "{usage:?}");
    assert!(usage.rx_bytes < size as u64 + 4096, "{usage:?}");
    assert!(usage.tx_bytes > 0 && usage.tx_bytes < 4096, "{usage:?}");
}

#[tokio::test]
async fn upload_is_counted_as_sent() {
    let origin = origin().await;
    let proxy = Proxy::start(local_session(&[origin.address.port()])).await;
    let size = 100 * 1024;

    let response = proxy
        .client()
        .post(format!("http://{}/echo", origin.address))
        .body(vec![1u8; size])
        .send()
        .await
        .unwrap();

    assert_eq!(
        response.text().await.unwrap(),
        format!("received {size} bytes")
    );
    let usage = proxy.counters.usage();
    assert!(usage.tx_bytes >= size as u64, "{usage:?}");
    assert!(usage.rx_bytes < 4096, "{usage:?}");
}

#[tokio::test]
async fn tunnel_bytes_are_counted() {
    let echo = echo_server().await;
    let proxy = Proxy::start(local_session(&[echo.port()])).await;
    let (mut tunnel, _) = connect(proxy.address, &echo.to_string()).await;
    let before = proxy.counters.usage();

    let payload = vec![42u8; 300 * 1024];
    let (mut reader, mut writer) = tunnel.split();
    let mut back = vec![0u8; payload.len()];
    let (wrote, read) = tokio::join!(writer.write_all(&payload), reader.read_exact(&mut back));
    wrote.unwrap();
    read.unwrap();

    let after = proxy.counters.usage();
    assert!(
        after.tx_bytes - before.tx_bytes >= payload.len() as u64,
        "{after:?}"
    );
    assert!(
        after.rx_bytes - before.rx_bytes >= payload.len() as u64,
        "{after:?}"
    );
}

#[tokio::test]
async fn stop_closes_open_tunnels_and_serve_returns() {
    let echo = echo_server().await;
    let proxy = Proxy::start(local_session(&[echo.port()])).await;
    let (mut tunnel, head) = connect(proxy.address, &echo.to_string()).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // An idle connection that never sent a request is closed too.
    let mut idle = TcpStream::connect(proxy.address).await.unwrap();
    tunnel.write_all(b"ping").await.unwrap();
    let mut pong = [0u8; 4];
    tunnel.read_exact(&mut pong).await.unwrap();

    proxy.stop.cancel();

    let mut rest = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(1), tunnel.read(&mut rest))
        .await
        .expect("the tunnel is closed within a second");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let read = tokio::time::timeout(Duration::from_secs(1), idle.read(&mut rest))
        .await
        .expect("the idle connection is closed within a second");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    tokio::time::timeout(Duration::from_secs(3), proxy.served)
        .await
        .expect("serve returns after stop")
        .unwrap();
    assert!(
        TcpStream::connect(proxy.address).await.is_err(),
        "the listener is closed"
    );
}
