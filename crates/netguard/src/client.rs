//! The guarded HTTP client: a resolver that drops forbidden addresses (so
//! the check happens on the addresses actually connected to, which defeats
//! DNS rebinding) and a redirect policy that refuses forbidden IP literals,
//! other schemes and long redirect chains.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;

use crate::OutboundPolicy;

/// At most this many redirects are followed.
pub const MAX_REDIRECTS: usize = 5;

/// The `User-Agent` of every outbound request.
pub const USER_AGENT: &str = concat!("runbox/", env!("CARGO_PKG_VERSION"));

impl OutboundPolicy {
    /// An HTTP client that enforces this policy when it connects: names
    /// resolve only to allowed addresses, and redirects (at most
    /// [`MAX_REDIRECTS`]) go only to http(s) URLs whose literal host is
    /// allowed. It ignores proxy settings from the environment (a proxy
    /// would connect on our behalf, unchecked). `timeout` bounds each whole
    /// request.
    ///
    /// reqwest connects to IP-literal hosts without resolving them, so call
    /// [`check_literal`](Self::check_literal) on a URL before sending to it.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .no_proxy()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                policy: self.clone(),
            }))
            .redirect(redirect_policy(self.clone()))
            .build()
    }
}

/// Resolves with the system resolver, then keeps only allowed addresses.
struct GuardedResolver {
    policy: OutboundPolicy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port on the addresses.
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let mut refusal = None;
            let allowed: Vec<SocketAddr> = resolved
                .filter(|address| match policy.check_address(&host, address.ip()) {
                    Ok(()) => true,
                    Err(refused) => {
                        refusal.get_or_insert(refused);
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                return Err(match refusal {
                    Some(refusal) => refusal.into(),
                    None => format!("host {host} has no address").into(),
                });
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("more than {MAX_REDIRECTS} redirects")]
struct TooManyRedirects;

fn redirect_policy(policy: OutboundPolicy) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        // `previous` holds the original URL and every hop followed so far.
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(TooManyRedirects);
        }
        match policy.check_literal(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}
