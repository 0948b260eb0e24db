//! What one run may reach, and what it moved.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Whether a run may reach `host` (as written) on `port`.
pub type Permits = Arc<dyn Fn(&str, u16) -> bool + Send + Sync>;

/// Decides which destinations one run may reach.
pub struct Session {
    /// Whether the run's own list covers `host` (lower-case name or IP
    /// literal as written, `[::1]` for IPv6) on `port`.
    pub permits: Permits,
    /// SSRF rules applied to every resolved address; `None` trusts the
    /// destination list alone (used for operator-configured package index
    /// hosts).
    pub ssrf: Option<runbox_netguard::OutboundPolicy>,
    /// At most this many connections open at once from the run (a run that
    /// floods the proxy gets 503 beyond it).
    pub max_connections: usize,
}

/// Bytes the run sent (tx) and received (rx) through the proxy, counted on
/// the run's side of each connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// Live counters, readable while serving. Clones share the same totals.
#[derive(Clone, Default)]
pub struct Counters {
    totals: Arc<Totals>,
}

#[derive(Default)]
struct Totals {
    rx: AtomicU64,
    tx: AtomicU64,
}

impl Counters {
    /// What the run has moved so far.
    pub fn usage(&self) -> Usage {
        Usage {
            rx_bytes: self.totals.rx.load(Ordering::Relaxed),
            tx_bytes: self.totals.tx.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add_received(&self, bytes: usize) {
        self.totals.rx.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_sent(&self, bytes: usize) {
        self.totals.tx.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}
