//! [`WebhookSettings`]: how deliveries are signed, timed and retried.

use std::time::Duration;

use runbox_config::WebhookSecret;

#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Signs deliveries with the Standard Webhooks headers when set.
    pub secret: Option<WebhookSecret>,
    /// Bounds one whole attempt (connect, send, answer).
    pub timeout: Duration,
    /// Attempts before giving up on a receiver that keeps failing.
    pub max_attempts: u32,
    /// Delay before the second attempt; each later delay doubles.
    pub first_retry: Duration,
    /// How often the outbox is checked when no event wakes the loop. Retry
    /// times are honoured to within this interval.
    pub poll_interval: Duration,
    /// How long a taken delivery is reserved for this node. Must exceed
    /// `timeout` comfortably: if it lapses while the attempt is still in
    /// flight, another node may send the same delivery.
    pub hold: Duration,
}

impl Default for WebhookSettings {
    /// 10 s timeout and 8 attempts spread over about two minutes (1 s, 2 s,
    /// 4 s, … 64 s apart), as the contract asks (at least 5 attempts, the
    /// first retry after about 1 s, then doubling).
    fn default() -> Self {
        Self {
            secret: None,
            timeout: Duration::from_secs(10),
            max_attempts: 8,
            first_retry: Duration::from_secs(1),
            poll_interval: Duration::from_millis(500),
            hold: Duration::from_secs(60),
        }
    }
}
