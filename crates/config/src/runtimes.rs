//! `[runtimes]`: the interpreters runs may use besides Python (contract
//! section 14). `node` is Node.js's path (default `/usr/bin/node`);
//! `[runtimes.NAME]` tables add an interpreter by its command line, with
//! `{file}` where the code's file goes.
//!
//! ```toml
//! [runtimes]
//! node = "/usr/bin/node"
//! [runtimes.ruby]
//! command = ["/usr/bin/ruby", "{file}"]
//! extension = "rb"
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use runbox_domain::FILE_PLACEHOLDER;

use crate::validate::Checker;

/// Names a configured runtime may not take: runbox's own.
const RESERVED: [&str; 4] = ["python", "javascript", "command", "node"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// Node.js, for `javascript` runs.
    pub node: PathBuf,
    /// The operator's interpreters, by name.
    pub custom: BTreeMap<String, CustomRuntime>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            node: PathBuf::from("/usr/bin/node"),
            custom: BTreeMap::new(),
        }
    }
}

/// An interpreter the operator added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRuntime {
    /// The command line; one argument is [`FILE_PLACEHOLDER`].
    pub command: Vec<String>,
    /// The code file's extension (some interpreters care), without a dot.
    pub extension: String,
}

/// `[runtimes]` as written: a table whose `node` is a path and whose
/// other keys are tables (`[runtimes.NAME]`). Read by hand, since its keys
/// are the operator's; errors point at the `[runtimes]` table.
pub(crate) type RuntimesFile = Option<BTreeMap<String, RuntimeEntry>>;

/// A key of `[runtimes]`: `node = "PATH"`, or a `[runtimes.NAME]` table.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum RuntimeEntry {
    Path(String),
    Custom {
        command: Option<Vec<String>>,
        extension: Option<String>,
    },
}

pub(crate) fn resolve_runtimes(check: &mut Checker<'_>, f: &RuntimesFile) -> RuntimeSettings {
    let mut settings = RuntimeSettings::default();
    let Some(table) = f else {
        return settings;
    };
    for (name, value) in table {
        if name == "node" {
            match value {
                RuntimeEntry::Path(path) => match absolute_path(path) {
                    Ok(path) => settings.node = path,
                    Err(why) => check.in_file_near("runtimes.node", "node", why),
                },
                RuntimeEntry::Custom { .. } => {
                    check.in_file_near("runtimes.node", "node", "must be the path of Node.js")
                }
            }
            continue;
        }
        match custom_runtime(name, value) {
            Ok(runtime) => {
                settings.custom.insert(name.clone(), runtime);
            }
            Err((key, why)) => {
                let header = format!("[runtimes.{name}]");
                check.in_file_near(format!("runtimes.{name}{key}"), &header, why)
            }
        }
    }
    settings
}

/// One `[runtimes.NAME]` table; the error names the field (`.command`).
fn custom_runtime(
    name: &str,
    value: &RuntimeEntry,
) -> Result<CustomRuntime, (&'static str, String)> {
    check_name(name).map_err(|why| ("", why))?;
    let RuntimeEntry::Custom { command, extension } = value else {
        return Err((
            "",
            "must be a table with `command` (and `extension`)".to_owned(),
        ));
    };
    let command = command.clone().ok_or((
        ".command",
        "is required: the interpreter, then its arguments".to_owned(),
    ))?;
    match command.first() {
        None => {
            return Err((
                ".command",
                "must name the interpreter, then its arguments".to_owned(),
            ))
        }
        Some(program) => {
            absolute_path(program).map_err(|why| (".command", why))?;
        }
    }
    if !command.iter().any(|arg| arg.contains(FILE_PLACEHOLDER)) {
        return Err((
            ".command",
            format!("must have {FILE_PLACEHOLDER} where the code's file goes"),
        ));
    }
    let extension = match extension {
        None => "txt".to_owned(),
        Some(text) => {
            let text = text.trim_start_matches('.');
            if text.is_empty()
                || text.len() > 16
                || !text.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err((
                    ".extension",
                    format!("must be 1 to 16 letters or digits, got {text:?}"),
                ));
            }
            text.to_owned()
        }
    };
    Ok(CustomRuntime { command, extension })
}

/// A runtime's name: `[a-z][a-z0-9_-]{0,31}`, not one of runbox's own.
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && name.len() <= 32;
    if !valid {
        return Err(format!(
            "runtime name {name:?} must be 1 to 32 characters among a-z, 0-9, _ and -, starting with a letter"
        ));
    }
    if RESERVED.contains(&name) {
        return Err(format!("{name:?} is runbox's own runtime"));
    }
    Ok(())
}

fn absolute_path(text: &str) -> Result<PathBuf, String> {
    if text.starts_with('/') && !text.contains('\0') {
        Ok(PathBuf::from(text))
    } else {
        Err(format!("must be an absolute path, got {text:?}"))
    }
}
