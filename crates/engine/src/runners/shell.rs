//! Shell commands (buttons): `/bin/sh -c COMMAND`, stdout and stderr
//! interleaved in one pipe, streamed live.

use runbox_domain::{Execution, JobSpec};
use runbox_sandbox::{RunControl, RunSpec};

use super::{base_env, internal_failure, interpret, Finished, JobRunner, RunContext};

pub struct ShellRunner;

#[async_trait::async_trait]
impl JobRunner for ShellRunner {
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let JobSpec::Shell(job) = &execution.job else {
            return internal_failure(runbox_sandbox::SandboxError::Setup(
                "not a shell job".into(),
            ));
        };
        let mut env = base_env(execution);
        env.extend(job.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let spec = RunSpec {
            argv: vec!["/bin/sh".into(), "-c".into(), job.command.clone()],
            env,
            files: vec![],
            stdin_file: None,
            limits: ctx.limits.clone(),
            combined_output: true,
            result_channel: false,
            payload: None,
        };
        let control = RunControl {
            timeout: execution.timeout.as_duration(),
            cancel: ctx.cancel.clone(),
            on_output: ctx.live.as_ref().map(|live| live.sink()),
        };
        match ctx.sandbox.run(spec, control).await {
            Ok(run) => interpret(execution, &run, &ctx.limits),
            Err(err) => internal_failure(err),
        }
    }

    fn streams_output(&self) -> bool {
        true
    }
}
