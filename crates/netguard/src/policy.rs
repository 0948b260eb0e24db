//! [`OutboundPolicy`]: the `RUNBOX_HTTP_ALLOW` list applied to addresses,
//! host names and URLs.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use runbox_config::HttpAllowEntry;

use crate::{classify, Refusal};

/// How long [`OutboundPolicy::check_url`] waits for name resolution before
/// accepting the URL unresolved.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which destinations runbox's own HTTP requests may reach. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct OutboundPolicy {
    allow: Arc<[HttpAllowEntry]>,
}

impl OutboundPolicy {
    /// A policy that allows public addresses plus what `allow` lists.
    pub fn new(allow: Vec<HttpAllowEntry>) -> Self {
        Self {
            allow: allow.into(),
        }
    }

    /// The allow-list this policy was built with.
    pub fn allow_list(&self) -> &[HttpAllowEntry] {
        &self.allow
    }

    /// Whether connecting to `address`, reached through the URL host `host`
    /// (a name, or the address itself as written in the URL), is allowed.
    pub fn check_address(&self, host: &str, address: IpAddr) -> Result<(), Refusal> {
        let Some(class) = classify(address) else {
            return Ok(());
        };
        if self.allows_host(host) || self.allows_ip(address) {
            return Ok(());
        }
        Err(Refusal::Forbidden {
            host: host.to_owned(),
            address,
            class,
        })
    }

    fn allows_host(&self, host: &str) -> bool {
        self.allow.iter().any(|entry| entry.matches_host(host))
    }

    fn allows_ip(&self, address: IpAddr) -> bool {
        // `::ffff:127.0.0.1` is 127.0.0.1: an IPv4 entry covers it too.
        let canonical = address.to_canonical();
        self.allow
            .iter()
            .any(|entry| entry.contains_ip(address) || entry.contains_ip(canonical))
    }

    /// Checks what can be checked without resolving names: the scheme is
    /// http or https, there is a host, and a host that is an IP literal is
    /// allowed. Call it on every URL before sending to it: reqwest connects
    /// to IP literals without asking the guarded resolver.
    pub fn check_literal(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal::Scheme {
                scheme: url.scheme().to_owned(),
            });
        }
        let host = url.host_str().ok_or(Refusal::MissingHost)?;
        match literal_ip(host) {
            Some(address) => self.check_address(host, address),
            None => Ok(()),
        }
    }

    /// Validates a URL given by a user: parses it, applies
    /// [`check_literal`](Self::check_literal), and resolves a host name,
    /// refusing it if any of its addresses is forbidden.
    ///
    /// When the name cannot be resolved (no DNS, a transient failure, or no
    /// answer within 5 s) the URL is accepted: delivery resolves again at
    /// connect time, where the guarded resolver refuses forbidden addresses,
    /// and a failed delivery is retried later. Refusing here would turn a
    /// temporary DNS outage into a permanent rejection.
    pub async fn check_url(&self, url: &str) -> Result<Url, Refusal> {
        let parsed = Url::parse(url).map_err(|e| Refusal::InvalidUrl {
            reason: e.to_string(),
        })?;
        self.check_literal(&parsed)?;
        let host = parsed.host_str().ok_or(Refusal::MissingHost)?;
        if literal_ip(host).is_some() || self.allows_host(host) {
            return Ok(parsed);
        }
        let port = parsed.port_or_known_default().unwrap_or(80);
        let lookup = tokio::net::lookup_host((host, port));
        match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
            Ok(Ok(addresses)) => {
                for address in addresses {
                    self.check_address(host, address.ip())?;
                }
            }
            Ok(Err(error)) => {
                tracing::debug!(%host, %error, "could not resolve host; accepting the URL");
            }
            Err(_) => {
                tracing::debug!(%host, "resolving host timed out; accepting the URL");
            }
        }
        Ok(parsed)
    }
}

/// The address of a host that is an IP literal (`10.0.0.1`, `[::1]`).
/// For URL hosts, the URL parser has already normalised other IPv4 spellings
/// (`2130706433`, `0x7f.1`) to dotted form.
pub fn literal_ip(host: &str) -> Option<IpAddr> {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    unbracketed.parse().ok()
}

#[cfg(test)]
mod tests;
