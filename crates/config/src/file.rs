//! The configuration file's shape, exactly as written in TOML, and its
//! parsing. Values that are checked after parsing are kept
//! [`Spanned`] so an error can cite their line; numbers are
//! read as `i64` so that `-1` gets a range message rather than a type error.
//! Unknown keys are refused everywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_path_to_error::Segment;
use toml::Spanned;

use crate::error::line_of;
use crate::ConfigError;

/// The file, read and parsed: its text stays around to turn spans into
/// line numbers.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub config: FileConfig,
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_owned(),
            cause,
        })?;
        Self::parse(path, text)
    }

    pub fn parse(path: &Path, text: String) -> Result<SourceFile, ConfigError> {
        let deserializer = toml::Deserializer::new(&text);
        match serde_path_to_error::deserialize::<_, FileConfig>(deserializer) {
            Ok(config) => Ok(SourceFile {
                path: path.to_owned(),
                text,
                config,
            }),
            Err(error) => {
                let key = key_path(error.path());
                let inner = error.into_inner();
                Err(ConfigError::File {
                    path: path.to_owned(),
                    key,
                    line: inner.span().map(|span| line_of(&text, span.start)),
                    message: reword(inner.message()),
                })
            }
        }
    }

    /// The 1-based line of a span's start.
    pub fn line(&self, span: &std::ops::Range<usize>) -> usize {
        line_of(&self.text, span.start)
    }
}

/// `limits.workers`, `buttons[0].env.FOO`; `None` for whole-file errors.
/// Drops the segments `Spanned` adds internally.
fn key_path(path: &serde_path_to_error::Path) -> Option<String> {
    let mut key = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Map { key: name } if name.starts_with("$__serde_spanned_private") => {}
            Segment::Map { key: name } | Segment::Enum { variant: name } => {
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(name);
            }
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Unknown => {}
        }
    }
    (!key.is_empty()).then_some(key)
}

/// serde's and toml's wording, in the file's terms, on one line.
fn reword(message: &str) -> String {
    let one_line = message
        .trim()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(": ");
    one_line
        .replace("unknown field", "unknown key")
        .replace("missing field", "missing key")
        .replace("expected i64", "expected an integer")
}

/// The whole file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub listen: Option<Spanned<String>>,
    pub data_dir: Option<Spanned<String>>,
    pub database_url: Option<Spanned<String>>,
    pub webhook_secret: Option<Spanned<String>>,
    pub http_allow: Option<Vec<Spanned<String>>>,
    pub shutdown_grace_secs: Option<Spanned<i64>>,
    pub lease_secs: Option<Spanned<i64>>,
    #[serde(default)]
    pub limits: LimitsFile,
    #[serde(default)]
    pub sandbox: SandboxFile,
    #[serde(default)]
    pub scenarios: ScenariosFile,
    #[serde(default)]
    pub packages: PackagesFile,
    #[serde(default)]
    pub network: NetworkFile,
    #[serde(default)]
    pub metrics: MetricsFile,
    #[serde(default)]
    pub runtimes: crate::runtimes::RuntimesFile,
    #[serde(default)]
    pub buttons: Vec<ButtonFile>,
    #[serde(default)]
    pub agents: Vec<AgentFile>,
}

/// `[limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LimitsFile {
    pub max_concurrent_per_user: Option<Spanned<i64>>,
    pub max_queue_length: Option<Spanned<i64>>,
    pub workers: Option<Spanned<i64>>,
    pub output_limit: Option<Spanned<i64>>,
    pub max_body_bytes: Option<Spanned<i64>>,
    pub max_connections: Option<Spanned<i64>>,
}

/// `[sandbox]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SandboxFile {
    pub memory_mb: Option<Spanned<i64>>,
    pub pids: Option<Spanned<i64>>,
    pub scratch_mb: Option<Spanned<i64>>,
    pub file_size_mb: Option<Spanned<i64>>,
    pub open_files: Option<Spanned<i64>>,
    pub uid_base: Option<Spanned<i64>>,
    pub python: Option<Spanned<String>>,
    pub idle_secs: Option<Spanned<i64>>,
}

/// `[scenarios]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenariosFile {
    pub min_interval_secs: Option<Spanned<i64>>,
}

/// `[packages]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackagesFile {
    pub enabled: Option<Spanned<bool>>,
    pub index_url: Option<Spanned<String>>,
    pub find_links: Option<Spanned<String>>,
    pub no_index: Option<Spanned<bool>>,
    pub allow_sdist: Option<Spanned<bool>>,
    pub install_timeout: Option<Spanned<i64>>,
    pub cache_mb: Option<Spanned<i64>>,
    pub installer: Option<Spanned<String>>,
    pub uv: Option<Spanned<String>>,
}

/// `[metrics]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsFile {
    pub token: Option<Spanned<String>>,
}

/// `[network]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NetworkFile {
    pub allow: Option<Vec<Spanned<String>>>,
}

/// An environment table (`env = { NAME = "value" }`), names kept spanned.
pub(crate) type EnvFile = BTreeMap<Spanned<String>, Spanned<String>>;

/// One `[[buttons]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ButtonFile {
    pub id: Spanned<String>,
    pub name: Spanned<String>,
    pub command: Spanned<String>,
    pub description: Option<String>,
    pub timeout: Option<Spanned<i64>>,
    pub icon: Option<String>,
    #[serde(default)]
    pub env: EnvFile,
    pub network: Option<Vec<Spanned<String>>>,
    pub schedule: Option<ScheduleFile>,
}

/// A button's `schedule = { cron = "…", timezone = "…" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScheduleFile {
    pub cron: Spanned<String>,
    pub timezone: Option<String>,
}

/// One `[[agents]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentFile {
    pub id: Option<Spanned<String>>,
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub runtime: Spanned<RuntimeName>,
    pub code: Option<Spanned<String>>,
    pub command: Option<Spanned<String>>,
    pub priority: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<i64>>,
    #[serde(default)]
    pub env: EnvFile,
    pub network: Option<Vec<Spanned<String>>>,
}

/// `runtime = "python" | "javascript" | "command"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RuntimeName {
    Python,
    JavaScript,
    Command,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(text: &str) -> String {
        match SourceFile::parse(Path::new("/etc/runbox.toml"), text.to_owned()) {
            Ok(_) => panic!("parsed: {text}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn empty_file_is_fine() {
        let file = SourceFile::parse(Path::new("x.toml"), String::new()).unwrap();
        assert!(file.config.listen.is_none() && file.config.buttons.is_empty());
    }

    #[test]
    fn syntax_error_has_line() {
        assert_eq!(
            parse_error("listen = \"127.0.0.1:1\"\n[limits\nworkers = 3\n"),
            "config file /etc/runbox.toml: invalid table header: expected `.`, `]` (line 2)"
        );
        assert_eq!(
            parse_error("a = 1\n\nlisten = \"unterminated\n"),
            "config file /etc/runbox.toml: invalid basic string (line 3)"
        );
    }

    #[test]
    fn unknown_keys_have_key_and_line() {
        assert_eq!(
            parse_error("[limits]\nworkers = 3\nworkerz = 4\n"),
            "config file /etc/runbox.toml: limits.workerz: unknown key `workerz`, expected one of \
             `max_concurrent_per_user`, `max_queue_length`, `workers`, `output_limit`, \
             `max_body_bytes`, `max_connections` (line 3)"
        );
        let top = parse_error("\n\nbogus = 1\n");
        assert!(
            top.starts_with("config file /etc/runbox.toml: bogus: unknown key `bogus`"),
            "{top}"
        );
        assert!(top.ends_with("(line 3)"), "{top}");
        let table = parse_error("[bogus]\nx = 1\n");
        assert!(
            table.contains("bogus: unknown key") && table.ends_with("(line 1)"),
            "{table}"
        );
        let button = parse_error(
            "[[buttons]]\nid = \"a\"\nname = \"A\"\ncommand = \"true\"\ncolour = \"red\"\n",
        );
        assert!(
            button.contains("buttons[0].colour: unknown key") && button.ends_with("(line 5)"),
            "{button}"
        );
    }

    #[test]
    fn type_errors_have_key_and_line() {
        assert_eq!(
            parse_error("[limits]\n\nworkers = \"four\"\n"),
            "config file /etc/runbox.toml: limits.workers: invalid type: string \"four\", \
             expected an integer (line 3)"
        );
        assert_eq!(
            parse_error("listen = 8080\n"),
            "config file /etc/runbox.toml: listen: invalid type: integer `8080`, expected a string (line 1)"
        );
        assert_eq!(
            parse_error("http_allow = [\"localhost\",\n  7]\n"),
            "config file /etc/runbox.toml: http_allow[1]: invalid type: integer `7`, expected a string (line 2)"
        );
    }

    #[test]
    fn missing_required_keys_have_table_line() {
        assert_eq!(
            parse_error(
                "listen = \"127.0.0.1:1\"\n\n[[buttons]]\nid = \"x\"\ncommand = \"true\"\n"
            ),
            "config file /etc/runbox.toml: buttons[0]: missing key `name` (line 3)"
        );
        let agent = parse_error("[[agents]]\nname = \"a\"\nruntime = \"java\"\n");
        assert!(
            agent.starts_with(
                "config file /etc/runbox.toml: agents[0].runtime: unknown variant `java`"
            ),
            "{agent}"
        );
        assert!(agent.ends_with("(line 3)"), "{agent}");
    }
}
