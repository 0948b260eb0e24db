//! [`ScenarioDefinition`]: a scenario as saved (the body of its catalog
//! item): name, team, blueprint, scheduling, time limit, whether it is
//! active, and its interface (typed inputs and outputs). The scenarios API
//! and the scheduler both read it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::job::MAX_DURATION_SECS;

/// The catalog kind scenarios are stored under.
pub const KIND: &str = "scenario";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioDefinition {
    pub name: String,
    pub team_id: i64,
    /// The blueprint as an object, validated when saved.
    pub blueprint: Value,
    pub scheduling: Scheduling,
    pub max_duration: u32,
    pub is_active: bool,
    #[serde(default)]
    pub interface: Interface,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Make's folder, kept as given (runbox has no folders of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<i64>,
}

impl ScenarioDefinition {
    /// The hook whose requests start this scenario: its first module is
    /// `gateway:CustomWebHook` with `parameters.hook`.
    pub fn bound_hook(&self) -> Option<i64> {
        let first = self.blueprint.get("flow")?.as_array()?.first()?;
        if first.get("module")?.as_str()? != "gateway:CustomWebHook" {
            return None;
        }
        crate::blueprint::hook_id(first.get("parameters")?.get("hook")?)
    }

    /// Whether a module of the flow (at any depth) answers a webhook's
    /// caller (`gateway:WebhookRespond`).
    pub fn responds_to_webhooks(&self) -> bool {
        fn any(flow: &Value) -> bool {
            flow.as_array().into_iter().flatten().any(|module| {
                module.get("module").and_then(Value::as_str) == Some("gateway:WebhookRespond")
                    || module
                        .get("routes")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .any(|route| any(&route["flow"]))
                    || module.get("onerror").is_some_and(any)
            })
        }
        any(&self.blueprint["flow"])
    }
}

/// The interval of an `indefinitely` scenario saved without one: 900
/// seconds (15 minutes), Make's default. The configured minimum interval
/// still applies if it is longer.
pub const DEFAULT_INTERVAL_SECS: u32 = 900;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduling {
    /// `on-demand`, `ondemand`, `indefinitely` or `cron`, as the client
    /// sent it.
    #[serde(rename = "type")]
    pub kind: String,
    /// Seconds between runs of an `indefinitely` scenario, as the client
    /// sent it; optional (see [`Scheduling::interval_secs`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    /// The expression of a `cron` scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// The IANA zone of a `cron` scenario (UTC when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

impl Scheduling {
    /// Runs every `interval` seconds while active.
    pub fn is_recurring(&self) -> bool {
        self.kind == "indefinitely"
    }

    /// The cron schedule of a `cron` scenario.
    pub fn cron_schedule(&self) -> Option<runbox_domain::CronSchedule> {
        if self.kind != "cron" {
            return None;
        }
        runbox_domain::CronSchedule::parse(self.cron.as_deref()?, self.timezone.as_deref()).ok()
    }

    /// Seconds between runs: `interval`, else [`DEFAULT_INTERVAL_SECS`];
    /// never less than `min_interval_secs` (the configured minimum) nor 1.
    pub fn interval_secs(&self, min_interval_secs: u32) -> u32 {
        self.interval
            .unwrap_or(DEFAULT_INTERVAL_SECS)
            .max(min_interval_secs)
            .max(1)
    }
}

/// Typed inputs (checked and defaulted on every run) and outputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    #[serde(default)]
    pub input: Vec<InterfaceField>,
    #[serde(default)]
    pub output: Vec<InterfaceField>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterfaceField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Number,
    Boolean,
    Date,
    Array,
    Collection,
    Any,
}

impl FieldType {
    fn accepts(self, value: &Value) -> bool {
        match self {
            FieldType::Text => value.is_string(),
            FieldType::Number => value.is_number(),
            FieldType::Boolean => value.is_boolean(),
            FieldType::Date => {
                value
                    .as_str()
                    .is_some_and(|s| runbox_domain::Timestamp::parse(s).is_some())
                    || value.is_i64()
            }
            FieldType::Array => value.is_array(),
            FieldType::Collection => value.is_object(),
            FieldType::Any => true,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Array => "array",
            FieldType::Collection => "collection",
            FieldType::Any => "any",
        }
    }
}

impl Interface {
    /// The run input: `data` checked against the declared inputs, with
    /// defaults filled in. Undeclared fields pass through unchanged.
    pub fn apply(&self, data: &Value) -> Result<Value, String> {
        let mut input: Map<String, Value> = match data {
            Value::Null => Map::new(),
            Value::Object(map) => map.clone(),
            _ => return Err("data must be an object".to_owned()),
        };
        for field in &self.input {
            match input.get(&field.name) {
                Some(Value::Null) | None => match &field.default {
                    Some(default) => {
                        input.insert(field.name.clone(), default.clone());
                    }
                    None if field.required => {
                        return Err(format!("data.{} is required", field.name))
                    }
                    None => {}
                },
                Some(value) if !field.kind.accepts(value) => {
                    return Err(format!(
                        "data.{} must be of type {}",
                        field.name,
                        field.kind.name()
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(Value::Object(input))
    }
}

/// A `maxDuration` in range, or why not.
pub fn check_max_duration(value: i64) -> Result<u32, String> {
    if (1..=i64::from(MAX_DURATION_SECS)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(format!(
            "maxDuration must be between 1 and {MAX_DURATION_SECS} seconds, got {value}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn interface() -> Interface {
        serde_json::from_value(json!({
            "input": [
                {"name": "name", "type": "text", "required": true},
                {"name": "count", "type": "number", "default": 3},
                {"name": "tags", "type": "array"}
            ],
            "output": [{"name": "greeting", "type": "text"}]
        }))
        .expect("interface")
    }

    #[test]
    fn inputs_are_checked_and_defaulted() {
        let i = interface();
        assert_eq!(
            i.apply(&json!({"name": "Ada"})),
            Ok(json!({"name": "Ada", "count": 3}))
        );
        assert_eq!(
            i.apply(&json!({"name": "Ada", "extra": 1}))
                .map(|v| v["extra"].clone()),
            Ok(json!(1))
        );
        assert!(i.apply(&json!({})).is_err());
        assert!(i.apply(&json!({"name": 5})).is_err());
        assert!(i.apply(&json!({"name": "x", "tags": "no"})).is_err());
        assert!(i.apply(&json!([1])).is_err());
        assert!(Interface::default()
            .apply(&json!({"anything": true}))
            .is_ok());
    }

    #[test]
    fn an_interval_defaults_to_make_s_and_respects_the_minimum() {
        let recurring = |interval: Option<u32>| Scheduling {
            kind: "indefinitely".into(),
            interval,
            cron: None,
            timezone: None,
        };
        assert_eq!(recurring(None).interval_secs(1), DEFAULT_INTERVAL_SECS);
        assert_eq!(recurring(None).interval_secs(1), 900);
        assert_eq!(recurring(None).interval_secs(3600), 3600);
        assert_eq!(recurring(Some(5)).interval_secs(1), 5);
        assert_eq!(recurring(Some(5)).interval_secs(60), 60);
        assert_eq!(recurring(Some(0)).interval_secs(0), 1);
        let stored: Scheduling =
            serde_json::from_value(json!({"type": "indefinitely"})).expect("scheduling");
        assert_eq!(stored, recurring(None));
        assert_eq!(
            serde_json::to_value(&stored).unwrap(),
            json!({"type": "indefinitely"}),
            "echoed as sent"
        );
    }
}
