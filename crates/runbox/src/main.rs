//! `runbox`: one binary, several subcommands (`serve`, `worker`, `migrate`,
//! `keys`, `version`) dispatched from here. The hidden `__launcher`
//! subcommand is the sandbox's per-slot launcher; it must stay
//! single-threaded, so it is recognised before any runtime starts.

mod catalog;
mod cli;
mod keys;
mod logging;
mod memory;
mod serve;

use clap::Parser;

fn main() {
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == runbox_sandbox::launcher::SUBCOMMAND)
    {
        std::process::exit(runbox_sandbox::launcher::main());
    }
    memory::limit_arenas();
    let cli = cli::Cli::parse();
    if let Err(message) = logging::init() {
        eprintln!("runbox: {message}");
        std::process::exit(2);
    }
    // Room for deeply nested JSON and scenario flows; only touched pages
    // of a thread's stack cost memory.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("runbox: cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(cli::run(cli));
    if let Err(err) = result {
        eprintln!("runbox: {err:#}");
        std::process::exit(1);
    }
}
