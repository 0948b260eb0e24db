//! A runbox server (and, for cluster runs, worker processes) started for
//! the benchmark, on a free port and temporary data directories, stopped
//! when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

pub struct BenchServer {
    child: Child,
    workers: Vec<Child>,
    base: String,
    pub key: String,
    _data: tempfile::TempDir,
}

/// How to start the nodes.
pub struct Nodes<'a> {
    pub binary: Option<&'a Path>,
    /// Extra environment, `NAME=VALUE`.
    pub env: &'a [String],
    pub database_url: Option<&'a str>,
    /// `runbox worker` processes; with any, `serve` only answers the API.
    pub worker_nodes: usize,
}

const KEY: &str = "rbx_benchmark_key_0123456789abcdef";

impl BenchServer {
    pub fn start(nodes: &Nodes<'_>) -> anyhow::Result<BenchServer> {
        let binary = match nodes.binary {
            Some(path) => path.to_owned(),
            None => std::env::current_exe()?.with_file_name("runbox"),
        };
        let data = tempfile::tempdir()?;
        let mut serve = node_command(&binary, "serve", &data.path().join("serve"), nodes)?;
        serve.args(["--listen", "127.0.0.1:0"]);
        if nodes.worker_nodes > 0 {
            serve.arg("--no-workers");
        }
        let mut child = serve
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stderr = child.stderr.take().context("stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .context("runbox did not start")?;
        let mut workers = Vec::new();
        for index in 0..nodes.worker_nodes {
            let dir: PathBuf = data.path().join(format!("worker-{index}"));
            let mut worker = node_command(&binary, "worker", &dir, nodes)?;
            workers.push(
                worker
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .context("cannot start a worker")?,
            );
        }
        Ok(BenchServer {
            child,
            workers,
            base,
            key: KEY.to_owned(),
            _data: data,
        })
    }

    /// The `serve` process.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn python(&self, client: &reqwest::Client, code: &str) -> anyhow::Result<Value> {
        self.python_as(client, &self.key, code).await
    }

    /// `code` through the Python API as the holder of `key`.
    pub async fn python_as(
        &self,
        client: &reqwest::Client,
        key: &str,
        code: &str,
    ) -> anyhow::Result<Value> {
        self.code_as(client, key, "python", code).await
    }

    /// `code` in `language` (`/v1/code/execute/{language}`).
    pub async fn code(
        &self,
        client: &reqwest::Client,
        language: &str,
        code: &str,
    ) -> anyhow::Result<Value> {
        self.code_as(client, &self.key, language, code).await
    }

    async fn code_as(
        &self,
        client: &reqwest::Client,
        key: &str,
        language: &str,
        code: &str,
    ) -> anyhow::Result<Value> {
        let response = client
            .post(self.url(&format!("/v1/code/execute/{language}")))
            .header("x-api-key", key)
            .json(&json!({ "code": code }))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "status {}",
            response.status()
        );
        Ok(response.json().await?)
    }
}

fn node_command(
    binary: &Path,
    role: &str,
    data_dir: &Path,
    nodes: &Nodes<'_>,
) -> anyhow::Result<Command> {
    let mut cmd = Command::new(binary);
    cmd.arg(role).arg("--data-dir").arg(data_dir);
    if let Some(url) = nodes.database_url {
        cmd.args(["--database-url", url]);
    }
    cmd.env("RUNBOX_API_KEY", KEY).env("RUST_LOG", "warn");
    for pair in nodes.env {
        let (name, value) = pair
            .split_once('=')
            .context("--server-env wants NAME=VALUE")?;
        cmd.env(name, value);
    }
    Ok(cmd)
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        for child in self
            .workers
            .iter_mut()
            .chain(std::iter::once(&mut self.child))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
