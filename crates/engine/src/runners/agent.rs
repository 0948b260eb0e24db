//! Agents: registered programs that take a JSON input and return a JSON
//! object. `python` agents define `run(input)` (called by the embedded
//! runner, like every Python run); `command` agents read the input on
//! stdin and print the object on stdout. Output is streamed live.

use runbox_domain::{
    AgentJob, AgentRuntime, Execution, ExecutionStatus, JobSpec, OutcomeKind, Resources,
    UsedEnvironment,
};
use runbox_sandbox::{RunControl, RunOutcome, RunSpec, SandboxError, SandboxFile};
use serde_json::{Map, Value};

use super::python::{measured, run_snippet, Snippet, SnippetError, SnippetMode};
use super::shell::open_network;
use super::{
    base_env, execution_env, internal_failure, interpret, resolve_env, Finished, JobRunner,
    RunContext,
};

pub struct AgentRunner;

#[async_trait::async_trait]
impl JobRunner for AgentRunner {
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let JobSpec::Agent(job) = &execution.job else {
            return internal_failure(SandboxError::Setup("not an agent job".into()));
        };
        let produced = match &job.runtime {
            AgentRuntime::Python { code } => self.run_python(execution, job, code, &ctx).await,
            AgentRuntime::Command { command } => run_command(execution, job, command, &ctx).await,
            AgentRuntime::JavaScript { code } => {
                self.run_foreign(execution, job, runbox_domain::JAVASCRIPT, code, &ctx)
                    .await
            }
            AgentRuntime::Custom { runtime, code } => {
                self.run_foreign(execution, job, runtime, code, &ctx).await
            }
        };
        match produced {
            Ok(produced) => {
                let mut finished = read_result(execution, &produced.run, produced.result, &ctx);
                finished.outcome.resources = Some(produced.resources);
                finished.outcome.environment = produced.environment;
                finished
            }
            Err(err) => err.finished(),
        }
    }

    fn streams_output(&self) -> bool {
        true
    }
}

/// What a run produced, and the value it returned (or why there is none).
struct Produced {
    run: RunOutcome,
    result: Result<Value, String>,
    resources: Resources,
    environment: Option<UsedEnvironment>,
}

impl AgentRunner {
    async fn run_python(
        &self,
        execution: &Execution,
        job: &AgentJob,
        code: &str,
        ctx: &RunContext,
    ) -> Result<Produced, SnippetError> {
        let mut env = execution_env(execution);
        env.extend(resolve_env(&job.env, &ctx.secrets)?);
        let snippet = Snippet {
            interpreter: &ctx.services.interpreters.python,
            code,
            mode: SnippetMode::Agent(&job.input),
            env,
            timeout: execution.timeout.as_duration(),
            on_output: ctx.live.as_ref().map(|live| live.sink()),
            network: &job.network,
        };
        let outcome = run_snippet(snippet, ctx).await?;
        let result = if outcome.result_truncated {
            Err("the result is larger than the output limit".to_owned())
        } else {
            outcome
                .result
                .ok_or_else(|| "the runner reported no result".to_owned())
        };
        Ok(Produced {
            run: outcome.run,
            result,
            resources: outcome.resources,
            environment: outcome.environment,
        })
    }
}

impl AgentRunner {
    /// JavaScript (its `run(input)`'s value is the result) or an operator's
    /// runtime (input JSON on stdin, a JSON object on stdout).
    async fn run_foreign(
        &self,
        execution: &Execution,
        job: &AgentJob,
        language: &str,
        code: &str,
        ctx: &RunContext,
    ) -> Result<Produced, SnippetError> {
        let mut env = execution_env(execution);
        env.extend(resolve_env(&job.env, &ctx.secrets)?);
        let snippet = super::ForeignSnippet {
            code,
            mode: SnippetMode::Agent(&job.input),
            env,
            timeout: execution.timeout.as_duration(),
            on_output: ctx.live.as_ref().map(|live| live.sink()),
            network: &job.network,
        };
        let outcome = ctx
            .services
            .interpreters
            .run(language, snippet, ctx)
            .await?;
        let result = if language == runbox_domain::JAVASCRIPT {
            if outcome.result_truncated {
                Err("the result is larger than the output limit".to_owned())
            } else {
                outcome
                    .result
                    .ok_or_else(|| "the runner reported no result".to_owned())
            }
        } else {
            command_result(&outcome.run.stdout.text(), outcome.run.stdout.truncated)
        };
        Ok(Produced {
            run: outcome.run,
            result,
            resources: outcome.resources,
            environment: None,
        })
    }
}

async fn run_command(
    execution: &Execution,
    job: &AgentJob,
    command: &str,
    ctx: &RunContext,
) -> Result<Produced, SnippetError> {
    let input = serde_json::to_string(&job.input)
        .map_err(|e| SnippetError::Sandbox(SandboxError::Setup(format!("input: {e}"))))?;
    let mut env = base_env(execution);
    env.extend(resolve_env(&job.env, &ctx.secrets)?);
    let network = open_network(&job.network, ctx, &mut env)?;
    let spec = RunSpec {
        argv: vec!["/bin/sh".into(), "-c".into(), command.to_owned()],
        env,
        files: vec![SandboxFile {
            name: "input.json".into(),
            contents: input.into_bytes(),
        }],
        stdin_file: Some("input.json".into()),
        limits: ctx.limits.clone(),
        combined_output: false,
        result_channel: false,
        payload: None,
        proxy: network.is_some(),
        ..Default::default()
    };
    let (proxy, counters) = network.unzip();
    let control = RunControl {
        timeout: execution.timeout.as_duration(),
        cancel: ctx.cancel.clone(),
        on_output: ctx.live.as_ref().map(|live| live.sink()),
        proxy,
    };
    let run = ctx
        .sandbox
        .run(spec, control)
        .await
        .map_err(SnippetError::Sandbox)?;
    let result = command_result(&run.stdout.text(), run.stdout.truncated);
    Ok(Produced {
        resources: measured(&run, counters.as_ref()),
        run,
        result,
        environment: None,
    })
}

/// The agent's object (a non-object value wrapped as `{"result": value}`)
/// or why the run failed, in `error`, the dialect's `error_log`.
fn read_result(
    execution: &Execution,
    run: &RunOutcome,
    produced: Result<Value, String>,
    ctx: &RunContext,
) -> Finished {
    let mut finished = interpret(execution, run, &ctx.limits);
    match finished.status {
        ExecutionStatus::TimedOut => {
            finished.outcome.error =
                Some(format!("timed out after {} s", execution.timeout.secs()));
        }
        ExecutionStatus::Failed => {
            // The traceback or the command's stderr says more than an exit code.
            let stderr = finished.outcome.stderr.trim();
            if !stderr.is_empty() {
                finished.outcome.error = Some(stderr.to_owned());
            }
        }
        ExecutionStatus::Succeeded => match produced {
            Ok(value) => finished.outcome.result = Some(as_object(value)),
            Err(why) => {
                finished.status = ExecutionStatus::Failed;
                finished.outcome.kind = OutcomeKind::InvalidOutput;
                finished.outcome.error = Some(why);
            }
        },
        _ => {}
    }
    finished
}

fn command_result(stdout: &str, truncated: bool) -> Result<Value, String> {
    if truncated {
        return Err(
            "the output is larger than the output limit, so it is not a complete JSON object"
                .to_owned(),
        );
    }
    let text = stdout.trim();
    if text.is_empty() {
        return Err(
            "the command printed nothing; it must print a JSON object on stdout".to_owned(),
        );
    }
    serde_json::from_str(text).or_else(|e| {
        // Progress lines before the answer are common: the last line is the
        // answer when it is an object on its own.
        let last_line = text.lines().map(str::trim).rfind(|l| !l.is_empty());
        match last_line.and_then(|l| serde_json::from_str::<Value>(l).ok()) {
            Some(object @ Value::Object(_)) => Ok(object),
            _ => {
                let shown: String = text.chars().take(200).collect();
                Err(format!("the output is not a JSON object ({e}): {shown}"))
            }
        }
    })
}

fn as_object(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(map),
        other => {
            let mut map = Map::new();
            map.insert("result".to_owned(), other);
            Value::Object(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_last_line_answers_after_progress_lines() {
        assert_eq!(
            command_result("working\nstill working\n{\"done\": true}\n", false),
            Ok(json!({"done": true}))
        );
        assert!(command_result("working\n42\n", false).is_err());
        assert!(command_result("not json", false).is_err());
    }

    #[test]
    fn non_objects_are_wrapped() {
        assert_eq!(as_object(json!({"a": 1})), json!({"a": 1}));
        assert_eq!(as_object(json!([1, 2])), json!({"result": [1, 2]}));
        assert_eq!(as_object(json!(null)), json!({"result": null}));
    }

    #[test]
    fn command_output_must_be_json() {
        assert_eq!(
            command_result(" {\"ok\": true}\n", false),
            Ok(json!({"ok": true}))
        );
        assert!(command_result("hello", false).is_err());
        assert!(command_result("", false).is_err());
        assert!(command_result("{}", true).is_err());
    }
}
