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
