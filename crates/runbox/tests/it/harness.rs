//! Starts the real `runbox serve` on port 0 in a temporary data directory
//! and talks HTTP to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ADMIN_KEY: &str = "rbx_test_admin_key_0123456789abcdef";

pub struct Server {
    pub base: String,
    pub data_dir: PathBuf,
    child: Option<Child>,
    log: Arc<Mutex<String>>,
    env: Vec<(String, String)>,
    args: Vec<String>,
    role: Role,
    _tmp: Option<tempfile::TempDir>,
}

/// Which subcommand a test process runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    #[default]
    Serve,
    Worker,
}

#[derive(Default, Clone)]
pub struct Options {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub role: Role,
}

impl Options {
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), value.into()));
        self
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Use this database instead of the SQLite default.
    pub fn database(self, url: &str) -> Self {
        self.arg("--database-url").arg(url)
    }

    pub fn worker(mut self) -> Self {
        self.role = Role::Worker;
        self
    }
}

impl Server {
    pub fn start() -> Server {
        Self::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data_dir = tmp.path().join("data");
        let mut env = vec![("RUNBOX_API_KEY".to_owned(), ADMIN_KEY.to_owned())];
        env.extend(options.env);
        let mut server = Server {
            base: String::new(),
            data_dir,
            child: None,
            log: Arc::default(),
            env,
            args: options.args,
            role: options.role,
            _tmp: Some(tmp),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runbox"));
        match self.role {
            Role::Serve => cmd.arg("serve").arg("--listen").arg("127.0.0.1:0"),
            Role::Worker => cmd.arg("worker"),
        };
        cmd.arg("--data-dir").arg(&self.data_dir);
        cmd.args(&self.args);
        cmd.env_remove("RUST_LOG").env("RUST_LOG", "info,sqlx=warn");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn runbox");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
                if line.contains("worker started") {
                    let _ = tx.send(String::new());
                }
                if let Ok(mut log) = log.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => self.base = addr,
            Err(_) => panic!("runbox did not start:\n{}", self.log()),
        }
        self.child = Some(child);
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// kill -9: no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        // SAFETY: plain kill(2) on our own child.
        unsafe {
            libc_kill(child.id() as i32, 15);
        }
        child.wait().expect("wait")
    }

    /// Starts a new process on the same data directory.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    pub fn data_path(&self) -> &Path {
        &self.data_dir
    }
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

/// POST JSON with the admin key; returns status and parsed body.
pub async fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    post_as(server, ADMIN_KEY, path, body).await
}

pub async fn post_as(server: &Server, key: &str, path: &str, body: Value) -> (u16, Value) {
    let request = client()
        .post(server.url(path))
        .header("x-api-key", key)
        .json(&body);
    reply_of(request).await
}

/// Posts `body` as it is written (e.g. JSON no serializer would produce).
pub async fn post_raw(server: &Server, path: &str, body: &'static str) -> (u16, Value) {
    let request = client()
        .post(server.url(path))
        .header("x-api-key", ADMIN_KEY)
        .header("content-type", "application/json")
        .body(body);
    reply_of(request).await
}

/// The status and the JSON (or text) body of a sent request.
async fn reply_of(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn get_as(server: &Server, key: &str, path: &str) -> (u16, Value) {
    let response = client()
        .get(server.url(path))
        .header("x-api-key", key)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Any method, as the admin; `body` is sent as JSON when given.
pub async fn call(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client()
        .request(method, server.url(path))
        .header("x-api-key", ADMIN_KEY);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Runs Python code synchronously.
pub async fn python(server: &Server, code: &str) -> (u16, Value) {
    post(
        server,
        "/v1/code/execute/python",
        serde_json::json!({ "code": code }),
    )
    .await
}

/// Creates a non-admin user key through the admin API.
pub async fn user_key(server: &Server, user: &str) -> String {
    let (status, body) = post(
        server,
        "/admin/api-keys",
        serde_json::json!({ "user": user }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["key"].as_str().expect("key").to_owned()
}

/// Runs agent `agent_id` with no input and polls its execution until it
/// is COMPLETED or FAILED (or 20 s pass); returns the last execution read.
pub async fn run_agent_to_end(server: &Server, agent_id: &Value) -> Value {
    let (status, run) = post(
        server,
        "/executions/run",
        serde_json::json!({ "agent_id": agent_id }),
    )
    .await;
    assert_eq!(status, 202, "{run}");
    let path = format!(
        "/executions/{}",
        run["execution_id"].as_str().unwrap_or_default()
    );
    let mut execution = Value::Null;
    for _ in 0..200 {
        execution = get_as(server, ADMIN_KEY, &path).await.1;
        if ["COMPLETED", "FAILED"].contains(&execution["status"].as_str().unwrap_or_default()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    execution
}

/// Polls until `check` holds or the deadline passes.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// A fresh PostgreSQL database for one test, dropped afterwards. `None`
/// (with a loud warning) when PostgreSQL is unreachable on a developer
/// machine; in CI (`CI=true`) an unreachable PostgreSQL fails the test.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

const PG_ADMIN: &[&str] = &[
    "-h",
    "127.0.0.1",
    "-U",
    "postgres",
    "-d",
    "postgres",
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    "-c",
];

fn psql(sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args(PG_ADMIN)
        .arg(sql)
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

impl PgDatabase {
    pub fn create() -> Option<PgDatabase> {
        let name = format!("runbox_it_{}", uuid_hex());
        match psql(&format!("CREATE DATABASE {name}")) {
            Ok(()) => Some(PgDatabase {
                url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                name,
            }),
            Err(why) => {
                let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
                assert!(
                    !ci,
                    "PostgreSQL at 127.0.0.1:5432 is unreachable in CI: {why}"
                );
                eprintln!("\n!!! SKIPPING PostgreSQL test: PostgreSQL at 127.0.0.1:5432 is unreachable: {why}\n");
                None
            }
        }
    }

    /// Closes every connection to the database and drops it.
    pub fn drop_now(&self) -> Result<(), String> {
        psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = self.drop_now();
    }
}

fn uuid_hex() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}{:x}", nanos, std::process::id())
}

/// The database a test runs against.
#[derive(Clone, Copy)]
pub enum Backend<'a> {
    Sqlite,
    Postgres(&'a PgDatabase),
}

impl Backend<'_> {
    /// Options for a node on this backend.
    pub fn options(&self) -> Options {
        match self {
            Backend::Sqlite => Options::default(),
            Backend::Postgres(db) => Options::default().database(&db.url),
        }
    }
}

/// A number unique to this test process and call, for process markers
/// (`sleep 777.123456`) that `pgrep` can tell apart across parallel tests.
pub fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    (u64::from(std::process::id()) % 1000) * 1000 + n
}

/// Runs each listed `async fn name(backend: Backend<'_>)` once on SQLite and
/// once on a fresh PostgreSQL database (skipped loudly when PostgreSQL is
/// unreachable outside CI).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::harness::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = $crate::harness::PgDatabase::create() else { return };
                    super::$name($crate::harness::Backend::Postgres(&db)).await
                }
            )*
        }
    };
}
