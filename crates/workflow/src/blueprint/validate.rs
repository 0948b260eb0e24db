//! [`validate`]: refuses blueprints the executor could not run faithfully,
//! naming the module (id and type) in every error.

use std::collections::HashSet;

use serde_json::Value;

use super::known_operator;
use super::{Blueprint, Module, ModuleKind};
use crate::iml::{check, ImlError};

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BlueprintError {
    /// Not JSON, not an object, or not in the blueprint's shape.
    #[error("{0}")]
    Malformed(String),
    #[error("module {id} ({module}): unknown module type")]
    UnknownModule { id: i64, module: String },
    #[error("module {id} ({module}): module id {id} is used more than once")]
    DuplicateId { id: i64, module: String },
    #[error("module {id} ({module}): {field}: {error}")]
    Expression {
        id: i64,
        module: String,
        field: String,
        error: Box<ImlError>,
    },
    #[error("module {id} ({module}): {reason}")]
    Invalid {
        id: i64,
        module: String,
        reason: String,
    },
}

impl BlueprintError {
    /// The module the error is about, as `(id, module type)`.
    pub fn module(&self) -> Option<(i64, &str)> {
        match self {
            Self::Malformed(_) => None,
            Self::UnknownModule { id, module }
            | Self::DuplicateId { id, module }
            | Self::Expression { id, module, .. }
            | Self::Invalid { id, module, .. } => Some((*id, module)),
        }
    }
}

/// Where a flow sits, which decides what it may contain.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Main,
    Route,
    ErrorRoute,
}

/// Checks a blueprint: known module types, unique ids, parsable
/// expressions in mappers and filters, directives only at the end of error
/// routes, the start module first, routers last in their flow with routes,
/// aggregators after their iterator in the same flow and properly nested.
pub fn validate(blueprint: &Blueprint) -> Result<(), BlueprintError> {
    if blueprint.flow.is_empty() {
        return Err(BlueprintError::Malformed(
            "the blueprint's flow has no module".to_owned(),
        ));
    }
    let mut ids = HashSet::new();
    check_flow(&blueprint.flow, Place::Main, &mut ids, 0)?;
    if ids.len() > MAX_MODULES {
        return Err(BlueprintError::Malformed(format!(
            "a blueprint has at most {MAX_MODULES} modules, this one has {}",
            ids.len()
        )));
    }
    Ok(())
}

/// Far above what people draw, and low enough that a run's records and its
/// walk through the flow stay small.
pub const MAX_MODULES: usize = 1000;
/// Routes, error routes and iterators nested in one another: each level is
/// a nested call of the executor's walk.
pub const MAX_NESTING: usize = 16;

fn invalid(module: &Module, reason: impl Into<String>) -> BlueprintError {
    BlueprintError::Invalid {
        id: module.id,
        module: module.module.clone(),
        reason: reason.into(),
    }
}

fn check_flow(
    flow: &[Module],
    place: Place,
    ids: &mut HashSet<i64>,
    nesting: usize,
) -> Result<(), BlueprintError> {
    let mut nesting = nesting;
    for (index, module) in flow.iter().enumerate() {
        let Some(kind) = module.kind() else {
            return Err(BlueprintError::UnknownModule {
                id: module.id,
                module: module.module.clone(),
            });
        };
        if !ids.insert(module.id) {
            return Err(BlueprintError::DuplicateId {
                id: module.id,
                module: module.module.clone(),
            });
        }
        let last = index + 1 == flow.len();
        if kind.is_directive() && (place != Place::ErrorRoute || !last) {
            return Err(invalid(
                module,
                "an error-handler directive must be the last module of an error route",
            ));
        }
        if kind.is_trigger() && (place != Place::Main || index != 0) {
            return Err(invalid(
                module,
                format!("{} must be the first module of the scenario", module.module),
            ));
        }
        if kind == ModuleKind::Webhook {
            check_hook_parameter(module)?;
        }
        check_expressions(module)?;
        if kind == ModuleKind::Python {
            check_python_metadata(module)?;
        }
        if kind == ModuleKind::Iterator {
            nesting += 1;
        }
        let inner = nesting + 1;
        let opens_flows = module.routes.is_some() || module.onerror.is_some();
        if nesting > MAX_NESTING || (opens_flows && inner > MAX_NESTING) {
            return Err(invalid(
                module,
                format!("routes, error routes and iterators nest at most {MAX_NESTING} deep"),
            ));
        }
        match (kind, &module.routes) {
            (ModuleKind::Router, Some(routes)) if !routes.is_empty() => {
                if !last {
                    return Err(invalid(
                        module,
                        "a router must be the last module of its flow",
                    ));
                }
                for route in routes {
                    if route.flow.is_empty() {
                        return Err(invalid(module, "a route has no module"));
                    }
                    check_flow(&route.flow, Place::Route, ids, inner)?;
                }
            }
            (ModuleKind::Router, _) => {
                return Err(invalid(module, "a router needs at least one route"))
            }
            (_, Some(_)) => return Err(invalid(module, "only routers have routes")),
            (_, None) => {}
        }
        if kind == ModuleKind::Aggregator {
            check_aggregator(flow, index)?;
        }
        if let Some(handlers) = &module.onerror {
            check_flow(handlers, Place::ErrorRoute, ids, inner)?;
        }
    }
    Ok(())
}

/// The feeder is an iterator earlier in the same flow, and any other
/// iterator/aggregator pair between them is nested inside.
fn check_aggregator(flow: &[Module], index: usize) -> Result<(), BlueprintError> {
    let module = &flow[index];
    let feeder = module
        .feeder()
        .ok_or_else(|| invalid(module, "parameters.feeder must name an iterator's id"))?;
    let Some(start) = flow[..index].iter().position(|m| m.id == feeder) else {
        return Err(invalid(
            module,
            format!("feeder {feeder} is not a module earlier in the same flow"),
        ));
    };
    if flow[start].kind() != Some(ModuleKind::Iterator) {
        return Err(invalid(
            module,
            format!("feeder {feeder} is not an iterator (builtin:BasicFeeder)"),
        ));
    }
    for inner in &flow[start + 1..index] {
        if inner.kind() == Some(ModuleKind::Aggregator) {
            let inner_feeder = inner.feeder();
            let nested = flow[start + 1..index]
                .iter()
                .any(|m| Some(m.id) == inner_feeder);
            if !nested {
                return Err(invalid(
                    inner,
                    "aggregators must close iterators in nested order",
                ));
            }
        }
    }
    if flow[index + 1..]
        .iter()
        .any(|m| m.feeder() == Some(feeder) && m.kind() == Some(ModuleKind::Aggregator))
    {
        return Err(invalid(
            module,
            format!("iterator {feeder} has more than one aggregator"),
        ));
    }
    Ok(())
}

/// A code step whose code is written out (no `{{…}}`) must have a
/// well-formed PEP 723 block, so a broken one is refused at create/update;
/// code built by expressions is checked when it runs.
fn check_python_metadata(module: &Module) -> Result<(), BlueprintError> {
    let code = module
        .mapper
        .as_ref()
        .and_then(|m| m.get("code"))
        .and_then(Value::as_str);
    match code {
        Some(code) if !code.contains("{{") => runbox_packages::ScriptMetadata::parse(code)
            .map(drop)
            .map_err(|e| invalid(module, format!("Invalid dependencies: {e}"))),
        _ => Ok(()),
    }
}

fn check_expressions(module: &Module) -> Result<(), BlueprintError> {
    let expression = |field: String, error: ImlError| BlueprintError::Expression {
        id: module.id,
        module: module.module.clone(),
        field,
        error: Box::new(error),
    };
    if let Some(mapper) = &module.mapper {
        check(mapper).map_err(|(path, error)| expression(join("mapper", &path), error))?;
    }
    let Some(filter) = &module.filter else {
        return Ok(());
    };
    for (i, group) in filter.conditions.iter().enumerate() {
        for (j, condition) in group.iter().enumerate() {
            let place = format!("filter.conditions[{}][{}]", i + 1, j + 1);
            if !known_operator(&condition.o) {
                return Err(invalid(
                    module,
                    format!("{place}: unknown filter operator {:?}", condition.o),
                ));
            }
            let sides = [("a", Some(&condition.a)), ("b", condition.b.as_ref())];
            for (side, value) in sides {
                if let Some(value) = value.filter(|v| !matches!(v, Value::Null)) {
                    check(value).map_err(|(path, error)| {
                        expression(join(&format!("{place}.{side}"), &path), error)
                    })?;
                }
            }
        }
    }
    Ok(())
}

fn join(prefix: &str, path: &str) -> String {
    match path {
        "" => prefix.to_owned(),
        p if p.starts_with('[') => format!("{prefix}{p}"),
        p => format!("{prefix}.{p}"),
    }
}

/// `gateway:CustomWebHook`'s `parameters.hook`, when given, is a hook id.
fn check_hook_parameter(module: &Module) -> Result<(), BlueprintError> {
    match module.parameters.as_ref().and_then(|p| p.get("hook")) {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(hook) if hook_id(hook).is_some() => Ok(()),
        Some(_) => Err(invalid(
            module,
            "parameters.hook must be a hook id (an integer)",
        )),
    }
}

/// A hook id as a blueprint writes it: `3` or `"3"`.
pub fn hook_id(value: &serde_json::Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
        .filter(|id| *id > 0)
}
