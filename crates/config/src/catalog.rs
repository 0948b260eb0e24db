//! Validation of the buttons and agents declared in the file
//! (`[[buttons]]`, `[[agents]]`): ids, required fields, bounds, environment
//! names and duplicates, each problem cited with its key and line.

use std::collections::{BTreeMap, HashMap};

use runbox_domain::{AgentRuntime, ButtonSpec, Destination, Priority, Timeout};
use toml::Spanned;

use crate::file::{AgentFile, ButtonFile, EnvFile, RuntimeName};
use crate::settings::{
    AgentConfig, ButtonConfig, AGENT_TIMEOUT_DEFAULT_SECS, AGENT_TIMEOUT_MAX_SECS,
    BUTTON_TIMEOUT_MAX_SECS,
};
use crate::validate::Checker;

/// The contract's limit on a button command.
const MAX_COMMAND_BYTES: usize = ButtonSpec::MAX_COMMAND_BYTES;

pub(crate) fn buttons(
    check: &mut Checker<'_>,
    files: &[ButtonFile],
    allow: &[Destination],
) -> Vec<ButtonConfig> {
    let mut first_line_of: HashMap<&str, usize> = HashMap::new();
    let mut buttons = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let key = |field: &str| format!("buttons[{i}].{field}");
        let id = check.parse_in_file(key("id"), &file.id, |id| {
            if ButtonSpec::valid_id(id) {
                Ok(id.to_owned())
            } else {
                Err(format!(
                    "must be 1 to 64 characters among a-z, 0-9, _ and -, got {id:?}"
                ))
            }
        });
        if let Some(id) = &id {
            let line = check.line(&file.id);
            if let Some(first) = first_line_of.insert(file.id.get_ref(), line) {
                check.in_file(
                    key("id"),
                    &file.id.span(),
                    format!("duplicate button id {id:?}, first used on line {first}"),
                );
            }
        }
        let name = required_text(check, key("name"), &file.name);
        let command = check.parse_in_file(key("command"), &file.command, |command| {
            if command.trim().is_empty() {
                Err("must not be empty".to_owned())
            } else if command.len() > MAX_COMMAND_BYTES {
                Err(format!(
                    "must be at most {MAX_COMMAND_BYTES} bytes, got {}",
                    command.len()
                ))
            } else if command.contains('\0') {
                Err("must not contain a NUL byte".to_owned())
            } else {
                Ok(command.to_owned())
            }
        });
        let timeout = timeout(
            check,
            key("timeout"),
            file.timeout.as_ref(),
            BUTTON_TIMEOUT_MAX_SECS,
            BUTTON_TIMEOUT_MAX_SECS,
        );
        let env = env(check, &key("env"), &file.env);
        let network = network(check, &key("network"), file.network.as_deref(), allow);
        let schedule = match &file.schedule {
            None => Some(None),
            Some(schedule) => check
                .parse_in_file(key("schedule.cron"), &schedule.cron, |cron| {
                    runbox_domain::CronSchedule::parse(cron, schedule.timezone.as_deref())
                })
                .map(Some),
        };
        if let (
            Some(id),
            Some(name),
            Some(command),
            Some(timeout),
            Some(env),
            Some(network),
            Some(schedule),
        ) = (id, name, command, timeout, env, network, schedule)
        {
            buttons.push(ButtonConfig {
                id,
                name,
                command,
                description: file.description.clone(),
                timeout,
                icon: file.icon.clone(),
                env,
                network,
                schedule,
            });
        }
    }
    buttons
}

pub(crate) fn agents(
    check: &mut Checker<'_>,
    files: &[AgentFile],
    allow: &[Destination],
) -> Vec<AgentConfig> {
    let mut name_lines: HashMap<&str, usize> = HashMap::new();
    let mut id_lines: HashMap<&str, usize> = HashMap::new();
    let mut agents = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let key = |field: &str| format!("agents[{i}].{field}");
        let id = match &file.id {
            None => Some(None),
            Some(spanned) => {
                let id = check.parse_in_file(key("id"), spanned, |id| {
                    if is_agent_id(id) {
                        Ok(id.to_owned())
                    } else {
                        Err(format!(
                            "must be 1 to 64 characters among A-Z, a-z, 0-9, _ and -, got {id:?}"
                        ))
                    }
                });
                if id.is_some() {
                    let line = check.line(spanned);
                    if let Some(first) = id_lines.insert(spanned.get_ref(), line) {
                        check.in_file(
                            key("id"),
                            &spanned.span(),
                            format!(
                                "duplicate agent id {:?}, first used on line {first}",
                                spanned.get_ref()
                            ),
                        );
                    }
                }
                id.map(Some)
            }
        };
        let name = required_text(check, key("name"), &file.name);
        if name.is_some() {
            let line = check.line(&file.name);
            if let Some(first) = name_lines.insert(file.name.get_ref(), line) {
                check.in_file(
                    key("name"),
                    &file.name.span(),
                    format!(
                        "duplicate agent name {:?}, first used on line {first}",
                        file.name.get_ref()
                    ),
                );
            }
        }
        let runtime = runtime(check, i, file);
        let priority = file
            .priority
            .as_ref()
            .map_or(Some(Priority::DEFAULT), |value| {
                let got = check.number_in_file(key("priority"), value, (0, 100))?;
                Priority::new(i64::try_from(got).ok()?).ok()
            });
        let timeout = timeout(
            check,
            key("timeout"),
            file.timeout.as_ref(),
            AGENT_TIMEOUT_MAX_SECS,
            AGENT_TIMEOUT_DEFAULT_SECS,
        );
        let env = env(check, &key("env"), &file.env);
        let network = network(check, &key("network"), file.network.as_deref(), allow);
        if let (
            Some(id),
            Some(name),
            Some(runtime),
            Some(priority),
            Some(timeout),
            Some(env),
            Some(network),
        ) = (id, name, runtime, priority, timeout, env, network)
        {
            agents.push(AgentConfig {
                id,
                name,
                description: file.description.clone(),
                runtime,
                priority,
                timeout,
                env,
                network,
            });
        }
    }
    agents
}

/// `runtime` decides which of `code` and `command` is required; the other
/// one is refused rather than silently ignored.
fn runtime(check: &mut Checker<'_>, i: usize, file: &AgentFile) -> Option<AgentRuntime> {
    let key = |field: &str| format!("agents[{i}].{field}");
    let (wanted, unwanted, unwanted_name, wanted_name, runtime_name) = match file.runtime.get_ref()
    {
        RuntimeName::Python => (&file.code, &file.command, "command", "code", "python"),
        RuntimeName::JavaScript => (&file.code, &file.command, "command", "code", "javascript"),
        RuntimeName::Command => (&file.command, &file.code, "code", "command", "command"),
    };
    if let Some(extra) = unwanted {
        check.in_file(
            key(unwanted_name),
            &extra.span(),
            format!("not used with runtime = {runtime_name:?}; remove it"),
        );
    }
    let Some(text) = wanted else {
        check.in_file(
            key(wanted_name),
            &file.runtime.span(),
            format!("required with runtime = {runtime_name:?}"),
        );
        return None;
    };
    let text = required_text(check, key(wanted_name), text)?;
    if unwanted.is_some() {
        return None;
    }
    Some(match file.runtime.get_ref() {
        RuntimeName::Python => AgentRuntime::Python { code: text },
        RuntimeName::JavaScript => AgentRuntime::JavaScript { code: text },
        RuntimeName::Command => AgentRuntime::Command { command: text },
    })
}

fn timeout(
    check: &mut Checker<'_>,
    key: String,
    value: Option<&Spanned<i64>>,
    max_secs: u32,
    default_secs: u32,
) -> Option<Timeout> {
    let secs = match value {
        Some(value) => check.number_in_file(key, value, (1, i128::from(max_secs)))?,
        None => i128::from(default_secs),
    };
    Timeout::new(i64::try_from(secs).ok()?, max_secs).ok()
}

/// A required, non-blank string.
fn required_text(check: &mut Checker<'_>, key: String, value: &Spanned<String>) -> Option<String> {
    check.parse_in_file(key, value, |text| {
        if text.trim().is_empty() {
            Err("must not be empty".to_owned())
        } else {
            Ok(text.to_owned())
        }
    })
}

/// Destinations, each covered by the operator's `[network] allow`.
fn network(
    check: &mut Checker<'_>,
    key: &str,
    entries: Option<&[Spanned<String>]>,
    allow: &[Destination],
) -> Option<Vec<Destination>> {
    let mut ok = true;
    let mut found = Vec::new();
    for (i, entry) in entries.unwrap_or_default().iter().enumerate() {
        let parsed = check.parse_in_file(format!("{key}[{i}]"), entry, |text| {
            let destination: Destination = text
                .parse()
                .map_err(|e: runbox_domain::InvalidDestination| e.reason)?;
            if allow.iter().any(|a| a.covers(&destination)) {
                Ok(destination)
            } else {
                Err(format!("{destination} is not covered by network.allow"))
            }
        });
        ok &= parsed.is_some();
        found.extend(parsed);
    }
    ok.then_some(found)
}

/// Names a shell would accept; values that `execve` can carry.
fn env(check: &mut Checker<'_>, key: &str, table: &EnvFile) -> Option<BTreeMap<String, String>> {
    let mut ok = true;
    let mut env = BTreeMap::new();
    for (name, value) in table {
        let name_ok = check.parse_in_file(format!("{key}.{}", name.get_ref()), name, |name| {
            if is_env_name(name) {
                Ok(())
            } else {
                Err(format!("invalid variable name {name:?}: use letters, digits and _, not starting with a digit"))
            }
        });
        let value_ok = check.parse_in_file(format!("{key}.{}", name.get_ref()), value, |value| {
            if value.contains('\0') {
                Err("must not contain a NUL byte".to_owned())
            } else {
                Ok(())
            }
        });
        ok &= name_ok.is_some() && value_ok.is_some();
        env.insert(name.get_ref().clone(), value.get_ref().clone());
    }
    ok.then_some(env)
}

/// `[A-Za-z0-9_-]{1,64}`: safe in a URL path, and a UUID fits.
fn is_agent_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
