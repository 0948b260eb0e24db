//! Reading fields of JSON request objects, with plain-text reasons that
//! each dialect wraps in its own error shape.

use runbox_domain::{check_env, CronSchedule, Env, EnvValue, Priority, Timeout};
use serde_json::{Map, Value};

pub type Object = Map<String, Value>;

/// The body as an object whose keys other than `known` are ignored, as a
/// pydantic model does by default (the agents seed is a FastAPI service):
/// a client may send back what it read, read-only fields included.
pub fn lenient_object(value: &Value) -> Result<&Object, String> {
    Ok(value.as_object().ok_or("the body must be a JSON object")?)
}

pub fn required_text(object: &Object, field: &str, max: usize) -> Result<String, String> {
    match object.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() && text.chars().count() <= max => {
            Ok(text.trim().to_owned())
        }
        Some(_) => Err(format!(
            "{field} must be a non-empty string of at most {max} characters"
        )),
        None => Err(format!("{field} is required")),
    }
}

pub fn optional_text(object: &Object, field: &str, max: usize) -> Result<Option<String>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.chars().count() <= max => Ok(Some(text.clone())),
        Some(_) => Err(format!(
            "{field} must be a string of at most {max} characters"
        )),
    }
}

pub fn timeout(object: &Object, max: u32) -> Result<Option<Timeout>, String> {
    match object.get("timeout") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let secs = integer(value).ok_or("timeout must be an integer number of seconds")?;
            Timeout::new(secs, max).map(Some).map_err(|e| e.to_string())
        }
    }
}

pub fn priority(object: &Object) -> Result<Option<Priority>, String> {
    match object.get("priority") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let n = integer(value).ok_or("priority must be an integer")?;
            Priority::new(n).map(Some).map_err(|e| e.to_string())
        }
    }
}

/// The OpenAPI schema of an `env` object: what [`env`] accepts.
pub struct EnvSchema;

impl utoipa::PartialSchema for EnvSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use runbox_domain::{
            ENV_MAX_NAME_CHARS, ENV_MAX_VALUE_BYTES, ENV_MAX_VARS, SECRET_NAME_MAX_CHARS,
        };
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let text = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[^\\u0000]*$"))
            .max_length(Some(ENV_MAX_VALUE_BYTES));
        let secret = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A secret of the definition's owner, or a shared one, by name",
            ))
            .property(
                "secret",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(format!(
                        "^[A-Z_][A-Z0-9_]{{0,{}}}$",
                        SECRET_NAME_MAX_CHARS - 1
                    ))),
            )
            .required("secret")
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(format!(
                "Environment variables: names match `[A-Za-z_][A-Za-z0-9_]*` (at most \
                 {ENV_MAX_NAME_CHARS} characters, not `RUNBOX_EXECUTION_ID`); each value a string \
                 with no NUL byte and at most {} KiB, or `{{\"secret\": \"NAME\"}}`; at most \
                 {ENV_MAX_VARS} variables.",
                ENV_MAX_VALUE_BYTES / 1024
            )))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(format!(
                        "^[A-Za-z_][A-Za-z0-9_]{{0,{}}}$",
                        ENV_MAX_NAME_CHARS - 1
                    ))),
            ))
            .additional_properties(Some(utoipa::openapi::schema::Schema::OneOf(
                OneOfBuilder::new().item(text).item(secret).build(),
            )))
            .max_properties(Some(ENV_MAX_VARS))
            .into()
    }
}

impl utoipa::ToSchema for EnvSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Env".into()
    }
}

/// `env`: each value a string, or `{"secret": "NAME"}` for a secret
/// resolved when the run starts.
pub fn env(object: &Object) -> Result<Option<Env>, String> {
    match object.get("env") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => {
            let mut env = Env::new();
            for (name, value) in map {
                let value = serde_json::from_value::<EnvValue>(value.clone()).map_err(|_| {
                    format!("env.{name} must be a string or {{\"secret\": \"NAME\"}}")
                })?;
                env.insert(name.clone(), value);
            }
            check_env(&env)?;
            Ok(Some(env))
        }
        Some(_) => Err("env must be an object of strings".to_owned()),
    }
}

/// A `schedule` field: absent → `None` (keep what is there), null →
/// `Some(None)` (remove it), `{"cron", "timezone"?}` → the checked schedule.
pub fn schedule(object: &Object, field: &str) -> Result<Option<Option<CronSchedule>>, String> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Object(fields)) => {
            if let Some(unknown) = fields.keys().find(|k| *k != "cron" && *k != "timezone") {
                return Err(format!(
                    "{field}.{unknown} is not a schedule field (cron, timezone)"
                ));
            }
            cron_schedule(fields, field).map(|s| Some(Some(s)))
        }
        Some(_) => Err(format!(
            "{field} must be an object {{\"cron\", \"timezone\"}} or null"
        )),
    }
}

/// The `cron` and `timezone` fields of `object` (named `field` in errors).
pub fn cron_schedule(object: &Object, field: &str) -> Result<CronSchedule, String> {
    let cron = object
        .get("cron")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{field}.cron must be a cron expression"))?;
    let timezone = match object.get("timezone") {
        None | Some(Value::Null) => None,
        Some(Value::String(zone)) => Some(zone.as_str()),
        Some(_) => return Err(format!("{field}.timezone must be an IANA time zone name")),
    };
    CronSchedule::parse(cron, timezone).map_err(|why| format!("{field}: {why}"))
}

/// When `schedule` next runs, as ISO 8601 UTC; null without one.
pub fn next_run(schedule: Option<&CronSchedule>) -> Option<String> {
    let occurrences = schedule?.occurrences().ok()?;
    occurrences
        .next_after(runbox_domain::Timestamp::now())
        .map(|t| t.to_iso())
}

/// At most this many network destinations on one button or agent.
pub const MAX_NETWORK_ENTRIES: usize = 50;

/// `network`: destinations (contract section 11) a button or agent asks to
/// reach, checked against the operator's list by the gateway. `None`: not
/// given; `null` clears it.
pub fn network(
    object: &Object,
    gateway: &runbox_engine::Gateway,
) -> Result<Option<Vec<runbox_domain::Destination>>, String> {
    let entries = match object.get("network") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(Vec::new())),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err("network must be a list of destinations".to_owned()),
    };
    if entries.len() > MAX_NETWORK_ENTRIES {
        return Err(format!(
            "network has at most {MAX_NETWORK_ENTRIES} destinations, got {}",
            entries.len()
        ));
    }
    let texts: Vec<&str> = entries
        .iter()
        .map(|entry| entry.as_str().ok_or("network entries must be strings"))
        .collect::<Result<_, _>>()?;
    let destinations =
        runbox_domain::parse_destinations(&texts).map_err(|e| format!("network: {e}"))?;
    gateway
        .check(&destinations)
        .map_err(|e| format!("network: {e}"))?;
    Ok(Some(destinations))
}

/// An integer, counting integral floats (`10.0`) but never booleans.
/// The shape every callback URL must have (a webhook's, Make's
/// `callbackUrl`): http or https, a host, no whitespace. Where it may
/// point is the outbound policy's call.
pub fn is_http_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    rest.is_some_and(|rest| {
        !rest.is_empty() && !rest.starts_with('/') && !text.contains(char::is_whitespace)
    })
}

pub fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}
