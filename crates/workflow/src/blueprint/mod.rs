//! Blueprints in Make's shape: `{"name", "flow": [module], "metadata"?}`.
//!
//! Make blueprints carry a lot of designer metadata; every field this crate
//! does not use is kept (`extra`) so a blueprint survives a round trip
//! unchanged. Module *types* are not open-ended: [`validate`] refuses a
//! module this engine cannot run (see [`ModuleKind`]), a module id used
//! twice anywhere (routes and error handlers included) and an expression
//! that does not parse, naming the module each time.

mod kind;
mod operators;
mod validate;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use kind::ModuleKind;
pub use operators::known_operator;
pub use validate::{hook_id, validate, BlueprintError};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Blueprint {
    #[serde(default)]
    pub name: String,
    pub flow: Vec<Module>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Module {
    pub id: i64,
    /// `app:Name`, e.g. `http:MakeRequest`.
    pub module: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Value>,
    /// Static settings (e.g. an aggregator's `feeder`); not templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// The module's inputs; strings are IML templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapper: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// A router's routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<Route>>,
    /// Error route: ordinary modules, then usually one directive
    /// (`builtin:Ignore`, `Resume`, `Break`, `Rollback`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onerror: Option<Vec<Module>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Module {
    /// The name shown in run records: the designer's label when the
    /// blueprint has one (`metadata.designer.name`), else the module type.
    pub fn display_name(&self) -> String {
        self.metadata
            .as_ref()
            .and_then(|m| m.pointer("/designer/name"))
            .and_then(Value::as_str)
            .filter(|name| !name.trim().is_empty())
            .map_or_else(|| self.module.clone(), str::to_owned)
    }

    /// The module's kind; `None` for a module this engine does not know
    /// (refused by [`validate`]).
    pub fn kind(&self) -> Option<ModuleKind> {
        ModuleKind::parse(&self.module)
    }

    /// The mapper, or an empty object.
    pub fn mapper_or_empty(&self) -> Value {
        self.mapper
            .clone()
            .unwrap_or_else(|| Value::Object(Map::new()))
    }

    /// The iterator an aggregator collects from (`parameters.feeder`).
    pub fn feeder(&self) -> Option<i64> {
        let feeder = self.parameters.as_ref()?.get("feeder")?;
        feeder
            .as_i64()
            .or_else(|| feeder.as_str()?.trim().parse().ok())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub name: String,
    /// OR of AND groups.
    #[serde(default)]
    pub conditions: Vec<Vec<Condition>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One comparison: `a` (a template), operator `o`, `b` (a template; absent
/// for unary operators such as `exist`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    #[serde(default)]
    pub a: Value,
    pub o: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub flow: Vec<Module>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reads a blueprint given as a JSON object or as a string holding one (the
/// API accepts both), without validating it.
pub fn parse_blueprint(value: &Value) -> Result<Blueprint, BlueprintError> {
    let parsed;
    let object = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| {
                BlueprintError::Malformed(format!("the blueprint is not valid JSON: {e}"))
            })?;
            &parsed
        }
        other => other,
    };
    if !object.is_object() {
        return Err(BlueprintError::Malformed(
            "the blueprint must be a JSON object".to_owned(),
        ));
    }
    Blueprint::deserialize(object)
        .map_err(|e| BlueprintError::Malformed(format!("invalid blueprint: {e}")))
}

/// [`parse_blueprint`] then [`validate`].
pub fn load_blueprint(value: &Value) -> Result<Blueprint, BlueprintError> {
    let blueprint = parse_blueprint(value)?;
    validate(&blueprint)?;
    Ok(blueprint)
}

#[cfg(test)]
mod tests;
