//! A runbox server started for the benchmark, on a free port and a
//! temporary data directory, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

pub struct BenchServer {
    child: Child,
    base: String,
    pub key: String,
    _data: tempfile::TempDir,
}

impl BenchServer {
    pub fn start(binary: Option<&Path>, env: &[String]) -> anyhow::Result<BenchServer> {
        let binary = match binary {
            Some(path) => path.to_owned(),
            None => std::env::current_exe()?.with_file_name("runbox"),
        };
        let data = tempfile::tempdir()?;
        let key = "rbx_benchmark_key_0123456789abcdef".to_owned();
        let mut cmd = Command::new(&binary);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path().join("data"));
        cmd.env("RUNBOX_API_KEY", &key).env("RUST_LOG", "warn");
        for pair in env {
            let (name, value) = pair
                .split_once('=')
                .context("--server-env wants NAME=VALUE")?;
            cmd.env(name, value);
        }
        let mut child = cmd
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
        Ok(BenchServer {
            child,
            base,
            key,
            _data: data,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn python(&self, client: &reqwest::Client, code: &str) -> anyhow::Result<Value> {
        let response = client
            .post(self.url("/v1/code/execute/python"))
            .header("x-api-key", &self.key)
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

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
