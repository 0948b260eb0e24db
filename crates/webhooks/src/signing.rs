//! Standard Webhooks signatures: `webhook-signature` is `v1,` followed by the
//! base64 HMAC-SHA256, keyed with the secret's bytes, of
//! `{webhook-id}.{webhook-timestamp}.{body}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::digest::InvalidLength;
use hmac::{Hmac, Mac};
use runbox_config::WebhookSecret;
use sha2::Sha256;

pub(crate) const ID_HEADER: &str = "webhook-id";
pub(crate) const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub(crate) const SIGNATURE_HEADER: &str = "webhook-signature";

/// The `webhook-id` of an execution's delivery: the same on every attempt,
/// so receivers can recognise a repeat.
pub(crate) fn message_id(execution_id: &str) -> String {
    format!("msg_{execution_id}")
}

/// The `webhook-signature` value for these exact body bytes. HMAC accepts
/// keys of any length, so the error cannot happen with `Hmac<Sha256>`; it is
/// passed on rather than unwrapped.
pub(crate) fn signature(
    secret: &WebhookSecret,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, InvalidLength> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.key())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example from the Standard Webhooks specification.
    #[test]
    fn matches_the_specification_example() {
        let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse().unwrap();
        let sig = signature(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn message_id_is_stable() {
        assert_eq!(message_id("abc"), "msg_abc");
    }
}
