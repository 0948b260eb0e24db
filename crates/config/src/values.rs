//! Validated newtypes for the settings that are more than a number or a path:
//! the admin API key, the webhook signing secret and the outbound HTTP
//! allow-list entries. Each parses with [`FromStr`], so the same rules apply
//! whether the value comes from the file, the environment or a flag, and a
//! value of these types is always valid.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use ipnet::IpNet;

/// Why a value was refused. The message never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// The API key given by `RUNBOX_API_KEY`, ensured at start-up for user
/// `admin`. 1 to 256 printable ASCII characters, no whitespace: the operator
/// chooses its strength (generated keys have 40 random characters).
///
/// `Debug` does not print it, so logging the settings leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub const MIN_LEN: usize = 1;
    pub const MAX_LEN: usize = 256;

    /// The key itself, to hash and store. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for ApiKey {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidValue(
                "must be printable ASCII without spaces or control characters".into(),
            ));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&s.len()) {
            return Err(InvalidValue(format!(
                "must be {} to {} characters long, got {}",
                Self::MIN_LEN,
                Self::MAX_LEN,
                s.len()
            )));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// `[metrics] token`: what a Prometheus scraper may send as
/// `Authorization: Bearer TOKEN` instead of an admin key. Long enough that
/// guessing it is hopeless; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub const MIN_LEN: usize = 16;
    pub const MAX_LEN: usize = 256;

    /// The token itself, to compare in constant time. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for MetricsToken {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidValue(
                "must be printable ASCII without spaces or control characters".into(),
            ));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&s.len()) {
            return Err(InvalidValue(format!(
                "must be {} to {} characters long, got {}",
                Self::MIN_LEN,
                Self::MAX_LEN,
                s.len()
            )));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

/// `RUNBOX_SECRETS_KEY` as given: the key secrets are encrypted with, read
/// (32 bytes, hex or base64) by the secrets vault at start-up. `Debug`
/// hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretsKeyText(String);

impl SecretsKeyText {
    /// The key's text. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for SecretsKeyText {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(InvalidValue("must not be empty".into()));
        }
        Ok(Self(s.trim().to_owned()))
    }
}

impl fmt::Debug for SecretsKeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretsKeyText(<redacted>)")
    }
}

/// The key that signs webhook deliveries as the Standard Webhooks
/// specification does: written `whsec_` + base64, kept decoded.
///
/// `Debug` shows only the key's length.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub const PREFIX: &'static str = "whsec_";

    /// The decoded key bytes: the HMAC-SHA256 key.
    pub fn key(&self) -> &[u8] {
        &self.0
    }
}

/// Standard alphabet; padding optional because secrets are often pasted
/// without it.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl FromStr for WebhookSecret {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A trailing newline from `$(cat secret-file)` or a heredoc is not
        // part of the secret.
        let s = s.trim();
        let Some(encoded) = s.strip_prefix(Self::PREFIX) else {
            return Err(InvalidValue(format!(
                "must be `{}` followed by base64 (a Standard Webhooks secret)",
                Self::PREFIX
            )));
        };
        let key = LENIENT_BASE64.decode(encoded).map_err(|_| {
            InvalidValue(format!(
                "the part after `{}` is not valid standard base64",
                Self::PREFIX
            ))
        })?;
        if key.is_empty() {
            return Err(InvalidValue(format!(
                "the key after `{}` is empty",
                Self::PREFIX
            )));
        }
        Ok(Self(key))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookSecret(<redacted, {} bytes>)", self.0.len())
    }
}

/// One entry of `RUNBOX_HTTP_ALLOW`: a private, loopback or link-local
/// destination that runbox's own outbound HTTP (webhooks, scenario HTTP
/// modules) may reach anyway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpAllowEntry {
    /// A CIDR block (`10.0.0.0/8`) or a single address (stored as `/32` or
    /// `/128`). Host bits are cleared: `10.1.2.3/8` means `10.0.0.0/8`.
    Network(IpNet),
    /// A host name, lower-cased, without a trailing dot. Matches that exact
    /// name, not its subdomains.
    Host(String),
}

impl HttpAllowEntry {
    /// Parses a comma-separated list; blanks around entries and empty
    /// entries are ignored.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, InvalidValue> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::parse)
            .collect()
    }

    /// Whether this entry allows connecting to `ip`.
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        match self {
            Self::Network(net) => net.contains(&ip),
            Self::Host(_) => false,
        }
    }

    /// Whether this entry allows the host name `host` (compared without
    /// case and trailing dot).
    pub fn matches_host(&self, host: &str) -> bool {
        match self {
            Self::Host(name) => {
                let host = host.strip_suffix('.').unwrap_or(host);
                name.eq_ignore_ascii_case(host)
            }
            Self::Network(_) => false,
        }
    }
}

impl FromStr for HttpAllowEntry {
    type Err = InvalidValue;

    fn from_str(entry: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| InvalidValue(format!("invalid entry {entry:?}: {why}"));
        let text = entry.trim();
        if text.is_empty() {
            return Err(invalid("empty"));
        }
        // `[::1]` is how IPv6 addresses are written in URLs.
        let unbracketed = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text);
        if let Ok(ip) = unbracketed.parse::<IpAddr>() {
            return Ok(Self::Network(IpNet::from(ip)));
        }
        if text.contains('/') {
            return text
                .parse::<IpNet>()
                .map(|net| Self::Network(net.trunc()))
                .map_err(|_| invalid("not a valid CIDR block (like 10.0.0.0/8 or fd00::/8)"));
        }
        if text.contains(':') {
            return Err(invalid(
                "give a host name, an IP address or a CIDR block, without scheme or port",
            ));
        }
        let host = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
        validate_host(&host).map_err(invalid)?;
        Ok(Self::Host(host))
    }
}

impl fmt::Display for HttpAllowEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(net) if net.prefix_len() == net.max_prefix_len() => {
                write!(f, "{}", net.addr())
            }
            Self::Network(net) => write!(f, "{net}"),
            Self::Host(host) => f.write_str(host),
        }
    }
}

fn validate_host(host: &str) -> Result<(), &'static str> {
    runbox_domain::check_host_name(host)
}

/// A listen address: `IP:PORT`, or `HOST:PORT` resolved now (`localhost:8080`
/// → 127.0.0.1:8080, IPv4 first).
pub fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let text = text.trim();
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let usage =
        || format!("expected an address and port like 127.0.0.1:8080 or [::]:8080, got {text:?}");
    let addrs: Vec<_> = text.to_socket_addrs().map_err(|_| usage())?.collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_may_name_a_host() {
        assert_eq!(
            parse_listen("127.0.0.1:0").map(|a| a.to_string()),
            Ok("127.0.0.1:0".into())
        );
        assert_eq!(
            parse_listen("localhost:8080").map(|a| a.port()),
            Ok(8080),
            "resolved"
        );
        assert!(parse_listen("localhost").is_err());
    }

    #[test]
    fn api_key_rules() {
        assert!("0123456789abcdef".parse::<ApiKey>().is_ok());
        assert!("x".repeat(256).parse::<ApiKey>().is_ok());
        assert!("k".parse::<ApiKey>().is_ok());
        let empty = "".parse::<ApiKey>().unwrap_err();
        assert_eq!(empty.0, "must be 1 to 256 characters long, got 0");
        assert!("x".repeat(257).parse::<ApiKey>().is_err());
        assert!("0123456789 abcdef".parse::<ApiKey>().is_err());
        assert!("0123456789abcdéf".parse::<ApiKey>().is_err());
        assert!("0123456789abcdef\n".parse::<ApiKey>().is_err());
    }

    #[test]
    fn api_key_debug_is_redacted() {
        let key: ApiKey = "supersecretkey-1234".parse().unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(key.expose(), "supersecretkey-1234");
    }

    #[test]
    fn webhook_secret_decodes() {
        let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse().unwrap();
        assert_eq!(secret.key().len(), 24);
        assert_eq!(&secret.key()[..3], &[0x31, 0xf2, 0x90]);
        let padded: WebhookSecret = "whsec_aGVsbG8=".parse().unwrap();
        assert_eq!(padded.key(), b"hello");
        let unpadded: WebhookSecret = "whsec_aGVsbG8\n".parse().unwrap();
        assert_eq!(unpadded.key(), b"hello");
    }

    #[test]
    fn webhook_secret_errors_do_not_leak() {
        for bad in ["aGVsbG8=", "whsec_not base64!", "whsec_aGV-bG8_"] {
            let message = bad.parse::<WebhookSecret>().unwrap_err().0;
            let payload = bad.trim_start_matches("whsec_");
            assert!(!message.contains(payload), "{message}");
        }
        assert!("whsec_"
            .parse::<WebhookSecret>()
            .unwrap_err()
            .0
            .contains("empty"));
        assert!("aGVsbG8="
            .parse::<WebhookSecret>()
            .unwrap_err()
            .0
            .contains("whsec_"));
    }

    #[test]
    fn webhook_secret_debug_is_redacted() {
        let secret: WebhookSecret = "whsec_aGVsbG8=".parse().unwrap();
        assert_eq!(format!("{secret:?}"), "WebhookSecret(<redacted, 5 bytes>)");
    }

    #[test]
    fn http_allow_list() {
        let entries = HttpAllowEntry::parse_list(
            " 10.0.0.0/8, 127.0.0.1,LocalHost , hooks.internal.,,[::1], fd00::/8",
        )
        .unwrap();
        assert_eq!(
            entries,
            vec![
                HttpAllowEntry::Network("10.0.0.0/8".parse().unwrap()),
                HttpAllowEntry::Network("127.0.0.1/32".parse().unwrap()),
                HttpAllowEntry::Host("localhost".into()),
                HttpAllowEntry::Host("hooks.internal".into()),
                HttpAllowEntry::Network("::1/128".parse().unwrap()),
                HttpAllowEntry::Network("fd00::/8".parse().unwrap()),
            ]
        );
        let shown: Vec<String> = entries.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "10.0.0.0/8",
                "127.0.0.1",
                "localhost",
                "hooks.internal",
                "::1",
                "fd00::/8"
            ]
        );
        assert!(HttpAllowEntry::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn http_allow_normalizes_host_bits() {
        let entry: HttpAllowEntry = "192.168.1.7/16".parse().unwrap();
        assert_eq!(entry.to_string(), "192.168.0.0/16");
        assert!(entry.contains_ip("192.168.200.1".parse().unwrap()));
        assert!(!entry.contains_ip("192.169.0.1".parse().unwrap()));
        assert!(!entry.matches_host("192.168.0.1"));
    }

    #[test]
    fn http_allow_host_matching() {
        let entry: HttpAllowEntry = "Hooks.Internal".parse().unwrap();
        assert!(entry.matches_host("hooks.internal"));
        assert!(entry.matches_host("HOOKS.internal."));
        assert!(!entry.matches_host("x.hooks.internal"));
        assert!(!entry.contains_ip("127.0.0.1".parse().unwrap()));
        assert_eq!(
            "my_service".parse::<HttpAllowEntry>().unwrap().to_string(),
            "my_service"
        );
    }

    #[test]
    fn http_allow_errors_name_the_entry() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0.256",
            "exa mple.com",
            "http://x",
            "localhost:8080",
            "-bad.example",
            "a..b",
            "*.example.com",
        ] {
            let error = HttpAllowEntry::parse_list(&format!("localhost,{bad}")).unwrap_err();
            assert!(
                error.0.starts_with(&format!("invalid entry {bad:?}: ")),
                "{error}"
            );
        }
    }
}
