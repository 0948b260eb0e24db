//! What one run may reach, and what it moved.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use runbox_netguard::OutboundPolicy;

/// Which destinations one run may reach.
pub struct Session {
    /// Whether the run's own list covers `host` (lower-case name or address
    /// literal as written) on `port`.
    pub permits: Arc<dyn Fn(&str, u16) -> bool + Send + Sync>,
    /// SSRF rules applied to every resolved address; `None` trusts the
    /// destination list alone (operator-configured package index hosts).
    pub ssrf: Option<OutboundPolicy>,
    /// At most this many connections open at once; beyond, 503.
    pub max_connections: usize,
}

/// Bytes the run sent (tx) and received (rx) through the proxy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// Live byte counters of one run, shared by its connections.
#[derive(Clone, Default)]
pub struct Counters {
    inner: Arc<Totals>,
}

#[derive(Default)]
struct Totals {
    rx: AtomicU64,
    tx: AtomicU64,
}

impl Counters {
    pub fn usage(&self) -> Usage {
        Usage {
            rx_bytes: self.inner.rx.load(Ordering::Relaxed),
            tx_bytes: self.inner.tx.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn received(&self, bytes: usize) {
        self.inner.rx.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self, bytes: usize) {
        self.inner.tx.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}
