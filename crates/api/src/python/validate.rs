//! Checks an execute request against the seed's JSON schema, with messages
//! worded as Python's `jsonschema` words them (what NCA toolkit clients see).

use serde_json::{Map, Value};

pub const MAX_TIMEOUT: u32 = 300;
pub const DEFAULT_TIMEOUT: u32 = 30;
const PROPERTIES: [&str; 4] = ["code", "timeout", "webhook_url", "id"];

#[derive(Debug, PartialEq)]
pub struct ExecuteRequest {
    pub code: String,
    pub timeout: u32,
    pub webhook_url: Option<String>,
    pub id: Option<String>,
}

pub fn execute_request(value: &Value) -> Result<ExecuteRequest, String> {
    let object = as_object(value)?;
    let unexpected: Vec<String> = object
        .keys()
        .filter(|k| !PROPERTIES.contains(&k.as_str()))
        .map(|k| py_repr(&Value::String(k.clone())))
        .collect();
    match unexpected.len() {
        0 => {}
        1 => {
            return Err(format!(
                "Additional properties are not allowed ({} was unexpected)",
                unexpected[0]
            ))
        }
        _ => {
            return Err(format!(
                "Additional properties are not allowed ({} were unexpected)",
                unexpected.join(", ")
            ))
        }
    }
    let code = match object.get("code") {
        None => return Err("'code' is a required property".to_owned()),
        Some(v) => string(v)?.to_owned(),
    };
    let timeout = match object.get("timeout") {
        None => DEFAULT_TIMEOUT,
        Some(v) => integer_in(v, 1, i64::from(MAX_TIMEOUT))? as u32,
    };
    let webhook_url = object
        .get("webhook_url")
        .map(|v| string(v).and_then(http_url))
        .transpose()?;
    let id = object
        .get("id")
        .map(|v| string(v).map(str::to_owned))
        .transpose()?;
    Ok(ExecuteRequest {
        code,
        timeout,
        webhook_url,
        id,
    })
}

/// `{"job_id": string}` for the job status route.
pub fn job_id_request(value: &Value) -> Result<String, String> {
    let object = as_object(value)?;
    match object.get("job_id") {
        None => Err("'job_id' is a required property".to_owned()),
        Some(v) => string(v).map(str::to_owned),
    }
}

/// `{"since_seconds"?: number}` for the jobs status route (default 600).
pub fn since_seconds_request(value: &Value) -> Result<u64, String> {
    if value.is_null() {
        return Ok(600);
    }
    let object = as_object(value)?;
    match object.get("since_seconds") {
        None => Ok(600),
        Some(v) => integer_in(v, 0, 10 * 365 * 86_400).map(|n| n as u64),
    }
}

pub(crate) fn as_object(value: &Value) -> Result<&Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{} is not of type 'object'", py_repr(value)))
}

fn string(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{} is not of type 'string'", py_repr(value)))
}

fn integer_in(value: &Value, min: i64, max: i64) -> Result<i64, String> {
    // JSON Schema counts 10.0 as an integer; booleans never are.
    let n = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        _ => None,
    }
    .ok_or_else(|| format!("{} is not of type 'integer'", py_repr(value)))?;
    if n < min {
        return Err(format!(
            "{} is less than the minimum of {min}",
            py_repr(value)
        ));
    }
    if n > max {
        return Err(format!(
            "{} is greater than the maximum of {max}",
            py_repr(value)
        ));
    }
    Ok(n)
}

fn http_url(text: &str) -> Result<String, String> {
    if crate::fields::is_http_url(text) {
        return Ok(text.to_owned());
    }
    Err(format!(
        "{} is not a valid 'uri' (webhook_url must be an http or https URL)",
        py_repr(&Value::String(text.to_owned()))
    ))
}

/// How Python would print a JSON value (`'text'`, `True`, `None`, …).
fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_repr(&Value::String(k.clone())), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn accepts_the_seed_example() {
        let req = execute_request(
            &json!({"code": "print(1)", "timeout": 10, "webhook_url": "https://example.com/webhook", "id": "r-1"}),
        );
        assert_eq!(
            req,
            Ok(ExecuteRequest {
                code: "print(1)".into(),
                timeout: 10,
                webhook_url: Some("https://example.com/webhook".into()),
                id: Some("r-1".into())
            })
        );
    }

    #[test]
    fn rejects_with_jsonschema_wording() {
        let cases = [
            (json!({}), "'code' is a required property"),
            (json!({"code": 1}), "1 is not of type 'string'"),
            (
                json!({"code": "x", "timeout": 0}),
                "0 is less than the minimum of 1",
            ),
            (
                json!({"code": "x", "timeout": 301}),
                "301 is greater than the maximum of 300",
            ),
            (
                json!({"code": "x", "timeout": "10"}),
                "'10' is not of type 'integer'",
            ),
            (
                json!({"code": "x", "timeout": true}),
                "True is not of type 'integer'",
            ),
            (
                json!({"code": "x", "extra": 1}),
                "Additional properties are not allowed ('extra' was unexpected)",
            ),
            (json!([1]), "[1] is not of type 'object'"),
        ];
        for (input, message) in cases {
            assert_eq!(execute_request(&input), Err(message.to_owned()), "{input}");
        }
    }

    #[test]
    fn webhook_urls_must_be_http() {
        assert!(execute_request(&json!({"code": "x", "webhook_url": "ftp://host/x"})).is_err());
        assert!(execute_request(&json!({"code": "x", "webhook_url": "http://"})).is_err());
        assert!(
            execute_request(&json!({"code": "x", "webhook_url": "HTTP://host:8080/x"})).is_ok()
        );
    }

    #[test]
    fn integral_floats_count_as_integers() {
        assert_eq!(
            execute_request(&json!({"code": "x", "timeout": 10.0})).map(|r| r.timeout),
            Ok(10)
        );
        assert!(execute_request(&json!({"code": "x", "timeout": 1.5})).is_err());
    }
}
