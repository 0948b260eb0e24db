//! `http:ActionSendData` / `http:MakeRequest`.
//!
//! Mapper: `url`, `method` (any case, default GET), `headers` and `qs` as
//! `[{name, value}]` (a plain object works too), `data` (text is sent as
//! is; anything else as JSON), `contentType` (a MIME type, or the short
//! names `json`, `text`, `xml`, `urlencoded`; default `application/json`
//! for non-text data), `parseResponse` and `timeout` (seconds, 1–300,
//! default 300). Output `{statusCode, headers, data}`: `data` is parsed
//! JSON when `parseResponse` is true or the response says it is JSON (a
//! response that claims JSON but is not stays text; with `parseResponse`
//! it is an error), otherwise text. A status of 400 or more is a module
//! error. Requests go through the [`runbox_netguard::OutboundPolicy`]
//! client (`RUNBOX_HTTP_ALLOW`). Data transfer counts request and response
//! bodies, the URL and header names and values.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Url};
use runbox_netguard::find_refusal;
use serde_json::{json, Map, Value};

use super::super::Env;
use crate::iml::value::{to_number, to_text, truthy};

/// Largest response body read.
const MAX_RESPONSE_BYTES: usize = 16 << 20;
const MAX_TIMEOUT_SECS: f64 = 300.0;

pub(super) async fn request(env: &Env, input: &Value) -> Result<Vec<Value>, String> {
    let url_text = to_text(field(input, "url"));
    if url_text.trim().is_empty() {
        return Err("url is required".to_owned());
    }
    let mut url =
        Url::parse(url_text.trim()).map_err(|e| format!("invalid URL {url_text:?}: {e}"))?;
    let query = pairs(field(input, "qs"), "qs")?;
    if !query.is_empty() {
        let mut pairs_out = url.query_pairs_mut();
        for (name, value) in &query {
            pairs_out.append_pair(name, value);
        }
    }
    env.services
        .policy
        .check_literal(&url)
        .map_err(|refusal| format!("url {refusal}"))?;
    let method_text = match field(input, "method") {
        Value::Null => "GET".to_owned(),
        other => to_text(other).trim().to_uppercase(),
    };
    let method = Method::from_bytes(method_text.as_bytes())
        .map_err(|_| format!("invalid method {method_text:?}"))?;
    let timeout = to_number(field(input, "timeout"))
        .unwrap_or(MAX_TIMEOUT_SECS)
        .clamp(1.0, MAX_TIMEOUT_SECS);
    let client = match env.http.get_or_init(|| {
        env.services
            .policy
            .client(Duration::from_secs(300))
            .map_err(|e| e.to_string())
    }) {
        Ok(client) => client.clone(),
        Err(error) => return Err(format!("cannot create an HTTP client: {error}")),
    };

    let mut sent = url.as_str().len() as u64;
    let mut builder = client
        .request(method, url)
        .timeout(Duration::from_secs_f64(timeout));
    for (name, value) in pairs(field(input, "headers"), "headers")? {
        let header = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        let value = HeaderValue::from_str(&value)
            .map_err(|_| format!("invalid value for header {name}"))?;
        sent += (name.len() + value.len()) as u64;
        builder = builder.header(header, value);
    }
    if let Some((body, content_type)) = body(input) {
        sent += body.len() as u64;
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder = builder.body(body);
    }

    let mut response = builder.send().await.map_err(|e| describe(&e, timeout))?;
    let status = response.status();
    let mut headers = Map::new();
    let mut received = 0u64;
    for (name, value) in response.headers() {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        received += (name.as_str().len() + text.len()) as u64;
        match headers.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&text);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(text));
            }
        }
    }
    let mut bytes = Vec::new();
    let read = loop {
        match response.chunk().await {
            Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES => {
                break Err(format!(
                    "the response is larger than {} MiB",
                    MAX_RESPONSE_BYTES >> 20
                ))
            }
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break Ok(()),
            Err(e) => break Err(describe(&e, timeout)),
        }
    };
    received += bytes.len() as u64;
    env.data_transfer
        .fetch_add(sent + received, Ordering::Relaxed);
    read?;

    let text = String::from_utf8_lossy(&bytes).into_owned();
    if status.as_u16() >= 400 {
        let excerpt: String = text.chars().take(500).collect();
        return Err(format!(
            "The request failed with status code {}: {}",
            status.as_u16(),
            excerpt.trim()
        ));
    }
    let claims_json = headers
        .get("content-type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("json"));
    let wants_json = match field(input, "parseResponse") {
        Value::String(s) => s.trim().eq_ignore_ascii_case("true"),
        other => truthy(other),
    };
    let data = if (wants_json || claims_json) && !bytes.is_empty() {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(parsed) => parsed,
            Err(e) if wants_json => return Err(format!("the response is not valid JSON: {e}")),
            Err(_) => Value::String(text),
        }
    } else {
        Value::String(text)
    };
    Ok(vec![
        json!({ "statusCode": status.as_u16(), "headers": headers, "data": data }),
    ])
}

fn field<'a>(input: &'a Value, name: &str) -> &'a Value {
    input.get(name).unwrap_or(&Value::Null)
}

/// `[{name, value}]` or `{name: value}` as text pairs.
fn pairs(value: &Value, what: &str) -> Result<Vec<(String, String)>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|item| match item.get("name") {
                Some(name) => Ok((to_text(name), to_text(field(item, "value")))),
                None => Err(format!("{what} items must be {{name, value}}")),
            })
            .collect(),
        Value::Object(map) => Ok(map.iter().map(|(k, v)| (k.clone(), to_text(v))).collect()),
        other => Err(format!(
            "{what} must be an array of {{name, value}}, got {other}"
        )),
    }
}

/// The body to send and its content type.
fn body(input: &Value) -> Option<(Vec<u8>, Option<String>)> {
    let data = field(input, "data");
    let declared = match field(input, "contentType") {
        Value::Null => None,
        other => Some(to_text(other)).filter(|t| !t.trim().is_empty()),
    };
    let declared = declared.map(|t| match t.trim() {
        "json" => "application/json".to_owned(),
        "text" => "text/plain".to_owned(),
        "xml" => "application/xml".to_owned(),
        "urlencoded" | "x_www_form_urlencoded" => "application/x-www-form-urlencoded".to_owned(),
        other => other.to_owned(),
    });
    match data {
        Value::Null => None,
        Value::String(text) => Some((text.clone().into_bytes(), declared)),
        other => Some((
            other.to_string().into_bytes(),
            declared.or_else(|| Some("application/json".to_owned())),
        )),
    }
}

/// A reqwest error as one line: refusals and timeouts in plain words,
/// otherwise the error and its causes.
fn describe(error: &reqwest::Error, timeout: f64) -> String {
    if let Some(refusal) = find_refusal(error) {
        return format!("url {refusal}");
    }
    if error.is_timeout() {
        return format!("the request timed out after {timeout} seconds");
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
