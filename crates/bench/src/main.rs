//! Benchmarks a real `runbox serve` end to end, over HTTP, next to the bare
//! alternative on the same machine.
//!
//! ```text
//! cargo build --release
//! cargo run --release -p runbox-bench -- latency --runs 200
//! cargo run --release -p runbox-bench -- throughput --jobs 200 --clients 16
//! cargo run --release -p runbox-bench -- --database-url postgres://postgres@127.0.0.1/bench \
//!     --worker-nodes 2 throughput --jobs 200 --clients 16
//! cargo run --release -p runbox-bench -- packages --runs 200 --uv "$(command -v uv)"
//! cargo run --release -p runbox-bench -- proxy --rounds 10
//! cargo build --release -p runbox-sandbox --example sandbox_run
//! cargo run --release -p runbox-bench -- warm --runs 200 --jobs 400 --clients 16 \
//!     --sandbox-run target/release/examples/sandbox_run
//! cargo run --release -p runbox-bench -- soak --clients 200 --seconds 60 --sse 1000
//! ```

mod packages;
mod server;
mod soak;
mod stats;
mod warm;

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::json;

use server::{BenchServer, Nodes};
use stats::Summary;

#[derive(Parser)]
#[command(about = "End-to-end benchmarks of runbox")]
struct Cli {
    /// The runbox binary (default: `runbox` next to this executable).
    #[arg(long, global = true)]
    binary: Option<std::path::PathBuf>,
    /// Extra environment for the server, `NAME=VALUE`, repeatable.
    #[arg(long = "server-env", global = true)]
    server_env: Vec<String>,
    /// Database for every node (default: SQLite in a temporary directory).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Run this many `runbox worker` processes and let `serve` only answer
    /// the API (needs a PostgreSQL --database-url).
    #[arg(long, global = true, default_value_t = 0)]
    worker_nodes: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sequential latency of `print('hi')` through the API vs bare `python3 -c`.
    Latency {
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// Idle time between requests, as between an interactive user's
        /// clicks (0: back to back, the machine never idle).
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    },
    /// Jobs per second with many clients submitting short snippets.
    Throughput {
        #[arg(long, default_value_t = 200)]
        jobs: usize,
        #[arg(long, default_value_t = 16)]
        clients: usize,
    },
    /// Installing a new set of 3 small wheels, then a run with the cached
    /// environment vs a run without dependencies, interleaved.
    Packages {
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// The uv binary (default: the sandbox Python's pip installs).
        #[arg(long)]
        uv: Option<std::path::PathBuf>,
    },
    /// `print('hi')`: runbox vs bare `python3 -c` vs an unsandboxed
    /// subprocess-per-request server, latency interleaved, then throughput,
    /// then the idle footprint of the server's process tree.
    Warm {
        #[arg(long, default_value_t = 200)]
        runs: usize,
        #[arg(long, default_value_t = 400)]
        jobs: usize,
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// The sandbox_run example (`cargo build --release -p
        /// runbox-sandbox --example sandbox_run`): adds buttons' `echo hi`
        /// next to the bare launcher.
        #[arg(long)]
        sandbox_run: Option<std::path::PathBuf>,
    },
    /// Sustained mixed load: requests/s, statuses, p50/p99 and the
    /// server's RSS every 10 s; then `--sse` streams held open at once.
    Soak {
        #[arg(long, default_value_t = 200)]
        clients: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 0)]
        sse: usize,
    },
    /// `console.log('hi')` through the JavaScript API vs bare `node -e`,
    /// interleaved.
    Node {
        #[arg(long, default_value_t = 100)]
        runs: usize,
        /// Node.js on the host (the sandbox's is the configured one).
        #[arg(long, default_value = "/usr/bin/node")]
        node: String,
    },
    /// A download through a run's proxy vs `curl` on the host, interleaved.
    Proxy {
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        #[arg(long, default_value_t = 50)]
        mib: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let nodes = Nodes {
        binary: cli.binary.as_deref(),
        env: &cli.server_env,
        database_url: cli.database_url.as_deref(),
        worker_nodes: cli.worker_nodes,
    };
    match &cli.command {
        Command::Packages { runs, uv } => {
            return packages::packages(&nodes, uv.as_deref(), *runs).await
        }
        Command::Proxy { rounds, mib } => return packages::proxy(&nodes, *rounds, *mib).await,
        Command::Soak {
            clients,
            seconds,
            sse,
        } => return soak::soak(&nodes, *clients, *seconds, *sse).await,
        Command::Warm {
            runs,
            jobs,
            clients,
            sandbox_run,
        } => return warm::warm(&nodes, *runs, *jobs, *clients, sandbox_run.as_deref()).await,
        _ => {}
    }
    let server = BenchServer::start(&nodes)?;
    match cli.command {
        Command::Latency { runs, pause_ms } => {
            latency(&server, runs, Duration::from_millis(pause_ms)).await
        }
        Command::Throughput { jobs, clients } => throughput(&server, jobs, clients).await,
        Command::Node { runs, node } => node_latency(&server, runs, &node).await,
        Command::Packages { .. }
        | Command::Proxy { .. }
        | Command::Warm { .. }
        | Command::Soak { .. } => Ok(()),
    }
}

async fn latency(server: &BenchServer, runs: usize, pause: Duration) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..10 {
        server.python(&client, "print('hi')").await?;
    }
    let mut api = Vec::with_capacity(runs);
    for _ in 0..runs {
        tokio::time::sleep(pause).await;
        let started = Instant::now();
        let body = server.python(&client, "print('hi')").await?;
        api.push(started.elapsed());
        anyhow::ensure!(
            body["response"]["stdout"] == "hi\n",
            "unexpected reply {body}"
        );
    }
    let mut bare = Vec::with_capacity(runs);
    for _ in 0..runs {
        tokio::time::sleep(pause).await;
        let started = Instant::now();
        let out = std::process::Command::new("/usr/bin/python3")
            .args(["-c", "print('hi')"])
            .output()
            .context("python3")?;
        bare.push(started.elapsed());
        anyhow::ensure!(out.stdout == b"hi\n", "bare python3 failed");
    }
    println!(
        "print('hi'), {runs} sequential runs each, {} ms apart",
        pause.as_millis()
    );
    println!("{}", Summary::header());
    println!(
        "{}",
        Summary::of("runbox API (HTTP, sandbox, SQLite)", &mut api).row()
    );
    println!(
        "{}",
        Summary::of("bare python3 -c (no sandbox)", &mut bare).row()
    );
    Ok(())
}

async fn node_latency(server: &BenchServer, runs: usize, node: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let code = "console.log('hi')";
    for _ in 0..5 {
        server.code(&client, "javascript", code).await?;
    }
    let mut api = Vec::with_capacity(runs);
    let mut bare = Vec::with_capacity(runs);
    // Interleaved, so both see the same machine.
    for _ in 0..runs {
        let started = Instant::now();
        let body = server.code(&client, "javascript", code).await?;
        api.push(started.elapsed());
        anyhow::ensure!(
            body["response"]["stdout"] == "hi\n",
            "unexpected reply {body}"
        );
        let started = Instant::now();
        let out = std::process::Command::new(node)
            .args(["-e", code])
            .output()
            .context("node")?;
        bare.push(started.elapsed());
        anyhow::ensure!(out.stdout == b"hi\n", "bare node failed");
    }
    println!("console.log('hi'), {runs} runs each, interleaved");
    println!("{}", Summary::header());
    let api = Summary::of("runbox JavaScript API (HTTP, sandbox)", &mut api);
    let bare = Summary::of("bare node -e (no sandbox)", &mut bare);
    println!("{}\n{}", api.row(), bare.row());
    println!(
        "median ratio runbox / bare: {:.2}x",
        api.p50.as_secs_f64() / bare.p50.as_secs_f64()
    );
    Ok(())
}

async fn throughput(server: &BenchServer, jobs: usize, clients: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let client = client.clone();
        let next = next.clone();
        let url = server.url("/v1/code/execute/python");
        let key = server.key.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < jobs {
                let t = Instant::now();
                let response = client
                    .post(&url)
                    .header("x-api-key", &key)
                    .json(&json!({"code": "print('hi')"}))
                    .send()
                    .await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "status {}",
                    response.status()
                );
                latencies.push(t.elapsed());
            }
            Ok::<Vec<Duration>, anyhow::Error>(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed();
    println!("{jobs} jobs of print('hi'), {clients} concurrent clients");
    println!(
        "total {:.2} s, {:.1} jobs/s",
        elapsed.as_secs_f64(),
        jobs as f64 / elapsed.as_secs_f64()
    );
    println!("{}", Summary::header());
    println!("{}", Summary::of("request latency", &mut all).row());
    Ok(())
}
