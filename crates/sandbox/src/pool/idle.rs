//! Idle trimming: a slot's launcher, its init and its warm interpreter hold
//! about 9 MiB between them, so a pool of 16 slots used once would keep
//! ~150 MiB for as long as the server runs. The most recently used few stay
//! warm, so a lone request is still served from a zygote; the others are
//! stopped once idle, and a burst restarts them (a cold start each).

use std::sync::Weak;
use std::time::{Duration, Instant};

use super::{Inner, Launcher};

/// Which launchers outlive a quiet spell.
#[derive(Clone, Debug)]
pub struct IdlePolicy {
    /// Slots kept warm however long the pool is idle (the most recently used).
    pub keep_warm: u32,
    /// A slot beyond those, unused this long, has its launcher stopped.
    pub after: Duration,
}

impl Default for IdlePolicy {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            keep_warm: u32::try_from(cores).unwrap_or(u32::MAX),
            after: Duration::from_secs(30),
        }
    }
}

/// Trims the pool every so often until the sandbox is dropped.
pub(super) fn spawn_trimmer(inner: Weak<Inner>, policy: IdlePolicy) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let period = (policy.after / 3).max(Duration::from_millis(100));
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            let Some(inner) = inner.upgrade() else { return };
            let stale = stale_launchers(&inner, &policy);
            drop(inner);
            for launcher in stale {
                launcher.stop().await;
            }
        }
    });
}

/// Takes the launchers to stop out of the free slots: every one past the
/// `keep_warm` most recently used that has been idle `after`. The free list
/// is least recently used first.
fn stale_launchers(inner: &Inner, policy: &IdlePolicy) -> Vec<Launcher> {
    let Ok(mut free) = inner.free.lock() else {
        return Vec::new();
    };
    let now = Instant::now();
    let mut kept = 0;
    let mut stale = Vec::new();
    for slot in free.iter_mut().rev() {
        if slot.launcher.is_none() {
            continue;
        }
        if kept < policy.keep_warm {
            kept += 1;
            continue;
        }
        if now.duration_since(slot.used) >= policy.after {
            stale.extend(slot.launcher.take());
            slot.warm = None;
        }
    }
    stale
}
