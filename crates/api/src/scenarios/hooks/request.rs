//! An incoming webhook's request as a scenario's first bundle: a JSON
//! object body's fields (form fields likewise; any other body as `value`),
//! plus `__headers`, `__query` and `__method`. A body that is not UTF-8
//! text arrives base64-encoded in `value`, with `__encoding: "base64"`.
//! Credentials the caller sent in headers (`Authorization`, `Cookie`, …)
//! are left out: the token in the URL is the hook's only secret, and the
//! bundle is stored with the execution.

use axum::http::{HeaderMap, Method};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Headers never copied into the bundle.
const WITHHELD_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

pub fn bundle(
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<Value, String> {
    let mut fields = body_fields(headers, body)?;
    let mut shown = Map::new();
    for (name, value) in headers {
        if WITHHELD_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match shown.get_mut(name.as_str()) {
            // A header sent twice: its values joined, as HTTP allows.
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                shown.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    fields.insert("__headers".into(), Value::Object(shown));
    fields.insert(
        "__query".into(),
        Value::Object(pairs(query.unwrap_or("").as_bytes())),
    );
    fields.insert("__method".into(), Value::String(method.as_str().to_owned()));
    Ok(Value::Object(fields))
}

fn body_fields(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, String> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if body.is_empty() {
        return Ok(Map::new());
    }
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let Ok(text) = std::str::from_utf8(body) else {
        let mut fields = Map::new();
        fields.insert("value".into(), Value::String(STANDARD.encode(body)));
        fields.insert("__encoding".into(), Value::String("base64".into()));
        return Ok(fields);
    };
    // JSON whatever the content type says: `curl -d '{…}'` labels it a form.
    let looks_like_json = content_type.contains("json")
        || matches!(text.trim_start().chars().next(), Some('{' | '['));
    if looks_like_json {
        match crate::strict_json::parse(body) {
            Ok(Value::Object(fields)) => return Ok(fields),
            Ok(other) => return Ok(single(other)),
            // A key named twice could be read differently by a proxy.
            Err(e) if e.to_string().contains("duplicate key") => return Err(e.to_string()),
            Err(_) => {}
        }
    }
    if form {
        return Ok(pairs(body));
    }
    Ok(single(Value::String(text.to_owned())))
}

fn single(value: Value) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("value".into(), value);
    fields
}

/// `a=1&b=2` as an object; a name given twice keeps its values in order as
/// an array.
fn pairs(encoded: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in form_urlencoded::parse(encoded) {
        let value = Value::String(value.into_owned());
        match out.get_mut(name.as_ref()) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                out.insert(name.into_owned(), value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::http::header::CONTENT_TYPE;
    use serde_json::json;

    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().expect("header"));
        headers.insert("authorization", "Bearer x".parse().expect("header"));
        headers.insert("x-trace", "abc".parse().expect("header"));
        headers
    }

    #[test]
    fn json_form_text_and_binary_bodies() {
        let post = Method::POST;
        let b = bundle(
            &post,
            &headers("application/json"),
            Some("a=1&a=2&b=x"),
            br#"{"name": "Ada", "n": 3}"#,
        )
        .expect("bundle");
        assert_eq!(b["name"], "Ada");
        assert_eq!(b["n"], 3);
        assert_eq!(b["__method"], "POST");
        assert_eq!(b["__query"], json!({"a": ["1", "2"], "b": "x"}));
        assert_eq!(b["__headers"]["x-trace"], "abc");
        assert!(b["__headers"].get("authorization").is_none());

        let form = bundle(
            &post,
            &headers("application/x-www-form-urlencoded"),
            None,
            b"city=Paris&n=2",
        )
        .expect("form");
        assert_eq!(form["city"], "Paris");
        let text = bundle(&post, &headers("text/plain"), None, b"hello").expect("text");
        assert_eq!(text["value"], "hello");
        let array = bundle(&post, &headers("application/json"), None, b"[1, 2]").expect("array");
        assert_eq!(array["value"], json!([1, 2]));
        let binary = bundle(
            &post,
            &headers("application/octet-stream"),
            None,
            &[0xff, 0x00, 0x10],
        )
        .expect("binary");
        assert_eq!(binary["value"], "/wAQ");
        assert_eq!(binary["__encoding"], "base64");
        let empty = bundle(&Method::GET, &HeaderMap::new(), None, b"").expect("empty");
        assert_eq!(empty["__method"], "GET");
        assert!(bundle(
            &post,
            &headers("application/json"),
            None,
            br#"{"a": 1, "a": 2}"#
        )
        .is_err());
    }
}
