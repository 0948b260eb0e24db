//! One module run for one bundle: replay from resume state, mapper
//! evaluation, the run itself under the deadline and cancel token, the
//! record, and the module's error route when it fails.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::lineage::Bundle;
use super::walk::{at, run_flow, scope};
use super::{key, modules, At, Env, Halt, State};
use crate::blueprint::{Module, ModuleKind};
use crate::iml::evaluate;
use crate::report::{CompletedStep, ModuleRun, ModuleStatus};

/// How long a stopped module (its sandbox run, mostly) gets to wind down.
const GRACE: Duration = Duration::from_secs(5);

enum Failure {
    Module(String),
    Timeout,
    Stopped,
}

/// A module run that failed, for its record and its error route.
struct Failed {
    at: At,
    input: Value,
    error: String,
    started: Instant,
    bundle_no: u64,
    resources: Option<runbox_domain::Resources>,
}

/// Counts a module's input or output against the run's data budget: a
/// mapper with many large keys, or many bundles of large data, must fail
/// the module rather than the server's memory.
fn charge(st: &mut State, value: &Value) -> Result<(), Failure> {
    if runbox_domain::json_depth(value) > runbox_domain::MAX_JSON_DEPTH {
        return Err(Failure::Module(format!(
            "the value nests deeper than {} levels",
            runbox_domain::MAX_JSON_DEPTH
        )));
    }
    let left = super::MAX_RUN_DATA_BYTES.saturating_sub(st.data_bytes);
    match crate::iml::value::size_up_to(value, left) {
        Some(size) => {
            st.data_bytes += size;
            Ok(())
        }
        None => Err(Failure::Module(format!(
            "the run's module inputs and outputs exceed {} MiB",
            super::MAX_RUN_DATA_BYTES >> 20
        ))),
    }
}

/// Runs `module` for `bundle`; returns the bundles it hands on.
pub(crate) async fn run_step(
    env: &Env,
    st: &mut State,
    module: &Module,
    kind: ModuleKind,
    bundle: &Bundle,
) -> Result<Vec<Bundle>, Halt> {
    if let Some(outputs) = st.cache.get(&key(&bundle.path, module.id)).cloned() {
        st.completed.push(CompletedStep {
            path: bundle.path.to_string(),
            module_id: module.id,
            outputs: outputs.clone(),
        });
        return Ok(children(bundle, module.id, kind, outputs));
    }
    let here = at(module, bundle);
    if env.cancel.is_cancelled() {
        return Err(Halt::Stopped { at: Some(here) });
    }
    if Instant::now() >= env.deadline {
        return Err(Halt::Timeout { at: Some(here) });
    }
    let bundle_no = st.next_bundle(module.id);
    let started = Instant::now();
    let measured = std::sync::Mutex::new(None);
    let (input, result) = match evaluate(&module.mapper_or_empty(), scope(env, bundle)) {
        Ok(input) => match charge(st, &input) {
            Ok(()) => {
                let result = guarded(env, module, kind, &input, &measured).await;
                let result = result.and_then(|outputs| {
                    outputs
                        .iter()
                        .try_for_each(|output| charge(st, output))
                        .map(|()| outputs)
                });
                (input, result)
            }
            Err(failure) => (Value::Null, Err(failure)),
        },
        Err(error) => (Value::Null, Err(Failure::Module(error.to_string()))),
    };
    let resources = measured.lock().ok().and_then(|m| *m);
    let record = |st: &mut State, status, output, error| {
        st.record(ModuleRun {
            id: module.id,
            name: module.display_name(),
            module: module.module.clone(),
            status,
            duration: started.elapsed().as_millis() as u64,
            input: input.clone(),
            output,
            error,
            bundle: bundle_no,
            resources,
        })
    };
    if kind.costs_operation() && !matches!(result, Err(Failure::Stopped | Failure::Timeout)) {
        st.operations += 1;
    }
    match result {
        Ok(outputs) => {
            let shown = if emits_many(kind) {
                Value::Array(outputs.clone())
            } else {
                first(&outputs)
            };
            record(st, ModuleStatus::Completed, shown, None);
            if kind == ModuleKind::Return {
                st.outputs = Some(first(&outputs));
                return Err(Halt::Returned);
            }
            st.completed.push(CompletedStep {
                path: bundle.path.to_string(),
                module_id: module.id,
                outputs: outputs.clone(),
            });
            Ok(children(bundle, module.id, kind, outputs))
        }
        Err(Failure::Timeout) => {
            record(
                st,
                ModuleStatus::Error,
                Value::Null,
                Some("stopped: the scenario exceeded its maximum duration".into()),
            );
            Err(Halt::Timeout { at: Some(here) })
        }
        Err(Failure::Stopped) => {
            record(st, ModuleStatus::Error, Value::Null, Some("stopped".into()));
            Err(Halt::Stopped { at: Some(here) })
        }
        Err(Failure::Module(error)) => {
            let failed = Failed {
                at: here,
                input: input.clone(),
                error,
                started,
                bundle_no,
                resources,
            };
            on_error(env, st, module, kind, bundle, failed).await
        }
    }
}

fn emits_many(kind: ModuleKind) -> bool {
    matches!(kind, ModuleKind::Iterator | ModuleKind::ParseJson)
}

fn first(outputs: &[Value]) -> Value {
    outputs.first().cloned().unwrap_or(Value::Null)
}

fn children(bundle: &Bundle, module: i64, kind: ModuleKind, outputs: Vec<Value>) -> Vec<Bundle> {
    let many = emits_many(kind);
    outputs
        .into_iter()
        .enumerate()
        .map(|(i, output)| bundle.with(module, output, many.then_some(i + 1)))
        .collect()
}

/// Runs the module, stopping it at the deadline or on cancel.
async fn guarded(
    env: &Env,
    module: &Module,
    kind: ModuleKind,
    input: &Value,
    measured: &modules::Measured,
) -> Result<Vec<Value>, Failure> {
    let cancel = env.cancel.child_token();
    let work = modules::run(modules::Call {
        env,
        module,
        kind,
        input,
        cancel: cancel.clone(),
        measured,
    });
    tokio::pin!(work);
    let outcome = tokio::select! {
        biased;
        () = env.cancel.cancelled() => Err(Failure::Stopped),
        () = tokio::time::sleep_until(env.deadline) => Err(Failure::Timeout),
        result = &mut work => result.map_err(Failure::Module),
    };
    match outcome {
        Err(Failure::Stopped | Failure::Timeout) => {
            // Let a sandbox run see the cancel and be killed before we go on.
            cancel.cancel();
            let _ = tokio::time::timeout(GRACE, &mut work).await;
        }
        // A step that gave up because of the deadline or a cancel.
        Err(Failure::Module(_)) if env.cancel.is_cancelled() => return Err(Failure::Stopped),
        Err(Failure::Module(_)) if Instant::now() >= env.deadline => return Err(Failure::Timeout),
        _ => {}
    }
    outcome
}

/// The failed module's error route, or the end of the run.
async fn on_error(
    env: &Env,
    st: &mut State,
    module: &Module,
    kind: ModuleKind,
    bundle: &Bundle,
    failed: Failed,
) -> Result<Vec<Bundle>, Halt> {
    let handlers = module.onerror.as_deref().unwrap_or_default();
    let directive = handlers
        .last()
        .and_then(Module::kind)
        .filter(|k| k.is_directive());
    let absorbed = !handlers.is_empty()
        && !matches!(directive, Some(ModuleKind::Break | ModuleKind::Rollback));
    st.record(ModuleRun {
        id: module.id,
        name: module.display_name(),
        module: module.module.clone(),
        status: if absorbed {
            ModuleStatus::Warning
        } else {
            ModuleStatus::Error
        },
        duration: failed.started.elapsed().as_millis() as u64,
        input: failed.input,
        output: Value::Null,
        error: Some(failed.error.clone()),
        bundle: failed.bundle_no,
        resources: failed.resources,
    });
    let Failed {
        at: here, error, ..
    } = failed;
    if handlers.is_empty() {
        return Err(Halt::Failed { at: here, error });
    }
    let ordinary = if directive.is_some() {
        &handlers[..handlers.len() - 1]
    } else {
        handlers
    };
    // Set before the route runs: a ReturnData in it ends the run (through
    // `?`) as completed with an absorbed error, that is `warning`. A Break
    // or Rollback reached afterwards ends it `error` all the same.
    st.warnings = true;
    let failure = json!({ "error": { "message": error, "moduleId": module.id } });
    let ends = run_flow(
        env,
        &mut *st,
        ordinary,
        bundle.with(module.id, failure, None),
    )
    .await?;
    let Some(end) = ends.first() else {
        // The error route's own filters stopped the bundle: nothing to
        // direct, so the error is ignored (even before a Break).
        return Ok(Vec::new());
    };
    match directive {
        Some(ModuleKind::Break) => Err(Halt::Break { at: here, error }),
        Some(ModuleKind::Rollback) => Err(Halt::Rollback { at: here, error }),
        Some(ModuleKind::Resume) => {
            let resume = handlers
                .last()
                .map(Module::mapper_or_empty)
                .unwrap_or_default();
            let output = evaluate(&resume, scope(env, end)).map_err(|e| Halt::Failed {
                at: here.clone(),
                error: format!("Resume: {e}"),
            })?;
            st.completed.push(CompletedStep {
                path: bundle.path.to_string(),
                module_id: module.id,
                outputs: vec![output.clone()],
            });
            Ok(children(bundle, module.id, kind, vec![output]))
        }
        _ => Ok(Vec::new()),
    }
}
