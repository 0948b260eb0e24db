//! runbox's configuration: one typed, validated [`Settings`] value, loaded
//! once at start-up and passed down. Nothing else in runbox reads
//! `RUNBOX_*` environment variables or the configuration file.
//!
//! Precedence, highest first: command-line flags, `RUNBOX_*` environment
//! variables, the TOML file named by `--config` / `RUNBOX_CONFIG`, defaults.
//! The binary parses the flag-backed values with clap (using the names in
//! [`vars`] for clap's `env = …`), reads the others with
//! [`Overrides::from_env`], and calls [`load`]:
//!
//! ```no_run
//! use runbox_config::{load, Overrides};
//! # fn main() -> Result<(), runbox_config::ConfigError> {
//! // In the binary, clap fills these from `--listen` / `RUNBOX_LISTEN` etc.
//! let flags = Overrides { listen: "0.0.0.0:8080".parse().ok(), ..Overrides::default() };
//! let settings = load(flags.or(Overrides::from_env()?))?;
//! println!("workers: {}", settings.limits.workers);
//! # Ok(()) }
//! ```
//!
//! An invalid value stops start-up with a [`ConfigError`] naming its source:
//! `RUNBOX_WORKERS: expected a positive integer, got "abc"`, or
//! `config file /etc/runbox.toml: limits.workers: must be between 1 and 1024, got 0 (line 7)`.
//!
//! Layout:
//! - `settings`: the public [`Settings`] types and defaults;
//! - `values`: validated newtypes ([`ApiKey`], [`WebhookSecret`], [`HttpAllowEntry`]);
//! - `env`: [`Overrides`], and reading the environment;
//! - [`vars`]: the names of all `RUNBOX_*` variables;
//! - `file`: the TOML file's shape and parsing, with line numbers;
//! - `validate`: merging the sources and checking values;
//! - `packages`: `[packages]` and `[network]`;
//! - `catalog`: checking the file's `[[buttons]]` and `[[agents]]`;
//! - `error`: [`ConfigError`].

mod catalog;
mod env;
mod error;
mod file;
mod packages;
mod runtimes;
mod settings;
mod validate;
mod values;
pub mod vars;

#[cfg(test)]
mod tests;

pub use env::Overrides;
pub use error::ConfigError;
pub use packages::{InstallerChoice, NetworkSettings, PackageSettings, DEFAULT_INDEX_URL};
pub use runtimes::{check_name as check_runtime_name, CustomRuntime, RuntimeSettings};
pub use settings::{
    AgentConfig, ButtonConfig, DatabaseKind, Limits, SandboxSettings, Settings,
    AGENT_TIMEOUT_DEFAULT_SECS, AGENT_TIMEOUT_MAX_SECS, BUTTON_TIMEOUT_MAX_SECS, DEFAULT_DATA_DIR,
    DEFAULT_LISTEN, DEFAULT_SHUTDOWN_GRACE,
};
pub use values::{
    parse_listen, ApiKey, HttpAllowEntry, InvalidValue, MetricsToken, SecretsKeyText, WebhookSecret,
};

/// Reads the file named by `overrides.config` (if any), merges it under the
/// overrides and over the defaults, and validates the result.
pub fn load(overrides: Overrides) -> Result<Settings, ConfigError> {
    let file = match &overrides.config {
        Some(path) => Some(file::SourceFile::read(path)?),
        None => None,
    };
    validate::resolve(overrides, file.as_ref())
}
