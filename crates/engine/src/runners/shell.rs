//! Shell commands (buttons): `/bin/sh -c COMMAND`, stdout and stderr
//! interleaved in one pipe, streamed live.

use runbox_domain::{Destination, Execution, JobSpec};
use runbox_egress::Counters;
use runbox_sandbox::{ProxyService, RunControl, RunSpec, SandboxFile};

use super::python::{measured, SnippetError};
use super::{base_env, internal_failure, interpret, resolve_env, Finished, JobRunner, RunContext};

pub struct ShellRunner;

/// Where a run started by an incoming webhook finds the request's body.
const HOOK_FILE: &str = "hook-body";

#[async_trait::async_trait]
impl JobRunner for ShellRunner {
    async fn run(&self, execution: &Execution, ctx: RunContext) -> Finished {
        let JobSpec::Shell(job) = &execution.job else {
            return internal_failure(runbox_sandbox::SandboxError::Setup(
                "not a shell job".into(),
            ));
        };
        // Every button run passes here (clicked, scheduled, called by a
        // hook), so the command rules hold for all of them, including a
        // command from the config file that was only warned about.
        if let Err(invalid) = crate::commands::static_checks(&job.command) {
            return SnippetError::Refused(format!("Invalid command: {invalid}")).finished();
        }
        let mut env = base_env(execution);
        match resolve_env(&job.env, &ctx.secrets) {
            Ok(vars) => env.extend(vars),
            Err(refused) => return refused.finished(),
        }
        let network = match open_network(&job.network, &ctx, &mut env) {
            Ok(network) => network,
            Err(refused) => return refused.finished(),
        };
        let mut files = Vec::new();
        if let Some(hook) = &job.hook {
            env.push((
                "RUNBOX_HOOK_FILE".to_owned(),
                format!("{}/{HOOK_FILE}", runbox_sandbox::FILES_DIR),
            ));
            env.push(("RUNBOX_HOOK_METHOD".to_owned(), hook.method.clone()));
            files.push(SandboxFile {
                name: HOOK_FILE.to_owned(),
                contents: hook.body.clone(),
            });
        }
        let spec = RunSpec {
            argv: vec!["/bin/sh".into(), "-c".into(), job.command.clone()],
            env,
            files,
            stdin_file: None,
            limits: ctx.limits.clone(),
            combined_output: true,
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
        match ctx.sandbox.run(spec, control).await {
            Ok(run) => {
                let mut finished = interpret(execution, &run, &ctx.limits);
                finished.outcome.resources = Some(measured(&run, counters.as_ref()));
                finished
            }
            Err(err) => internal_failure(err),
        }
    }

    fn streams_output(&self) -> bool {
        true
    }
}

/// The proxy of a command granted `network` (checked against the operator's
/// list as it is now), with its variables added to `env`; `None` without.
pub(crate) fn open_network(
    network: &[Destination],
    ctx: &RunContext,
    env: &mut Vec<(String, String)>,
) -> Result<Option<(ProxyService, Counters)>, SnippetError> {
    if network.is_empty() {
        return Ok(None);
    }
    ctx.services
        .gateway
        .check(network)
        .map_err(|e| SnippetError::Refused(format!("Invalid network request: {e}")))?;
    env.extend(runbox_sandbox::proxy_env());
    Ok(Some(ctx.services.gateway.open(network.to_vec())))
}
