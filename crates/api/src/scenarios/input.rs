//! Reading a scenario's create and update bodies: each field (team,
//! scheduling, blueprint, interface, folder, time limit, name) checked and
//! turned into what the definition holds, with the dialect's error when it
//! is wrong.

use std::collections::HashMap;

use axum::body::Body;
use runbox_workflow::definition::{check_max_duration, Interface, Scheduling};
use runbox_workflow::job::MAX_DURATION_SECS;
use serde_json::{json, Map, Value};

use super::reply::{body_error, invalid_input, ScenarioApiError};
use crate::{body, fields, AppState};

type Result<T> = std::result::Result<T, ScenarioApiError>;

pub(super) async fn read_object(state: &AppState, body: Body) -> Result<Map<String, Value>> {
    match body::read_json(state, body)
        .await
        .map_err(|e| body_error(&e))?
    {
        Value::Object(map) => Ok(map),
        _ => Err(invalid_input("The body must be a JSON object")),
    }
}

/// `teamId` from the query, else from the body, where it may be a number
/// or a numeric string (`3` or `"3"`), as it is in the query.
pub(super) fn team_id(query: &HashMap<String, String>, object: &Map<String, Value>) -> Result<i64> {
    let from_text = |text: &str| {
        text.trim()
            .parse()
            .map_err(|_| invalid_input("teamId must be an integer"))
    };
    if let Some(text) = query.get("teamId") {
        return from_text(text);
    }
    match object.get("teamId") {
        Some(Value::String(text)) => from_text(text),
        Some(value) => {
            fields::integer(value).ok_or_else(|| invalid_input("teamId must be an integer"))
        }
        None => Err(invalid_input(
            "teamId is required (in the query or the body)",
        )),
    }
}

/// `scheduling`, echoed as sent. Without one: on-demand. An `indefinitely`
/// scenario without `interval` is accepted and runs every
/// [`DEFAULT_INTERVAL_SECS`] seconds (900, Make's default), or every
/// `min_interval` seconds if that is longer; the stored scheduling keeps
/// no `interval`, as sent.
///
/// [`DEFAULT_INTERVAL_SECS`]: runbox_workflow::definition::DEFAULT_INTERVAL_SECS
/// Make's API takes it as a JSON string, so that is accepted too.
pub(super) fn scheduling(value: Option<&Value>, min_interval: u32) -> Result<Scheduling> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(Scheduling {
            kind: "on-demand".into(),
            interval: None,
            cron: None,
            timezone: None,
        });
    };
    let parsed;
    let value = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| invalid_input(format!("scheduling is not valid JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    let object = value.as_object().ok_or_else(|| {
        invalid_input(
            "scheduling must be an object {\"type\", \"interval\"?} or a JSON string of one",
        )
    })?;
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_input("scheduling.type is required"))?;
    if kind == "immediately" {
        return Err(invalid_input(
            "scheduling.type \"immediately\" (Make's instant triggers) is not supported: use on-demand, ondemand, indefinitely or cron",
        ));
    }
    if !["on-demand", "ondemand", "indefinitely", "cron"].contains(&kind) {
        return Err(invalid_input(format!(
            "scheduling.type must be on-demand, ondemand, indefinitely or cron, got {kind:?}"
        )));
    }
    let cron = match kind {
        "cron" => Some(fields::cron_schedule(object, "scheduling").map_err(invalid_input)?),
        _ => None,
    };
    let interval = match object.get("interval") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            fields::integer(v)
                .filter(|n| *n >= 1 && *n <= 31_536_000)
                .ok_or_else(|| {
                    invalid_input("scheduling.interval must be a positive number of seconds")
                })? as u32,
        ),
    };
    if kind == "indefinitely" {
        if let Some(i) = interval.filter(|i| *i < min_interval) {
            return Err(invalid_input(format!(
                "scheduling.interval must be at least {min_interval} seconds, got {i}"
            )));
        }
    }
    Ok(Scheduling {
        kind: kind.to_owned(),
        interval,
        timezone: cron.as_ref().map(|c| c.timezone.clone()),
        cron: cron.map(|c| c.cron),
    })
}

/// A blueprint given as an object or a JSON string, validated; stored as an object.
pub(super) fn blueprint(value: &Value) -> Result<Value> {
    runbox_workflow::load_blueprint(value)
        .map_err(|e| invalid_input(format!("Invalid blueprint: {e}")))?;
    let blueprint: Value = match value {
        Value::String(text) => serde_json::from_str(text)
            .map_err(|e| invalid_input(format!("Invalid blueprint: {e}")))?,
        other => other.clone(),
    };
    if runbox_domain::json_depth(&blueprint) > runbox_domain::MAX_JSON_DEPTH {
        return Err(invalid_input(format!(
            "Invalid blueprint: the JSON nests deeper than {} levels",
            runbox_domain::MAX_JSON_DEPTH
        )));
    }
    Ok(blueprint)
}

/// An interface as `PATCH …/interface` takes it: typed fields, input
/// names non-empty and unique.
pub(super) fn parse_interface(value: &Value) -> Result<Interface> {
    let interface: Interface = serde_json::from_value(value.clone())
        .map_err(|e| invalid_input(format!("Invalid interface: {e}")))?;
    let mut names = std::collections::HashSet::new();
    for field in &interface.input {
        if field.name.trim().is_empty() || !names.insert(field.name.clone()) {
            return Err(invalid_input(format!(
                "interface input names must be non-empty and unique ({:?})",
                field.name
            )));
        }
    }
    Ok(interface)
}

/// The interface given with a scenario the ways Make's clients give it:
/// `interface: {input, output}` inside the blueprint, or `metadata:
/// {input_spec, output_spec}` beside it. None when neither holds a field:
/// Make's SDK sends an empty `metadata` with every change, which must not
/// wipe an interface set before.
pub(super) fn given_interface(
    object: &Map<String, Value>,
    blueprint: Option<&Value>,
) -> Result<Option<Interface>> {
    let present = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    let value = match present(blueprint.and_then(|b| b.get("interface"))) {
        Some(value) => value,
        None => match present(object.get("metadata")) {
            None => return Ok(None),
            Some(Value::Object(metadata)) => json!({
                "input": present(metadata.get("input_spec")).unwrap_or_else(|| json!([])),
                "output": present(metadata.get("output_spec")).unwrap_or_else(|| json!([])),
            }),
            Some(_) => {
                return Err(invalid_input(
                    "metadata must be an object {\"input_spec\", \"output_spec\"}",
                ))
            }
        },
    };
    let interface = parse_interface(&value)?;
    Ok((!interface.input.is_empty() || !interface.output.is_empty()).then_some(interface))
}

pub(super) fn folder_id(object: &Map<String, Value>) -> Result<Option<i64>> {
    match object.get("folderId") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => fields::integer(value)
            .map(Some)
            .ok_or_else(|| invalid_input("folderId must be an integer")),
    }
}

pub(super) fn max_duration(value: Option<&Value>) -> Result<u32> {
    match value {
        None | Some(Value::Null) => Ok(MAX_DURATION_SECS),
        Some(v) => check_max_duration(
            fields::integer(v).ok_or_else(|| invalid_input("maxDuration must be an integer"))?,
        )
        .map_err(invalid_input),
    }
}

pub(super) fn name(object: &Map<String, Value>) -> Result<String> {
    fields::required_text(object, "name", 400).map_err(invalid_input)
}

/// Make's API names a new scenario after its blueprint when the body has
/// no `name` (its SDK never sends one).
pub(super) fn name_or_blueprints(object: &Map<String, Value>, blueprint: &Value) -> Result<String> {
    match (object.get("name"), blueprint.get("name")) {
        (None, Some(Value::String(_))) => {
            let fallback = Map::from_iter([("name".to_owned(), blueprint["name"].clone())]);
            name(&fallback)
        }
        _ => name(object),
    }
}
