//! Modules that only transform data (and Sleep).
//!
//! - SetVariable2 `{name, value}` → `{NAME: value}`; SetVariables
//!   `{variables: [{name, value}]}` → one bundle with all of them.
//! - ParseJSON `{json}`: a JSON object → one bundle with its fields; a JSON
//!   array → one bundle per item, as Make does (an item that is not an
//!   object becomes `{value: item}`); any other value → `{value: …}`.
//!   Invalid JSON is a module error.
//! - CreateJSON `{object}` → `{json: "…"}` (compact); without `object`,
//!   the whole mapper is serialized.
//! - FunctionSleep `{duration}` seconds, at most 300 (Make's limit);
//!   outputs an empty bundle.
//! - ReturnData: the mapper's keys are the outputs.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::iml::value::{to_number, to_text};

/// Longest sleep, in seconds.
const MAX_SLEEP_SECS: f64 = 300.0;

pub(super) fn return_data(input: &Value) -> Result<Vec<Value>, String> {
    match input {
        Value::Object(_) => Ok(vec![input.clone()]),
        Value::Null => Ok(vec![Value::Object(Map::new())]),
        other => Err(format!("outputs must be a collection, got {other}")),
    }
}

fn field<'a>(input: &'a Value, name: &str) -> &'a Value {
    input.get(name).unwrap_or(&Value::Null)
}

pub(super) fn set_variable(input: &Value) -> Result<Vec<Value>, String> {
    let name = to_text(field(input, "name"));
    if name.trim().is_empty() {
        return Err("the variable's name is empty".to_owned());
    }
    let mut map = Map::new();
    map.insert(name, field(input, "value").clone());
    Ok(vec![Value::Object(map)])
}

pub(super) fn set_variables(input: &Value) -> Result<Vec<Value>, String> {
    let mut map = Map::new();
    let variables = match field(input, "variables") {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        other => {
            return Err(format!(
                "variables must be an array of {{name, value}}, got {other}"
            ))
        }
    };
    for (i, variable) in variables.iter().enumerate() {
        let name = to_text(field(variable, "name"));
        if name.trim().is_empty() {
            return Err(format!("variable {} has no name", i + 1));
        }
        map.insert(name, field(variable, "value").clone());
    }
    Ok(vec![Value::Object(map)])
}

pub(super) fn parse_json(input: &Value) -> Result<Vec<Value>, String> {
    let parsed = match field(input, "json") {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| format!("Source is not valid JSON: {e}"))?,
        Value::Null => return Err("Source is not valid JSON: the json field is empty".to_owned()),
        already => already.clone(),
    };
    Ok(match parsed {
        Value::Object(_) => vec![parsed],
        Value::Array(items) => items.into_iter().map(as_bundle).collect(),
        other => vec![json!({ "value": other })],
    })
}

fn as_bundle(item: Value) -> Value {
    match item {
        Value::Object(_) => item,
        other => json!({ "value": other }),
    }
}

pub(super) fn create_json(input: &Value) -> Result<Vec<Value>, String> {
    let object = input.get("object").unwrap_or(input);
    let text = serde_json::to_string(object).map_err(|e| format!("cannot create JSON: {e}"))?;
    Ok(vec![json!({ "json": text })])
}

/// One bundle per item of `array`.
pub(super) fn iterate(input: &Value) -> Vec<Value> {
    let items: Vec<Value> = match field(input, "array") {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        single => vec![single.clone()],
    };
    let length = items.len();
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let mut bundle = match &item {
                Value::Object(fields) => fields.clone(),
                _ => Map::new(),
            };
            bundle.entry("value").or_insert(item);
            bundle.insert("__IMTINDEX__".to_owned(), Value::from(i + 1));
            bundle.insert("__IMTLENGTH__".to_owned(), Value::from(length));
            Value::Object(bundle)
        })
        .collect()
}

pub(super) async fn sleep(input: &Value) -> Result<Vec<Value>, String> {
    let duration = field(input, "duration");
    let seconds = to_number(duration)
        .ok_or_else(|| format!("duration must be a number of seconds, got {duration}"))?;
    if seconds < 0.0 {
        return Err(format!("duration must not be negative, got {seconds}"));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds.min(MAX_SLEEP_SECS))).await;
    Ok(vec![Value::Object(Map::new())])
}
