//! The engine: turns queued executions into finished ones.
//!
//! It owns the node's side of the queue — claiming work by priority within
//! the per-user limit, holding a lease while running, timeouts, cancellation,
//! recovery of executions orphaned by a dead node — and the runners that
//! translate a job (Python snippet, shell command, agent) into a sandbox
//! [`RunSpec`](runbox_sandbox::RunSpec) and its result back into an
//! [`Outcome`](runbox_domain::Outcome).
//!
//! The engine knows nothing of HTTP or JSON response shapes: dialects call
//! [`Engine::submit`], [`Engine::wait_for_end`] and [`Engine::cancel`] and
//! render what they get.

pub mod commands;
mod config;
mod dispatcher;
mod engine;
mod live_output;
mod runners;
pub mod schedules;
mod services;
mod telemetry;

pub use config::EngineConfig;
pub use engine::{Engine, SubmitError};
pub use runners::{
    base_env, check_code, execution_env, interpret, measured, resolve_env, run_snippet,
    template_env, Finished, ForeignSnippet, Interpreter, Interpreters, JobRunner, RunContext,
    Runners, RuntimeVersion, Snippet, SnippetError, SnippetMode, SnippetOutcome,
};
pub use services::{Gateway, RunServices};
