//! How much a download loses by going through the proxy: a local hyper
//! server sends a 50 MiB body, fetched directly and through the proxy in
//! alternating order for N rounds (first argument, default 10).
//!
//! `cargo run --release -p runbox-egress --example throughput -- 10`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use runbox_egress::{serve, Counters, Session};
use runbox_netguard::OutboundPolicy;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const BODY: usize = 50 * 1024 * 1024;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 10,
    };
    let origin = start_origin().await?;
    let (proxy, stop) = start_proxy(origin.port()).await?;
    let url = format!("http://{origin}/");
    let direct = reqwest::Client::builder().no_proxy().build()?;
    let proxied = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{proxy}"))?)
        .build()?;

    // One warm-up each, so neither side pays for first connections.
    download(&direct, &url).await?;
    download(&proxied, &url).await?;
    let (mut direct_times, mut proxied_times) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so drift hurts both sides alike.
        if round % 2 == 0 {
            direct_times.push(download(&direct, &url).await?);
            proxied_times.push(download(&proxied, &url).await?);
        } else {
            proxied_times.push(download(&proxied, &url).await?);
            direct_times.push(download(&direct, &url).await?);
        }
    }
    stop.cancel();

    let direct_median = report("direct", &mut direct_times);
    let proxied_median = report("proxied", &mut proxied_times);
    println!(
        "proxied/direct throughput at the median: {:.0}%",
        100.0 * direct_median.as_secs_f64() / proxied_median.as_secs_f64()
    );
    Ok(())
}

async fn start_origin() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let body = Bytes::from(vec![b'x'; BODY]);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_request| {
                    let body = body.clone();
                    async move { Ok::<_, Infallible>(Response::new(Full::new(body))) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}

async fn start_proxy(
    port: u16,
) -> Result<(SocketAddr, CancellationToken), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let session = Session {
        permits: Arc::new(move |host, p| host == "127.0.0.1" && p == port),
        ssrf: Some(OutboundPolicy::new(vec!["127.0.0.1".parse()?])),
        max_connections: 16,
    };
    let stop = CancellationToken::new();
    tokio::spawn(serve(
        listener,
        Arc::new(session),
        Counters::default(),
        stop.clone(),
    ));
    Ok((address, stop))
}

async fn download(
    client: &reqwest::Client,
    url: &str,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut response = client.get(url).send().await?.error_for_status()?;
    let mut received = 0;
    while let Some(chunk) = response.chunk().await? {
        received += chunk.len();
    }
    if received != BODY {
        return Err(format!("received {received} bytes, expected {BODY}").into());
    }
    Ok(started.elapsed())
}

/// Prints median and p99 (nearest rank) and returns the median.
fn report(side: &str, times: &mut [Duration]) -> Duration {
    times.sort();
    let rank = |p: f64| times[((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1];
    let (median, p99) = (rank(0.5), rank(0.99));
    let mib_per_s = |t: Duration| BODY as f64 / (1024.0 * 1024.0) / t.as_secs_f64();
    println!(
        "{side:>8}: median {:>7.1} ms ({:>6.0} MiB/s)   p99 {:>7.1} ms ({:>6.0} MiB/s)",
        median.as_secs_f64() * 1e3,
        mib_per_s(median),
        p99.as_secs_f64() * 1e3,
        mib_per_s(p99),
    );
    median
}
