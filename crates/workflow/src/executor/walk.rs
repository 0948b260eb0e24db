//! Walking a flow: filters, routers, iterator/aggregator pairs, and the
//! depth-first hand-over of each output bundle to the rest of the flow.

use std::future::Future;
use std::pin::Pin;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::lineage::Bundle;
use super::step::run_step;
use super::{key, At, Env, Halt, State};
use crate::blueprint::{Module, ModuleKind};
use crate::iml::{evaluate, Scope};
use crate::report::{CompletedStep, ModuleRun, ModuleStatus};

type Walk<'a> = Pin<Box<dyn Future<Output = Result<Vec<Bundle>, Halt>> + Send + 'a>>;

/// Runs the scenario's main flow with an empty first bundle.
pub(crate) async fn run_main(env: &Env, st: &mut State) -> Result<(), Halt> {
    run_flow(env, st, &env.blueprint.flow, Bundle::default())
        .await
        .map(drop)
}

pub(crate) fn scope<'a>(env: &'a Env, bundle: &'a Bundle) -> Scope<'a> {
    Scope {
        outputs: bundle,
        vars: &env.vars,
        secrets: &env.services.secrets,
    }
}

pub(crate) fn at(module: &Module, bundle: &Bundle) -> At {
    At {
        id: module.id,
        name: module.display_name(),
        path: bundle.path.to_string(),
    }
}

/// Runs `flow` for one bundle; returns the bundles that came out of its
/// last module (what an aggregator collects).
///
/// A module that hands on exactly one bundle (most do) continues in the
/// same loop rather than a nested call: a long chain of modules must not
/// grow the stack. Only routers, iterators and modules with several output
/// bundles nest, and the blueprint's validation bounds how deep they go.
pub(crate) fn run_flow<'a>(
    env: &'a Env,
    st: &'a mut State,
    flow: &'a [Module],
    bundle: Bundle,
) -> Walk<'a> {
    Box::pin(async move {
        let mut flow = flow;
        let mut bundle = bundle;
        loop {
            let Some((module, rest)) = flow.split_first() else {
                return Ok(vec![bundle]);
            };
            let Some(kind) = module.kind() else {
                return Err(Halt::Failed {
                    at: at(module, &bundle),
                    error: "unknown module type".to_owned(),
                });
            };
            if let Some(filter) = &module.filter {
                match super::filter::passes(filter, scope(env, &bundle)) {
                    Ok(true) => {}
                    // The module does not run: no record, no operation.
                    Ok(false) => return Ok(Vec::new()),
                    Err(error) => {
                        let error = format!("filter {:?}: {error}", filter.name);
                        return Err(Halt::Failed {
                            at: at(module, &bundle),
                            error,
                        });
                    }
                }
            }
            match kind {
                ModuleKind::Router => {
                    router_record(st, module);
                    let mut ends = Vec::new();
                    for route in module.routes.as_deref().unwrap_or_default() {
                        ends.extend(run_flow(env, &mut *st, &route.flow, bundle.clone()).await?);
                    }
                    return Ok(ends);
                }
                ModuleKind::Iterator => return run_iterator(env, st, flow, bundle).await,
                _ => {
                    let mut outputs = run_step(env, &mut *st, module, kind, &bundle).await?;
                    if outputs.len() == 1 {
                        if let Some(next) = outputs.pop() {
                            flow = rest;
                            bundle = next;
                            continue;
                        }
                    }
                    let mut ends = Vec::new();
                    for next in outputs {
                        ends.extend(run_flow(env, &mut *st, rest, next).await?);
                    }
                    return Ok(ends);
                }
            }
        }
    })
}

/// `flow[0]` is an iterator. With an aggregator later in `flow`, the
/// modules between them run per item and the aggregator's single bundle
/// continues; without one, every item continues through the rest.
async fn run_iterator(
    env: &Env,
    st: &mut State,
    flow: &[Module],
    bundle: Bundle,
) -> Result<Vec<Bundle>, Halt> {
    let iterator = &flow[0];
    let pair =
        flow.iter().enumerate().skip(1).find(|(_, m)| {
            m.kind() == Some(ModuleKind::Aggregator) && m.feeder() == Some(iterator.id)
        });
    let Some((end, aggregator)) = pair else {
        let mut ends = Vec::new();
        for item in run_step(env, &mut *st, iterator, ModuleKind::Iterator, &bundle).await? {
            ends.extend(run_flow(env, &mut *st, &flow[1..], item).await?);
        }
        return Ok(ends);
    };
    let cache_key = key(&bundle.path, aggregator.id);
    let output = match st.cache.get(&cache_key).cloned() {
        Some(outputs) => {
            st.completed.push(CompletedStep {
                path: bundle.path.to_string(),
                module_id: aggregator.id,
                outputs: outputs.clone(),
            });
            outputs.into_iter().next().unwrap_or(Value::Null)
        }
        None => {
            let mut collected = Vec::new();
            for item in run_step(env, &mut *st, iterator, ModuleKind::Iterator, &bundle).await? {
                for reached in run_flow(env, &mut *st, &flow[1..end], item).await? {
                    collected.push(reached);
                }
            }
            aggregate(env, st, aggregator, &bundle, collected)?
        }
    };
    let next = bundle.with(aggregator.id, output, None);
    run_flow(env, st, &flow[end + 1..], next).await
}

/// Maps every collected bundle through the aggregator's mapper and records
/// the aggregator's one run.
fn aggregate(
    env: &Env,
    st: &mut State,
    aggregator: &Module,
    entered: &Bundle,
    reached: Vec<Bundle>,
) -> Result<Value, Halt> {
    let started = Instant::now();
    let bundle_no = st.next_bundle(aggregator.id);
    let mapper = aggregator.mapper_or_empty();
    let mut array = Vec::with_capacity(reached.len());
    for bundle in &reached {
        let mapped = evaluate(&mapper, scope(env, bundle)).map_err(|e| Halt::Failed {
            at: at(aggregator, entered),
            error: e.to_string(),
        })?;
        array.push(match mapped.get("value") {
            Some(value) => value.clone(),
            None => mapped,
        });
    }
    let output = json!({ "array": array });
    st.operations += 1;
    st.record(ModuleRun {
        id: aggregator.id,
        name: aggregator.display_name(),
        module: aggregator.module.clone(),
        status: ModuleStatus::Completed,
        duration: started.elapsed().as_millis() as u64,
        input: json!({ "bundles": reached.len() }),
        output: output.clone(),
        error: None,
        bundle: bundle_no,
        resources: None,
    });
    st.completed.push(CompletedStep {
        path: entered.path.to_string(),
        module_id: aggregator.id,
        outputs: vec![output.clone()],
    });
    Ok(output)
}

fn router_record(st: &mut State, router: &Module) {
    let bundle = st.next_bundle(router.id);
    st.record(ModuleRun {
        id: router.id,
        name: router.display_name(),
        module: router.module.clone(),
        status: ModuleStatus::Completed,
        duration: 0,
        input: Value::Null,
        output: Value::Null,
        error: None,
        bundle,
        resources: None,
    });
}
