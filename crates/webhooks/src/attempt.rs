//! One delivery attempt: check the destination, sign, POST the exact bytes
//! that were signed, and read the answer as an [`AttemptResult`].

use std::error::Error as _;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url};
use runbox_config::WebhookSecret;
use runbox_domain::{ExecutionId, Timestamp};
use runbox_netguard::{find_refusal, OutboundPolicy};

use crate::schedule::AttemptResult;
use crate::signing::{self, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// Everything needed to POST deliveries; one per dispatcher.
pub(crate) struct Sender {
    pub client: reqwest::Client,
    pub policy: OutboundPolicy,
    pub secret: Option<WebhookSecret>,
    pub timeout: Duration,
}

/// What an attempt came to, and the receiver's status if it answered.
pub(crate) struct Posted {
    pub result: AttemptResult,
    pub status: Option<StatusCode>,
}

impl Posted {
    fn without_answer(result: AttemptResult) -> Self {
        Self {
            result,
            status: None,
        }
    }
}

impl Sender {
    /// POSTs `body` to `url` for the delivery of `execution`.
    pub async fn post(&self, url: &Url, execution: &ExecutionId, body: Vec<u8>) -> Posted {
        // reqwest does not ask the guarded resolver about IP literals.
        if let Err(refusal) = self.policy.check_literal(url) {
            return Posted::without_answer(AttemptResult::Permanent(format!(
                "webhook_url {refusal}"
            )));
        }
        let mut request = self
            .client
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json");
        if let Some(secret) = &self.secret {
            let id = signing::message_id(execution.as_str());
            let timestamp = Timestamp::now().as_millis().div_euclid(1000);
            let signature = match signing::signature(secret, &id, timestamp, &body) {
                Ok(signature) => signature,
                Err(error) => {
                    return Posted::without_answer(AttemptResult::Permanent(format!(
                        "could not sign the delivery: {error}"
                    )))
                }
            };
            request = request
                .header(ID_HEADER, id)
                .header(TIMESTAMP_HEADER, timestamp.to_string())
                .header(SIGNATURE_HEADER, signature);
        }
        match request.body(body).send().await {
            Ok(response) => Posted {
                result: judge_status(response.status()),
                status: Some(response.status()),
            },
            Err(error) => Posted::without_answer(self.judge_error(error)),
        }
    }

    fn judge_error(&self, error: reqwest::Error) -> AttemptResult {
        if let Some(refusal) = find_refusal(&error) {
            return AttemptResult::Permanent(format!("webhook_url {refusal}"));
        }
        if error.is_timeout() {
            return AttemptResult::Transient(format!(
                "no answer within {} s",
                self.timeout.as_secs_f64()
            ));
        }
        AttemptResult::Transient(describe(&error.without_url()))
    }
}

/// 2xx delivered; 5xx, 429 and 408 worth retrying; anything else (other
/// 4xx, an unfollowed redirect) means the receiver will not take it.
fn judge_status(status: StatusCode) -> AttemptResult {
    if status.is_success() {
        AttemptResult::Delivered
    } else if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        AttemptResult::Transient(format!("HTTP {status}"))
    } else {
        AttemptResult::Permanent(format!("the receiver answered HTTP {status}"))
    }
}

/// The error and its causes on one line, repeated messages skipped.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        let message = current.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = current.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let judge = |code: u16| judge_status(StatusCode::from_u16(code).unwrap());
        assert_eq!(judge(200), AttemptResult::Delivered);
        assert_eq!(judge(204), AttemptResult::Delivered);
        for code in [500, 502, 503, 429, 408] {
            assert!(matches!(judge(code), AttemptResult::Transient(_)), "{code}");
        }
        for code in [400, 401, 404, 410, 302] {
            assert!(matches!(judge(code), AttemptResult::Permanent(_)), "{code}");
        }
        assert_eq!(
            judge(500),
            AttemptResult::Transient("HTTP 500 Internal Server Error".into())
        );
    }
}
