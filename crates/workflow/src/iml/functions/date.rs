//! Dates. A date value is ISO 8601 text in UTC with milliseconds
//! (`2025-05-10T21:00:00.000Z`), which is what `now`, `parseDate` and the
//! `add…` functions return. Date arguments may be ISO 8601 / RFC 3339 text
//! (with or without time and offset; without an offset, UTC), or a number
//! of milliseconds since the Unix epoch.
//!
//! `formatDate(date; format; timezone?)` and `parseDate(text; format;
//! timezone?)` use Moment.js tokens, as Make does: `YYYY YY Q M MM MMM MMMM
//! D DD Do DDD DDDD d dd ddd dddd E H HH h hh k kk m mm s ss S SS SSS A a Z
//! ZZ X x W WW`, with `[literal text]` in brackets; other characters are
//! copied (or, when parsing, expected). Time zones: `UTC`/`GMT`/`Z` or a
//! fixed offset such as `+02:00`; named zones (`Europe/Prague`) are not
//! supported and are an error. `parseDate` fills missing parts with
//! 1970-01-01 00:00:00.000; a two-digit year is 2000–2068 or 1969–1999.
//! `addDays/addHours/addMinutes/addSeconds/addMonths/addYears(date; n)`
//! accept negative `n`; months clamp to the month's last day.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, Offset, TimeZone,
    Timelike, Utc,
};
use serde_json::Value;

use super::date_parse::parse;
use super::{arg, integer_arg, optional, text_arg};
use crate::iml::value::{to_text, type_name};

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(super) const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Format tokens, longest first so `MMMM` wins over `MM`.
const TOKENS: [&str; 38] = [
    "YYYY", "MMMM", "DDDD", "dddd", "MMM", "DDD", "ddd", "SSS", "YY", "MM", "Do", "DD", "dd", "HH",
    "hh", "kk", "mm", "ss", "SS", "ZZ", "WW", "Q", "M", "D", "d", "E", "H", "h", "k", "m", "s",
    "S", "A", "a", "Z", "X", "x", "W",
];

/// `now` as a date value.
pub(crate) fn now_text() -> String {
    iso(Utc::now())
}

/// The canonical text of a date value.
pub(crate) fn iso(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, String> {
    let text = |date: DateTime<Utc>| Ok(Value::String(iso(date)));
    match name {
        "formatDate" => {
            let date = date_arg(args, 0)?;
            let offset = zone_arg(args, 2)?.unwrap_or(utc());
            Ok(Value::String(format(
                &date.with_timezone(&offset),
                &text_arg(args, 1)?,
            )))
        }
        "parseDate" => text(parse(
            &text_arg(args, 0)?,
            &text_arg(args, 1)?,
            zone_arg(args, 2)?,
        )?),
        "addDays" | "addHours" | "addMinutes" | "addSeconds" => {
            let date = date_arg(args, 0)?;
            let n = integer_arg(args, 1)?;
            let step = match name {
                "addDays" => Duration::try_days(n),
                "addHours" => Duration::try_hours(n),
                "addMinutes" => Duration::try_minutes(n),
                _ => Duration::try_seconds(n),
            };
            step.and_then(|step| date.checked_add_signed(step))
                .map_or_else(|| Err(out_of_range()), text)
        }
        "addMonths" | "addYears" => {
            let date = date_arg(args, 0)?;
            let n = integer_arg(args, 1)?;
            let months = if name == "addYears" {
                n.checked_mul(12)
            } else {
                Some(n)
            };
            let moved = months.and_then(|m| {
                let step = Months::new(u32::try_from(m.unsigned_abs()).ok()?);
                if m >= 0 {
                    date.checked_add_months(step)
                } else {
                    date.checked_sub_months(step)
                }
            });
            moved.map_or_else(|| Err(out_of_range()), text)
        }
        other => Err(format!("unknown function `{other}`")),
    }
}

fn out_of_range() -> String {
    "the date is out of range".to_owned()
}

pub(super) fn utc() -> FixedOffset {
    Utc.fix()
}

/// A date argument: ISO text or epoch milliseconds.
pub(crate) fn date_arg(args: &[Value], i: usize) -> Result<DateTime<Utc>, String> {
    match arg(args, i) {
        Value::Number(n) => n
            .as_f64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms as i64).single())
            .ok_or_else(out_of_range),
        Value::String(s) => {
            read_date(s).ok_or_else(|| format!("argument {} is not a date: {s:?}", i + 1))
        }
        other => Err(format!(
            "argument {} must be a date, got {}",
            i + 1,
            type_name(other)
        )),
    }
}

fn read_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// An optional time zone argument: UTC or a fixed offset.
fn zone_arg(args: &[Value], i: usize) -> Result<Option<FixedOffset>, String> {
    let Some(zone) = optional(args, i) else {
        return Ok(None);
    };
    let zone = to_text(zone);
    offset(&zone).map(Some).ok_or_else(|| {
        format!("time zone {zone:?} is not supported: use UTC or an offset such as +02:00")
    })
}

/// `Z`, `UTC`, `GMT`, `+02:00`, `+0200`, `-05`.
pub(super) fn offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    if matches!(text.to_ascii_uppercase().as_str(), "Z" | "UTC" | "GMT") {
        return Some(utc());
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
        return None;
    }
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// Splits a format into tokens and literal text.
pub(super) fn tokens(format: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            if let Some(close) = rest.find(']') {
                pieces.push(Piece::Literal(&rest[1..close]));
                rest = &rest[close + 1..];
                continue;
            }
        }
        match TOKENS.iter().find(|t| rest.starts_with(**t)) {
            Some(token) => {
                pieces.push(Piece::Token(token));
                rest = &rest[token.len()..];
            }
            None => {
                pieces.push(Piece::Literal(&rest[..c.len_utf8()]));
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    pieces
}

pub(super) enum Piece<'a> {
    Token(&'static str),
    Literal(&'a str),
}

fn format(date: &DateTime<FixedOffset>, format: &str) -> String {
    let mut out = String::new();
    for piece in tokens(format) {
        match piece {
            Piece::Literal(text) => out.push_str(text),
            Piece::Token(token) => out.push_str(&format_token(date, token)),
        }
    }
    out
}

fn format_token(date: &DateTime<FixedOffset>, token: &str) -> String {
    let hour12 = match date.hour() % 12 {
        0 => 12,
        h => h,
    };
    let weekday = date.weekday().num_days_from_sunday() as usize;
    let month = date.month0() as usize;
    let offset = date.offset().local_minus_utc();
    let zone = |colon: &str| {
        format!(
            "{}{:02}{colon}{:02}",
            if offset < 0 { '-' } else { '+' },
            offset.abs() / 3600,
            offset.abs() % 3600 / 60
        )
    };
    match token {
        "YYYY" => format!("{:04}", date.year()),
        "YY" => format!("{:02}", date.year().rem_euclid(100)),
        "Q" => (month / 3 + 1).to_string(),
        "MMMM" => MONTHS[month].to_owned(),
        "MMM" => MONTHS[month][..3].to_owned(),
        "MM" => format!("{:02}", month + 1),
        "M" => (month + 1).to_string(),
        "DDDD" => format!("{:03}", date.ordinal()),
        "DDD" => date.ordinal().to_string(),
        "DD" => format!("{:02}", date.day()),
        "D" => date.day().to_string(),
        "Do" => ordinal(date.day()),
        "dddd" => DAYS[weekday].to_owned(),
        "ddd" => DAYS[weekday][..3].to_owned(),
        "dd" => DAYS[weekday][..2].to_owned(),
        "d" => weekday.to_string(),
        "E" => date.weekday().number_from_monday().to_string(),
        "HH" => format!("{:02}", date.hour()),
        "H" => date.hour().to_string(),
        "hh" => format!("{hour12:02}"),
        "h" => hour12.to_string(),
        "kk" => format!("{:02}", if date.hour() == 0 { 24 } else { date.hour() }),
        "k" => (if date.hour() == 0 { 24 } else { date.hour() }).to_string(),
        "mm" => format!("{:02}", date.minute()),
        "m" => date.minute().to_string(),
        "ss" => format!("{:02}", date.second()),
        "s" => date.second().to_string(),
        "SSS" => format!("{:03}", date.timestamp_subsec_millis()),
        "SS" => format!("{:02}", date.timestamp_subsec_millis() / 10),
        "S" => (date.timestamp_subsec_millis() / 100).to_string(),
        "A" => (if date.hour() < 12 { "AM" } else { "PM" }).to_owned(),
        "a" => (if date.hour() < 12 { "am" } else { "pm" }).to_owned(),
        "ZZ" => zone(""),
        "Z" => zone(":"),
        "X" => date.timestamp().to_string(),
        "x" => date.timestamp_millis().to_string(),
        "WW" => format!("{:02}", date.iso_week().week()),
        _ => date.iso_week().week().to_string(),
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
