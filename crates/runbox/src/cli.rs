//! Command-line interface: flags (with their `RUNBOX_*` environment
//! variables) become [`runbox_config::Overrides`]; everything else comes
//! from the environment and the configuration file via `runbox_config`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use runbox_config::{vars, Overrides, Settings};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Parser, Debug)]
#[command(name = "runbox", version = VERSION, about = "Runs Python code, shell buttons, scenarios and agents in a sandbox, behind HTTP APIs.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP API and, in the same process, workers that execute.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, env = vars::LISTEN, value_parser = runbox_config::parse_listen)]
        listen: Option<SocketAddr>,
        /// Answer the API only; other nodes sharing the PostgreSQL database execute.
        #[arg(long)]
        no_workers: bool,
    },
    /// Run workers only, on a PostgreSQL database shared with `serve` nodes.
    Worker {
        #[command(flatten)]
        common: Common,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Manage API keys directly in the store (a running server sees changes at once).
    Keys {
        #[command(flatten)]
        common: Common,
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Print the version string (the same as `build_number` and health's `version`).
    Version,
}

#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Create a key for a user and print it (it is shown only once).
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        admin: bool,
    },
    /// List keys (prefix, user, role); secrets are never stored.
    List,
    /// Revoke the key with this prefix.
    Revoke { prefix: String },
}

/// Flags every store-using subcommand accepts.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Directory for the SQLite database and run scratch space.
    #[arg(long, global = true, env = vars::DATA_DIR)]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://PATH` (default: inside the data directory) or `postgres://…`.
    #[arg(long, global = true, env = vars::DATABASE_URL)]
    pub database_url: Option<String>,
    /// TOML configuration file.
    #[arg(long, global = true, env = vars::CONFIG)]
    pub config: Option<PathBuf>,
}

impl Common {
    fn settings(
        &self,
        listen: Option<SocketAddr>,
        node_workers: Option<bool>,
    ) -> anyhow::Result<Settings> {
        let flags = Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            listen,
            node_workers,
            ..Overrides::default()
        };
        let env = Overrides::from_env().context("invalid environment")?;
        runbox_config::load(flags.or(env)).context("invalid configuration")
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            common,
            listen,
            no_workers,
        } => {
            let settings = common.settings(listen, no_workers.then_some(false))?;
            crate::serve::serve(settings, crate::serve::Role::Serve).await
        }
        Command::Worker { common } => {
            let settings = common.settings(None, Some(true))?;
            crate::serve::serve(settings, crate::serve::Role::Worker).await
        }
        Command::Migrate { common } => {
            let settings = common.settings(None, None)?;
            crate::serve::prepare_data_dir(&settings)?;
            let store = runbox_store::open(&settings.database_url)
                .await
                .context("cannot open the database")?;
            let info = store.ping().await?;
            println!("database is up to date ({} {})", info.backend, info.version);
            Ok(())
        }
        Command::Keys { common, action } => {
            let settings = common.settings(None, None)?;
            crate::keys::run(&settings, action).await
        }
        Command::Version => {
            println!("{VERSION}");
            Ok(())
        }
    }
}
