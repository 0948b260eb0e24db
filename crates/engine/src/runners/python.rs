//! Python snippets: `python3` in the sandbox running the embedded runner
//! (`python_runner.py`), which executes the user's code with top-level
//! `return` support and reports result and error line on fd 3.

use runbox_domain::{Execution, ExecutionStatus, JobSpec};
use runbox_sandbox::{RunControl, RunSpec, SandboxFile};
use serde::Deserialize;

use super::{base_env, internal_failure, interpret, Finished, JobRunner, RunContext};

const RUNNER_SOURCE: &str = include_str!("python_runner.py");

pub struct PythonRunner {
    /// Absolute path of `python3` inside the sandbox.
    pub interpreter: String,
}

/// What the runner script reports on its result channel.
#[derive(Deserialize)]
struct Report {
    result: serde_json::Value,
    error: Option<String>,
}

#[async_trait::async_trait]
impl JobRunner for PythonRunner {
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let JobSpec::Python(job) = &execution.job else {
            return internal_failure(runbox_sandbox::SandboxError::Setup(
                "not a Python job".into(),
            ));
        };
        let spec = RunSpec {
            // -I: ignore PYTHON* variables and user site-packages; the runner
            // itself puts "" on sys.path as `python3 -c` does. -u: output
            // reaches the pipes as it is written, even if the run is killed.
            argv: vec![
                self.interpreter.clone(),
                "-I".into(),
                "-u".into(),
                "/runbox/runner.py".into(),
            ],
            env: base_env(execution),
            files: vec![
                SandboxFile {
                    name: "runner.py".into(),
                    contents: RUNNER_SOURCE.into(),
                },
                SandboxFile {
                    name: "main.py".into(),
                    contents: job.code.clone(),
                },
            ],
            stdin_file: None,
            limits: ctx.limits.clone(),
            combined_output: false,
            result_channel: true,
        };
        let control = RunControl {
            timeout: execution.timeout.as_duration(),
            cancel: ctx.cancel.clone(),
            on_output: None,
        };
        let run = match ctx.sandbox.run(spec, control).await {
            Ok(run) => run,
            Err(err) => return internal_failure(err),
        };
        let mut finished = interpret(execution, &run, &ctx.limits);
        let report = run
            .result
            .as_ref()
            .filter(|r| !r.truncated)
            .and_then(|r| serde_json::from_slice::<Report>(&r.bytes).ok());
        if let Some(report) = report {
            if finished.status == ExecutionStatus::Succeeded {
                finished.outcome.result = Some(report.result);
            } else if finished.status == ExecutionStatus::Failed && report.error.is_some() {
                finished.outcome.error = report.error;
            }
        } else if run.result.as_ref().is_some_and(|r| r.truncated)
            && finished.status == ExecutionStatus::Succeeded
        {
            finished.outcome.result = Some(serde_json::Value::String(
                "<result too large: over the output limit>".to_owned(),
            ));
            finished.outcome.truncated = true;
        }
        finished
    }
}
