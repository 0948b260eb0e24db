//! The names of every `RUNBOX_*` environment variable runbox reads, in one
//! place. The binary passes the first four to clap's `env = …` attribute
//! (they double as flags); [`Overrides::from_env`](crate::Overrides::from_env)
//! reads the rest. No other code reads the environment.

/// `--config FILE`: the optional TOML configuration file.
pub const CONFIG: &str = "RUNBOX_CONFIG";
/// `--listen ADDR`: the HTTP listen address.
pub const LISTEN: &str = "RUNBOX_LISTEN";
/// `--data-dir DIR`: database and scratch space.
pub const DATA_DIR: &str = "RUNBOX_DATA_DIR";
/// `--database-url URL`: `sqlite://…` or `postgres://…`.
pub const DATABASE_URL: &str = "RUNBOX_DATABASE_URL";

/// The admin API key ensured at start-up.
pub const API_KEY: &str = "RUNBOX_API_KEY";
/// Comma-separated hosts and CIDRs outbound HTTP may reach although private.
pub const HTTP_ALLOW: &str = "RUNBOX_HTTP_ALLOW";
/// `whsec_…` key signing webhook deliveries.
pub const WEBHOOK_SECRET: &str = "RUNBOX_WEBHOOK_SECRET";
pub const METRICS_TOKEN: &str = "RUNBOX_METRICS_TOKEN";
pub const SECRETS_KEY: &str = "RUNBOX_SECRETS_KEY";
pub const MAX_CONCURRENT_PER_USER: &str = "RUNBOX_MAX_CONCURRENT_PER_USER";
pub const MAX_QUEUE_LENGTH: &str = "RUNBOX_MAX_QUEUE_LENGTH";
pub const WORKERS: &str = "RUNBOX_WORKERS";
pub const OUTPUT_LIMIT: &str = "RUNBOX_OUTPUT_LIMIT";
pub const MAX_BODY_BYTES: &str = "RUNBOX_MAX_BODY_BYTES";
pub const MAX_CONNECTIONS: &str = "RUNBOX_MAX_CONNECTIONS";
pub const SANDBOX_MEMORY_MB: &str = "RUNBOX_SANDBOX_MEMORY_MB";
pub const SANDBOX_PIDS: &str = "RUNBOX_SANDBOX_PIDS";
pub const SANDBOX_SCRATCH_MB: &str = "RUNBOX_SANDBOX_SCRATCH_MB";
pub const SANDBOX_FILE_SIZE_MB: &str = "RUNBOX_SANDBOX_FILE_SIZE_MB";
pub const SANDBOX_OPEN_FILES: &str = "RUNBOX_SANDBOX_OPEN_FILES";
pub const SANDBOX_UID_BASE: &str = "RUNBOX_SANDBOX_UID_BASE";
pub const SANDBOX_PYTHON: &str = "RUNBOX_SANDBOX_PYTHON";
pub const SANDBOX_IDLE_SECS: &str = "RUNBOX_SANDBOX_IDLE_SECS";
/// `text` (the default) or `json`.
pub const LOG_FORMAT: &str = "RUNBOX_LOG_FORMAT";
pub const SHUTDOWN_GRACE_SECS: &str = "RUNBOX_SHUTDOWN_GRACE_SECS";
pub const LEASE_SECS: &str = "RUNBOX_LEASE_SECS";
pub const SCENARIO_MIN_INTERVAL_SECS: &str = "RUNBOX_SCENARIO_MIN_INTERVAL_SECS";
pub const PACKAGES_ENABLED: &str = "RUNBOX_PACKAGES_ENABLED";
pub const PACKAGES_INDEX_URL: &str = "RUNBOX_PACKAGES_INDEX_URL";
pub const PACKAGES_FIND_LINKS: &str = "RUNBOX_PACKAGES_FIND_LINKS";
pub const PACKAGES_NO_INDEX: &str = "RUNBOX_PACKAGES_NO_INDEX";
pub const PACKAGES_ALLOW_SDIST: &str = "RUNBOX_PACKAGES_ALLOW_SDIST";
pub const PACKAGES_INSTALL_TIMEOUT: &str = "RUNBOX_PACKAGES_INSTALL_TIMEOUT";
pub const PACKAGES_CACHE_MB: &str = "RUNBOX_PACKAGES_CACHE_MB";
/// `auto`, `uv` or `pip`.
pub const PACKAGES_INSTALLER: &str = "RUNBOX_PACKAGES_INSTALLER";
/// The uv binary, when it is not on `PATH`.
pub const PACKAGES_UV: &str = "RUNBOX_PACKAGES_UV";
/// Comma-separated destinations runs may ask to reach.
pub const NETWORK_ALLOW: &str = "RUNBOX_NETWORK_ALLOW";

/// The installers' own index settings, the default of `[packages]`'s.
pub const INSTALLER_INDEX_URL: &[&str] = &["UV_INDEX_URL", "PIP_INDEX_URL"];
pub const INSTALLER_FIND_LINKS: &[&str] = &["UV_FIND_LINKS", "PIP_FIND_LINKS"];

/// Every variable above, so the binary can warn about a misspelt one
/// (see [`unknown`]).
pub const ALL: &[&str] = &[
    CONFIG,
    LISTEN,
    DATA_DIR,
    DATABASE_URL,
    API_KEY,
    HTTP_ALLOW,
    WEBHOOK_SECRET,
    METRICS_TOKEN,
    SECRETS_KEY,
    MAX_CONCURRENT_PER_USER,
    MAX_QUEUE_LENGTH,
    WORKERS,
    OUTPUT_LIMIT,
    MAX_BODY_BYTES,
    MAX_CONNECTIONS,
    SANDBOX_MEMORY_MB,
    SANDBOX_PIDS,
    SANDBOX_SCRATCH_MB,
    SANDBOX_FILE_SIZE_MB,
    SANDBOX_OPEN_FILES,
    SANDBOX_UID_BASE,
    SANDBOX_PYTHON,
    SANDBOX_IDLE_SECS,
    LOG_FORMAT,
    SHUTDOWN_GRACE_SECS,
    LEASE_SECS,
    SCENARIO_MIN_INTERVAL_SECS,
    PACKAGES_ENABLED,
    PACKAGES_INDEX_URL,
    PACKAGES_FIND_LINKS,
    PACKAGES_NO_INDEX,
    PACKAGES_ALLOW_SDIST,
    PACKAGES_INSTALL_TIMEOUT,
    PACKAGES_CACHE_MB,
    PACKAGES_INSTALLER,
    PACKAGES_UV,
    NETWORK_ALLOW,
];

/// The `RUNBOX_*` names among `names` that runbox does not know, sorted:
/// most likely typos (`RUNBOX_WORKER=4`) worth a warning. Not an error,
/// because test harnesses and wrappers use the prefix for their own needs.
pub fn unknown<I, K>(names: I) -> Vec<String>
where
    I: IntoIterator<Item = K>,
    K: AsRef<str>,
{
    let mut unknown: Vec<String> = names
        .into_iter()
        .filter(|name| name.as_ref().starts_with("RUNBOX_") && !ALL.contains(&name.as_ref()))
        .map(|name| name.as_ref().to_owned())
        .collect();
    unknown.sort();
    unknown.dedup();
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_finds_typos_only() {
        let names = [
            "PATH",
            "RUNBOX_WORKER",
            "RUNBOX_WORKERS",
            "RUNBOX_LISTEN",
            "RUNBOX_WORKER",
        ];
        assert_eq!(unknown(names), ["RUNBOX_WORKER"]);
    }
}
