//! Python snippets: `python3` in the sandbox running the embedded runner
//! (`python_runner.py`), which executes the user's code with top-level
//! `return` support and reports result and error line on fd 3. Besides the
//! Python dialect's runner, [`run_snippet`] serves other callers that run
//! Python (scenario code steps).

use std::time::Duration;

use runbox_domain::{
    Destination, Execution, ExecutionStatus, JobSpec, Outcome, OutcomeKind, Resources,
    UsedEnvironment,
};
use runbox_egress::Counters;
use runbox_packages::{EnvLease, PrepareError, ScriptMetadata, ENV_MOUNT};
use runbox_sandbox::{Bind, RunControl, RunOutcome, RunSpec, SandboxError, SandboxFile};
use serde::Deserialize;
use serde_json::Value;

use crate::RunServices;

use super::{
    execution_env, internal_failure, interpret, template_env, Finished, JobRunner, RunContext,
};

pub(crate) const RUNNER_SOURCE: &str = include_str!("python_runner.py");

/// Code snippets: Python, JavaScript and the operator's languages (the
/// job's `runtime`).
pub struct PythonRunner;

/// How the runner treats the code.
#[derive(Clone, Copy)]
pub enum SnippetMode<'a> {
    /// Plain code, as `python3 -c` runs it.
    Script,
    /// The code sees this value as the global variable `input`.
    WithInput(&'a Value),
    /// The code defines `run(input)`, called with this value.
    Agent(&'a Value),
}

/// One piece of Python to run.
pub struct Snippet<'a> {
    /// Absolute path of `python3` inside the sandbox.
    pub interpreter: &'a str,
    pub code: &'a str,
    pub mode: SnippetMode<'a>,
    /// Variables of this run (`RUNBOX_EXECUTION_ID`, an agent's own),
    /// added to [`template_env`].
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    pub on_output: Option<runbox_sandbox::OutputSink>,
    /// Destinations granted besides the code's own block (an agent's field).
    pub network: &'a [Destination],
}

/// What a snippet did: the process's outcome, plus the runner's report.
pub struct SnippetOutcome {
    pub run: RunOutcome,
    /// The top-level `return` value (None: the runner reported nothing, e.g.
    /// the process was killed; `Some(Null)`: no return).
    pub result: Option<Value>,
    /// The exception's last traceback line, for failed code.
    pub error: Option<String>,
    /// The result was larger than the output limit and was dropped.
    pub result_truncated: bool,
    /// Bytes through the run's proxy, and its wall time.
    pub resources: Resources,
    /// The package environment the code imported from.
    pub environment: Option<UsedEnvironment>,
}

/// Why a snippet did not run.
#[derive(Debug)]
pub enum SnippetError {
    /// runbox failed (the sandbox could not be set up, …).
    Sandbox(SandboxError),
    /// The code's own request could not be met: its error line
    /// (`Invalid dependencies: …`, `Dependencies could not be installed: …`).
    Refused(String),
    /// Canceled while its environment was being prepared.
    Canceled,
}

impl std::fmt::Display for SnippetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnippetError::Sandbox(e) => write!(f, "{e}"),
            SnippetError::Refused(why) => f.write_str(why),
            SnippetError::Canceled => f.write_str("Execution canceled"),
        }
    }
}

impl SnippetError {
    /// The end of an execution whose snippet did not run.
    pub fn finished(self) -> Finished {
        match self {
            SnippetError::Sandbox(err) => internal_failure(err),
            SnippetError::Refused(why) => {
                let mut outcome = Outcome::without_output(OutcomeKind::Completed, why);
                outcome.exit_code = Some(1);
                Finished {
                    status: ExecutionStatus::Failed,
                    outcome,
                }
            }
            SnippetError::Canceled => Finished {
                status: ExecutionStatus::Canceled,
                outcome: Outcome::without_output(OutcomeKind::Canceled, "Execution canceled"),
            },
        }
    }
}

/// What the runner script reports on its result channel.
#[derive(Deserialize)]
pub(crate) struct Report {
    pub result: Value,
    pub error: Option<String>,
}

/// The CPU limit of every Python run. The runner is started before its run
/// is known, so its limits cannot depend on the run's timeout (which the
/// wall clock enforces anyway); this only stops a runaway.
const PYTHON_CPU_SECS: u32 = 2 * 3600 + 5;

/// What the code's PEP 723 block asks for, checked: its environment (a
/// lease, installed first if needed) and its network destinations.
struct Needs {
    lease: Option<EnvLease>,
    network: Vec<Destination>,
}

/// Checks what a piece of Python declares, before anything runs: a
/// well-formed PEP 723 block, a `requires-python` this server's Python
/// satisfies, and network destinations (the block's plus `extra_network`)
/// that the operator's list covers. The error is the run's error line
/// (`Invalid dependencies: …`, `Invalid network request: …`).
pub async fn check_code(
    code: &str,
    extra_network: &[Destination],
    services: &RunServices,
) -> Result<(ScriptMetadata, Vec<Destination>), String> {
    let meta = ScriptMetadata::parse(code).map_err(|e| format!("Invalid dependencies: {e}"))?;
    let mut network = extra_network.to_vec();
    network.extend(meta.network.iter().cloned());
    services
        .gateway
        .check(&network)
        .map_err(|e| format!("Invalid network request: {e}"))?;
    if meta.requires_python.is_some() {
        let version = match &services.environments {
            Some(envs) => envs.python_version().await,
            None => None,
        };
        if let Some(version) = version {
            meta.check_python(&version)
                .map_err(|e| format!("Invalid dependencies: {e}"))?;
        }
    }
    Ok((meta, network))
}

async fn prepare_needs(
    code: &str,
    extra_network: &[Destination],
    ctx: &RunContext,
) -> Result<Needs, SnippetError> {
    let (meta, network) = check_code(code, extra_network, &ctx.services)
        .await
        .map_err(SnippetError::Refused)?;
    let environments = ctx.services.environments.as_ref();
    if meta.dependencies.is_empty() {
        return Ok(Needs {
            lease: None,
            network,
        });
    }
    let Some(environments) = environments else {
        return Err(SnippetError::Refused(PrepareError::Disabled.to_string()));
    };
    let lease = tokio::select! {
        prepared = environments.prepare(&meta.dependencies) => {
            prepared.map_err(|e| SnippetError::Refused(e.to_string()))?
        }
        _ = ctx.cancel.cancelled() => return Err(SnippetError::Canceled),
    };
    Ok(Needs {
        lease: Some(lease),
        network,
    })
}

/// Runs a snippet in the sandbox with the context's limits and
/// cancellation. Every Python run of one environment shares one template
/// (interpreter, runner, limits, the environment's mount), so slots keep an
/// interpreter started and waiting for the next one; the code, input and
/// per-run variables travel as the payload. `network` adds destinations to
/// those of the code's own PEP 723 block (an agent's `network` field).
pub async fn run_snippet(
    snippet: Snippet<'_>,
    ctx: &RunContext,
) -> Result<SnippetOutcome, SnippetError> {
    let needs = prepare_needs(snippet.code, snippet.network, ctx).await?;
    let (mode, input) = match snippet.mode {
        SnippetMode::Script => ("script", None),
        SnippetMode::WithInput(input) => ("input", Some(input)),
        SnippetMode::Agent(input) => ("agent", Some(input)),
    };
    let mut env_vars = snippet.env;
    let (proxy, counters) = if needs.network.is_empty() {
        (None, None)
    } else {
        env_vars.extend(runbox_sandbox::proxy_env());
        let (service, counters) = ctx.services.gateway.open(needs.network.clone());
        (Some(service), Some(counters))
    };
    let env: serde_json::Map<String, Value> = env_vars
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let path: Vec<&str> = needs.lease.iter().map(|_| ENV_MOUNT).collect();
    let payload = serde_json::json!({
        "mode": mode, "code": snippet.code, "input": input, "env": env, "path": path,
    });
    let mut limits = ctx.limits.clone();
    limits.cpu_secs = PYTHON_CPU_SECS;
    let binds = needs
        .lease
        .iter()
        .map(|lease| Bind {
            source: lease.site.clone(),
            target: ENV_MOUNT.to_owned(),
            writable: false,
        })
        .collect();
    let spec = RunSpec {
        // -I: ignore PYTHON* variables and user site-packages; the runner
        // itself puts "" on sys.path as `python3 -c` does. -u: output
        // reaches the pipes as it is written, even if the run is killed.
        argv: vec![
            snippet.interpreter.to_owned(),
            "-I".into(),
            "-u".into(),
            "/runbox/runner.py".into(),
            "--zygote".into(),
        ],
        env: template_env(),
        files: vec![SandboxFile {
            name: "runner.py".into(),
            contents: RUNNER_SOURCE.as_bytes().to_vec(),
        }],
        stdin_file: None,
        limits,
        combined_output: false,
        result_channel: true,
        payload: Some(payload.to_string()),
        binds,
        proxy: proxy.is_some(),
        zygote: true,
        ..Default::default()
    };
    let control = RunControl {
        timeout: snippet.timeout,
        cancel: ctx.cancel.clone(),
        on_output: snippet.on_output,
        proxy,
    };
    let run = ctx
        .sandbox
        .run(spec, control)
        .await
        .map_err(SnippetError::Sandbox)?;
    let (report, result_truncated) = read_report(&run);
    let (result, error) = match report {
        Some(report) => (Some(report.result), report.error),
        None => (None, None),
    };
    let resources = measured(&run, counters.as_ref());
    let environment = needs.lease.as_ref().map(|lease| UsedEnvironment {
        id: lease.id.clone(),
        resolved: lease.resolved.clone(),
    });
    Ok(SnippetOutcome {
        run,
        result,
        error,
        result_truncated,
        resources,
        environment,
    })
}

/// What a runner reported on the result channel (`None` when it reported
/// nothing readable), and whether the report was cut at the output limit.
pub(crate) fn read_report(run: &RunOutcome) -> (Option<Report>, bool) {
    let channel = run.result.as_ref();
    let truncated = channel.is_some_and(|r| r.truncated);
    let report = channel
        .filter(|r| !r.truncated)
        .and_then(|r| serde_json::from_slice::<Report>(&r.bytes).ok());
    (report, truncated)
}

/// The resources runbox measured of a run: CPU and peak memory from the
/// sandbox, wall time, and the bytes of its proxy when it had one.
pub fn measured(run: &RunOutcome, network: Option<&Counters>) -> Resources {
    let usage = network.map(Counters::usage).unwrap_or_default();
    Resources {
        cpu_ms: run.usage.cpu_ms,
        memory_peak_bytes: run.usage.memory_peak_bytes,
        wall_ms: u64::try_from(run.wall_time.as_millis()).unwrap_or(u64::MAX),
        net_rx_bytes: usage.rx_bytes,
        net_tx_bytes: usage.tx_bytes,
    }
}

#[async_trait::async_trait]
impl JobRunner for PythonRunner {
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let JobSpec::Python(job) = &execution.job else {
            return internal_failure(SandboxError::Setup("not a Python job".into()));
        };
        let ran = match &job.runtime {
            Some(language) => {
                let snippet = super::ForeignSnippet {
                    code: &job.code,
                    mode: SnippetMode::Script,
                    env: execution_env(execution),
                    timeout: execution.timeout.as_duration(),
                    on_output: None,
                    network: &[],
                };
                ctx.services.interpreters.run(language, snippet, &ctx).await
            }
            None => {
                let snippet = Snippet {
                    interpreter: &ctx.services.interpreters.python,
                    code: &job.code,
                    mode: SnippetMode::Script,
                    env: execution_env(execution),
                    timeout: execution.timeout.as_duration(),
                    on_output: None,
                    network: &[],
                };
                run_snippet(snippet, &ctx).await
            }
        };
        let outcome = match ran {
            Ok(outcome) => outcome,
            Err(err) => return err.finished(),
        };
        let mut finished = interpret(execution, &outcome.run, &ctx.limits);
        finished.outcome.resources = Some(outcome.resources);
        finished.outcome.environment = outcome.environment.clone();
        match finished.status {
            ExecutionStatus::Succeeded if outcome.result_truncated => {
                finished.outcome.result = Some(Value::String(
                    "<result too large: over the output limit>".to_owned(),
                ));
                finished.outcome.truncated = true;
            }
            ExecutionStatus::Succeeded => finished.outcome.result = outcome.result,
            ExecutionStatus::Failed if outcome.error.is_some() => {
                finished.outcome.error = outcome.error
            }
            _ => {}
        }
        finished
    }
}
