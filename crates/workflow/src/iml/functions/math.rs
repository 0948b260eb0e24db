//! Number functions.
//!
//! - `parseNumber(text; decimalSeparator?)`: blanks are dropped; with a
//!   separator (`,` or `.`), the other one is taken as a thousands
//!   separator and dropped. Text that is not a number is an error.
//! - `formatNumber(number; decimals?; decimalSeparator?; thousandsSeparator?)`:
//!   Make's defaults: 0 decimals, `,` as decimal and `.` as thousands
//!   separator (`formatNumber(1234.5; 2)` is `1.234,50`).
//! - `round(number; decimals?)`: half away from zero.
//! - `max`, `min`, `sum`, `average` take numbers or arrays of numbers;
//!   with no number at all they return null (0 for `sum`).

use serde_json::Value;

use super::{integer_arg, number_arg, number_result, optional, text_arg};
use crate::iml::value::{to_number, type_name};

/// Most decimals `round` and `formatNumber` accept.
const MAX_DECIMALS: i64 = 15;

pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    match name {
        "parseNumber" => parse_number(args),
        "formatNumber" => format_number(args),
        "round" => {
            let n = number_arg(args, 0)?;
            let decimals = match optional(args, 1) {
                Some(_) => integer_arg(args, 1)?.clamp(-MAX_DECIMALS, MAX_DECIMALS),
                None => 0,
            };
            let factor = 10f64.powi(decimals as i32);
            number_result((n * factor).round() / factor)
        }
        "floor" => number_result(number_arg(args, 0)?.floor()),
        "ceil" => number_result(number_arg(args, 0)?.ceil()),
        "abs" => number_result(number_arg(args, 0)?.abs()),
        "max" | "min" | "sum" | "average" => aggregate(name, args),
        other => Err(format!("unknown function `{other}`")),
    }
}

fn parse_number(args: &[Value]) -> Result<Value, String> {
    if let Value::Number(n) = super::arg(args, 0) {
        return Ok(Value::Number(n.clone()));
    }
    let text = text_arg(args, 0)?;
    let mut cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match optional(args, 1)
        .map(super::super::value::to_text)
        .as_deref()
    {
        Some(",") => cleaned = cleaned.replace('.', "").replace(',', "."),
        Some(".") => cleaned = cleaned.replace(',', ""),
        Some(other) => {
            return Err(format!(
                "decimal separator must be `,` or `.`, got {other:?}"
            ))
        }
        None => {}
    }
    match cleaned.parse::<f64>() {
        Ok(n) if n.is_finite() && !cleaned.is_empty() => number_result(n),
        _ => Err(format!("{text:?} is not a number")),
    }
}

fn format_number(args: &[Value]) -> Result<Value, String> {
    let n = number_arg(args, 0)?;
    let decimals = match optional(args, 1) {
        Some(_) => integer_arg(args, 1)?.clamp(0, MAX_DECIMALS) as usize,
        None => 0,
    };
    let decimal_separator = optional(args, 2).map_or(Ok(",".to_owned()), |_| text_arg(args, 2))?;
    let thousands_separator =
        optional(args, 3).map_or(Ok(".".to_owned()), |_| text_arg(args, 3))?;
    if n.abs() >= 1e21 {
        return Err("number too large to format".to_owned());
    }
    let fixed = format!("{:.*}", decimals, n.abs());
    let (whole, fraction) = fixed.split_once('.').unwrap_or((fixed.as_str(), ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push_str(&thousands_separator);
        }
        grouped.push(digit);
    }
    let negative = n < 0.0 && fixed.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = if negative {
        format!("-{grouped}")
    } else {
        grouped
    };
    if !fraction.is_empty() {
        out.push_str(&decimal_separator);
        out.push_str(fraction);
    }
    Ok(Value::String(out))
}

fn aggregate(name: &str, args: &[Value]) -> Result<Value, String> {
    let mut numbers = Vec::new();
    for value in args {
        let items: &[Value] = match value {
            Value::Array(items) => items,
            other => std::slice::from_ref(other),
        };
        for item in items {
            match (item, to_number(item)) {
                (Value::Null, _) => {}
                (_, Some(n)) => numbers.push(n),
                (other, None) => return Err(format!("expects numbers, got {}", type_name(other))),
            }
        }
    }
    if numbers.is_empty() {
        return Ok(if name == "sum" {
            Value::from(0)
        } else {
            Value::Null
        });
    }
    let sum: f64 = numbers.iter().sum();
    number_result(match name {
        "max" => numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "min" => numbers.iter().copied().fold(f64::INFINITY, f64::min),
        "sum" => sum,
        _ => sum / numbers.len() as f64,
    })
}
