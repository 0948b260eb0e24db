//! [`Overrides`]: the values given on the command line and in `RUNBOX_*`
//! environment variables, which win over the configuration file.
//!
//! The binary fills the flag-backed fields with clap (whose `env = …`
//! attribute reads [`vars::CONFIG`], [`vars::LISTEN`], [`vars::DATA_DIR`] and
//! [`vars::DATABASE_URL`]); [`Overrides::from_env`] reads every other
//! variable. Values are parsed here (so an error names the variable) but
//! range-checked in [`load`](crate::load), where all sources meet.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use runbox_domain::Destination;

use crate::packages::{check_find_links, check_index_url, PackageOverrides};
use crate::values::{
    ApiKey, HttpAllowEntry, InvalidValue, MetricsToken, SecretsKeyText, WebhookSecret,
};
use crate::{vars, ConfigError};

/// Settings given by flags or environment variables. `None` means "not
/// given here": the file's value, or the default, applies.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// `--config` / `RUNBOX_CONFIG`: the TOML file to read, if any.
    pub config: Option<PathBuf>,
    /// `--listen` / `RUNBOX_LISTEN`.
    pub listen: Option<SocketAddr>,
    /// `--data-dir` / `RUNBOX_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--database-url` / `RUNBOX_DATABASE_URL`; its scheme is checked by `load`.
    pub database_url: Option<String>,
    /// `Some(false)` for `serve --no-workers`.
    pub node_workers: Option<bool>,
    /// `RUNBOX_API_KEY`.
    pub api_key: Option<ApiKey>,
    /// `RUNBOX_HTTP_ALLOW`; replaces the file's list rather than adding to it.
    pub http_allow: Option<Vec<HttpAllowEntry>>,
    /// `RUNBOX_WEBHOOK_SECRET`.
    pub webhook_secret: Option<WebhookSecret>,
    /// `RUNBOX_SECRETS_KEY`.
    pub secrets_key: Option<SecretsKeyText>,
    /// `RUNBOX_METRICS_TOKEN`.
    pub metrics_token: Option<MetricsToken>,
    /// `RUNBOX_MAX_CONCURRENT_PER_USER`.
    pub max_concurrent_per_user: Option<u32>,
    /// `RUNBOX_MAX_QUEUE_LENGTH`.
    pub max_queue_length: Option<u32>,
    /// `RUNBOX_WORKERS`.
    pub workers: Option<u32>,
    /// `RUNBOX_OUTPUT_LIMIT`, bytes.
    pub output_limit: Option<u64>,
    /// `RUNBOX_MAX_BODY_BYTES`.
    pub max_body_bytes: Option<u64>,
    /// `RUNBOX_MAX_CONNECTIONS`.
    pub max_connections: Option<u32>,
    /// `RUNBOX_SANDBOX_MEMORY_MB`.
    pub sandbox_memory_mb: Option<u32>,
    /// `RUNBOX_SANDBOX_PIDS`.
    pub sandbox_pids: Option<u32>,
    /// `RUNBOX_SANDBOX_SCRATCH_MB`.
    pub sandbox_scratch_mb: Option<u32>,
    /// `RUNBOX_SANDBOX_FILE_SIZE_MB`.
    pub sandbox_file_size_mb: Option<u32>,
    /// `RUNBOX_SANDBOX_OPEN_FILES`.
    pub sandbox_open_files: Option<u32>,
    /// `RUNBOX_SANDBOX_IDLE_SECS`.
    pub sandbox_idle_secs: Option<u32>,
    /// `RUNBOX_SANDBOX_UID_BASE`.
    pub sandbox_uid_base: Option<u32>,
    /// `RUNBOX_SANDBOX_PYTHON`.
    pub sandbox_python: Option<PathBuf>,
    /// `RUNBOX_SHUTDOWN_GRACE_SECS`.
    pub shutdown_grace_secs: Option<u64>,
    /// `RUNBOX_LEASE_SECS`.
    pub lease_secs: Option<u64>,
    /// `RUNBOX_SCENARIO_MIN_INTERVAL_SECS`.
    pub scenario_min_interval_secs: Option<u32>,
    /// `RUNBOX_PACKAGES_*` and the installers' index variables.
    pub packages: PackageOverrides,
    /// `RUNBOX_NETWORK_ALLOW`; replaces the file's list.
    pub network_allow: Option<Vec<Destination>>,
}

impl Overrides {
    /// Reads the environment-only `RUNBOX_*` variables from the process
    /// environment (not the four flag-backed ones, which clap reads).
    pub fn from_env() -> Result<Overrides, ConfigError> {
        let mut pairs = Vec::new();
        let mut errors = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str().filter(|n| {
                n.starts_with("RUNBOX_")
                    || vars::INSTALLER_INDEX_URL.contains(n)
                    || vars::INSTALLER_FIND_LINKS.contains(n)
            }) else {
                continue;
            };
            match value.into_string() {
                Ok(value) => pairs.push((name.to_owned(), value)),
                Err(_) => errors.push(not_unicode(name)),
            }
        }
        ConfigError::from_all(errors)?;
        Self::from_vars(pairs)
    }

    /// Like [`from_env`](Self::from_env), from explicit `(name, value)`
    /// pairs. Unrelated names are ignored; an empty value counts as unset
    /// (as `KEY=` in an env file usually means "no value"). Every bad
    /// variable is reported, not only the first.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Overrides, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut reader = Reader::default();
        for (name, value) in vars {
            reader.read(name.as_ref(), value.as_ref());
        }
        ConfigError::from_all(reader.errors)?;
        Ok(reader.overrides)
    }

    /// Combines two sets of overrides: a field set in `self` wins over the
    /// same field in `lower` (`flags.or(Overrides::from_env()?)`).
    pub fn or(self, lower: Overrides) -> Overrides {
        Overrides {
            config: self.config.or(lower.config),
            listen: self.listen.or(lower.listen),
            data_dir: self.data_dir.or(lower.data_dir),
            database_url: self.database_url.or(lower.database_url),
            node_workers: self.node_workers.or(lower.node_workers),
            api_key: self.api_key.or(lower.api_key),
            http_allow: self.http_allow.or(lower.http_allow),
            webhook_secret: self.webhook_secret.or(lower.webhook_secret),
            metrics_token: self.metrics_token.or(lower.metrics_token),
            secrets_key: self.secrets_key.or(lower.secrets_key),
            max_concurrent_per_user: self
                .max_concurrent_per_user
                .or(lower.max_concurrent_per_user),
            max_queue_length: self.max_queue_length.or(lower.max_queue_length),
            workers: self.workers.or(lower.workers),
            output_limit: self.output_limit.or(lower.output_limit),
            max_body_bytes: self.max_body_bytes.or(lower.max_body_bytes),
            max_connections: self.max_connections.or(lower.max_connections),
            sandbox_memory_mb: self.sandbox_memory_mb.or(lower.sandbox_memory_mb),
            sandbox_pids: self.sandbox_pids.or(lower.sandbox_pids),
            sandbox_scratch_mb: self.sandbox_scratch_mb.or(lower.sandbox_scratch_mb),
            sandbox_file_size_mb: self.sandbox_file_size_mb.or(lower.sandbox_file_size_mb),
            sandbox_open_files: self.sandbox_open_files.or(lower.sandbox_open_files),
            sandbox_uid_base: self.sandbox_uid_base.or(lower.sandbox_uid_base),
            sandbox_idle_secs: self.sandbox_idle_secs.or(lower.sandbox_idle_secs),
            sandbox_python: self.sandbox_python.or(lower.sandbox_python),
            shutdown_grace_secs: self.shutdown_grace_secs.or(lower.shutdown_grace_secs),
            lease_secs: self.lease_secs.or(lower.lease_secs),
            scenario_min_interval_secs: self
                .scenario_min_interval_secs
                .or(lower.scenario_min_interval_secs),
            packages: self.packages.or(lower.packages),
            network_allow: self.network_allow.or(lower.network_allow),
        }
    }
}

/// Accumulates parsed values and every error met on the way.
#[derive(Default)]
struct Reader {
    overrides: Overrides,
    errors: Vec<ConfigError>,
}

impl Reader {
    fn read(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let o = &mut self.overrides;
        let slot_error = match name {
            vars::API_KEY => set(&mut o.api_key, parse_value(value)),
            vars::HTTP_ALLOW => set(&mut o.http_allow, HttpAllowEntry::parse_list(value)),
            vars::WEBHOOK_SECRET => set(&mut o.webhook_secret, parse_value::<WebhookSecret>(value)),
            vars::METRICS_TOKEN => set(&mut o.metrics_token, parse_value::<MetricsToken>(value)),
            vars::SECRETS_KEY => set(&mut o.secrets_key, parse_value::<SecretsKeyText>(value)),
            vars::MAX_CONCURRENT_PER_USER => set(&mut o.max_concurrent_per_user, number(value)),
            vars::MAX_QUEUE_LENGTH => set(&mut o.max_queue_length, number(value)),
            vars::WORKERS => set(&mut o.workers, number(value)),
            vars::OUTPUT_LIMIT => set(&mut o.output_limit, number(value)),
            vars::MAX_BODY_BYTES => set(&mut o.max_body_bytes, number(value)),
            vars::MAX_CONNECTIONS => set(&mut o.max_connections, number(value)),
            vars::SANDBOX_MEMORY_MB => set(&mut o.sandbox_memory_mb, number(value)),
            vars::SANDBOX_PIDS => set(&mut o.sandbox_pids, number(value)),
            vars::SANDBOX_SCRATCH_MB => set(&mut o.sandbox_scratch_mb, number(value)),
            vars::SANDBOX_FILE_SIZE_MB => set(&mut o.sandbox_file_size_mb, number(value)),
            vars::SANDBOX_OPEN_FILES => set(&mut o.sandbox_open_files, number(value)),
            vars::SANDBOX_UID_BASE => set(&mut o.sandbox_uid_base, number(value)),
            vars::SANDBOX_IDLE_SECS => set(&mut o.sandbox_idle_secs, number(value)),
            vars::SANDBOX_PYTHON => set(&mut o.sandbox_python, Ok(PathBuf::from(value))),
            vars::SHUTDOWN_GRACE_SECS => set(&mut o.shutdown_grace_secs, number(value)),
            vars::LEASE_SECS => set(&mut o.lease_secs, number(value)),
            vars::SCENARIO_MIN_INTERVAL_SECS => {
                set(&mut o.scenario_min_interval_secs, number(value))
            }
            vars::PACKAGES_ENABLED => set(&mut o.packages.enabled, boolean(value)),
            vars::PACKAGES_INDEX_URL => set(
                &mut o.packages.index_url,
                check_index_url(value).map_err(InvalidValue),
            ),
            vars::PACKAGES_FIND_LINKS => set(
                &mut o.packages.find_links,
                check_find_links(value).map_err(InvalidValue),
            ),
            vars::PACKAGES_NO_INDEX => set(&mut o.packages.no_index, boolean(value)),
            vars::PACKAGES_ALLOW_SDIST => set(&mut o.packages.allow_sdist, boolean(value)),
            vars::PACKAGES_INSTALL_TIMEOUT => set(&mut o.packages.install_timeout, number(value)),
            vars::PACKAGES_CACHE_MB => set(&mut o.packages.cache_mb, number(value)),
            vars::PACKAGES_INSTALLER => set(
                &mut o.packages.installer,
                value.parse().map_err(InvalidValue),
            ),
            vars::PACKAGES_UV => set(&mut o.packages.uv, absolute_path(value)),
            vars::NETWORK_ALLOW => set(&mut o.network_allow, destinations(value)),
            // The installers' own variables: the first one found wins.
            name if vars::INSTALLER_INDEX_URL.contains(&name) => {
                let slot = &mut o.packages.installer_index_url;
                if slot.is_none() || name == vars::INSTALLER_INDEX_URL[0] {
                    *slot = Some(value.trim().to_owned());
                }
                None
            }
            name if vars::INSTALLER_FIND_LINKS.contains(&name) => {
                let slot = &mut o.packages.installer_find_links;
                if slot.is_none() || name == vars::INSTALLER_FIND_LINKS[0] {
                    *slot = Some(value.trim().to_owned());
                }
                None
            }
            _ => None,
        };
        if let Some(InvalidValue(message)) = slot_error {
            self.errors.push(ConfigError::Override {
                name: name.to_owned(),
                message,
            });
        }
    }
}

/// Stores a parsed value, or hands back why it could not be parsed.
fn set<T>(slot: &mut Option<T>, parsed: Result<T, InvalidValue>) -> Option<InvalidValue> {
    match parsed {
        Ok(value) => {
            *slot = Some(value);
            None
        }
        Err(error) => Some(error),
    }
}

fn parse_value<T: FromStr<Err = InvalidValue>>(value: &str) -> Result<T, InvalidValue> {
    value.parse()
}

/// A non-negative integer; surrounding blanks are tolerated. Bounds are
/// checked later, with the file's and the defaults' values.
fn number<T: FromStr>(value: &str) -> Result<T, InvalidValue> {
    value
        .trim()
        .parse()
        .map_err(|_| InvalidValue(format!("expected a positive integer, got {value:?}")))
}

/// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
fn boolean(value: &str) -> Result<bool, InvalidValue> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(InvalidValue(format!(
            "expected true or false, got {value:?}"
        ))),
    }
}

fn absolute_path(value: &str) -> Result<PathBuf, InvalidValue> {
    if value.starts_with('/') {
        Ok(PathBuf::from(value))
    } else {
        Err(InvalidValue(format!(
            "must be an absolute path, got {value:?}"
        )))
    }
}

/// A comma-separated list of destinations; blanks are ignored.
fn destinations(value: &str) -> Result<Vec<Destination>, InvalidValue> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse()
                .map_err(|e: runbox_domain::InvalidDestination| InvalidValue(e.to_string()))
        })
        .collect()
}

fn not_unicode(name: &str) -> ConfigError {
    ConfigError::Override {
        name: name.to_owned(),
        message: "is not valid UTF-8".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_env_only_variable() {
        let overrides = Overrides::from_vars([
            ("RUNBOX_API_KEY", "0123456789abcdef"),
            ("RUNBOX_HTTP_ALLOW", "10.0.0.0/8,localhost"),
            ("RUNBOX_WEBHOOK_SECRET", "whsec_aGVsbG8="),
            ("RUNBOX_MAX_CONCURRENT_PER_USER", "2"),
            ("RUNBOX_MAX_QUEUE_LENGTH", "3"),
            ("RUNBOX_WORKERS", " 4 "),
            ("RUNBOX_OUTPUT_LIMIT", "5000"),
            ("RUNBOX_MAX_BODY_BYTES", "6000"),
            ("RUNBOX_SANDBOX_MEMORY_MB", "512"),
            ("RUNBOX_SANDBOX_PIDS", "100"),
            ("RUNBOX_SANDBOX_SCRATCH_MB", "32"),
            ("RUNBOX_SANDBOX_FILE_SIZE_MB", "16"),
            ("RUNBOX_SANDBOX_OPEN_FILES", "128"),
            ("RUNBOX_SANDBOX_UID_BASE", "200000"),
            ("RUNBOX_SHUTDOWN_GRACE_SECS", "30"),
            ("RUNBOX_SCENARIO_MIN_INTERVAL_SECS", "5"),
            ("PATH", "/usr/bin"),
        ])
        .unwrap();
        assert_eq!(
            overrides.api_key.as_ref().map(ApiKey::expose),
            Some("0123456789abcdef")
        );
        assert_eq!(overrides.http_allow.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            overrides.webhook_secret.as_ref().map(|s| s.key().to_vec()),
            Some(b"hello".to_vec())
        );
        assert_eq!(overrides.max_concurrent_per_user, Some(2));
        assert_eq!(overrides.max_queue_length, Some(3));
        assert_eq!(overrides.workers, Some(4));
        assert_eq!(overrides.output_limit, Some(5000));
        assert_eq!(overrides.max_body_bytes, Some(6000));
        assert_eq!(overrides.sandbox_memory_mb, Some(512));
        assert_eq!(overrides.sandbox_pids, Some(100));
        assert_eq!(overrides.sandbox_scratch_mb, Some(32));
        assert_eq!(overrides.sandbox_file_size_mb, Some(16));
        assert_eq!(overrides.sandbox_open_files, Some(128));
        assert_eq!(overrides.sandbox_uid_base, Some(200000));
        assert_eq!(overrides.shutdown_grace_secs, Some(30));
        assert_eq!(overrides.scenario_min_interval_secs, Some(5));
    }

    #[test]
    fn flag_backed_variables_are_left_to_clap() {
        let overrides = Overrides::from_vars([
            ("RUNBOX_LISTEN", "0.0.0.0:1"),
            ("RUNBOX_DATA_DIR", "/x"),
            ("RUNBOX_DATABASE_URL", "postgres://db/x"),
            ("RUNBOX_CONFIG", "/etc/runbox.toml"),
        ])
        .unwrap();
        assert_eq!(overrides, Overrides::default());
    }

    #[test]
    fn empty_means_unset() {
        let overrides =
            Overrides::from_vars([("RUNBOX_API_KEY", ""), ("RUNBOX_WORKERS", "")]).unwrap();
        assert_eq!(overrides, Overrides::default());
    }

    #[test]
    fn errors_name_the_variable() {
        let error = Overrides::from_vars([("RUNBOX_WORKERS", "abc")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"RUNBOX_WORKERS: expected a positive integer, got "abc""#
        );
        let error = Overrides::from_vars([("RUNBOX_OUTPUT_LIMIT", "-1")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"RUNBOX_OUTPUT_LIMIT: expected a positive integer, got "-1""#
        );
        let error =
            Overrides::from_vars([("RUNBOX_HTTP_ALLOW", "localhost,not a host")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"RUNBOX_HTTP_ALLOW: invalid entry "not a host": not an IP address, a CIDR block or a host name"#
        );
    }

    #[test]
    fn secrets_are_not_echoed() {
        let error = Overrides::from_vars([
            ("RUNBOX_API_KEY", "has a space inside it"),
            ("RUNBOX_WEBHOOK_SECRET", "hunter2hunter2"),
        ])
        .unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("RUNBOX_API_KEY: "), "{text}");
        assert!(
            text.contains("\nRUNBOX_WEBHOOK_SECRET: must be `whsec_`"),
            "{text}"
        );
        assert!(
            !text.contains("space inside") && !text.contains("hunter2"),
            "{text}"
        );
        assert_eq!(error.problems().len(), 2);
    }

    #[test]
    fn or_prefers_the_higher_source() {
        let flags = Overrides {
            workers: Some(2),
            ..Overrides::default()
        };
        let env = Overrides {
            workers: Some(3),
            max_queue_length: Some(9),
            ..Overrides::default()
        };
        let merged = flags.or(env);
        assert_eq!(merged.workers, Some(2));
        assert_eq!(merged.max_queue_length, Some(9));
    }
}
