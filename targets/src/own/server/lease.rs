//! The leader lease of the `clock-lease-reads` switch, timed with the wall clock
//! (`SystemTime`, which a clock fault moves) where a correct lease would use a monotonic clock:
//! a leader whose clock jumps back keeps its lease long after a new leader took over.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a quorum check lets the leader serve reads alone: shorter than the election
/// timeout (1 s), so on a true clock no other leader can be elected before it runs out.
pub const LEASE: Duration = Duration::from_millis(500);

/// The wall-clock instant (ms since the epoch) until which the lease holds; 0: never held.
#[derive(Debug, Default)]
pub struct WallLease(AtomicU64);

/// The wall clock now, in ms since the epoch.
pub fn wall_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl WallLease {
    /// Extends the lease after a quorum check that started at `started` (from [`wall_ms`]).
    pub fn renew(&self, started: u64) {
        self.0.fetch_max(started + LEASE.as_millis() as u64, Ordering::Relaxed);
    }

    /// Whether the lease holds by the wall clock now.
    pub fn holds(&self) -> bool {
        wall_ms() < self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails if a lease holds before any renewal, after it ran out, or not right after renewal.
    #[test]
    fn a_lease_holds_for_its_length_from_the_start_of_the_check() {
        let lease = WallLease::default();
        assert!(!lease.holds());
        lease.renew(wall_ms());
        assert!(lease.holds());
        lease.renew(wall_ms() - LEASE.as_millis() as u64 - 1);
        assert!(lease.holds(), "an older check must not shorten the lease");
        let stale = WallLease::default();
        stale.renew(wall_ms() - LEASE.as_millis() as u64 - 1);
        assert!(!stale.holds());
    }
}
