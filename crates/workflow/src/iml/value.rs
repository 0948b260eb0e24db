//! How IML sees JSON values: as text, as numbers, as true/false, as empty;
//! equality and ordering. Shared by operators, functions and filters.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// A value as text, the way Make prints it into a template: null is empty,
/// numbers without a needless `.0`, arrays as their items joined by `, `,
/// objects as compact JSON.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_text(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(to_text).collect::<Vec<_>>().join(", "),
        Value::Object(_) => value.to_string(),
    }
}

fn number_text(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

/// A value as a number: numbers, and text that reads as a number.
pub fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let trimmed = s.trim();
            if trimmed.is_empty() {
                return None;
            }
            trimmed.parse::<f64>().ok().filter(|f| f.is_finite())
        }
        _ => None,
    }
}

/// A number as a JSON value: integral values (below 2^53) become integers.
pub fn number_value(f: f64) -> Option<Value> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        return Some(Value::from(f as i64));
    }
    Number::from_f64(f).map(Value::Number)
}

/// Falsy: null, false, 0, empty text, empty array.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}

/// Empty as `ifempty` means it: null, empty text, empty array, empty object.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// `=`: same JSON value; a number and a numeric text compare as numbers;
/// otherwise values of different types compare by their text.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), _) | (_, Value::Number(_)) => match (to_number(a), to_number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => to_text(a) == to_text(b),
        },
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => a == b,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => to_text(a) == to_text(b),
    }
}

/// `<` and friends, and `sort`: numerically when both read as numbers,
/// otherwise by text (ISO dates order correctly as text).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (to_number(a), to_number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => to_text(a).cmp(&to_text(b)),
    }
}

/// The type's name in error messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "text",
        Value::Array(_) => "array",
        Value::Object(_) => "collection",
    }
}

/// Looks up `key` in a collection, or a 1-based `index` in an array.
/// Applied to an array with a key, collects that key from each item (Make's
/// "array of collections" access).
pub fn field(value: &Value, key: &str) -> Value {
    match value {
        Value::Object(map) => map.get(key).cloned().unwrap_or(Value::Null),
        Value::Array(items) => match key.parse::<i64>() {
            Ok(index) => item(value, index),
            Err(_) => Value::Array(items.iter().map(|item| field(item, key)).collect()),
        },
        _ => Value::Null,
    }
}

/// Item `index` (1-based) of an array; null when out of range.
pub fn item(value: &Value, index: i64) -> Value {
    match value {
        Value::Array(items) if index >= 1 => usize::try_from(index - 1)
            .ok()
            .and_then(|i| items.get(i))
            .cloned()
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// Indexing with `[x]`: a number is a 1-based array index, text a key.
pub fn index(value: &Value, index: &Value) -> Value {
    match (value, to_number(index)) {
        (Value::Array(_), Some(n)) if n.fract() == 0.0 => item(value, n as i64),
        _ => field(value, &to_text(index)),
    }
}

/// Largest value (roughly, in bytes) an expression may build, so a template
/// such as nested `replace`s cannot exhaust the server's memory.
pub const MAX_VALUE_BYTES: usize = 8 << 20;

/// Whether `value` stays within [`MAX_VALUE_BYTES`] (each item counts 16
/// bytes plus its text). Stops walking as soon as the budget is spent.
pub fn within_limit(value: &Value) -> bool {
    size_up_to(value, MAX_VALUE_BYTES).is_some()
}

/// The value's rough size in memory (as [`within_limit`] counts it), or
/// `None` as soon as it passes `cap`.
pub fn size_up_to(value: &Value, cap: usize) -> Option<usize> {
    fn walk(value: &Value, budget: &mut usize) -> bool {
        let cost = 16
            + match value {
                Value::String(s) => s.len(),
                _ => 0,
            };
        if cost > *budget {
            return false;
        }
        *budget -= cost;
        match value {
            Value::Array(items) => items.iter().all(|item| walk(item, budget)),
            Value::Object(map) => map.iter().all(|(key, item)| {
                *budget = budget.saturating_sub(key.len());
                walk(item, budget)
            }),
            _ => true,
        }
    }
    let mut budget = cap;
    walk(value, &mut budget).then(|| cap - budget)
}
