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

/// A code snippet: Python (seeds 001/003), or another language of contract
/// section 14 (`runtime`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PythonJob {
    pub code: String,
    /// The language when it is not Python: `javascript` or an operator's
    /// runtime (`[runtimes.NAME]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
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
    #[serde(with = "crate::base64_bytes")]
    pub body: Vec<u8>,
}

/// What an agent runs, stored as `{"runtime": NAME, "code" | "command"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "RuntimeFields", try_from = "RuntimeFields")]
pub enum AgentRuntime {
    /// Python code defining `run(input)`.
    Python { code: String },
    /// A shell command reading JSON on stdin and writing JSON on stdout.
    Command { command: String },
    /// JavaScript defining `run(input)` (async or not).
    JavaScript { code: String },
    /// An interpreter the operator configured (`[runtimes.NAME]`), running
    /// `code` from a file: JSON input on stdin, a JSON object on stdout.
    Custom { runtime: String, code: String },
}

impl AgentRuntime {
    /// The runtime's name, as the API shows it.
    pub fn name(&self) -> &str {
        match self {
            Self::Python { .. } => "python",
            Self::Command { .. } => "command",
            Self::JavaScript { .. } => JAVASCRIPT,
            Self::Custom { runtime, .. } => runtime,
        }
    }

    /// The code (every runtime but `command` has some).
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Python { code } | Self::JavaScript { code } | Self::Custom { code, .. } => {
                Some(code)
            }
            Self::Command { .. } => None,
        }
    }
}

/// The name of the JavaScript runtime (Node.js) everywhere runbox says it.
pub const JAVASCRIPT: &str = "javascript";

/// Where an operator's runtime command (`[runtimes.NAME] command`) takes
/// the path of the code's file.
pub const FILE_PLACEHOLDER: &str = "{file}";

#[derive(Serialize, Deserialize)]
struct RuntimeFields {
    runtime: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
}

impl From<AgentRuntime> for RuntimeFields {
    fn from(runtime: AgentRuntime) -> Self {
        let name = runtime.name().to_owned();
        match runtime {
            AgentRuntime::Command { command } => Self {
                runtime: name,
                code: None,
                command: Some(command),
            },
            AgentRuntime::Python { code }
            | AgentRuntime::JavaScript { code }
            | AgentRuntime::Custom { code, .. } => Self {
                runtime: name,
                code: Some(code),
                command: None,
            },
        }
    }
}

impl TryFrom<RuntimeFields> for AgentRuntime {
    type Error = String;

    fn try_from(fields: RuntimeFields) -> Result<Self, String> {
        let code = |fields: RuntimeFields| {
            fields
                .code
                .ok_or_else(|| format!("a {} agent has code", fields.runtime))
        };
        Ok(match fields.runtime.as_str() {
            "command" => Self::Command {
                command: fields.command.ok_or("a command agent has a command")?,
            },
            "python" => Self::Python {
                code: code(fields)?,
            },
            JAVASCRIPT => Self::JavaScript {
                code: code(fields)?,
            },
            _ => Self::Custom {
                runtime: fields.runtime.clone(),
                code: code(fields)?,
            },
        })
    }
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
