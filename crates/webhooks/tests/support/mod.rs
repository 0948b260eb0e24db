//! Test helpers: a real HTTP receiver on 127.0.0.1 that records requests and
//! answers from a script, a real SQLite store in a temporary directory, and
//! a dispatcher wired to both.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use runbox_config::{HttpAllowEntry, WebhookSecret};
use runbox_domain::{
    Execution, ExecutionId, ExecutionStatus, JobSpec, NewExecution, NodeId, Outcome, OutcomeKind,
    Priority, PythonJob, Timeout, Timestamp, UserName,
};
use runbox_netguard::OutboundPolicy;
use runbox_store::{ClaimRequest, Store};
use runbox_webhooks::{Dispatcher, PayloadRenderer, WebhookSettings};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// --- the receiver ----------------------------------------------------------

pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Statuses to answer, in order; 200 once exhausted (or `then`).
    script: VecDeque<u16>,
    then: Option<u16>,
}

#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    log: Arc<Mutex<Log>>,
}

async fn record(State(log): State<Arc<Mutex<Log>>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut log = log.lock().unwrap();
    log.received.push(Received {
        headers,
        body,
        at: Instant::now(),
    });
    let code = log.script.pop_front().or(log.then).unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

impl Receiver {
    /// Answers `script` in order, then 200.
    pub async fn start(script: &[u16]) -> Self {
        Self::start_with(script, None).await
    }

    /// Answers `script` in order, then `then` forever.
    pub async fn start_with(script: &[u16], then: Option<u16>) -> Self {
        let log = Arc::new(Mutex::new(Log {
            script: script.iter().copied().collect(),
            then,
            ..Log::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = Router::new()
            .route("/hook", post(record))
            .with_state(Arc::clone(&log));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { port, log }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn count(&self) -> usize {
        self.log.lock().unwrap().received.len()
    }

    /// Waits (up to 10 s) until `n` requests arrived, then hands them over.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        wait_until("requests to arrive", || self.count() >= n).await;
        std::mem::take(&mut self.log.lock().unwrap().received)
    }
}

pub async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// --- the store -------------------------------------------------------------

pub async fn open_store(path: &Path) -> Arc<dyn Store> {
    runbox_store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

pub struct TestStore {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub store: Arc<dyn Store>,
}

pub async fn fresh_store() -> TestStore {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("t.db");
    let store = open_store(&path).await;
    TestStore {
        _dir: dir,
        path,
        store,
    }
}

pub async fn enqueue(store: &Arc<dyn Store>, url: &str) -> ExecutionId {
    let new = NewExecution {
        id: ExecutionId::new_uuid(),
        user: UserName::parse("alice").unwrap(),
        priority: Priority::DEFAULT,
        timeout: Timeout::new(30, 300).unwrap(),
        job: JobSpec::Python(PythonJob {
            runtime: None,
            code: "print('hi')".into(),
            request_id: Some("req-1".into()),
            webhook_url: Some(url.into()),
        }),
        subject: None,
        idempotency: None,
        webhook_url: Some(url.into()),
    };
    store
        .enqueue(&new, Timestamp::now(), 1000)
        .await
        .unwrap()
        .execution
        .id
}

pub async fn claim(store: &Arc<dyn Store>) -> Execution {
    let claim = ClaimRequest {
        node: NodeId::from_raw("runner"),
        max_running_per_user: 5,
        kinds: Vec::new(),
        now: Timestamp::now(),
        lease: Duration::from_secs(30),
    };
    store.claim_next(&claim).await.unwrap().unwrap()
}

pub async fn finish(store: &Arc<dyn Store>, id: &ExecutionId) -> Execution {
    let outcome = Outcome {
        kind: OutcomeKind::Completed,
        exit_code: Some(0),
        stdout: "hi\n".into(),
        stderr: String::new(),
        truncated: false,
        result: Some(serde_json::json!({"answer": 42})),
        error: None,
        extra: None,
        resources: None,
        environment: None,
    };
    store
        .finish(id, ExecutionStatus::Succeeded, &outcome, Timestamp::now())
        .await
        .unwrap()
        .unwrap()
}

/// A queued execution with a webhook, run and ended.
pub async fn ended(store: &Arc<dyn Store>, url: &str) -> ExecutionId {
    let id = enqueue(store, url).await;
    assert_eq!(claim(store).await.id, id);
    finish(store, &id).await;
    id
}

/// The outbox row of an execution, read behind the store's back.
#[derive(Debug)]
pub struct OutboxRow {
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered: bool,
    pub gave_up: bool,
}

pub async fn outbox_row(path: &Path, id: &ExecutionId) -> OutboxRow {
    use sqlx::Row as _;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let row = sqlx::query(
        "SELECT attempts, last_error, delivered_at IS NOT NULL AS delivered, \
         gave_up_at IS NOT NULL AS gave_up FROM webhook_outbox WHERE execution_id = ?",
    )
    .bind(id.as_str())
    .fetch_one(&pool)
    .await
    .unwrap();
    let found = OutboxRow {
        attempts: row.get("attempts"),
        last_error: row.get("last_error"),
        delivered: row.get("delivered"),
        gave_up: row.get("gave_up"),
    };
    pool.close().await;
    found
}

pub async fn wait_settled(store: &Arc<dyn Store>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.pending_webhook_count().await.unwrap() > 0 {
        assert!(Instant::now() < deadline, "deliveries still pending");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// --- the dispatcher --------------------------------------------------------

/// Renders a small envelope of its own; the real ones live in the API crate.
pub struct TestRenderer;

impl PayloadRenderer for TestRenderer {
    fn render(&self, execution: &Execution) -> serde_json::Value {
        serde_json::json!({
            "job_id": execution.id,
            "status": execution.status.as_str(),
            "stdout": execution.outcome.as_ref().map(|o| o.stdout.clone()),
            "result": execution.outcome.as_ref().and_then(|o| o.result.clone()),
        })
    }
}

/// Fast settings for tests: retries after 100 ms, polls every 20 ms, signed.
pub fn fast_settings() -> WebhookSettings {
    WebhookSettings {
        secret: Some(SECRET.parse::<WebhookSecret>().unwrap()),
        timeout: Duration::from_secs(2),
        max_attempts: 8,
        first_retry: Duration::from_millis(100),
        poll_interval: Duration::from_millis(20),
        hold: Duration::from_secs(60),
    }
}

pub fn allow_loopback() -> Vec<HttpAllowEntry> {
    vec![HttpAllowEntry::Network("127.0.0.1/32".parse().unwrap())]
}

pub struct Running {
    pub shutdown: CancellationToken,
    pub handle: JoinHandle<()>,
}

impl Running {
    /// Stops the dispatcher and checks it ends promptly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(5), self.handle)
            .await
            .expect("dispatcher did not stop")
            .unwrap();
    }
}

pub fn start_dispatcher(
    store: &Arc<dyn Store>,
    allow: Vec<HttpAllowEntry>,
    settings: WebhookSettings,
) -> Running {
    let shutdown = CancellationToken::new();
    let dispatcher = Dispatcher {
        store: Arc::clone(store),
        policy: OutboundPolicy::new(allow),
        renderer: Arc::new(TestRenderer),
        node: NodeId::from_raw("hooks-node"),
        settings,
    };
    let handle = runbox_webhooks::spawn(dispatcher, shutdown.clone()).unwrap();
    Running { shutdown, handle }
}
