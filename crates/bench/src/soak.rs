//! Sustained load: many closed-loop clients for a while on a mix of Python
//! runs, button runs, agent runs and the status reads that follow them;
//! requests per second, the status histogram, latency percentiles and the
//! server's RSS every 10 s, so growth that does not level off shows. Then,
//! optionally, many SSE streams held open at once and the RSS they cost and
//! give back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};

use crate::server::{BenchServer, Nodes};
use crate::stats::Summary;

/// The codes the contract documents for these routes; anything else is a defect.
const DOCUMENTED: &[u16] = &[200, 201, 202, 429];

#[derive(Default)]
struct Tally {
    statuses: BTreeMap<u16, u64>,
    latencies: Vec<Duration>,
    errors: u64,
}

struct Load {
    server: BenchServer,
    client: reqwest::Client,
    agent_id: String,
    tally: Mutex<Tally>,
    stop: AtomicBool,
}

pub async fn soak(
    nodes: &Nodes<'_>,
    clients: usize,
    seconds: u64,
    sse: usize,
) -> anyhow::Result<()> {
    // Room for every client at once: the soak measures the server, not the
    // per-user cap (which would answer most requests 429).
    let mut env = vec![
        "RUNBOX_MAX_CONCURRENT_PER_USER=100000".to_owned(),
        "RUNBOX_MAX_QUEUE_LENGTH=100000".to_owned(),
    ];
    env.extend(nodes.env.iter().cloned());
    let nodes = Nodes {
        env: &env,
        ..*nodes
    };
    let server = BenchServer::start(&nodes)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let agent_id = setup(&server, &client).await?;
    let load = Arc::new(Load {
        server,
        client,
        agent_id,
        tally: Mutex::new(Tally::default()),
        stop: AtomicBool::new(false),
    });
    let pid = load.server.pid();
    println!(
        "soak: {clients} clients for {seconds} s (python, button, agent runs and status reads)"
    );
    println!("server RSS at start: {:.1} MiB", rss_mib(pid));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..clients {
        let load = load.clone();
        tasks.push(tokio::spawn(async move { client_loop(&load, index).await }));
    }
    let mut samples = Vec::new();
    for tick in 1..=seconds.div_ceil(10) {
        let until = started + Duration::from_secs((tick * 10).min(seconds));
        tokio::time::sleep_until(until.into()).await;
        let rss = rss_mib(pid);
        let done: u64 = lock(&load.tally).statuses.values().sum();
        println!(
            "  {:>3} s: RSS {:6.1} MiB, {done} requests so far",
            started.elapsed().as_secs(),
            rss
        );
        samples.push(rss);
    }
    load.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    report(&load, elapsed, &samples);
    if sse > 0 {
        streams(&load, sse).await?;
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn setup(server: &BenchServer, client: &reqwest::Client) -> anyhow::Result<String> {
    let button = client
        .post(server.url("/api/v1/buttons"))
        .header("x-api-key", &server.key)
        .json(&json!({"id": "soak", "name": "Soak", "command": "echo hi"}))
        .send()
        .await?;
    anyhow::ensure!(
        button.status().as_u16() == 201,
        "button: {}",
        button.status()
    );
    let agent: Value = client
        .post(server.url("/agents"))
        .header("x-api-key", &server.key)
        .json(&json!({"name": "soak", "runtime": "python", "code": "def run(input):\n    return {'echo': input}"}))
        .send()
        .await?
        .json()
        .await?;
    agent["agent_id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("agent: {agent}"))
}

/// One closed-loop client: each action waits for its answer (and an agent
/// run for its end) before the next, so no backlog builds up.
async fn client_loop(load: &Load, index: usize) {
    let mut turn = index;
    while !load.stop.load(Ordering::Relaxed) {
        turn += 1;
        let _ = match turn % 10 {
            0..=3 => python_run(load).await,
            4..=6 => button_run(load).await,
            _ => agent_run(load).await,
        };
    }
}

async fn send(load: &Load, request: reqwest::RequestBuilder) -> Option<(u16, Value)> {
    let started = Instant::now();
    let outcome = request
        .header("x-api-key", &load.server.key)
        .timeout(Duration::from_secs(60))
        .send()
        .await;
    let response = {
        let mut tally = lock(&load.tally);
        match outcome {
            Ok(response) => {
                tally.latencies.push(started.elapsed());
                *tally
                    .statuses
                    .entry(response.status().as_u16())
                    .or_default() += 1;
                response
            }
            Err(_) => {
                tally.errors += 1;
                return None;
            }
        }
    };
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Some((status, body))
}

async fn python_run(load: &Load) -> Option<()> {
    let url = load.server.url("/v1/code/execute/python");
    send(
        load,
        load.client.post(url).json(&json!({"code": "print('hi')"})),
    )
    .await?;
    Some(())
}

async fn button_run(load: &Load) -> Option<()> {
    let url = load.server.url("/api/v1/execute/soak?wait=30");
    let (_, body) = send(load, load.client.post(url)).await?;
    let id = body["data"]["execution_id"].as_str()?;
    let status = load.server.url(&format!("/api/v1/execute/{id}/status"));
    send(load, load.client.get(status)).await?;
    Some(())
}

async fn agent_run(load: &Load) -> Option<()> {
    let url = load.server.url("/executions/run");
    let body = json!({"agent_id": load.agent_id, "input": {"n": 1}});
    let (_, reply) = send(load, load.client.post(url).json(&body)).await?;
    let id = reply["execution_id"].as_str()?.to_owned();
    let status = load.server.url(&format!("/executions/{id}"));
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (_, execution) = send(load, load.client.get(&status)).await?;
        if matches!(
            execution["status"].as_str(),
            Some("COMPLETED" | "FAILED" | "CANCELED")
        ) {
            break;
        }
    }
    Some(())
}

fn report(load: &Load, elapsed: f64, samples: &[f64]) {
    let mut tally = lock(&load.tally);
    let total: u64 = tally.statuses.values().sum();
    println!(
        "{total} requests in {elapsed:.1} s: {:.0} requests/s, {} transport errors",
        total as f64 / elapsed,
        tally.errors
    );
    let histogram: Vec<String> = tally
        .statuses
        .iter()
        .map(|(status, count)| {
            let flag = if DOCUMENTED.contains(status) {
                ""
            } else {
                " (undocumented!)"
            };
            format!("{status}: {count}{flag}")
        })
        .collect();
    println!("statuses: {}", histogram.join(", "));
    println!("{}", Summary::header());
    println!(
        "{}",
        Summary::of("request latency", &mut tally.latencies).row()
    );
    if let (Some(at_20), Some(last)) = (samples.get(1), samples.last()) {
        let growth = (last - at_20) / at_20 * 100.0;
        let verdict = if growth.abs() <= 10.0 {
            "flat"
        } else {
            "NOT flat"
        };
        println!("RSS at 20 s {at_20:.1} MiB, at the end {last:.1} MiB: {growth:+.1}% ({verdict})");
    }
}

/// `count` SSE streams on one long agent run, held open together, then closed.
async fn streams(load: &Load, count: usize) -> anyhow::Result<()> {
    let pid = load.server.pid();
    let agent: Value = load
        .client
        .post(load.server.url("/agents"))
        .header("x-api-key", &load.server.key)
        .json(&json!({"name": "sleeper", "runtime": "command", "command": "sleep 30; echo '{}'"}))
        .send()
        .await?
        .json()
        .await?;
    let run: Value = load
        .client
        .post(load.server.url("/executions/run"))
        .header("x-api-key", &load.server.key)
        .json(&json!({"agent_id": agent["agent_id"]}))
        .send()
        .await?
        .json()
        .await?;
    let id = run["execution_id"].as_str().context("no execution id")?;
    let before = rss_mib(pid);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let mut open = Vec::with_capacity(count);
    for _ in 0..count {
        let response = client
            .get(load.server.url(&format!("/executions/{id}/events")))
            .header("x-api-key", &load.server.key)
            .send()
            .await?;
        open.push(response);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = rss_mib(pid);
    drop(open);
    drop(client);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = rss_mib(pid);
    println!(
        "{count} SSE streams: RSS {before:.1} MiB before, {during:.1} MiB with them open, {after:.1} MiB 10 s after closing"
    );
    Ok(())
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
