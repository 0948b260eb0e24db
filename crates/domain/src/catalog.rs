//! Definitions users save and others run: buttons and agents. Stored as the
//! body of a catalog item; the dialects shape them for their replies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AgentRuntime, CronSchedule, Priority, ShellJob, Timeout};

/// A saved shell command behind a button (seed 000).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ButtonSpec {
    pub name: String,
    pub command: String,
    #[serde(default)]
    pub description: Option<String>,
    pub timeout: Timeout,
    #[serde(default)]
    pub icon: Option<String>,
    #[serde(default)]
    pub env: Env,
    /// Destinations the command may reach through runbox's proxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<crate::Destination>,
    /// When it runs on its own, as its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<CronSchedule>,
}

impl ButtonSpec {
    /// The catalog kind buttons are stored under.
    pub const KIND: &'static str = "button";
    /// The longest command a button may have (contract section 4).
    pub const MAX_COMMAND_BYTES: usize = 64 * 1024;

    /// A button's id: `[a-z0-9_-]{1,64}`.
    pub fn valid_id(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    }

    /// The job one run of the button `button_id` is.
    pub fn job(&self, button_id: &str) -> ShellJob {
        ShellJob {
            button_id: button_id.to_owned(),
            command: self.command.clone(),
            env: self.env.clone(),
            network: self.network.clone(),
            hook: None,
        }
    }
}

/// A registered program taking JSON input and returning a JSON object (seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(flatten)]
    pub runtime: AgentRuntime,
    pub priority: Priority,
    pub timeout: Timeout,
    #[serde(default)]
    pub env: Env,
    /// Destinations the agent may reach through runbox's proxy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<crate::Destination>,
}

impl AgentSpec {
    /// The catalog kind agents are stored under.
    pub const KIND: &'static str = "agent";
}

/// An incoming webhook (Make's custom webhook): a URL with a random token
/// that starts a scenario or a button with the caller's request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookSpec {
    pub name: String,
    /// Make's team, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<i64>,
    /// Make's hook type (`gateway-webhook`).
    pub type_name: String,
    /// What a request starts; `None`: the active scenario whose first
    /// module is `gateway:CustomWebHook` with `parameters.hook` = this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<HookTarget>,
    /// Make's hook-type settings (`method`, `headers`, `stringify`), kept.
    #[serde(default)]
    pub data: serde_json::Map<String, serde_json::Value>,
    /// SHA-256 of the token, hex: what a request's token is compared with.
    pub token_hash: String,
    /// The token, encrypted like secrets, so its owner can read the URL.
    pub token_sealed: String,
}

impl HookSpec {
    /// The catalog kind hooks are stored under.
    pub const KIND: &'static str = "hook";
}

/// What an incoming webhook starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookTarget {
    Scenario(i64),
    Button(String),
}

/// The longest secret name.
pub const SECRET_NAME_MAX_CHARS: usize = 64;
/// The most variables a definition's `env` may set.
pub const ENV_MAX_VARS: usize = 100;
/// The longest variable name.
pub const ENV_MAX_NAME_CHARS: usize = 128;
/// The longest variable value.
pub const ENV_MAX_VALUE_BYTES: usize = 32 * 1024;

/// A secret's name: `[A-Z_][A-Z0-9_]{0,63}`.
pub fn check_secret_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= SECRET_NAME_MAX_CHARS;
    if valid {
        Ok(())
    } else {
        Err(format!(
            "secret name {name:?} must match [A-Z_][A-Z0-9_]{{0,63}}"
        ))
    }
}

/// Environment variables a definition adds, by name.
pub type Env = BTreeMap<String, EnvValue>;

/// One variable's value: a text, or a reference to a secret resolved when
/// the run starts (`{"secret": "GITHUB_TOKEN"}`), never copied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnvValue {
    Text(String),
    Secret { secret: String },
}

impl From<&str> for EnvValue {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

/// Checks environment variable names and values a definition adds.
/// `RUNBOX_EXECUTION_ID` is runbox's own and cannot be overridden.
pub fn check_env(env: &Env) -> Result<(), String> {
    for (name, value) in env {
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.len() <= ENV_MAX_NAME_CHARS;
        if !valid {
            return Err(format!(
                "environment variable name {name:?} must match [A-Za-z_][A-Za-z0-9_]*"
            ));
        }
        if name == "RUNBOX_EXECUTION_ID" {
            return Err("RUNBOX_EXECUTION_ID is set by runbox and cannot be defined".to_owned());
        }
        match value {
            EnvValue::Text(text) if text.contains('\0') => {
                return Err(format!("environment variable {name} contains a NUL byte"));
            }
            EnvValue::Text(text) if text.len() > ENV_MAX_VALUE_BYTES => {
                return Err(format!("environment variable {name} is longer than 32 KiB"));
            }
            EnvValue::Text(_) => {}
            EnvValue::Secret { secret } => {
                check_secret_name(secret).map_err(|why| format!("env.{name}: {why}"))?
            }
        }
    }
    if env.len() > ENV_MAX_VARS {
        return Err(format!("at most {ENV_MAX_VARS} environment variables"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_checked() {
        let ok: Env = [
            ("GREETING".into(), "hi".into()),
            ("_x1".into(), "".into()),
            (
                "TOKEN".into(),
                EnvValue::Secret {
                    secret: "GITHUB_TOKEN".into(),
                },
            ),
        ]
        .into();
        assert!(check_env(&ok).is_ok());
        for bad in ["1X", "A-B", "", "RUNBOX_EXECUTION_ID"] {
            let env: Env = [(bad.to_owned(), "v".into())].into();
            assert!(check_env(&env).is_err(), "{bad}");
        }
        let lower: Env = [(
            "T".to_owned(),
            EnvValue::Secret {
                secret: "lower".into(),
            },
        )]
        .into();
        assert!(check_env(&lower).is_err());
    }
}
