//! Small helpers for durations shown in replies.

/// Seconds rounded to three decimals, as the Python dialect shows times.
pub(crate) fn secs3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
