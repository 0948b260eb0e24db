//! `runbox serve` and `runbox worker`: wire the parts together (store,
//! sandbox, engine, webhooks, HTTP API), run until SIGINT/SIGTERM, then
//! shut down gracefully.

use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use runbox_config::Settings;
use runbox_engine::{
    Engine, EngineConfig, Gateway, Interpreter, Interpreters, RunServices, Runners,
};
use runbox_netguard::OutboundPolicy;
use runbox_packages::Environments;
use runbox_sandbox::{Limits, Sandbox, SandboxConfig};
use runbox_secrets::{SecretsKey, Vault};
use tokio_util::sync::CancellationToken;

use crate::cli::VERSION;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// HTTP API plus (unless `--no-workers`) execution.
    Serve,
    /// Execution only, for PostgreSQL deployments.
    Worker,
}

/// Creates the data directory (owner-only) if it is missing.
pub fn prepare_data_dir(settings: &Settings) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&settings.data_dir)
        .with_context(|| {
            format!(
                "cannot create data directory {}",
                settings.data_dir.display()
            )
        })
}

/// One `serve` per SQLite database: a second one would take the first
/// one's running executions for orphans and claim from the same queue.
/// Held until the process ends (the kernel drops it even on `kill -9`);
/// `runbox keys` and `migrate` do not take it.
fn lock_embedded_database(settings: &Settings) -> anyhow::Result<Option<std::fs::File>> {
    let Some(path) = settings.database_url.strip_prefix("sqlite://") else {
        return Ok(None);
    };
    let lock_path = PathBuf::from(format!("{path}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another runbox serve is already using {path} (lock {} is held); \
             several nodes need a PostgreSQL database",
            lock_path.display()
        ),
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
}

pub async fn serve(settings: Settings, role: Role) -> anyhow::Result<()> {
    prepare_data_dir(&settings)?;
    let _database_lock = lock_embedded_database(&settings)?;
    let store = runbox_store::open(&settings.database_url)
        .await
        .context("cannot open the database")?;
    if role == Role::Worker && !store.is_shared() {
        anyhow::bail!("`runbox worker` needs a PostgreSQL database shared with `runbox serve` (--database-url postgres://…)");
    }
    if role == Role::Serve {
        let configured = settings.api_key.as_ref().map(|k| k.expose());
        if let Some(key) =
            runbox_api::admin::ensure_bootstrap_key(store.as_ref(), configured).await?
        {
            eprintln!("runbox: no API key existed, so an admin key was created. It is shown only this once:\n\n    {key}\n");
        }
    }
    if role == Role::Serve {
        runbox_api::metrics::install(VERSION);
    }
    crate::memory::spawn_trimmer();
    let sandbox_config = sandbox_config(&settings)?;
    let builder_uid = sandbox_config.builder_uid();
    let sandbox = Sandbox::new(sandbox_config);
    match sandbox.warm_up().await {
        Ok(report) => tracing::info!(layers = ?report.layers, "sandbox ready"),
        Err(err) => {
            tracing::error!(error = %err, "the sandbox cannot be set up on this host: every execution will fail until this is fixed")
        }
    }
    let vault = open_vault(&settings, store.clone()).await?;
    let services = run_services(&settings, &sandbox, builder_uid, vault);
    let engine = Engine::start(
        store.clone(),
        sandbox,
        runners(&settings),
        engine_config(&settings, role),
        services,
    )
    .await?;
    if role == Role::Serve {
        crate::catalog::load_from_config(&settings, &engine).await?;
    }
    let shutdown = CancellationToken::new();
    let policy = OutboundPolicy::new(settings.http_allow.clone());
    let renderer = Arc::new(runbox_api::WebhookBodies::new(
        std::process::id(),
        VERSION.to_owned(),
    ));
    let webhook_settings = runbox_webhooks::WebhookSettings {
        secret: settings.webhook_secret.clone(),
        ..Default::default()
    };
    let dispatcher = runbox_webhooks::Dispatcher {
        store: store.clone(),
        policy: policy.clone(),
        renderer,
        node: engine.node().clone(),
        settings: webhook_settings,
    };
    let scheduler = runbox_engine::schedules::spawn(
        engine.clone(),
        vec![
            Arc::new(runbox_workflow::schedule::ScenarioSchedules {
                min_interval_secs: settings.scenario_min_interval_secs,
            }),
            Arc::new(runbox_engine::schedules::ButtonSchedules),
        ],
        shutdown.clone(),
    );
    let webhooks = runbox_webhooks::spawn(dispatcher, shutdown.clone())
        .context("cannot start webhook delivery")?;
    tokio::spawn(wait_for_signal(shutdown.clone()));
    let grace = settings.shutdown_grace;
    let stopper = {
        let engine = engine.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            engine.shutdown(grace).await;
        })
    };
    if role == Role::Serve {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let address = listener.local_addr()?;
        let api_settings = runbox_api::ApiSettings {
            max_body_bytes: usize::try_from(settings.limits.max_body_bytes).unwrap_or(usize::MAX),
            max_queue_length: settings.limits.max_queue_length,
            max_connections: usize::try_from(settings.limits.max_connections).unwrap_or(usize::MAX),
            version: VERSION.to_owned(),
            scenario_min_interval_secs: settings.scenario_min_interval_secs,
            metrics_token: settings
                .metrics_token
                .as_ref()
                .map(|t| t.expose().to_owned()),
        };
        let state = runbox_api::AppState::new(engine.clone(), policy, api_settings);
        eprintln!("listening on http://{address}");
        let server = runbox_api::serve(listener, state, shutdown.clone().cancelled_owned());
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => result.context("HTTP server failed")?,
            // After a stop signal, in-flight requests get the grace period
            // plus time for killed runs to be recorded, then we leave anyway.
            _ = async { shutdown.cancelled().await; tokio::time::sleep(grace + Duration::from_secs(15)).await } => {
                tracing::warn!("in-flight requests still open after the grace period; exiting");
            }
        }
    } else {
        tracing::info!("worker started");
        shutdown.cancelled().await;
    }
    let _ = stopper.await;
    let _ = tokio::time::timeout(Duration::from_secs(2), webhooks).await;
    let _ = scheduler.await;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::info!("stop requested: no new requests; running executions get the grace period");
    shutdown.cancel();
}

/// Where each language's interpreter is.
fn interpreters(settings: &Settings) -> Interpreters {
    Interpreters {
        python: settings.sandbox.python.to_string_lossy().into_owned(),
        node: settings.runtimes.node.to_string_lossy().into_owned(),
        custom: settings
            .runtimes
            .custom
            .iter()
            .map(|(name, runtime)| {
                let interpreter = Interpreter {
                    command: runtime.command.clone(),
                    extension: runtime.extension.clone(),
                };
                (name.clone(), interpreter)
            })
            .collect(),
        versions: Default::default(),
    }
}

/// The built-in runners plus scenarios (which the engine does not know).
fn runners(settings: &Settings) -> Runners {
    let mut runners = Runners::new();
    let scenarios = runbox_workflow::ScenarioRunner {
        policy: OutboundPolicy::new(settings.http_allow.clone()),
    };
    runners.register(runbox_domain::ExecutionKind::Scenario, Arc::new(scenarios));
    runners
}

/// Package environments (under the data directory, each node its own) and
/// the network gateway of runs.
/// The secrets vault, with the key from `RUNBOX_SECRETS_KEY` or the data
/// directory's key file. A key that does not open the stored secrets stops
/// start-up: serving runs that cannot read their secrets helps nobody.
async fn open_vault(
    settings: &Settings,
    store: Arc<dyn runbox_store::Store>,
) -> anyhow::Result<Vault> {
    let key = match &settings.secrets_key {
        Some(text) => SecretsKey::parse(text.expose()).context("RUNBOX_SECRETS_KEY")?,
        None => SecretsKey::from_file(&settings.data_dir.join(SECRETS_KEY_FILE))?,
    };
    let vault = Vault::new(store, key);
    vault
        .check_key()
        .await
        .context("cannot start with these secrets")?;
    Ok(vault)
}

/// The key file in the data directory, used when `RUNBOX_SECRETS_KEY` is
/// not set.
const SECRETS_KEY_FILE: &str = "secrets.key";

fn run_services(
    settings: &Settings,
    sandbox: &Sandbox,
    builder_uid: u32,
    vault: Vault,
) -> RunServices {
    let environments = Environments::new(
        settings.packages.clone(),
        settings.data_dir.join("environments"),
        sandbox.clone(),
        settings.sandbox.python.to_string_lossy().into_owned(),
        sandbox_limits(settings),
        std::env::var_os("PATH"),
        builder_uid,
    );
    RunServices {
        environments: Some(environments),
        gateway: Gateway::new(
            settings.network.allow.clone(),
            OutboundPolicy::new(settings.http_allow.clone()),
        ),
        vault: Some(vault),
        interpreters: Arc::new(interpreters(settings)),
    }
}

fn sandbox_limits(settings: &Settings) -> Limits {
    let s = &settings.sandbox;
    Limits {
        memory_mb: s.memory_mb,
        pids: s.pids,
        scratch_mb: s.scratch_mb,
        file_size_mb: s.file_size_mb,
        open_files: s.open_files,
        cpu_secs: 3600,
    }
}

fn sandbox_config(settings: &Settings) -> anyhow::Result<SandboxConfig> {
    let program = std::env::current_exe().context("cannot find the runbox executable")?;
    // runbox's own files must never be visible inside the sandbox, even if
    // they live under a directory it shows read-only (e.g. /etc/runbox).
    let mut hidden: Vec<PathBuf> = vec![settings.data_dir.clone()];
    hidden.extend(settings.config_file.clone());
    if let Some(path) = settings.database_url.strip_prefix("sqlite://") {
        hidden.push(PathBuf::from(path));
    }
    let hidden = hidden
        .into_iter()
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
        .collect();
    Ok(SandboxConfig {
        slots: settings.limits.workers,
        launcher_program: program,
        launcher_args: vec![runbox_sandbox::launcher::SUBCOMMAND.into()],
        uid_base: settings.sandbox.uid_base,
        read_only: SandboxConfig::default_read_only(),
        hidden,
        default_limits: sandbox_limits(settings),
        output_limit: usize::try_from(settings.limits.output_limit).unwrap_or(usize::MAX),
        kill_grace: Duration::from_secs(2),
        idle: runbox_sandbox::IdlePolicy {
            after: Duration::from_secs(settings.sandbox.idle_secs.into()),
            ..runbox_sandbox::IdlePolicy::default()
        },
    })
}

fn engine_config(settings: &Settings, role: Role) -> EngineConfig {
    EngineConfig {
        workers: settings.limits.workers,
        max_concurrent_per_user: settings.limits.max_concurrent_per_user,
        max_queue_length: settings.limits.max_queue_length,
        limits: sandbox_limits(settings),
        execute: role == Role::Worker || settings.node_workers,
        lease: settings.lease,
        poll_interval: Duration::from_secs(1),
    }
}
