//! The function library: the arity table the parser checks calls against,
//! the dispatcher the evaluator calls, and argument helpers. Functions are
//! grouped by what they work on; each group's file documents its choices.

pub(crate) mod array;
pub(crate) mod date;
mod date_parse;
mod hash;
mod math;
mod text;

use serde_json::Value;

use super::value::{self, to_text, type_name};

/// Unbounded argument count.
const MANY: usize = usize::MAX;

/// `(min, max)` argument counts of each function; `None`: no such function.
/// Names are case-sensitive, as in Make.
pub(crate) fn arity(name: &str) -> Option<(usize, usize)> {
    Some(match name {
        "if" => (2, 3),
        "ifempty" | "get" | "split" | "contains" | "addDays" | "addHours" | "addMinutes"
        | "addSeconds" | "addMonths" | "addYears" => (2, 2),
        "length" | "lower" | "upper" | "trim" | "capitalize" | "toString" | "first" | "last"
        | "keys" | "reverse" | "flatten" | "md5" | "base64" | "not" | "floor" | "ceil" | "abs" => {
            (1, 1)
        }
        "replace" => (3, 3),
        "substring" | "slice" | "indexOf" | "formatDate" | "parseDate" => (2, 3),
        "join" | "parseNumber" | "round" | "distinct" => (1, 2),
        "formatNumber" => (1, 4),
        "map" => (2, 4),
        "sort" | "sha256" => (1, 3),
        "max" | "min" | "sum" | "average" | "merge" => (1, MANY),
        "add" | "remove" => (2, MANY),
        _ => return None,
    })
}

/// Calls `name` with evaluated arguments (the parser has checked the
/// count). The error message does not repeat the function's name.
pub(crate) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        "if" => Ok(if value::truthy(arg(args, 0)) {
            arg(args, 1).clone()
        } else {
            arg(args, 2).clone()
        }),
        "ifempty" => Ok(if value::is_empty(arg(args, 0)) {
            arg(args, 1).clone()
        } else {
            arg(args, 0).clone()
        }),
        "not" => Ok(Value::Bool(!value::truthy(arg(args, 0)))),
        "toString" => Ok(Value::String(to_text(arg(args, 0)))),
        "length" | "lower" | "upper" | "trim" | "capitalize" | "replace" | "substring"
        | "split" | "join" | "contains" | "indexOf" => text::call(name, args),
        "get" | "first" | "last" | "map" | "keys" | "sort" | "slice" | "distinct" | "reverse"
        | "merge" | "flatten" | "add" | "remove" => array::call(name, args),
        "parseNumber" | "formatNumber" | "round" | "floor" | "ceil" | "abs" | "max" | "min"
        | "sum" | "average" => math::call(name, args),
        "formatDate" | "parseDate" | "addDays" | "addHours" | "addMinutes" | "addSeconds"
        | "addMonths" | "addYears" => date::call(name, args),
        "md5" | "sha256" | "base64" => hash::call(name, args),
        other => Err(format!("unknown function `{other}`")),
    }
}

/// Argument `i`, null when absent.
pub(crate) fn arg(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Null)
}

/// An optional argument: absent, null and empty text mean "not given".
pub(crate) fn optional(args: &[Value], i: usize) -> Option<&Value> {
    args.get(i)
        .filter(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
}

/// Argument `i` as text: scalars are converted, null is empty text.
pub(crate) fn text_arg(args: &[Value], i: usize) -> Result<String, String> {
    match arg(args, i) {
        v @ (Value::Array(_) | Value::Object(_)) => Err(format!(
            "argument {} must be text, got {}",
            i + 1,
            type_name(v)
        )),
        v => Ok(to_text(v)),
    }
}

/// Argument `i` as a number (numbers and numeric text).
pub(crate) fn number_arg(args: &[Value], i: usize) -> Result<f64, String> {
    let v = arg(args, i);
    value::to_number(v).ok_or_else(|| {
        format!(
            "argument {} must be a number, got {} {}",
            i + 1,
            type_name(v),
            super::eval::shown(v)
        )
    })
}

/// Argument `i` as a whole number.
pub(crate) fn integer_arg(args: &[Value], i: usize) -> Result<i64, String> {
    let n = number_arg(args, i)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(format!(
            "argument {} must be a whole number, got {n}",
            i + 1
        ));
    }
    Ok(n as i64)
}

/// Argument `i` as an array; null is an empty array.
pub(crate) fn array_arg(args: &[Value], i: usize) -> Result<&[Value], String> {
    match arg(args, i) {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(&[]),
        v => Err(format!(
            "argument {} must be an array, got {}",
            i + 1,
            type_name(v)
        )),
    }
}

/// A number result, refusing NaN and infinities.
pub(crate) fn number_result(f: f64) -> Result<Value, String> {
    value::number_value(f).ok_or_else(|| "the result is not a finite number".to_owned())
}
