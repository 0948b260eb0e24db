//! Array and collection functions.
//!
//! - `get(array; 1)` is 1-based; `get(collection; "a.b")` follows a path in
//!   which numbers are 1-based array indexes (`items[2].name` works too).
//! - `map(array; key; filterKey?; filterValues?)`: the `key` of each
//!   collection; with a filter, only items whose `filterKey` (as text) is
//!   one of `filterValues` (an array, or comma-separated text).
//! - `sort(array; order?; key?)`: order `asc` (default), `desc`, `asc ci`,
//!   `desc ci` (case-insensitive); numbers numerically, the rest as text;
//!   stable.
//! - `slice(array; start; end?)`: 0-based, `end` exclusive, negative counts
//!   from the end (JavaScript's `slice`, as Make's).
//! - `distinct(array; key?)`: first occurrence kept.
//! - `merge(array; …)` concatenates arrays; `add(array; value; …)` appends;
//!   `remove(array; value; …)` drops equal items; `flatten` one level.
//! - `keys(collection)`: its key names, in the collection's order.

use std::cmp::Ordering;

use serde_json::Value;

use super::{arg, array_arg, integer_arg, optional, text_arg};
use crate::iml::value::{compare, equal, field, item, to_text, type_name};

pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        "get" => Ok(match arg(args, 1) {
            Value::Number(n) => item(arg(args, 0), n.as_f64().map_or(0, |f| f as i64)),
            path => get_path(arg(args, 0), &to_text(path)),
        }),
        "first" => Ok(array_arg(args, 0)?.first().cloned().unwrap_or(Value::Null)),
        "last" => Ok(array_arg(args, 0)?.last().cloned().unwrap_or(Value::Null)),
        "map" => map(args),
        "keys" => match arg(args, 0) {
            Value::Object(map) => Ok(Value::Array(
                map.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            Value::Null => Ok(Value::Array(Vec::new())),
            other => Err(format!(
                "argument 1 must be a collection, got {}",
                type_name(other)
            )),
        },
        "sort" => sort(args),
        "slice" => slice(args),
        "distinct" => {
            let items = array_arg(args, 0)?;
            let key = optional(args, 1).map(to_text);
            let pick = |v: &Value| key.as_deref().map_or_else(|| v.clone(), |k| get_path(v, k));
            // Items are told apart as `=` does for scalars: by their text.
            let identity = |v: &Value| match v {
                Value::Array(_) | Value::Object(_) => format!("j{v}"),
                scalar => format!("t{}", to_text(scalar)),
            };
            let mut seen = std::collections::HashSet::new();
            let kept: Vec<Value> = items
                .iter()
                .filter(|v| seen.insert(identity(&pick(v))))
                .cloned()
                .collect();
            Ok(Value::Array(kept))
        }
        "reverse" => Ok(Value::Array(
            array_arg(args, 0)?.iter().rev().cloned().collect(),
        )),
        "merge" => {
            let mut out = Vec::new();
            for i in 0..args.len() {
                out.extend(array_arg(args, i)?.iter().cloned());
            }
            Ok(Value::Array(out))
        }
        "flatten" => Ok(Value::Array(
            array_arg(args, 0)?
                .iter()
                .flat_map(|v| match v {
                    Value::Array(inner) => inner.clone(),
                    other => vec![other.clone()],
                })
                .collect(),
        )),
        "add" => {
            let mut out = array_arg(args, 0)?.to_vec();
            out.extend(args.iter().skip(1).cloned());
            Ok(Value::Array(out))
        }
        "remove" => {
            let drop = args.get(1..).unwrap_or_default();
            let items = array_arg(args, 0)?;
            Ok(Value::Array(
                items
                    .iter()
                    .filter(|v| !drop.iter().any(|d| equal(v, d)))
                    .cloned()
                    .collect(),
            ))
        }
        other => Err(format!("unknown function `{other}`")),
    }
}

/// Follows `a.b[2].c` (or `a.b.2.c`) into a value; array indexes 1-based.
pub(crate) fn get_path(value: &Value, path: &str) -> Value {
    let normalized = path.replace('[', ".").replace(']', "");
    let mut current = value.clone();
    for key in normalized.split('.').filter(|k| !k.is_empty()) {
        current = field(&current, key);
    }
    current
}

fn map(args: &[Value]) -> Result<Value, String> {
    let items = array_arg(args, 0)?;
    let key = text_arg(args, 1)?;
    let filter = match optional(args, 2) {
        Some(filter_key) => {
            let allowed: Vec<String> = match arg(args, 3) {
                Value::Array(values) => values.iter().map(to_text).collect(),
                other => to_text(other)
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .collect(),
            };
            Some((to_text(filter_key), allowed))
        }
        None => None,
    };
    Ok(Value::Array(
        items
            .iter()
            .filter(|item| match &filter {
                Some((filter_key, allowed)) => {
                    allowed.contains(&to_text(&get_path(item, filter_key)))
                }
                None => true,
            })
            .map(|item| get_path(item, &key))
            .collect(),
    ))
}

fn sort(args: &[Value]) -> Result<Value, String> {
    let mut items = array_arg(args, 0)?.to_vec();
    let order = optional(args, 1)
        .map(to_text)
        .unwrap_or_else(|| "asc".to_owned());
    let (descending, case_insensitive) = match order.trim().to_lowercase().as_str() {
        "asc" => (false, false),
        "desc" => (true, false),
        "asc ci" => (false, true),
        "desc ci" => (true, true),
        other => {
            return Err(format!(
                "order must be asc, desc, asc ci or desc ci, got {other:?}"
            ))
        }
    };
    let key = optional(args, 2).map(to_text);
    let pick = |v: &Value| key.as_deref().map_or_else(|| v.clone(), |k| get_path(v, k));
    items.sort_by(|a, b| {
        let (a, b) = (pick(a), pick(b));
        let ordering = if case_insensitive {
            match (a.as_str(), b.as_str()) {
                (Some(x), Some(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
                _ => compare(&a, &b),
            }
        } else {
            compare(&a, &b)
        };
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    Ok(Value::Array(items))
}

fn slice(args: &[Value]) -> Result<Value, String> {
    let items = array_arg(args, 0)?;
    let len = items.len() as i64;
    let resolve = |n: i64| if n < 0 { (len + n).max(0) } else { n.min(len) } as usize;
    let start = resolve(integer_arg(args, 1)?);
    let end = match optional(args, 2) {
        Some(_) => resolve(integer_arg(args, 2)?),
        None => items.len(),
    };
    Ok(Value::Array(match start.cmp(&end) {
        Ordering::Less => items[start..end].to_vec(),
        _ => Vec::new(),
    }))
}
