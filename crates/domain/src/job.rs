//! What an execution runs, as the dialect described it. Stored as JSON so
//! an execution can be re-run after a restart exactly as it was asked.

use serde::{Deserialize, Serialize};

use crate::ExecutionKind;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobSpec {
    Python(PythonJob),
    Shell(ShellJob),
    Agent(AgentJob),
    /// A scenario run; its shape belongs to the workflow crate.
    Scenario(serde_json::Value),
}

impl JobSpec {
    pub fn kind(&self) -> ExecutionKind {
        match self {
            Self::Python(_) => ExecutionKind::Python,
            Self::Shell(_) => ExecutionKind::Shell,
            Self::Agent(_) => ExecutionKind::Agent,
            Self::Scenario(_) => ExecutionKind::Scenario,
        }
    }
}

/// A Python snippet (seeds 001/003).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PythonJob {
    pub code: String,
    /// The caller's own request id (`id` in the request body).
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// A button's shell command (seed 000), captured as it was when clicked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShellJob {
    pub button_id: String,
    pub command: String,
    #[serde(default)]
    pub env: crate::Env,
    /// Destinations the command may reach through runbox's proxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<crate::Destination>,
    /// The incoming webhook request that started the run, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<HookRequest>,
}

/// An incoming webhook's request as a button run gets it: the raw body in
/// a file (`$RUNBOX_HOOK_FILE`) and the method (`$RUNBOX_HOOK_METHOD`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRequest {
    /// The hook that took the request.
    pub hook_id: i64,
    pub method: String,
    /// Any bytes; base64 in the stored job.
    #[serde(with = "base64_bytes")]
    pub body: Vec<u8>,
}

mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "runtime", rename_all = "snake_case")]
pub enum AgentRuntime {
    /// Python code defining `run(input)`.
    Python { code: String },
    /// A shell command reading JSON on stdin and writing JSON on stdout.
    Command { command: String },
}

/// A registered agent run with one input (seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentJob {
    pub agent_id: String,
    #[serde(flatten)]
    pub runtime: AgentRuntime,
    pub input: serde_json::Value,
    #[serde(default)]
    pub env: crate::Env,
    /// Destinations the agent may reach through runbox's proxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<crate::Destination>,
}
