//! Filters: `conditions` is an OR of AND groups of `{a, o, b}`, where `a`
//! and `b` are templates evaluated for the bundle.
//!
//! Operators (`:ci` variants compare case-insensitively):
//! - `text:equal`, `text:notequal`, `text:contain`, `text:notcontain`,
//!   `text:startswith`, `text:notstartswith`, `text:endswith`,
//!   `text:notendswith`, `text:pattern`, `text:notpattern` (regular
//!   expression): both sides as text;
//! - `number:equal`, `number:notequal`, `number:greater`, `number:less`,
//!   `number:greaterorequal`, `number:lessorequal`: false unless both sides
//!   read as numbers;
//! - `date:equal`, `date:notequal`, `date:greater`, `date:less`,
//!   `date:greaterorequal`, `date:lessorequal`: false unless both are dates;
//! - `exist` / `notexist`: `a` is present (not null, not empty text);
//! - `boolean:equal`, `boolean:notequal`: truth values (`"true"`, `"1"`,
//!   `"yes"` are true; `"false"`, `"0"`, `"no"` and empty text false);
//! - `array:contain`, `array:notcontain`: `a` (an array) holds `b`.
//!
//! An empty condition list lets every bundle through.

use std::cmp::Ordering;

use serde_json::Value;

use crate::blueprint::Filter;
use crate::iml::functions::date::date_arg;
use crate::iml::value::{equal, to_number, to_text, truthy};
use crate::iml::{evaluate, ImlError, Scope};

/// Whether the bundle passes the filter.
pub(crate) fn passes(filter: &Filter, scope: Scope<'_>) -> Result<bool, ImlError> {
    if filter.conditions.is_empty() {
        return Ok(true);
    }
    for group in &filter.conditions {
        let mut all = true;
        for condition in group {
            let a = evaluate(&condition.a, scope)?;
            let b = match &condition.b {
                Some(b) => evaluate(b, scope)?,
                None => Value::Null,
            };
            if !holds(&condition.o, &a, &b) {
                all = false;
                break;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

fn holds(operator: &str, a: &Value, b: &Value) -> bool {
    if operator == "notexist" {
        return !holds("exist", a, b);
    }
    let (base, ci) = match operator.strip_suffix(":ci") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let text = |v: &Value| {
        if ci {
            to_text(v).to_lowercase()
        } else {
            to_text(v)
        }
    };
    let (negated, test) = match base.split_once(":not") {
        Some((family, rest)) => (true, format!("{family}:{rest}")),
        None => (false, base.to_owned()),
    };
    let result = match test.as_str() {
        "text:equal" => text(a) == text(b),
        "text:contain" => text(a).contains(&text(b)),
        "text:startswith" => text(a).starts_with(&text(b)),
        "text:endswith" => text(a).ends_with(&text(b)),
        "text:pattern" => regex::RegexBuilder::new(&to_text(b))
            .case_insensitive(ci)
            .size_limit(1 << 20)
            .build()
            .is_ok_and(|re| re.is_match(&to_text(a))),
        "number:equal" => numbers(a, b).is_some_and(|(x, y)| x == y),
        "number:greater" => numbers(a, b).is_some_and(|(x, y)| x > y),
        "number:less" => numbers(a, b).is_some_and(|(x, y)| x < y),
        "number:greaterorequal" => numbers(a, b).is_some_and(|(x, y)| x >= y),
        "number:lessorequal" => numbers(a, b).is_some_and(|(x, y)| x <= y),
        "date:equal" => dates(a, b) == Some(Ordering::Equal),
        "date:greater" => dates(a, b) == Some(Ordering::Greater),
        "date:less" => dates(a, b) == Some(Ordering::Less),
        "date:greaterorequal" => matches!(dates(a, b), Some(Ordering::Greater | Ordering::Equal)),
        "date:lessorequal" => matches!(dates(a, b), Some(Ordering::Less | Ordering::Equal)),
        "exist" => !matches!(a, Value::Null) && a.as_str() != Some(""),
        "boolean:equal" => boolean(a) == boolean(b),
        "array:contain" => match a {
            Value::Array(items) => items.iter().any(|item| equal(item, b)),
            _ => false,
        },
        _ => false,
    };
    if negated {
        // A numeric or date comparison that cannot be made is false either way.
        let incomparable = (test.starts_with("number:") && numbers(a, b).is_none())
            || (test.starts_with("date:") && dates(a, b).is_none());
        return !result && !incomparable;
    }
    result
}

fn numbers(a: &Value, b: &Value) -> Option<(f64, f64)> {
    Some((to_number(a)?, to_number(b)?))
}

fn dates(a: &Value, b: &Value) -> Option<Ordering> {
    let x = date_arg(std::slice::from_ref(a), 0).ok()?;
    let y = date_arg(std::slice::from_ref(b), 0).ok()?;
    Some(x.cmp(&y))
}

fn boolean(value: &Value) -> bool {
    match value {
        Value::String(s) => matches!(s.trim().to_lowercase().as_str(), "true" | "1" | "yes"),
        other => truthy(other),
    }
}
