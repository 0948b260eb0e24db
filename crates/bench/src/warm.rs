//! Python start-up, the comparison a user makes: `print('hi')` through
//! runbox next to bare `python3 -c` and next to an unsandboxed peer, an HTTP
//! server that spawns `python3 FILE` per request (what the NCA toolkit
//! does), in one run and interleaved; then throughput with many clients
//! (runbox's spread over four users, as its per-user limits expect); then
//! the idle footprint of the server's process tree.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use crate::server::{BenchServer, Nodes};
use crate::stats::Summary;

const CODE: &str = "print('hi')";
const PYTHON: &str = "/usr/bin/python3";

pub async fn warm(
    nodes: &Nodes<'_>,
    runs: usize,
    jobs: usize,
    clients: usize,
    sandbox_run: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let peer = Peer::start().await?;
    let server = BenchServer::start(nodes)?;
    let client = reqwest::Client::new();
    let keys = user_keys(&server, &client, 4).await?;
    for _ in 0..10 {
        bare().await?;
        peer.run(&client).await?;
        server.python(&client, CODE).await?;
    }

    let (mut b, mut p, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..runs {
        // The order turns each round, so no contender always follows another.
        for turn in 0..3 {
            let started = Instant::now();
            match (round + turn) % 3 {
                0 => bare().await?,
                1 => peer.run(&client).await?,
                _ => {
                    let body = server.python(&client, CODE).await?;
                    anyhow::ensure!(
                        body["response"]["stdout"] == "hi\n",
                        "unexpected reply {body}"
                    );
                }
            }
            let samples = match (round + turn) % 3 {
                0 => &mut b,
                1 => &mut p,
                _ => &mut r,
            };
            samples.push(started.elapsed());
        }
    }
    let bare_s = Summary::of("bare python3 -c", &mut b);
    let peer_s = Summary::of("peer: HTTP + python3 per request", &mut p);
    let runbox_s = Summary::of("runbox API (sandbox, SQLite)", &mut r);
    println!("latency, print('hi'), {runs} rounds, interleaved");
    println!("{}", Summary::header());
    for s in [&bare_s, &peer_s, &runbox_s] {
        println!("{}", s.row());
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "runbox/bare: median {:.2}x (goal <= 0.35x), runbox p99 / bare median {:.2}x (goal <= 1.0x); peer/bare median {:.2}x",
        ratio(runbox_s.p50, bare_s.p50),
        ratio(runbox_s.p99, bare_s.p50),
        ratio(peer_s.p50, bare_s.p50),
    );

    let bare_rate = rate(jobs, clients, |_| async { bare().await }).await?;
    let peer_rate = {
        let peer = &peer;
        let client = &client;
        rate(
            jobs,
            clients,
            move |_| async move { peer.run(client).await },
        )
        .await?
    };
    let runbox_rate = {
        let server = &server;
        let client = &client;
        let keys = &keys;
        rate(jobs, clients, move |i| async move {
            server
                .python_as(client, &keys[i % keys.len()], CODE)
                .await
                .map(drop)
        })
        .await?
    };
    println!(
        "throughput, {jobs} jobs, {clients} clients (runbox: {} users)",
        keys.len()
    );
    println!("  bare python3 -c   {bare_rate:8.1} jobs/s");
    println!("  peer              {peer_rate:8.1} jobs/s");
    println!("  runbox            {runbox_rate:8.1} jobs/s");
    println!(
        "runbox/bare {:.2}x (goal >= 2x), runbox/peer {:.2}x (goal >= 2.5x)",
        runbox_rate / bare_rate,
        runbox_rate / peer_rate
    );

    if let Some(sandbox_run) = sandbox_run {
        buttons_vs_launcher(&server, &client, sandbox_run, runs).await?;
    }

    // Right after the load every slot is warm; once the pool's idle
    // trimming has run (30 s by default), only the most recent few are.
    for (label, wait) in [("after load", 3), ("idle 40 s", 37)] {
        tokio::time::sleep(Duration::from_secs(wait)).await;
        let tree = footprint(server.pid())?;
        println!(
            "{label}: {} processes, PSS {:.1} MiB (goal <= 64), RSS {:.1} MiB; server alone RSS {:.1} MiB (goal <= 30)",
            tree.processes,
            mib(tree.pss_kib),
            mib(tree.rss_kib),
            mib(tree.server_rss_kib)
        );
    }
    Ok(())
}

/// A button running `echo hi` through the whole stack, one run after
/// another, next to the sandbox launcher alone (`sandbox_run --bench`).
async fn buttons_vs_launcher(
    server: &BenchServer,
    client: &reqwest::Client,
    sandbox_run: &std::path::Path,
    runs: usize,
) -> anyhow::Result<()> {
    let response = client
        .post(server.url("/api/v1/buttons"))
        .header("x-api-key", &server.key)
        .json(&json!({ "name": "echo", "command": "echo hi" }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "button: {}",
        response.status()
    );
    let body: serde_json::Value = response.json().await?;
    let id = body["data"]["id"].as_str().context("button id")?.to_owned();
    let url = server.url(&format!("/api/v1/execute/{id}?wait=30"));
    let started = Instant::now();
    for _ in 0..runs {
        let response = client
            .post(&url)
            .header("x-api-key", &server.key)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "execute: {}",
            response.status()
        );
    }
    let buttons = runs as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    let out = tokio::process::Command::new(sandbox_run)
        .args(["--bench", &runs.to_string(), "/bin/echo", "hi"])
        .output()
        .await
        .context("sandbox_run")?;
    anyhow::ensure!(
        out.status.success(),
        "sandbox_run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let launcher = runs as f64 / started.elapsed().as_secs_f64();
    println!("echo hi, {runs} runs one after another");
    println!("  button, full stack    {buttons:8.1} runs/s");
    println!("  sandbox_run --bench   {launcher:8.1} runs/s");
    println!("buttons/launcher {:.2} (goal >= 0.70)", buttons / launcher);
    Ok(())
}

async fn bare() -> anyhow::Result<()> {
    let out = tokio::process::Command::new(PYTHON)
        .args(["-c", CODE])
        .output()
        .await
        .context("python3")?;
    anyhow::ensure!(out.stdout == b"hi\n", "bare python3 failed");
    Ok(())
}

/// Jobs per second of `job` run `jobs` times by `clients` concurrent tasks
/// (`job` gets the client's index).
async fn rate<F, Fut>(jobs: usize, clients: usize, job: F) -> anyhow::Result<f64>
where
    F: Fn(usize) -> Fut + Clone,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks = (0..clients).map(|index| {
        let next = next.clone();
        let job = job.clone();
        async move {
            while next.fetch_add(1, Ordering::SeqCst) < jobs {
                job(index).await?;
            }
            Ok::<(), anyhow::Error>(())
        }
    });
    futures::future::try_join_all(tasks).await?;
    Ok(jobs as f64 / started.elapsed().as_secs_f64())
}

async fn user_keys(
    server: &BenchServer,
    client: &reqwest::Client,
    users: usize,
) -> anyhow::Result<Vec<String>> {
    let mut keys = Vec::new();
    for index in 0..users {
        let response = client
            .post(server.url("/admin/api-keys"))
            .header("x-api-key", &server.key)
            .json(&json!({ "user": format!("bench{index}") }))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        let body: serde_json::Value = response.json().await?;
        keys.push(body["key"].as_str().context("key")?.to_owned());
    }
    Ok(keys)
}

/// The unsandboxed peer: `POST /run` with code writes it to a file and
/// answers `python3 FILE`'s stdout.
struct Peer {
    url: String,
    _dir: tempfile::TempDir,
}

impl Peer {
    async fn start() -> anyhow::Result<Peer> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().to_owned();
        let counter = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().route(
            "/run",
            axum::routing::post(move |code: String| {
                let path = root.join(format!("{}.py", counter.fetch_add(1, Ordering::SeqCst)));
                async move {
                    if tokio::fs::write(&path, code).await.is_err() {
                        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, Vec::new());
                    }
                    let out = tokio::process::Command::new(PYTHON)
                        .arg(&path)
                        .output()
                        .await;
                    let _ = tokio::fs::remove_file(&path).await;
                    match out {
                        Ok(out) => (axum::http::StatusCode::OK, out.stdout),
                        Err(_) => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, Vec::new()),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/run", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Peer { url, _dir: dir })
    }

    async fn run(&self, client: &reqwest::Client) -> anyhow::Result<()> {
        let response = client.post(&self.url).body(CODE).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "peer status {}",
            response.status()
        );
        anyhow::ensure!(response.bytes().await?.as_ref() == b"hi\n", "peer output");
        Ok(())
    }
}

struct Footprint {
    processes: usize,
    pss_kib: u64,
    rss_kib: u64,
    server_rss_kib: u64,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The process tree under `root`: its size, and the sum of `Pss` and `Rss`
/// from each process's `smaps_rollup`.
fn footprint(root: u32) -> anyhow::Result<Footprint> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The parent is the second field after the parenthesized name.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut index = 0;
    while index < tree.len() {
        let parent = tree[index];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(pid, _)| *pid),
        );
        index += 1;
    }
    let field = |pid: u32, name: &str| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    Ok(Footprint {
        processes: tree.len(),
        pss_kib: tree.iter().map(|pid| field(*pid, "Pss:")).sum(),
        rss_kib: tree.iter().map(|pid| field(*pid, "Rss:")).sum(),
        server_rss_kib: field(root, "Rss:"),
    })
}
