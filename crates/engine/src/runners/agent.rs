//! Agents: registered programs that take a JSON input and return a JSON
//! object. `python` agents define `run(input)` (called by the embedded
//! runner); `command` agents read the input on stdin and print the object
//! on stdout. Output is streamed live as log lines.

use runbox_domain::{AgentJob, AgentRuntime, Execution, ExecutionStatus, JobSpec, OutcomeKind};
use runbox_sandbox::{RunControl, RunOutcome, RunSpec, SandboxFile};
use serde_json::{Map, Value};

use super::python::RUNNER_SOURCE;
use super::{base_env, internal_failure, interpret, Finished, JobRunner, RunContext};

pub struct AgentRunner {
    /// Absolute path of `python3` inside the sandbox.
    pub interpreter: String,
}

#[async_trait::async_trait]
impl JobRunner for AgentRunner {
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let JobSpec::Agent(job) = &execution.job else {
            return internal_failure(runbox_sandbox::SandboxError::Setup(
                "not an agent job".into(),
            ));
        };
        let input = match serde_json::to_string(&job.input) {
            Ok(text) => text,
            Err(err) => {
                return internal_failure(runbox_sandbox::SandboxError::Setup(format!(
                    "input: {err}"
                )))
            }
        };
        let spec = self.spec(execution, job, input, &ctx);
        let control = RunControl {
            timeout: execution.timeout.as_duration(),
            cancel: ctx.cancel.clone(),
            on_output: ctx.live.as_ref().map(|live| live.sink()),
        };
        match ctx.sandbox.run(spec, control).await {
            Ok(run) => read_result(execution, job, &run, &ctx),
            Err(err) => internal_failure(err),
        }
    }

    fn streams_output(&self) -> bool {
        true
    }
}

impl AgentRunner {
    fn spec(
        &self,
        execution: &Execution,
        job: &AgentJob,
        input: String,
        ctx: &RunContext,
    ) -> RunSpec {
        let mut env = base_env(execution);
        env.extend(job.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let input_file = SandboxFile {
            name: "input.json".into(),
            contents: input,
        };
        let (argv, files, result_channel) = match &job.runtime {
            AgentRuntime::Python { code } => (
                vec![
                    self.interpreter.clone(),
                    "-I".into(),
                    "-u".into(),
                    "/runbox/runner.py".into(),
                    "agent".into(),
                ],
                vec![
                    SandboxFile {
                        name: "runner.py".into(),
                        contents: RUNNER_SOURCE.into(),
                    },
                    SandboxFile {
                        name: "main.py".into(),
                        contents: code.clone(),
                    },
                    input_file,
                ],
                true,
            ),
            AgentRuntime::Command { command } => (
                vec!["/bin/sh".into(), "-c".into(), command.clone()],
                vec![input_file],
                false,
            ),
        };
        RunSpec {
            argv,
            env,
            files,
            stdin_file: Some("input.json".into()),
            limits: ctx.limits.clone(),
            combined_output: false,
            result_channel,
        }
    }
}

/// The agent's object (a non-object value wrapped as `{"result": value}`)
/// or why the run failed, in `error`, the dialect's `error_log`.
fn read_result(
    execution: &Execution,
    job: &AgentJob,
    run: &RunOutcome,
    ctx: &RunContext,
) -> Finished {
    let mut finished = interpret(execution, run, &ctx.limits);
    if finished.status == ExecutionStatus::TimedOut {
        finished.outcome.error = Some(format!("timed out after {} s", execution.timeout.secs()));
        return finished;
    }
    if finished.status == ExecutionStatus::Failed {
        // The traceback or the command's stderr says more than an exit code.
        let stderr = finished.outcome.stderr.trim();
        if !stderr.is_empty() {
            finished.outcome.error = Some(stderr.to_owned());
        }
        return finished;
    }
    if finished.status != ExecutionStatus::Succeeded {
        return finished;
    }
    let produced = match &job.runtime {
        AgentRuntime::Python { .. } => python_result(run),
        AgentRuntime::Command { .. } => {
            command_result(&finished.outcome.stdout, run.stdout.truncated)
        }
    };
    match produced {
        Ok(value) => finished.outcome.result = Some(as_object(value)),
        Err(why) => {
            finished.status = ExecutionStatus::Failed;
            finished.outcome.kind = OutcomeKind::InvalidOutput;
            finished.outcome.error = Some(why);
        }
    }
    finished
}

fn python_result(run: &RunOutcome) -> Result<Value, String> {
    let channel = run.result.as_ref().ok_or("the runner reported no result")?;
    if channel.truncated {
        return Err("the result is larger than the output limit".to_owned());
    }
    let report: Value =
        serde_json::from_slice(&channel.bytes).map_err(|e| format!("unreadable result: {e}"))?;
    Ok(report.get("result").cloned().unwrap_or(Value::Null))
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
    serde_json::from_str(text).map_err(|e| {
        let shown: String = text.chars().take(200).collect();
        format!("the output is not a JSON object ({e}): {shown}")
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
