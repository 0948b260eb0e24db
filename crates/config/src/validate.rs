//! Merging and validation: overrides over the file over defaults, each value
//! checked where the sources meet so that a bad value is reported against
//! the source it came from (`RUNBOX_WORKERS: …` or
//! `config file …: limits.workers: … (line 7)`). Every problem is collected
//! before giving up, so one failed start lists them all.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use toml::Spanned;

use crate::file::{FileConfig, SourceFile};
use crate::settings::{Limits, SandboxSettings, Settings, DEFAULT_DATA_DIR, DEFAULT_LISTEN};
use crate::values::{HttpAllowEntry, InvalidValue, MetricsToken, WebhookSecret};
use crate::{catalog, vars, ConfigError, Overrides};

/// How `--database-url` is named in errors: it may come from the flag or
/// from its environment variable.
const DATABASE_URL_LABEL: &str = "--database-url / RUNBOX_DATABASE_URL";
const DATA_DIR_LABEL: &str = "--data-dir / RUNBOX_DATA_DIR";

/// Collects problems, each attributed to the file (with key and line) or to
/// an override.
pub(crate) struct Checker<'a> {
    file: Option<&'a SourceFile>,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    /// A bad value in the file at `span`.
    pub fn in_file(
        &mut self,
        key: impl Into<String>,
        span: &Range<usize>,
        message: impl Into<String>,
    ) {
        let (path, line) = match self.file {
            Some(file) => (file.path.clone(), Some(file.line(span))),
            None => (Path::new("?").to_owned(), None),
        };
        self.errors.push(ConfigError::File {
            path,
            key: Some(key.into()),
            line,
            message: message.into(),
        });
    }

    /// A bad value in the file whose span serde could not keep: the line
    /// is that of the first occurrence of `near` (a table's header, say).
    pub fn in_file_near(&mut self, key: impl Into<String>, near: &str, message: impl Into<String>) {
        let start = self.file.and_then(|file| file.text.find(near)).unwrap_or(0);
        self.in_file(key, &(start..start + near.len()), message);
    }

    /// The line a file value is on (0 when there is no file, which cannot
    /// happen for a value read from it).
    pub fn line<T>(&self, value: &Spanned<T>) -> usize {
        self.file.map_or(0, |file| file.line(&value.span()))
    }

    /// A bad value given by a flag or environment variable named `name`.
    fn in_override(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(ConfigError::Override {
            name: name.to_owned(),
            message: message.into(),
        });
    }

    /// Parses a file string; on failure records the problem and returns `None`.
    pub fn parse_in_file<T>(
        &mut self,
        key: impl Into<String>,
        value: &Spanned<String>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(value.get_ref()) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.in_file(key, &value.span(), message);
                None
            }
        }
    }

    /// A whole number within bounds from the file; `None` (and a recorded
    /// problem) when out of bounds.
    pub fn number_in_file(
        &mut self,
        key: impl Into<String>,
        value: &Spanned<i64>,
        (min, max): (i128, i128),
    ) -> Option<i128> {
        let got = i128::from(*value.get_ref());
        if (min..=max).contains(&got) {
            Some(got)
        } else {
            self.in_file(key, &value.span(), range_message(min, max, got));
            None
        }
    }

    /// Resolves one numeric setting: override, else file, else default.
    /// Falls back to the default after recording a problem, so that later
    /// checks that depend on it still run.
    fn number(
        &mut self,
        bound: &Bound,
        overridden: Option<i128>,
        file: Option<&Spanned<i64>>,
        default: i128,
    ) -> i128 {
        let range = (bound.min, bound.max);
        if let Some(got) = overridden {
            if (bound.min..=bound.max).contains(&got) {
                return got;
            }
            self.in_override(bound.var, range_message(bound.min, bound.max, got));
            return default;
        }
        match file {
            Some(value) => self
                .number_in_file(bound.key, value, range)
                .unwrap_or(default),
            None => default,
        }
    }

    fn number_u32(
        &mut self,
        bound: Bound,
        overridden: Option<u32>,
        file: Option<&Spanned<i64>>,
        default: u32,
    ) -> u32 {
        let value = self.number(
            &bound,
            overridden.map(i128::from),
            file,
            i128::from(default),
        );
        u32::try_from(value).unwrap_or(default)
    }

    pub(crate) fn number_u64(
        &mut self,
        bound: Bound,
        overridden: Option<u64>,
        file: Option<&Spanned<i64>>,
        default: u64,
    ) -> u64 {
        let value = self.number(
            &bound,
            overridden.map(i128::from),
            file,
            i128::from(default),
        );
        u64::try_from(value).unwrap_or(default)
    }
}

/// One numeric setting: its file key, its variable and its inclusive bounds.
pub(crate) struct Bound {
    key: &'static str,
    var: &'static str,
    min: i128,
    max: i128,
}

const U32_MAX: i128 = u32::MAX as i128;
const U64_MAX: i128 = u64::MAX as i128;

pub(crate) const fn bound(key: &'static str, var: &'static str, min: i128, max: i128) -> Bound {
    Bound { key, var, min, max }
}

/// "must be between 1 and 1024, got 0"; a bound that is only the type's
/// limit is not worth mentioning.
pub(crate) fn range_message(min: i128, max: i128, got: i128) -> String {
    let open_ended = max == U32_MAX || max == U64_MAX;
    match (open_ended, got < min) {
        (true, true) => format!("must be at least {min}, got {got}"),
        (true, false) => format!("must be at most {max}, got {got}"),
        (false, _) => format!("must be between {min} and {max}, got {got}"),
    }
}

/// Builds validated [`Settings`] from overrides and the parsed file.
pub(crate) fn resolve(
    mut overrides: Overrides,
    file: Option<&SourceFile>,
) -> Result<Settings, ConfigError> {
    let no_file = FileConfig::default();
    let f = file.map_or(&no_file, |source| &source.config);
    let mut check = Checker {
        file,
        errors: Vec::new(),
    };

    let listen = match (overrides.listen, &f.listen) {
        (Some(listen), _) => listen,
        (None, Some(value)) => check
            .parse_in_file("listen", value, crate::values::parse_listen)
            .unwrap_or(DEFAULT_LISTEN),
        (None, None) => DEFAULT_LISTEN,
    };

    let data_dir = match (overrides.data_dir.take(), &f.data_dir) {
        (Some(dir), _) => dir,
        (None, Some(value)) => check
            .parse_in_file("data_dir", value, |text| {
                if text.trim().is_empty() {
                    Err("must not be empty".to_owned())
                } else {
                    Ok(text.into())
                }
            })
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        (None, None) => DEFAULT_DATA_DIR.into(),
    };

    let database_url = match (overrides.database_url.take(), &f.database_url) {
        (Some(url), _) => {
            if let Err(message) = check_database_url(&url) {
                check.in_override(DATABASE_URL_LABEL, message);
            }
            url
        }
        (None, Some(value)) => {
            check.parse_in_file("database_url", value, check_database_url);
            value.get_ref().clone()
        }
        (None, None) => match data_dir.join("runbox.db").to_str() {
            Some(path) => format!("sqlite://{path}"),
            None => {
                check.in_override(
                    DATA_DIR_LABEL,
                    "is not valid UTF-8, so no default database URL can be built from it; \
                     set the database URL explicitly",
                );
                String::new()
            }
        },
    };

    let webhook_secret = match (overrides.webhook_secret.take(), &f.webhook_secret) {
        (Some(secret), _) => Some(secret),
        (None, Some(value)) => {
            check.parse_in_file("webhook_secret", value, from_str::<WebhookSecret>)
        }
        (None, None) => None,
    };

    let metrics_token = match (overrides.metrics_token.take(), &f.metrics.token) {
        (Some(token), _) => Some(token),
        (None, Some(value)) => {
            check.parse_in_file("metrics.token", value, from_str::<MetricsToken>)
        }
        (None, None) => None,
    };

    let http_allow = match (overrides.http_allow.take(), &f.http_allow) {
        (Some(list), _) => list,
        (None, Some(entries)) => entries
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                check.parse_in_file(
                    format!("http_allow[{i}]"),
                    entry,
                    from_str::<HttpAllowEntry>,
                )
            })
            .collect(),
        (None, None) => Vec::new(),
    };

    let limits = resolve_limits(&mut check, &overrides, f);
    let sandbox = resolve_sandbox(&mut check, &overrides, f, limits.workers);

    let shutdown_grace_secs = check.number_u64(
        bound("shutdown_grace_secs", vars::SHUTDOWN_GRACE_SECS, 0, 3600),
        overrides.shutdown_grace_secs,
        f.shutdown_grace_secs.as_ref(),
        10,
    );
    let lease_secs = check.number_u64(
        bound("lease_secs", vars::LEASE_SECS, 2, 3600),
        overrides.lease_secs,
        f.lease_secs.as_ref(),
        30,
    );
    let scenario_min_interval_secs = check.number_u32(
        bound(
            "scenarios.min_interval_secs",
            vars::SCENARIO_MIN_INTERVAL_SECS,
            1,
            86_400,
        ),
        overrides.scenario_min_interval_secs,
        f.scenarios.min_interval_secs.as_ref(),
        1,
    );

    let packages = crate::packages::resolve_packages(&mut check, &overrides, &f.packages);
    let network = crate::packages::resolve_network(&mut check, &overrides, &f.network);
    let runtimes = crate::runtimes::resolve_runtimes(&mut check, &f.runtimes);
    let buttons = catalog::buttons(&mut check, &f.buttons, &network.allow);
    let agents = catalog::agents(&mut check, &f.agents, &network.allow);

    ConfigError::from_all(check.errors)?;
    Ok(Settings {
        listen,
        data_dir,
        database_url,
        config_file: file.map(|source| source.path.clone()),
        api_key: overrides.api_key.take(),
        secrets_key: overrides.secrets_key.take(),
        http_allow,
        webhook_secret,
        metrics_token,
        limits,
        sandbox,
        shutdown_grace: Duration::from_secs(shutdown_grace_secs),
        lease: Duration::from_secs(lease_secs),
        scenario_min_interval_secs,
        node_workers: overrides.node_workers.unwrap_or(true),
        packages,
        network,
        runtimes,
        buttons,
        agents,
    })
}

fn resolve_limits(check: &mut Checker<'_>, o: &Overrides, f: &FileConfig) -> Limits {
    let d = Limits::default();
    let l = &f.limits;
    Limits {
        max_concurrent_per_user: check.number_u32(
            bound(
                "limits.max_concurrent_per_user",
                vars::MAX_CONCURRENT_PER_USER,
                1,
                U32_MAX,
            ),
            o.max_concurrent_per_user,
            l.max_concurrent_per_user.as_ref(),
            d.max_concurrent_per_user,
        ),
        max_queue_length: check.number_u32(
            bound(
                "limits.max_queue_length",
                vars::MAX_QUEUE_LENGTH,
                0,
                U32_MAX,
            ),
            o.max_queue_length,
            l.max_queue_length.as_ref(),
            d.max_queue_length,
        ),
        workers: check.number_u32(
            bound("limits.workers", vars::WORKERS, 1, 1024),
            o.workers,
            l.workers.as_ref(),
            d.workers,
        ),
        output_limit: check.number_u64(
            bound("limits.output_limit", vars::OUTPUT_LIMIT, 1, U64_MAX),
            o.output_limit,
            l.output_limit.as_ref(),
            d.output_limit,
        ),
        max_body_bytes: check.number_u64(
            bound("limits.max_body_bytes", vars::MAX_BODY_BYTES, 1, U64_MAX),
            o.max_body_bytes,
            l.max_body_bytes.as_ref(),
            d.max_body_bytes,
        ),
        max_connections: check.number_u32(
            bound(
                "limits.max_connections",
                vars::MAX_CONNECTIONS,
                1,
                1_000_000,
            ),
            o.max_connections,
            l.max_connections.as_ref(),
            d.max_connections,
        ),
    }
}

fn resolve_sandbox(
    check: &mut Checker<'_>,
    o: &Overrides,
    f: &FileConfig,
    workers: u32,
) -> SandboxSettings {
    let d = SandboxSettings::default();
    let s = &f.sandbox;
    let scratch_mb = check.number_u32(
        bound("sandbox.scratch_mb", vars::SANDBOX_SCRATCH_MB, 1, 65_536),
        o.sandbox_scratch_mb,
        s.scratch_mb.as_ref(),
        d.scratch_mb,
    );
    // Room for 2 uids per worker slot, plus 2 spare, below u32::MAX (which
    // is "no uid" to the kernel).
    let uid_max = U32_MAX - 2 * i128::from(workers) - 2;
    SandboxSettings {
        memory_mb: check.number_u32(
            bound("sandbox.memory_mb", vars::SANDBOX_MEMORY_MB, 16, 65_536),
            o.sandbox_memory_mb,
            s.memory_mb.as_ref(),
            d.memory_mb,
        ),
        pids: check.number_u32(
            bound("sandbox.pids", vars::SANDBOX_PIDS, 4, 65_536),
            o.sandbox_pids,
            s.pids.as_ref(),
            d.pids,
        ),
        scratch_mb,
        file_size_mb: check.number_u32(
            bound(
                "sandbox.file_size_mb",
                vars::SANDBOX_FILE_SIZE_MB,
                1,
                65_536,
            ),
            o.sandbox_file_size_mb,
            s.file_size_mb.as_ref(),
            scratch_mb,
        ),
        open_files: check.number_u32(
            bound("sandbox.open_files", vars::SANDBOX_OPEN_FILES, 16, 65_536),
            o.sandbox_open_files,
            s.open_files.as_ref(),
            d.open_files,
        ),
        uid_base: check.number_u32(
            bound("sandbox.uid_base", vars::SANDBOX_UID_BASE, 1000, uid_max),
            o.sandbox_uid_base,
            s.uid_base.as_ref(),
            d.uid_base,
        ),
        python: resolve_python(check, o, s, d.python),
        idle_secs: check.number_u32(
            bound("sandbox.idle_secs", vars::SANDBOX_IDLE_SECS, 1, 86_400),
            o.sandbox_idle_secs,
            s.idle_secs.as_ref(),
            d.idle_secs,
        ),
    }
}

/// The interpreter path must be absolute: it is resolved inside the
/// sandbox, where the server's working directory does not exist.
fn resolve_python(
    check: &mut Checker<'_>,
    o: &Overrides,
    s: &crate::file::SandboxFile,
    default: PathBuf,
) -> PathBuf {
    let absolute = |text: &str| {
        if text.starts_with('/') {
            Ok(PathBuf::from(text))
        } else {
            Err(format!("must be an absolute path, got {text:?}"))
        }
    };
    if let Some(path) = &o.sandbox_python {
        return match absolute(&path.to_string_lossy()) {
            Ok(path) => path,
            Err(message) => {
                check.in_override(vars::SANDBOX_PYTHON, message);
                default
            }
        };
    }
    match &s.python {
        Some(value) => check
            .parse_in_file("sandbox.python", value, absolute)
            .unwrap_or(default),
        None => default,
    }
}

/// The schemes runbox's store speaks. Only the scheme is ever quoted back:
/// the rest of a URL may hold a password.
fn check_database_url(url: &str) -> Result<(), String> {
    const EXPECTED: &str = "must start with sqlite://, postgres:// or postgresql://";
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(EXPECTED.to_owned());
    };
    if !matches!(scheme, "sqlite" | "postgres" | "postgresql") {
        return Err(format!("{EXPECTED}, got scheme {scheme:?}"));
    }
    if rest.trim().is_empty() {
        return Err("names no database".to_owned());
    }
    Ok(())
}

fn from_str<T: FromStr<Err = InvalidValue>>(text: &str) -> Result<T, String> {
    text.parse().map_err(|InvalidValue(message)| message)
}
