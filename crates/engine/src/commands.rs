//! Shell command rules for buttons: non-empty, at most 64 KiB, no NUL byte,
//! accepted by `sh -n` (run in the sandbox, like the command itself will
//! be), and a first word not on the restricted list. The list is a
//! guard-rail for people; the sandbox is the security boundary.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use runbox_sandbox::{Limits, RunControl, RunSpec, Sandbox};
use tokio_util::sync::CancellationToken;

pub const MAX_COMMAND_BYTES: usize = runbox_domain::ButtonSpec::MAX_COMMAND_BYTES;

/// Programs a button may not start with (`mkfs` covers `mkfs.ext4` & co).
pub const RESTRICTED: &[&str] = &[
    "shutdown", "reboot", "halt", "poweroff", "init", "mkfs", "mount", "umount", "insmod", "rmmod",
    "modprobe", "swapon", "swapoff", "sysctl", "iptables", "nft",
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCommand {
    #[error("the command is empty")]
    Empty,
    #[error("the command is longer than {MAX_COMMAND_BYTES} bytes")]
    TooLong,
    #[error("the command contains a NUL byte")]
    Nul,
    #[error("`{0}` is a restricted command")]
    Restricted(String),
    #[error("syntax error: {0}")]
    Syntax(String),
}

#[derive(Debug, thiserror::Error)]
#[error("the command could not be checked: {0}")]
pub struct CheckFailed(pub String);

/// Checks commands, remembering those `sh -n` already accepted.
pub struct CommandChecker {
    accepted: Mutex<HashSet<String>>,
}

const REMEMBERED: usize = 4096;

impl Default for CommandChecker {
    fn default() -> Self {
        Self {
            accepted: Mutex::new(HashSet::new()),
        }
    }
}

impl CommandChecker {
    pub async fn check(
        &self,
        sandbox: &Sandbox,
        limits: &Limits,
        command: &str,
    ) -> Result<Result<(), InvalidCommand>, CheckFailed> {
        if let Err(invalid) = static_checks(command) {
            return Ok(Err(invalid));
        }
        if self
            .accepted
            .lock()
            .map(|set| set.contains(command))
            .unwrap_or(false)
        {
            return Ok(Ok(()));
        }
        let verdict = syntax_check(sandbox, limits, command).await?;
        if verdict.is_ok() {
            if let Ok(mut set) = self.accepted.lock() {
                if set.len() >= REMEMBERED {
                    set.clear();
                }
                set.insert(command.to_owned());
            }
        }
        Ok(verdict)
    }
}

/// Everything that needs no process.
pub fn static_checks(command: &str) -> Result<(), InvalidCommand> {
    if command.trim().is_empty() {
        return Err(InvalidCommand::Empty);
    }
    if command.len() > MAX_COMMAND_BYTES {
        return Err(InvalidCommand::TooLong);
    }
    if command.contains('\0') {
        return Err(InvalidCommand::Nul);
    }
    if let Some(word) = first_word(command) {
        let name = word.rsplit('/').next().unwrap_or(word);
        let restricted = RESTRICTED
            .iter()
            .any(|r| name == *r || (*r == "mkfs" && name.starts_with("mkfs.")));
        if restricted {
            return Err(InvalidCommand::Restricted(name.to_owned()));
        }
    }
    Ok(())
}

/// The program a command starts with: the first word after any leading
/// `NAME=value` assignments and `sudo`/`exec`/`command` prefixes.
fn first_word(command: &str) -> Option<&str> {
    let mut words = command
        .split(|c: char| {
            c.is_whitespace()
                || matches!(c, ';' | '|' | '&' | '(' | ')' | '{' | '}' | '<' | '>' | '`')
        })
        .filter(|w| !w.is_empty());
    loop {
        let word = words.next()?;
        let word = word.trim_matches(|c| c == '"' || c == '\'');
        let is_assignment = word.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if is_assignment || matches!(word, "sudo" | "exec" | "command" | "nohup" | "env" | "time") {
            continue;
        }
        return Some(word);
    }
}

async fn syntax_check(
    sandbox: &Sandbox,
    limits: &Limits,
    command: &str,
) -> Result<Result<(), InvalidCommand>, CheckFailed> {
    let spec = RunSpec {
        argv: vec![
            "/bin/sh".into(),
            "-n".into(),
            "-c".into(),
            command.to_owned(),
        ],
        env: vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("LANG".into(), "C.UTF-8".into()),
        ],
        files: vec![],
        stdin_file: None,
        limits: limits.clone(),
        combined_output: true,
        result_channel: false,
        payload: None,
        ..Default::default()
    };
    let control = RunControl {
        timeout: Duration::from_secs(10),
        cancel: CancellationToken::new(),
        on_output: None,
        proxy: None,
    };
    let run = sandbox
        .run(spec, control)
        .await
        .map_err(|e| CheckFailed(e.to_string()))?;
    if run.status.success() {
        return Ok(Ok(()));
    }
    if run.timed_out {
        return Err(CheckFailed("sh -n did not finish in 10 s".to_owned()));
    }
    let message = run
        .stdout
        .text()
        .trim()
        .trim_start_matches("/bin/sh: ")
        .trim_start_matches("1: ")
        .to_owned();
    Ok(Err(InvalidCommand::Syntax(if message.is_empty() {
        "rejected by sh -n".to_owned()
    } else {
        message
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_rules() {
        assert_eq!(static_checks("  "), Err(InvalidCommand::Empty));
        assert_eq!(static_checks("echo a\0b"), Err(InvalidCommand::Nul));
        assert_eq!(
            static_checks(&"x".repeat(MAX_COMMAND_BYTES + 1)),
            Err(InvalidCommand::TooLong)
        );
        for bad in [
            "reboot",
            "/sbin/shutdown -h now",
            "sudo reboot",
            "FOO=1 mkfs.ext4 /dev/sda",
            "mount /x",
            "  nft list ruleset",
        ] {
            assert!(
                matches!(static_checks(bad), Err(InvalidCommand::Restricted(_))),
                "{bad}"
            );
        }
        for ok in [
            "echo Hello World",
            "ls -la | grep x",
            "echo reboot",
            "mountpoint -q /",
        ] {
            assert_eq!(static_checks(ok), Ok(()), "{ok}");
        }
    }
}
