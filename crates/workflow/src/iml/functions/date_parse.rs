//! `parseDate`: reading text with a Moment.js format (see `date.rs` for
//! the tokens). Lenient like Moment: text after the format is ignored.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

use super::date::{offset, tokens, utc, Piece, DAYS, MONTHS};

/// What the text said, before it becomes a date.
struct Parts {
    year: i32,
    month: u32,
    day: u32,
    ordinal: Option<u32>,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    pm: Option<bool>,
    offset: Option<FixedOffset>,
    epoch: Option<DateTime<Utc>>,
}

pub(super) fn parse(
    text: &str,
    format: &str,
    zone: Option<FixedOffset>,
) -> Result<DateTime<Utc>, String> {
    let mismatch = || format!("{text:?} does not match the format {format:?}");
    let mut p = Parts {
        year: 1970,
        month: 1,
        day: 1,
        ordinal: None,
        hour: 0,
        minute: 0,
        second: 0,
        millis: 0,
        pm: None,
        offset: None,
        epoch: None,
    };
    let mut rest = text.trim_start();
    for piece in tokens(format) {
        match piece {
            Piece::Literal(literal) => {
                for c in literal.chars() {
                    if let Some(after) = rest.strip_prefix(c) {
                        rest = after;
                    } else if !c.is_whitespace() {
                        return Err(mismatch());
                    }
                }
            }
            Piece::Token(token) => read_token(token, &mut rest, &mut p).ok_or_else(mismatch)?,
        }
    }
    if let Some(epoch) = p.epoch {
        return Ok(epoch);
    }
    let date = match p.ordinal {
        Some(ordinal) => NaiveDate::from_yo_opt(p.year, ordinal),
        None => NaiveDate::from_ymd_opt(p.year, p.month, p.day),
    }
    .ok_or_else(|| format!("{text:?} is not a valid date"))?;
    let hour = match p.pm {
        Some(true) if p.hour < 12 => p.hour + 12,
        Some(false) if p.hour == 12 => 0,
        _ => p.hour,
    };
    let naive = date
        .and_hms_milli_opt(hour, p.minute, p.second, p.millis)
        .ok_or_else(|| format!("{text:?} is not a valid time"))?;
    let zone = p.offset.or(zone).unwrap_or_else(utc);
    zone.from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(mismatch)
}

fn read_token(token: &str, rest: &mut &str, p: &mut Parts) -> Option<()> {
    match token {
        "YYYY" => {
            let negative = rest.starts_with('-');
            if negative {
                *rest = &rest[1..];
            }
            let year = digits(rest, 1, 4)? as i32;
            p.year = if negative { -year } else { year };
        }
        "YY" => {
            let year = digits(rest, 2, 2)? as i32;
            p.year = if year < 69 { 2000 + year } else { 1900 + year };
        }
        "M" | "MM" => p.month = digits(rest, 1, 2)?,
        "MMM" | "MMMM" => p.month = name(rest, &MONTHS)? as u32 + 1,
        "D" | "DD" => p.day = digits(rest, 1, 2)?,
        "Do" => {
            p.day = digits(rest, 1, 2)?;
            *rest = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        }
        "DDD" | "DDDD" => p.ordinal = Some(digits(rest, 1, 3)?),
        "d" | "E" | "Q" => {
            digits(rest, 1, 1)?;
        }
        "W" | "WW" => {
            digits(rest, 1, 2)?;
        }
        "dd" | "ddd" | "dddd" => {
            name(rest, &DAYS)?;
        }
        "H" | "HH" | "k" | "kk" | "h" | "hh" => p.hour = digits(rest, 1, 2)?,
        "m" | "mm" => p.minute = digits(rest, 1, 2)?,
        "s" | "ss" => p.second = digits(rest, 1, 2)?,
        "S" | "SS" | "SSS" => {
            let before = rest.len();
            let fraction = digits(rest, 1, 9)?;
            let width = (before - rest.len()) as u32;
            p.millis = (u64::from(fraction) * 1000 / 10u64.pow(width)) as u32;
        }
        "A" | "a" => {
            let upper = rest.get(..2)?.to_ascii_uppercase();
            p.pm = Some(match upper.as_str() {
                "AM" => false,
                "PM" => true,
                _ => return None,
            });
            *rest = &rest[2..];
        }
        "Z" | "ZZ" => {
            if let Some(after) = rest.strip_prefix(['Z', 'z']) {
                *rest = after;
                p.offset = Some(utc());
            } else {
                let len = rest
                    .char_indices()
                    .skip(1)
                    .find(|&(_, c)| !(c.is_ascii_digit() || c == ':'))
                    .map_or(rest.len(), |(i, _)| i);
                p.offset = Some(offset(&rest[..len])?);
                *rest = &rest[len..];
            }
        }
        "X" => {
            let seconds = digits_u64(rest, 1, 12)?;
            p.epoch = Utc.timestamp_opt(i64::try_from(seconds).ok()?, 0).single();
        }
        _ => {
            let millis = digits_u64(rest, 1, 15)?;
            p.epoch = Utc
                .timestamp_millis_opt(i64::try_from(millis).ok()?)
                .single();
        }
    }
    Some(())
}

/// Reads `min..=max` ASCII digits.
fn digits(rest: &mut &str, min: usize, max: usize) -> Option<u32> {
    u32::try_from(digits_u64(rest, min, max.min(9))?).ok()
}

fn digits_u64(rest: &mut &str, min: usize, max: usize) -> Option<u64> {
    let len = rest
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if len < min {
        return None;
    }
    let value = rest[..len].parse().ok()?;
    *rest = &rest[len..];
    Some(value)
}

/// Reads a month or day name, full or abbreviated to three letters; its index.
fn name(rest: &mut &str, names: &[&str]) -> Option<usize> {
    names.iter().enumerate().find_map(|(i, full)| {
        let len = [full.len(), 3].into_iter().find(|&n| {
            rest.get(..n)
                .is_some_and(|s| s.eq_ignore_ascii_case(&full[..n]))
        })?;
        *rest = &rest[len..];
        Some(i)
    })
}
