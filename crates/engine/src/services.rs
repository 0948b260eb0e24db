//! What runs may be given beyond the sandbox itself: Python package
//! environments ([`Environments`]), network egress through runbox's
//! proxy ([`Gateway`]) and secrets ([`Vault`]). All are optional: a node
//! without them runs code that asks for none, and fails code that does
//! with a clear error.

use std::sync::Arc;

use runbox_domain::Destination;
use runbox_egress::{Counters, Session};
use runbox_netguard::OutboundPolicy;
use runbox_packages::Environments;
use runbox_sandbox::ProxyService;
use runbox_secrets::Vault;

#[derive(Clone, Default)]
pub struct RunServices {
    pub environments: Option<Environments>,
    pub gateway: Gateway,
    /// Where runs find the secrets they reference, and which values to
    /// mask in what they produce.
    pub vault: Option<Vault>,
    /// The interpreters of each language, inside the sandbox.
    pub interpreters: Arc<crate::Interpreters>,
}

/// The operator's network allow list (`[network] allow`) and the SSRF
/// rules (`RUNBOX_HTTP_ALLOW`): decides what a run may ask for, and opens
/// the proxy of a run that asked.
#[derive(Clone, Debug, Default)]
pub struct Gateway {
    allow: Arc<[Destination]>,
    ssrf: OutboundPolicy,
}

/// Connections through the proxy beyond this many at once get 503.
const MAX_CONNECTIONS_PER_RUN: usize = 64;

impl Gateway {
    pub fn new(allow: Vec<Destination>, ssrf: OutboundPolicy) -> Self {
        Self {
            allow: allow.into(),
            ssrf,
        }
    }

    /// Whether a run may ask for `requested`: each entry must be covered by
    /// the operator's list. The error names the first one that is not.
    pub fn check(&self, requested: &[Destination]) -> Result<(), String> {
        if requested.is_empty() {
            return Ok(());
        }
        if self.allow.is_empty() {
            return Err(
                "this server allows no network access (its network allow list, RUNBOX_NETWORK_ALLOW, is empty)"
                    .to_owned(),
            );
        }
        match runbox_domain::first_uncovered(&self.allow, requested) {
            None => Ok(()),
            Some(entry) => Err(format!(
                "{entry} is not covered by the server's network allow list (RUNBOX_NETWORK_ALLOW)"
            )),
        }
    }

    /// The proxy of a run that may reach `requested`: each connection must
    /// be permitted by the run's own list and by the operator's list as it
    /// is now, and pass the SSRF rules. Returns its byte counters.
    pub fn open(&self, requested: Vec<Destination>) -> (ProxyService, Counters) {
        let allow = self.allow.clone();
        let session = Arc::new(Session {
            permits: Arc::new(move |host: &str, port: u16| {
                runbox_domain::permits_any(&requested, host, port)
                    && runbox_domain::permits_any(&allow, host, port)
            }),
            ssrf: Some(self.ssrf.clone()),
            max_connections: MAX_CONNECTIONS_PER_RUN,
        });
        let counters = Counters::default();
        let served = counters.clone();
        let service: ProxyService = Box::new(move |listener, stop| {
            Box::pin(runbox_egress::serve(listener, session, served, stop))
        });
        (service, counters)
    }
}
