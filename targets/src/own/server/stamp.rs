//! How a leader stamps the lock requests it logs, so every replica judges the lock's lease the
//! same way. A lease is timed with the granting leader's monotonic clock (which clock faults do
//! not move), and it is only compared within the term that granted it; a later leader, whose
//! clock cannot be compared, waits a whole lease from the start of its own term instead (the
//! rule Raft leader leases follow).

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use crate::own::api::Stamp;

/// This process's monotonic clock in ms (from its first reading).
fn mono_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The term this member last stamped in and when it first did.
#[derive(Debug, Default)]
pub struct Stamper(Mutex<(u64, u64)>);

impl Stamper {
    /// The stamp of a request logged now in `term` (the first stamp of a term starts it).
    pub fn stamp(&self, term: u64) -> Stamp {
        let now_ms = mono_ms();
        let mut last = self.0.lock().expect("the stamper lock is never poisoned");
        if last.0 != term {
            *last = (term, now_ms);
        }
        Stamp { term, now_ms, since_ms: last.1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails unless a term's stamps share the time it started and a new term starts anew.
    #[test]
    fn stamps_of_one_term_share_its_start() {
        let stamper = Stamper::default();
        let first = stamper.stamp(3);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let second = stamper.stamp(3);
        assert_eq!((first.since_ms, second.since_ms), (first.now_ms, first.now_ms));
        assert!(second.now_ms >= first.now_ms + 5);
        let next = stamper.stamp(4);
        assert_eq!((next.term, next.since_ms), (4, next.now_ms));
    }
}
