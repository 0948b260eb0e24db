//! [`ScenarioRunner`]: the engine's runner for scenario executions. Decodes
//! the [`ScenarioJob`], runs the executor with the execution's cancel token
//! and deadline, Python steps in the sandbox and HTTP through the outbound
//! policy, and turns the [`ScenarioReport`] into a status and an outcome.
//!
//! Status mapping: `completed`/`warning` → succeeded; `error` → failed
//! (outcome kind `timed_out` for TIMEOUT, `completed` otherwise);
//! `stopped` → canceled. The report is `outcome.extra`, the outputs are
//! `outcome.result`, the error message is `outcome.error`.

use std::sync::Arc;
use std::time::Duration;

use runbox_domain::{Execution, ExecutionStatus, Outcome, OutcomeKind};
use runbox_engine::{
    execution_env, interpret, run_snippet, Finished, ForeignSnippet, JobRunner, RunContext,
    Snippet, SnippetMode,
};
use runbox_netguard::OutboundPolicy;
use serde_json::{Map, Value};

use crate::blueprint::load_blueprint;
use crate::executor::{
    execute, PythonCall, PythonRun, PythonStep, RunRequest, Services, WebhookReply,
};
use crate::job::ScenarioJob;
use crate::report::{ScenarioError, ScenarioReport, ScenarioStatus};

pub struct ScenarioRunner {
    /// Outbound HTTP policy for HTTP modules (`RUNBOX_HTTP_ALLOW`).
    pub policy: OutboundPolicy,
}

#[async_trait::async_trait]
impl JobRunner for ScenarioRunner {
    #[tracing::instrument(skip_all, fields(execution.id = %execution.id))]
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let job = match ScenarioJob::from_spec(&execution.job) {
            Ok(job) => job,
            Err(error) => return finished(refused("EXECUTION_ERROR", error)),
        };
        let blueprint = match load_blueprint(&job.blueprint) {
            Ok(blueprint) => blueprint,
            Err(error) => return finished(refused("INVALID_INPUT", error.to_string())),
        };
        let max_duration = job.max_duration().min(execution.timeout.secs().max(1));
        let python = SandboxPython {
            ctx: ctx.clone(),
            env: execution_env(execution),
            execution: execution.clone(),
        };
        let webhook_reply = match (&ctx.live, job.hook) {
            (Some(live), Some(_)) => {
                let live = live.clone();
                let reply: WebhookReply = Arc::new(move |response: &Value| {
                    live.log(&format!("{WEBHOOK_RESPONSE_LOG}{response}"));
                });
                Some(reply)
            }
            _ => None,
        };
        let services = Services {
            policy: self.policy.clone(),
            python: Arc::new(python),
            secrets: Arc::new(ctx.secrets.values().clone()),
            webhook_reply,
        };
        let request = RunRequest {
            blueprint,
            input: job.input,
            scenario_id: job.scenario_id,
            scenario_name: job.scenario_name,
            execution_id: execution.id.to_string(),
            max_duration: Duration::from_secs(u64::from(max_duration)),
            resume: job.resume,
        };
        let report = execute(request, &services, ctx.cancel.clone()).await;
        tracing::info!(status = ?report.status, operations = report.operations, "scenario run ended");
        finished(report)
    }

    /// The run's log carries a `gateway:WebhookRespond` response, which the
    /// node that took the webhook's request (any node) reads from the store.
    fn streams_output(&self) -> bool {
        true
    }
}

/// The prefix of the log line holding a `gateway:WebhookRespond` response
/// (`{status, body, headers}` as JSON after it).
pub const WEBHOOK_RESPONSE_LOG: &str = "webhook-response ";

/// The report of a scenario execution's outcome, for the API.
pub fn report_of(outcome: &Outcome) -> Option<ScenarioReport> {
    serde_json::from_value(outcome.extra.clone()?).ok()
}

/// A run that could not start.
fn refused(code: &str, message: String) -> ScenarioReport {
    ScenarioReport {
        status: ScenarioStatus::Error,
        outputs: Value::Object(Map::new()),
        operations: 0,
        data_transfer: 0,
        modules: Vec::new(),
        modules_truncated: false,
        error: Some(ScenarioError {
            code: code.to_owned(),
            message,
            module_id: None,
            module_name: None,
        }),
        resume: None,
    }
}

fn finished(report: ScenarioReport) -> Finished {
    let timed_out = report.error.as_ref().is_some_and(|e| e.code == "TIMEOUT");
    let (status, kind) = match report.status {
        ScenarioStatus::Completed | ScenarioStatus::Warning => {
            (ExecutionStatus::Succeeded, OutcomeKind::Completed)
        }
        ScenarioStatus::Error if timed_out => (ExecutionStatus::Failed, OutcomeKind::TimedOut),
        ScenarioStatus::Error => (ExecutionStatus::Failed, OutcomeKind::Completed),
        ScenarioStatus::Stopped => (ExecutionStatus::Canceled, OutcomeKind::Canceled),
    };
    let error = match (&report.error, report.status) {
        (Some(error), _) => Some(error.message.clone()),
        (None, ScenarioStatus::Stopped) => Some("Execution stopped".to_owned()),
        (None, _) => None,
    };
    let outcome = Outcome {
        kind,
        exit_code: None,
        stdout: String::new(),
        stderr: String::new(),
        truncated: report.modules_truncated,
        result: Some(report.outputs.clone()),
        error,
        extra: serde_json::to_value(&report).ok(),
        resources: None,
        environment: None,
    };
    Finished { status, outcome }
}

/// Python steps in the engine's sandbox, with the execution's limits.
struct SandboxPython {
    ctx: RunContext,
    env: Vec<(String, String)>,
    /// For the engine's reading of a finished process ([`interpret`]).
    execution: Execution,
}

#[async_trait::async_trait]
impl PythonStep for SandboxPython {
    async fn run(&self, call: PythonCall) -> Result<PythonRun, String> {
        let mut ctx = self.ctx.clone();
        ctx.cancel = call.cancel;
        ctx.live = None;
        let ran = match &call.language {
            Some(language) => {
                let snippet = ForeignSnippet {
                    code: &call.code,
                    mode: SnippetMode::WithInput(&call.input),
                    env: self.env.clone(),
                    timeout: call.timeout,
                    on_output: None,
                    network: &[],
                };
                let interpreters = ctx.services.interpreters.clone();
                interpreters.run(language, snippet, &ctx).await
            }
            None => {
                let snippet = Snippet {
                    interpreter: &ctx.services.interpreters.python,
                    code: &call.code,
                    mode: SnippetMode::WithInput(&call.input),
                    env: self.env.clone(),
                    timeout: call.timeout,
                    on_output: None,
                    network: &[],
                };
                run_snippet(snippet, &ctx).await
            }
        };
        let outcome = ran.map_err(|e| e.to_string())?;
        let run = &outcome.run;
        // Worded as the Python API words a failed run (contract section 5):
        // the exception's last traceback line, else the engine's reading of
        // the process (`Process exited with code N`, a signal, the memory
        // limit). Timeouts and stops are told apart by the step itself.
        let error = outcome
            .error
            .clone()
            .or_else(|| interpret(&self.execution, run, &ctx.limits).outcome.error)
            .or_else(|| {
                outcome
                    .result_truncated
                    .then(|| "the result is larger than the output limit".to_owned())
            });
        Ok(PythonRun {
            result: outcome.result.clone().unwrap_or(Value::Null),
            stdout: run.stdout.text(),
            stderr: run.stderr.text(),
            exit_code: run.status.code(),
            error,
            timed_out: run.timed_out,
            canceled: run.canceled,
            resources: Some(outcome.resources),
        })
    }
}

#[cfg(test)]
mod tests;
