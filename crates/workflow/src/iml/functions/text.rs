//! Text functions. Positions count Unicode characters, not bytes.
//!
//! - `substring(text; start; end)`: 0-based, `end` exclusive, like Make's
//!   (JavaScript's `substring`): bounds are clamped to the text and swapped
//!   when `start > end`.
//! - `indexOf(text; value; start?)`: 0-based position, -1 when absent.
//! - `replace(text; search; replacement)`: a plain `search` replaces every
//!   occurrence; `/pattern/flags` is a regular expression (flags `g` all
//!   occurrences, else the first; `i`, `m`, `s` as usual), and the
//!   replacement may use `$1`, `$<name>` and `$&`.
//! - `split(text; separator)`: an empty separator splits into characters.
//! - `join(array; separator)`: items as text; the separator defaults to `, `.
//! - `contains(text; part)` or `contains(array; value)`.
//! - `length` of text (characters), an array (items) or a collection (keys).
//! - `capitalize`: first character upper-cased.

use regex::RegexBuilder;
use serde_json::Value;

use super::{arg, array_arg, integer_arg, optional, text_arg};
use crate::iml::value::{equal, to_text};

/// Most items `split` makes.
const MAX_PARTS: usize = 100_000;

/// Largest compiled regular expression accepted (bytes).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let text = |s: String| Ok(Value::String(s));
    match name {
        "length" => Ok(Value::from(match arg(args, 0) {
            Value::Array(items) => items.len(),
            Value::Object(map) => map.len(),
            other => to_text(other).chars().count(),
        })),
        "lower" => text(text_arg(args, 0)?.to_lowercase()),
        "upper" => text(text_arg(args, 0)?.to_uppercase()),
        "trim" => text(text_arg(args, 0)?.trim().to_owned()),
        "capitalize" => {
            let s = text_arg(args, 0)?;
            let mut chars = s.chars();
            text(match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            })
        }
        "replace" => replace(
            &text_arg(args, 0)?,
            &text_arg(args, 1)?,
            &text_arg(args, 2)?,
        )
        .map(Value::String),
        "substring" => substring(args),
        "split" => {
            let s = text_arg(args, 0)?;
            let separator = text_arg(args, 1)?;
            let count = if separator.is_empty() {
                s.chars().count()
            } else {
                s.matches(separator.as_str()).count()
            };
            if count > MAX_PARTS {
                return Err(format!("more than {MAX_PARTS} parts"));
            }
            let parts: Vec<Value> = if separator.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(separator.as_str())
                    .map(|p| Value::String(p.to_owned()))
                    .collect()
            };
            Ok(Value::Array(parts))
        }
        "join" => {
            let items = array_arg(args, 0)?;
            let separator = match args.get(1) {
                Some(v) => to_text(v),
                None => ", ".to_owned(),
            };
            text(
                items
                    .iter()
                    .map(to_text)
                    .collect::<Vec<_>>()
                    .join(&separator),
            )
        }
        "contains" => Ok(Value::Bool(match arg(args, 0) {
            Value::Array(items) => items.iter().any(|item| equal(item, arg(args, 1))),
            Value::Object(_) => {
                return Err("argument 1 must be text or an array, got collection".to_owned())
            }
            other => to_text(other).contains(&to_text(arg(args, 1))),
        })),
        "indexOf" => index_of(args),
        other => Err(format!("unknown function `{other}`")),
    }
}

fn substring(args: &[Value]) -> Result<Value, String> {
    let chars: Vec<char> = text_arg(args, 0)?.chars().collect();
    let len = chars.len() as i64;
    let clamp = |n: i64| n.clamp(0, len) as usize;
    let start = clamp(integer_arg(args, 1)?);
    let end = match optional(args, 2) {
        Some(_) => clamp(integer_arg(args, 2)?),
        None => chars.len(),
    };
    let (from, to) = if start <= end {
        (start, end)
    } else {
        (end, start)
    };
    Ok(Value::String(chars[from..to].iter().collect()))
}

fn index_of(args: &[Value]) -> Result<Value, String> {
    let haystack: Vec<char> = text_arg(args, 0)?.chars().collect();
    let needle: Vec<char> = text_arg(args, 1)?.chars().collect();
    let from = match optional(args, 2) {
        Some(_) => integer_arg(args, 2)?.clamp(0, haystack.len() as i64) as usize,
        None => 0,
    };
    let found = (from..=haystack.len().saturating_sub(needle.len()))
        .find(|&i| haystack.get(i..i + needle.len()) == Some(needle.as_slice()));
    Ok(Value::from(found.map_or(-1, |i| i as i64)))
}

fn replace(text: &str, search: &str, replacement: &str) -> Result<String, String> {
    let Some((pattern, flags)) = regex_literal(search) else {
        if search.is_empty() {
            return Ok(text.to_owned());
        }
        return Ok(text.replace(search, replacement));
    };
    let regex = RegexBuilder::new(pattern)
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regular expression /{pattern}/: {e}"))?;
    let replacement = js_replacement(replacement);
    Ok(if flags.contains('g') {
        regex.replace_all(text, replacement.as_str()).into_owned()
    } else {
        regex.replace(text, replacement.as_str()).into_owned()
    })
}

/// `/pattern/flags` → (pattern, flags).
fn regex_literal(search: &str) -> Option<(&str, &str)> {
    let body = search.strip_prefix('/')?;
    let close = body.rfind('/')?;
    let (pattern, flags) = (&body[..close], &body[close + 1..]);
    flags
        .chars()
        .all(|c| "gimsuy".contains(c))
        .then_some((pattern, flags))
}

/// A JavaScript replacement pattern (`$1`, `$&`, `$<name>`, `$$`) in the
/// regex crate's syntax; any other `$` is literal.
fn js_replacement(replacement: &str) -> String {
    let chars: Vec<char> = replacement.chars().collect();
    let mut out = String::with_capacity(replacement.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.get(i) {
            Some('&') => {
                out.push_str("${0}");
                i += 1;
            }
            Some('$') => {
                out.push_str("$$");
                i += 1;
            }
            Some('<') => match chars[i..].iter().position(|&c| c == '>') {
                Some(close) => {
                    let name: String = chars[i + 1..i + close].iter().collect();
                    out.push_str(&format!("${{{name}}}"));
                    i += close + 1;
                }
                None => out.push_str("$$"),
            },
            Some(d) if d.is_ascii_digit() => {
                let digits: String = chars[i..]
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                i += digits.len();
                out.push_str(&format!("${{{digits}}}"));
            }
            _ => out.push_str("$$"),
        }
    }
    out
}
