//! `gateway:WebhookRespond`: the answer to the request that started the
//! run through an incoming webhook. Mapper `{status, body, headers}`:
//! `status` 100 to 599 (default 200), `body` a text or any JSON value,
//! `headers` Make's `[{name, value}]` or an object. Its output bundle is
//! the response; the API sends it to the caller when the module runs
//! within its wait. A run not started by a webhook just outputs it.

use serde_json::{json, Map, Value};

use super::super::Env;
use crate::iml::value::{to_number, to_text};

pub(super) fn respond(env: &Env, input: &Value) -> Result<Vec<Value>, String> {
    let status = match input.get("status") {
        None | Some(Value::Null) => 200,
        Some(value) => to_number(value)
            .filter(|n| n.fract() == 0.0 && (100.0..=599.0).contains(n))
            .map(|n| n as u16)
            .ok_or_else(|| format!("status must be an HTTP status 100 to 599, got {value}"))?,
    };
    let headers = headers(input.get("headers"))?;
    let response = json!({
        "status": status,
        "body": input.get("body").cloned().unwrap_or(Value::Null),
        "headers": headers,
    });
    if let Some(reply) = &env.services.webhook_reply {
        reply(&response);
    }
    Ok(vec![response])
}

fn headers(value: Option<&Value>) -> Result<Value, String> {
    let mut out = Map::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let name = to_text(item.get("name").unwrap_or(&Value::Null));
                let value = to_text(item.get("value").unwrap_or(&Value::Null));
                out.insert(name, Value::String(value));
            }
        }
        Some(Value::Object(map)) => {
            for (name, value) in map {
                out.insert(name.clone(), Value::String(to_text(value)));
            }
        }
        Some(other) => {
            return Err(format!(
                "headers must be a list of {{name, value}}, got {other}"
            ))
        }
    }
    for name in out.keys() {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid {
            return Err(format!("{name:?} is not a valid header name"));
        }
    }
    Ok(Value::Object(out))
}
