//! [`Settings`]: the validated configuration every other crate receives,
//! with the defaults the contract fixes. A `Settings` value is always valid:
//! only [`load`](crate::load) (or `Default`) builds one.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use runbox_domain::{AgentRuntime, Priority, Timeout};

use crate::packages::{NetworkSettings, PackageSettings};
use crate::values::{ApiKey, HttpAllowEntry, MetricsToken, SecretsKeyText, WebhookSecret};

/// `127.0.0.1:8080`: local only until the operator decides otherwise.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);
/// Relative to the working directory, like every relative path in the configuration.
pub const DEFAULT_DATA_DIR: &str = "./runbox-data";
/// SIGINT/SIGTERM grace period for running executions.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Button timeout when none is given, and its maximum (seconds).
pub const BUTTON_TIMEOUT_MAX_SECS: u32 = 300;
/// Agent timeout maximum (seconds).
pub const AGENT_TIMEOUT_MAX_SECS: u32 = 3600;
/// Agent timeout when none is given (seconds).
pub const AGENT_TIMEOUT_DEFAULT_SECS: u32 = 600;

/// Everything runbox is configured with, resolved from flags, `RUNBOX_*`
/// environment, the TOML file and defaults, in that order of precedence.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Where the HTTP API listens. Port 0 picks a free port (tests use it).
    pub listen: SocketAddr,
    /// Holds the SQLite database and the per-run scratch directories;
    /// created at start-up if missing. Never visible inside the sandbox.
    pub data_dir: PathBuf,
    /// `sqlite://…` (single node) or `postgres://…` / `postgresql://…`
    /// (nodes sharing state). Defaults to `sqlite://<data_dir>/runbox.db`.
    pub database_url: String,
    /// The TOML file these settings were read from, if any: shown in logs
    /// so the operator knows which file is in force.
    pub config_file: Option<PathBuf>,
    /// `RUNBOX_API_KEY`: ensured at start-up for user `admin` with the admin
    /// role. `None`: runbox creates a key on first start and prints it once.
    pub api_key: Option<ApiKey>,
    /// `RUNBOX_SECRETS_KEY`: the key secrets are encrypted with. `None`:
    /// the key file `secrets.key` in the data directory (created, mode
    /// 0600, on first start).
    pub secrets_key: Option<SecretsKeyText>,
    /// Private, loopback or link-local destinations that runbox's own
    /// outbound HTTP (webhooks, scenario HTTP modules) may reach anyway.
    /// Empty: all such addresses are refused (SSRF protection).
    pub http_allow: Vec<HttpAllowEntry>,
    /// Signs webhook deliveries (Standard Webhooks headers) when set.
    pub webhook_secret: Option<WebhookSecret>,
    /// `[metrics] token`: a bearer token that may read `/metrics` besides
    /// admin keys.
    pub metrics_token: Option<MetricsToken>,
    /// Scheduling, queue and size limits.
    pub limits: Limits,
    /// Resource limits and identities for sandboxed processes.
    pub sandbox: SandboxSettings,
    /// On SIGINT/SIGTERM, how long running executions may go on before they
    /// are killed and recorded as interrupted.
    pub shutdown_grace: Duration,
    /// How long a node's claim on a running execution lasts without a
    /// heartbeat (renewed every third of it). When a node dies, its running
    /// executions are recorded as interrupted this long after its last
    /// heartbeat, by any other node.
    pub lease: Duration,
    /// The shortest interval an `indefinitely` scenario may be scheduled at,
    /// so a scenario cannot monopolise the workers.
    pub scenario_min_interval_secs: u32,
    /// Whether this process runs executions. `false` for
    /// `serve --no-workers`: the node only answers the API (other nodes
    /// sharing the PostgreSQL database run the work).
    pub node_workers: bool,
    /// How Python dependencies are installed (`[packages]`).
    pub packages: PackageSettings,
    /// What runs may reach through runbox's proxy (`[network]`).
    pub network: NetworkSettings,
    /// Node.js and the operator's interpreters (`[runtimes]`).
    pub runtimes: crate::RuntimeSettings,
    /// Buttons declared in the file, created or updated at start-up.
    pub buttons: Vec<ButtonConfig>,
    /// Agents declared in the file, created or updated at start-up.
    pub agents: Vec<AgentConfig>,
}

impl Settings {
    /// Which database [`database_url`](Self::database_url) names.
    pub fn database_kind(&self) -> DatabaseKind {
        if self.database_url.starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else {
            DatabaseKind::Postgres
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: DEFAULT_LISTEN,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: format!("sqlite://{DEFAULT_DATA_DIR}/runbox.db"),
            config_file: None,
            api_key: None,
            secrets_key: None,
            http_allow: Vec::new(),
            webhook_secret: None,
            metrics_token: None,
            limits: Limits::default(),
            sandbox: SandboxSettings::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            lease: Duration::from_secs(30),
            scenario_min_interval_secs: 1,
            node_workers: true,
            packages: PackageSettings::default(),
            network: NetworkSettings::default(),
            runtimes: crate::RuntimeSettings::default(),
            buttons: Vec::new(),
            agents: Vec::new(),
        }
    }
}

/// The database behind [`Settings::database_url`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// Scheduling and size limits (`[limits]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// At most this many executions of one user run at once; more wait
    /// queued. Holds across nodes.
    pub max_concurrent_per_user: u32,
    /// When this many executions are queued, new requests get 429 and
    /// nothing is created.
    pub max_queue_length: u32,
    /// Executions this node runs at once. Executions mostly wait on
    /// processes, so this is well above the CPU count by default.
    pub workers: u32,
    /// Cap in bytes on each of stdout and stderr; the rest is discarded and
    /// the execution marked truncated.
    pub output_limit: u64,
    /// Request bodies larger than this get 413.
    pub max_body_bytes: u64,
    /// HTTP connections served at once; past it a new one gets a JSON 503
    /// and is closed, so descriptors and memory stay bounded.
    pub max_connections: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrent_per_user: 5,
            max_queue_length: 1000,
            workers: 16,
            output_limit: 1_048_576,
            max_body_bytes: 1_048_576,
            max_connections: 4096,
        }
    }
}

/// Limits and identities of sandboxed processes (`[sandbox]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSettings {
    /// Memory limit of one execution (all its processes), MiB.
    pub memory_mb: u32,
    /// Maximum number of processes and threads of one execution.
    pub pids: u32,
    /// Size limit of the private scratch directory (working directory and
    /// `HOME`) and of the private `/tmp`, each, MiB.
    pub scratch_mb: u32,
    /// Largest file a process may write (`RLIMIT_FSIZE`), MiB. Defaults to
    /// `scratch_mb`: a larger file could not fit anyway.
    pub file_size_mb: u32,
    /// Open file descriptors per process (`RLIMIT_NOFILE`).
    pub open_files: u32,
    /// First host uid of the range the sandbox maps to: slot `n` runs as
    /// `uid_base + 2n` and `uid_base + 2n + 1`, so concurrent executions
    /// never share an unprivileged uid. At least 1000 (clear of system
    /// accounts) and low enough that `2 × workers + 2` uids fit below
    /// `u32::MAX`.
    pub uid_base: u32,
    /// The interpreter Python code runs with, as seen inside the sandbox
    /// (the host's read-only `/usr`). Absolute.
    pub python: PathBuf,
    /// A sandbox slot unused this long stops its launcher and warm
    /// interpreter, except the most recently used (one per CPU), so an idle
    /// server holds little memory.
    pub idle_secs: u32,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            memory_mb: 256,
            pids: 64,
            scratch_mb: 64,
            file_size_mb: 64,
            open_files: 256,
            uid_base: 1_000_000,
            python: PathBuf::from("/usr/bin/python3"),
            idle_secs: 30,
        }
    }
}

/// A button declared in `[[buttons]]`. Its command is checked here only for
/// being non-empty; the engine applies the full command rules (`sh -n`,
/// restricted list) when it registers the button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ButtonConfig {
    /// Stable id (`[a-z0-9_-]{1,64}`): the file's buttons keep their ids
    /// across restarts, so URLs and history stay valid.
    pub id: String,
    /// Shown on the dashboard.
    pub name: String,
    /// Run as `/bin/sh -c COMMAND` in the sandbox.
    pub command: String,
    pub description: Option<String>,
    /// Wall-clock limit, 1..=300 s, default 300.
    pub timeout: Timeout,
    /// Shown on the dashboard next to the name (an emoji or a short text).
    pub icon: Option<String>,
    /// Extra environment variables of the command.
    pub env: BTreeMap<String, String>,
    /// Destinations the command may reach through runbox's proxy.
    pub network: Vec<runbox_domain::Destination>,
    /// When it runs on its own (`schedule = { cron, timezone }`).
    pub schedule: Option<runbox_domain::CronSchedule>,
}

/// An agent declared in `[[agents]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentConfig {
    /// Given id, if any; otherwise the application generates a UUID (and
    /// matches the agent by name on later starts).
    pub id: Option<String>,
    /// Unique among the file's agents.
    pub name: String,
    pub description: Option<String>,
    /// Python code defining `run(input)`, or a command speaking JSON on
    /// stdin/stdout.
    pub runtime: AgentRuntime,
    /// Scheduling priority, 0..=100, default 50; a run request may override it.
    pub priority: Priority,
    /// Wall-clock limit, 1..=3600 s, default 600.
    pub timeout: Timeout,
    /// Extra environment variables of the agent's process.
    pub env: BTreeMap<String, String>,
    /// Destinations the agent may reach through runbox's proxy.
    pub network: Vec<runbox_domain::Destination>,
}
