//! What to record after an attempt: delivered, try again later (first retry
//! after `first_retry`, then doubling), or give up. Pure, so the retry
//! schedule is tested without a clock.

use std::time::Duration;

use crate::WebhookSettings;

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AttemptResult {
    /// The receiver answered 2xx.
    Delivered,
    /// Worth trying again: network error, timeout, 5xx, 429, 408.
    Transient(String),
    /// Trying again cannot help: the receiver refused the content (other
    /// 4xx), or the destination is forbidden or not a valid URL.
    Permanent(String),
}

/// What the outbox row becomes. `attempts` counts the attempt just made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Delivered,
    Retry {
        attempts: u32,
        after: Duration,
        error: String,
    },
    GiveUp {
        attempts: u32,
        error: String,
    },
}

/// No delay grows beyond this, whatever the settings.
const MAX_DELAY: Duration = Duration::from_secs(3600);

/// The step after attempt number `previous + 1`.
pub(crate) fn next_step(result: AttemptResult, previous: u32, settings: &WebhookSettings) -> Step {
    let attempts = previous.saturating_add(1);
    match result {
        AttemptResult::Delivered => Step::Delivered,
        AttemptResult::Permanent(error) => Step::GiveUp { attempts, error },
        AttemptResult::Transient(error) if attempts >= settings.max_attempts => Step::GiveUp {
            attempts,
            error: format!("gave up after {attempts} attempts; last: {error}"),
        },
        AttemptResult::Transient(error) => Step::Retry {
            attempts,
            after: retry_delay(settings.first_retry, previous),
            error,
        },
    }
}

/// `first * 2^previous`: after the first attempt `first`, then doubling.
pub(crate) fn retry_delay(first: Duration, previous: u32) -> Duration {
    let factor = 1u32 << previous.min(20);
    first.saturating_mul(factor).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WebhookSettings {
        WebhookSettings::default()
    }

    #[test]
    fn delays_start_at_first_retry_and_double() {
        let first = Duration::from_secs(1);
        let delays: Vec<u64> = (0..7).map(|n| retry_delay(first, n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(retry_delay(first, 40), MAX_DELAY);
        assert_eq!(retry_delay(Duration::MAX, 3), MAX_DELAY);
    }

    #[test]
    fn transient_failures_retry_until_max_attempts() {
        let s = settings();
        let fail = || AttemptResult::Transient("HTTP 500 Internal Server Error".into());
        assert_eq!(
            next_step(fail(), 0, &s),
            Step::Retry {
                attempts: 1,
                after: Duration::from_secs(1),
                error: "HTTP 500 Internal Server Error".into()
            }
        );
        assert!(matches!(
            next_step(fail(), 6, &s),
            Step::Retry { attempts: 7, after, .. } if after == Duration::from_secs(64)
        ));
        match next_step(fail(), 7, &s) {
            Step::GiveUp { attempts, error } => {
                assert_eq!(attempts, 8);
                assert_eq!(
                    error,
                    "gave up after 8 attempts; last: HTTP 500 Internal Server Error"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn permanent_failures_give_up_at_once() {
        let step = next_step(AttemptResult::Permanent("HTTP 400".into()), 0, &settings());
        assert_eq!(
            step,
            Step::GiveUp {
                attempts: 1,
                error: "HTTP 400".into()
            }
        );
        assert_eq!(
            next_step(AttemptResult::Delivered, 3, &settings()),
            Step::Delivered
        );
    }
}
