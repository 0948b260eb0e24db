//! What an execution produced once it ended.

use serde::{Deserialize, Serialize};

/// Why a failed execution failed: the program itself, or runbox around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The program ran to its end (whatever its exit code).
    Completed,
    /// Killed after its timeout.
    TimedOut,
    /// Killed on a cancel request.
    Canceled,
    /// The program's output broke the runtime's protocol (e.g. an agent
    /// printing something that is not a JSON object).
    InvalidOutput,
    /// runbox could not run it (sandbox set-up failed, launcher died).
    Internal,
    /// The node running it stopped before it ended.
    Interrupted,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub exit_code: Option<i32>,
    /// For shell commands, stdout and stderr interleaved in arrival order.
    pub stdout: String,
    pub stderr: String,
    pub truncated: bool,
    /// The value the program returned (Python's top-level `return`, an
    /// agent's JSON object).
    pub result: Option<serde_json::Value>,
    /// A one-line explanation when the execution did not succeed.
    pub error: Option<String>,
    /// Dialect-specific data (scenario outputs and module runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<serde_json::Value>,
    /// What the run used, as the sandbox measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// The package environment the run imported from, if it declared one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<UsedEnvironment>,
}

/// Resources of one run (contract section 13). Figures a node did not
/// measure are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub cpu_ms: Option<u64>,
    pub memory_peak_bytes: Option<u64>,
    pub wall_ms: u64,
    /// Bytes received and sent through the run's network proxy.
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
}

/// A package environment as a run used it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedEnvironment {
    pub id: String,
    /// `name==version` of every installed distribution.
    pub resolved: Vec<String>,
}

const INTERRUPTED: &str =
    "interrupted: the runbox node running this execution stopped before it finished";

impl Outcome {
    /// An outcome with no output, for executions that never ran a program.
    pub fn without_output(kind: OutcomeKind, error: impl Into<String>) -> Self {
        Self {
            kind,
            exit_code: None,
            stdout: String::new(),
            stderr: String::new(),
            truncated: false,
            result: None,
            error: Some(error.into()),
            extra: None,
            resources: None,
            environment: None,
        }
    }

    pub fn interrupted() -> Self {
        Self::without_output(OutcomeKind::Interrupted, INTERRUPTED)
    }

    /// An execution stopped by its own node's shutdown: interrupted, with
    /// the output (and a scenario's module runs) it had produced.
    pub fn interrupted_after(stopped: Outcome) -> Self {
        Self {
            kind: OutcomeKind::Interrupted,
            exit_code: None,
            result: None,
            error: Some(INTERRUPTED.to_owned()),
            ..stopped
        }
    }
}
