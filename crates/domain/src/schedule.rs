//! Cron schedules (contract section 12): a five- or six-field expression
//! in an IANA time zone, the one rule for what a valid schedule is and when
//! its occurrences fall. Parsing and the calendar arithmetic, daylight
//! saving included, are croner's and chrono-tz's; this module decides which
//! of their options runbox offers and when a missed occurrence still runs.
//!
//! Daylight saving: a local time the clocks skip runs at the first valid
//! instant after the gap; a local time they repeat runs once.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds};
use croner::Cron;
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The zone of a schedule that names none.
pub const DEFAULT_TIMEZONE: &str = "UTC";

/// Longest expression accepted: cron fields are short, and the text is
/// echoed in errors and replies.
const MAX_EXPRESSION_LEN: usize = 256;

/// A schedule as saved: the expression and zone as the user wrote them.
/// Only [`CronSchedule::parse`] makes one, so a stored schedule is valid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronSchedule {
    pub cron: String,
    pub timezone: String,
}

/// A schedule ready to answer "when next": the parsed pattern and zone.
#[derive(Clone, Debug)]
pub struct Occurrences {
    pattern: Cron,
    zone: Tz,
}

impl CronSchedule {
    /// Checks `cron` (five fields, or six with seconds first; `*`, lists,
    /// ranges, steps, names such as `mon`/`jan`) and `timezone` (an IANA
    /// name; `None` is UTC). The error says what is wrong, for the user.
    pub fn parse(cron: &str, timezone: Option<&str>) -> Result<Self, String> {
        let schedule = Self {
            cron: cron.trim().to_owned(),
            timezone: timezone
                .map(str::trim)
                .unwrap_or(DEFAULT_TIMEZONE)
                .to_owned(),
        };
        schedule.occurrences()?;
        Ok(schedule)
    }

    /// The parsed form; fails only for a schedule not made by [`parse`].
    ///
    /// [`parse`]: CronSchedule::parse
    pub fn occurrences(&self) -> Result<Occurrences, String> {
        if self.cron.is_empty() {
            return Err("cron expression is empty".to_owned());
        }
        if self.cron.len() > MAX_EXPRESSION_LEN {
            return Err(format!(
                "cron expression is longer than {MAX_EXPRESSION_LEN} characters"
            ));
        }
        let fields = self.cron.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(format!(
                "cron expression {:?} has {fields} fields; expected 5 (minute hour \
                 day-of-month month day-of-week) or 6 (seconds first)",
                self.cron
            ));
        }
        let pattern = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(&self.cron)
            .map_err(|e| format!("invalid cron expression {:?}: {e}", self.cron))?;
        let zone = Tz::from_str(&self.timezone).map_err(|_| {
            format!(
                "unknown time zone {:?}: expected an IANA name such as Europe/Paris or UTC",
                self.timezone
            )
        })?;
        // A pattern that never matches (say, 30 February) is refused now
        // rather than never running.
        let occurrences = Occurrences { pattern, zone };
        if occurrences.next_after(Timestamp::now()).is_none() {
            return Err(format!(
                "cron expression {:?} never matches a date",
                self.cron
            ));
        }
        Ok(occurrences)
    }
}

impl Occurrences {
    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let utc = DateTime::<Utc>::from_timestamp_millis(after.as_millis())?;
        let local = utc.with_timezone(&self.zone);
        self.pattern
            .find_next_occurrence(&local, false)
            .ok()
            .map(|next| Timestamp::from_millis(next.with_timezone(&Utc).timestamp_millis()))
    }

    /// What to do at `now` about the occurrence that was due at `due`:
    /// run it when it is less than one period late (the period being the
    /// gap to the occurrence after it), otherwise skip it. Either way the
    /// schedule's next occurrence is the first one after `now`.
    pub fn catch_up(&self, due: Timestamp, now: Timestamp) -> CatchUp {
        let next = self.next_after(now);
        let period_end = self.next_after(due);
        let run = match period_end {
            Some(end) => now.as_millis() - due.as_millis() < end.as_millis() - due.as_millis(),
            None => false,
        };
        CatchUp { run, next }
    }
}

/// The decision [`Occurrences::catch_up`] takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatchUp {
    /// Whether the due occurrence runs now.
    pub run: bool,
    /// When the schedule is next due; `None` when it never is again.
    pub next: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("timestamp")
    }

    fn next(cron: &str, zone: &str, after: &str) -> String {
        CronSchedule::parse(cron, Some(zone))
            .and_then(|s| s.occurrences())
            .expect("schedule")
            .next_after(at(after))
            .expect("an occurrence")
            .to_iso()
    }

    #[test]
    fn five_and_six_fields_names_steps_and_ranges() {
        assert_eq!(
            next("*/5 * * * *", "UTC", "2026-03-02T10:01:30Z"),
            "2026-03-02T10:05:00.000Z"
        );
        assert_eq!(
            next("*/10 * * * * *", "UTC", "2026-03-02T10:01:31Z"),
            "2026-03-02T10:01:40.000Z"
        );
        // 2026-03-02 is a Monday: the next weekday 09:00 after Friday evening
        // is Monday.
        assert_eq!(
            next("0 9 * * mon-fri", "UTC", "2026-03-06T18:00:00Z"),
            "2026-03-09T09:00:00.000Z"
        );
        assert_eq!(
            next("0 0 1 jan,jul *", "UTC", "2026-03-06T18:00:00Z"),
            "2026-07-01T00:00:00.000Z"
        );
    }

    #[test]
    fn a_zone_moves_the_instant_and_daylight_saving_is_followed() {
        // 09:00 in Paris is 08:00 UTC in winter, 07:00 UTC in summer.
        assert_eq!(
            next("0 9 * * *", "Europe/Paris", "2026-01-10T12:00:00Z"),
            "2026-01-11T08:00:00.000Z"
        );
        assert_eq!(
            next("0 9 * * *", "Europe/Paris", "2026-07-10T12:00:00Z"),
            "2026-07-11T07:00:00.000Z"
        );
        // 2026-03-29 02:30 does not exist in Paris (clocks go 02:00 -> 03:00):
        // it runs at the first valid instant after the gap, 03:00 local.
        assert_eq!(
            next("30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z"),
            "2026-03-29T01:00:00.000Z"
        );
        // 2026-10-25 02:30 happens twice in Paris: it runs once.
        let schedule = CronSchedule::parse("30 2 * * *", Some("Europe/Paris"))
            .and_then(|s| s.occurrences())
            .expect("schedule");
        let first = schedule
            .next_after(at("2026-10-24T12:00:00Z"))
            .expect("first");
        let second = schedule.next_after(first).expect("second");
        assert_eq!(first.to_iso(), "2026-10-25T00:30:00.000Z");
        assert_eq!(second.to_iso(), "2026-10-26T01:30:00.000Z");
    }

    #[test]
    fn bad_expressions_and_zones_are_refused_with_the_reason() {
        let cases = [
            ("", "UTC", "empty"),
            ("* * * *", "UTC", "4 fields"),
            ("* * * * * * *", "UTC", "7 fields"),
            ("61 * * * *", "UTC", "invalid cron expression"),
            ("* * * * blursday", "UTC", "invalid cron expression"),
            ("*/0 * * * *", "UTC", "invalid cron expression"),
            ("0 0 30 2 *", "UTC", "never matches"),
            ("* * * * *", "Mars/Olympus_Mons", "unknown time zone"),
            ("* * * * *", "", "unknown time zone"),
        ];
        for (cron, zone, why) in cases {
            let error = CronSchedule::parse(cron, Some(zone)).expect_err(cron);
            assert!(error.contains(why), "{cron:?} {zone:?}: {error}");
        }
        assert_eq!(
            CronSchedule::parse(" * * * * * ", None),
            Ok(CronSchedule {
                cron: "* * * * *".into(),
                timezone: "UTC".into()
            })
        );
    }

    #[test]
    fn a_missed_occurrence_runs_when_less_than_a_period_late() {
        let hourly = CronSchedule::parse("0 * * * *", None)
            .and_then(|s| s.occurrences())
            .expect("schedule");
        let due = at("2026-03-02T10:00:00Z");
        let late = hourly.catch_up(due, at("2026-03-02T10:59:00Z"));
        assert!(late.run);
        assert_eq!(late.next, Some(at("2026-03-02T11:00:00Z")));
        let too_late = hourly.catch_up(due, at("2026-03-02T11:30:00Z"));
        assert!(!too_late.run);
        assert_eq!(too_late.next, Some(at("2026-03-02T12:00:00Z")));
    }
}
