//! Timestamps: milliseconds since the Unix epoch, rendered as ISO 8601 UTC
//! with milliseconds and `Z`, the one format every dialect shows.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis())
    }

    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// Parses ISO 8601 / RFC 3339 text or a number of epoch milliseconds.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(ms) = text.parse::<i64>() {
            return Some(Self(ms));
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Some(Self(dt.timestamp_millis()));
        }
        // A date or naive date-time without zone is read as UTC.
        if let Ok(ndt) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
            return Some(Self(ndt.and_utc().timestamp_millis()));
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return d
                .and_hms_opt(0, 0, 0)
                .map(|n| Self(n.and_utc().timestamp_millis()));
        }
        None
    }

    pub fn to_iso(self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Seconds between two instants, never negative.
    pub fn seconds_since(self, earlier: Timestamp) -> f64 {
        ((self.0 - earlier.0).max(0)) as f64 / 1000.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_iso_with_millis_and_z() {
        let t = Timestamp::from_millis(1_746_910_800_000);
        assert_eq!(t.to_iso(), "2025-05-10T21:00:00.000Z");
    }

    #[test]
    fn parses_iso_and_epoch_millis() {
        assert_eq!(
            Timestamp::parse("2025-05-10T21:00:00.000Z"),
            Some(Timestamp(1_746_910_800_000))
        );
        assert_eq!(
            Timestamp::parse("1746910800000"),
            Some(Timestamp(1_746_910_800_000))
        );
        assert_eq!(
            Timestamp::parse("2025-05-10"),
            Some(Timestamp(1_746_835_200_000))
        );
        assert_eq!(Timestamp::parse("yesterday"), None);
    }
}
