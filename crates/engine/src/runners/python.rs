//! Python snippets: `python3` in the sandbox running the embedded runner
//! (`python_runner.py`), which executes the user's code with top-level
//! `return` support and reports result and error line on fd 3. Besides the
//! Python dialect's runner, [`run_snippet`] serves other callers that run
//! Python (scenario code steps).

use std::time::Duration;

use runbox_domain::{Execution, ExecutionStatus, JobSpec};
use runbox_sandbox::{RunControl, RunOutcome, RunSpec, SandboxError, SandboxFile};
use serde::Deserialize;
use serde_json::Value;

use super::{
    execution_env, internal_failure, interpret, template_env, Finished, JobRunner, RunContext,
};

pub(crate) const RUNNER_SOURCE: &str = include_str!("python_runner.py");

pub struct PythonRunner {
    /// Absolute path of `python3` inside the sandbox.
    pub interpreter: String,
}

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
}

/// What the runner script reports on its result channel.
#[derive(Deserialize)]
struct Report {
    result: Value,
    error: Option<String>,
}

/// The CPU limit of every Python run. The runner is started before its run
/// is known, so its limits cannot depend on the run's timeout (which the
/// wall clock enforces anyway); this only stops a runaway.
const PYTHON_CPU_SECS: u32 = 2 * 3600 + 5;

/// Runs a snippet in the sandbox with the context's limits and
/// cancellation. Every Python run shares one template (interpreter, runner,
/// limits), so slots keep an interpreter started and waiting for the next
/// one; the code, input and per-run variables travel as the payload.
pub async fn run_snippet(
    snippet: Snippet<'_>,
    ctx: &RunContext,
) -> Result<SnippetOutcome, SandboxError> {
    let (mode, input) = match snippet.mode {
        SnippetMode::Script => ("script", None),
        SnippetMode::WithInput(input) => ("input", Some(input)),
        SnippetMode::Agent(input) => ("agent", Some(input)),
    };
    let env: serde_json::Map<String, Value> = snippet
        .env
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let payload =
        serde_json::json!({ "mode": mode, "code": snippet.code, "input": input, "env": env });
    let mut limits = ctx.limits.clone();
    limits.cpu_secs = PYTHON_CPU_SECS;
    let spec = RunSpec {
        // -I: ignore PYTHON* variables and user site-packages; the runner
        // itself puts "" on sys.path as `python3 -c` does. -u: output
        // reaches the pipes as it is written, even if the run is killed.
        argv: vec![
            snippet.interpreter.to_owned(),
            "-I".into(),
            "-u".into(),
            "/runbox/runner.py".into(),
        ],
        env: template_env(),
        files: vec![SandboxFile {
            name: "runner.py".into(),
            contents: RUNNER_SOURCE.into(),
        }],
        stdin_file: None,
        limits,
        combined_output: false,
        result_channel: true,
        payload: Some(payload.to_string()),
    };
    let control = RunControl {
        timeout: snippet.timeout,
        cancel: ctx.cancel.clone(),
        on_output: snippet.on_output,
    };
    let run = ctx.sandbox.run(spec, control).await?;
    let channel = run.result.as_ref();
    let result_truncated = channel.is_some_and(|r| r.truncated);
    let report = channel
        .filter(|r| !r.truncated)
        .and_then(|r| serde_json::from_slice::<Report>(&r.bytes).ok());
    let (result, error) = match report {
        Some(report) => (Some(report.result), report.error),
        None => (None, None),
    };
    Ok(SnippetOutcome {
        run,
        result,
        error,
        result_truncated,
    })
}

#[async_trait::async_trait]
impl JobRunner for PythonRunner {
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let JobSpec::Python(job) = &execution.job else {
            return internal_failure(SandboxError::Setup("not a Python job".into()));
        };
        let snippet = Snippet {
            interpreter: &self.interpreter,
            code: &job.code,
            mode: SnippetMode::Script,
            env: execution_env(execution),
            timeout: execution.timeout.as_duration(),
            on_output: None,
        };
        let outcome = match run_snippet(snippet, &ctx).await {
            Ok(outcome) => outcome,
            Err(err) => return internal_failure(err),
        };
        let mut finished = interpret(execution, &outcome.run, &ctx.limits);
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
