//! What the executor needs from outside: the outbound HTTP policy and a way
//! to run Python. Python is a trait so that tests can run scenarios without
//! a sandbox; production uses the engine's sandbox (`runner.rs`).

use std::sync::Arc;
use std::time::Duration;

use runbox_netguard::OutboundPolicy;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Services {
    /// Every HTTP module request goes through a client of this policy.
    pub policy: OutboundPolicy,
    pub python: Arc<dyn PythonStep>,
    /// What `{{secret.NAME}}` finds: the run's usable secrets.
    pub secrets: Arc<std::collections::BTreeMap<String, String>>,
    /// Where `gateway:WebhookRespond` sends its response, for a run an
    /// incoming webhook started.
    pub webhook_reply: Option<WebhookReply>,
}

/// Hands a `{status, body, headers}` response to whoever answers the
/// webhook's caller.
pub type WebhookReply = Arc<dyn Fn(&Value) + Send + Sync>;

/// Runs one `code:ExecutePython` step.
#[async_trait::async_trait]
pub trait PythonStep: Send + Sync {
    /// `Err` when the code could not be run at all (e.g. the sandbox could
    /// not be set up); a failing program is an `Ok` with `error` set.
    async fn run(&self, call: PythonCall) -> Result<PythonRun, String>;
}

pub struct PythonCall {
    /// The language when it is not Python (`javascript`).
    pub language: Option<String>,
    pub code: String,
    /// The global `input` the code sees.
    pub input: Value,
    /// Time left before the scenario's deadline.
    pub timeout: Duration,
    /// Fires when the scenario is stopped or times out.
    pub cancel: CancellationToken,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PythonRun {
    /// The top-level `return` value (null without one).
    pub result: Value,
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    /// Why the code failed, in the Python API's words: the exception's
    /// last traceback line, or `Process exited with code N` (the step says
    /// the latter itself for a non-zero `exit_code` without `error`).
    pub error: Option<String>,
    pub timed_out: bool,
    pub canceled: bool,
    /// What the run used, as the sandbox measured it.
    pub resources: Option<runbox_domain::Resources>,
}
