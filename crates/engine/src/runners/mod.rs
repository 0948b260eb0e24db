//! Runners: one per kind of job. A runner builds the sandbox spec for a job,
//! runs it, and reads the result into an [`Outcome`] and a terminal status.
//! Scenario runs are registered by the workflow crate, which the engine does
//! not depend on.

mod agent;
mod languages;
mod python;
mod shell;

use std::collections::HashMap;
use std::sync::Arc;

use runbox_domain::{
    Env, EnvValue, Execution, ExecutionKind, ExecutionStatus, Outcome, OutcomeKind,
};
use runbox_sandbox::{Limits, RunOutcome, Sandbox, SandboxError};
use runbox_secrets::RunSecrets;
use tokio_util::sync::CancellationToken;

use crate::live_output::LiveOutput;
use crate::RunServices;

pub use agent::AgentRunner;
pub use languages::{ForeignSnippet, Interpreter, Interpreters, RuntimeVersion};
pub use python::{
    check_code, measured, run_snippet, PythonRunner, Snippet, SnippetError, SnippetMode,
    SnippetOutcome,
};
pub use shell::ShellRunner;

/// What a runner may use while running one execution.
#[derive(Clone)]
pub struct RunContext {
    pub sandbox: Sandbox,
    pub limits: Limits,
    /// Fires on cancel requests and on shutdown.
    pub cancel: CancellationToken,
    /// Where live output goes, for kinds that stream it.
    pub live: Option<LiveOutput>,
    /// Package environments and network egress.
    pub services: RunServices,
    /// The secrets this run may use, decrypted when it started.
    pub secrets: Arc<RunSecrets>,
}

/// The end of a run as the runner saw it.
#[derive(Clone, Debug)]
pub struct Finished {
    pub status: ExecutionStatus,
    pub outcome: Outcome,
}

#[async_trait::async_trait]
pub trait JobRunner: Send + Sync {
    /// Runs the execution to its end. Never fails: every failure is an outcome.
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished;

    /// Whether the engine should store this kind's output as it is produced
    /// (for live streams); otherwise only the final outcome is stored.
    fn streams_output(&self) -> bool {
        false
    }
}

impl Default for Runners {
    fn default() -> Self {
        Self::new()
    }
}

/// The runner for each kind of execution.
#[derive(Clone)]
pub struct Runners {
    by_kind: HashMap<ExecutionKind, Arc<dyn JobRunner>>,
}

impl Runners {
    /// The built-in runners (the interpreters they start are the
    /// services' [`RunServices::interpreters`]).
    pub fn new() -> Self {
        let mut by_kind: HashMap<ExecutionKind, Arc<dyn JobRunner>> = HashMap::new();
        by_kind.insert(ExecutionKind::Python, Arc::new(PythonRunner));
        by_kind.insert(ExecutionKind::Agent, Arc::new(AgentRunner));
        by_kind.insert(ExecutionKind::Shell, Arc::new(ShellRunner));
        Self { by_kind }
    }

    pub fn register(&mut self, kind: ExecutionKind, runner: Arc<dyn JobRunner>) {
        self.by_kind.insert(kind, runner);
    }

    pub fn get(&self, kind: ExecutionKind) -> Option<Arc<dyn JobRunner>> {
        self.by_kind.get(&kind).cloned()
    }

    /// Kinds this node can run; it only claims those.
    pub fn kinds(&self) -> Vec<ExecutionKind> {
        self.by_kind.keys().copied().collect()
    }
}

/// The environment every sandboxed program starts with.
pub fn base_env(execution: &Execution) -> Vec<(String, String)> {
    let mut env = template_env();
    env.extend(execution_env(execution));
    env
}

/// The part of [`base_env`] that is the same for every run.
pub fn template_env() -> Vec<(String, String)> {
    vec![
        ("PATH".to_owned(), "/usr/local/bin:/usr/bin:/bin".to_owned()),
        ("HOME".to_owned(), runbox_sandbox::WORK_DIR.to_owned()),
        ("LANG".to_owned(), "C.UTF-8".to_owned()),
    ]
}

/// A definition's variables with secret references replaced by their
/// values; the error names a secret the run may not have.
pub fn resolve_env(env: &Env, secrets: &RunSecrets) -> Result<Vec<(String, String)>, SnippetError> {
    env.iter()
        .map(|(name, value)| match value {
            EnvValue::Text(text) => Ok((name.clone(), text.clone())),
            EnvValue::Secret { secret } => secrets
                .get(secret)
                .map(|value| (name.clone(), value.to_owned()))
                .map_err(|why| SnippetError::Refused(format!("env.{name}: {why}"))),
        })
        .collect()
}

/// The part of [`base_env`] that is particular to one execution.
pub fn execution_env(execution: &Execution) -> Vec<(String, String)> {
    vec![("RUNBOX_EXECUTION_ID".to_owned(), execution.id.to_string())]
}

/// The common reading of a finished process: timeout, cancel, memory kill
/// and exit status become a status and an error line. Runners refine
/// `result` and `error` from their own protocol afterwards.
pub fn interpret(execution: &Execution, run: &RunOutcome, limits: &Limits) -> Finished {
    let mut outcome = Outcome {
        kind: OutcomeKind::Completed,
        exit_code: Some(run.status.code()),
        stdout: run.stdout.text(),
        stderr: run.stderr.text(),
        truncated: run.stdout.truncated || run.stderr.truncated,
        result: None,
        error: None,
        extra: None,
        resources: None,
        environment: None,
    };
    let status = if run.timed_out {
        outcome.kind = OutcomeKind::TimedOut;
        outcome.error = Some(format!(
            "Execution timed out after {} seconds",
            execution.timeout.secs()
        ));
        ExecutionStatus::TimedOut
    } else if run.canceled {
        outcome.kind = OutcomeKind::Canceled;
        outcome.error = Some("Execution canceled".to_owned());
        ExecutionStatus::Canceled
    } else if run.oom_killed {
        outcome.error = Some(format!(
            "Memory limit exceeded ({} MiB): the process was killed",
            limits.memory_mb
        ));
        ExecutionStatus::Failed
    } else {
        match run.status {
            runbox_sandbox::ExitStatus::Exited(0) => ExecutionStatus::Succeeded,
            runbox_sandbox::ExitStatus::Exited(code) => {
                outcome.error = Some(format!("Process exited with code {code}"));
                ExecutionStatus::Failed
            }
            runbox_sandbox::ExitStatus::Signaled(sig) => {
                outcome.error = Some(format!(
                    "Process killed by signal {sig} ({})",
                    signal_name(sig)
                ));
                ExecutionStatus::Failed
            }
        }
    };
    Finished { status, outcome }
}

/// A run that never started because runbox itself failed.
pub(crate) fn internal_failure(err: SandboxError) -> Finished {
    tracing::error!(error = %err, "sandbox failure");
    Finished {
        status: ExecutionStatus::Failed,
        outcome: Outcome::without_output(OutcomeKind::Internal, err.to_string()),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc_sig::SIGKILL => "SIGKILL",
        libc_sig::SIGTERM => "SIGTERM",
        libc_sig::SIGSEGV => "SIGSEGV",
        libc_sig::SIGABRT => "SIGABRT",
        libc_sig::SIGXCPU => "SIGXCPU, CPU time limit",
        libc_sig::SIGXFSZ => "SIGXFSZ, file size limit",
        _ => "signal",
    }
}

/// Signal numbers on Linux, without pulling libc into the engine.
mod libc_sig {
    pub const SIGABRT: i32 = 6;
    pub const SIGKILL: i32 = 9;
    pub const SIGSEGV: i32 = 11;
    pub const SIGTERM: i32 = 15;
    pub const SIGXCPU: i32 = 24;
    pub const SIGXFSZ: i32 = 25;
}
