//! Bug switches: deliberate, real-world mistakes a target can be started with (`--bug NAME`,
//! or `bugs:` in a test file), so a run shows the checker each one exists for firing.

use std::fmt;

/// One bug switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bug {
    /// Any node answers reads from its local state, without the Raft read index.
    StaleReads,
    /// The leader acknowledges a write once it is in its own log, before a majority has it.
    AckBeforeCommit,
    /// Log entries are acknowledged while still in a user-space buffer flushed every 200 ms.
    LazyFsync,
    /// The leader serves reads from its own state while a lease timed with the wall clock holds.
    ClockLeaseReads,
    /// The guarded resource of the lock service accepts writes without checking the fencing token.
    UnfencedLocks,
}

impl Bug {
    /// Every switch, in the order they are listed to people.
    pub const ALL: [Bug; 5] =
        [Bug::StaleReads, Bug::AckBeforeCommit, Bug::LazyFsync, Bug::ClockLeaseReads, Bug::UnfencedLocks];

    /// Its name on the command line and in test files.
    pub fn name(self) -> &'static str {
        match self {
            Bug::StaleReads => "stale-reads",
            Bug::AckBeforeCommit => "ack-before-commit",
            Bug::LazyFsync => "lazy-fsync",
            Bug::ClockLeaseReads => "clock-lease-reads",
            Bug::UnfencedLocks => "unfenced-locks",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::str::FromStr for Bug {
    type Err = String;
    fn from_str(s: &str) -> Result<Bug, String> {
        Bug::ALL.into_iter().find(|b| b.name() == s).ok_or_else(|| {
            let known: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown bug {s:?}; the bug switches are: {}", known.join(", "))
        })
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of bug switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bugs(u8);

impl Bugs {
    /// The set holding `bugs`.
    pub fn of(bugs: &[Bug]) -> Bugs {
        Bugs(bugs.iter().fold(0, |set, b| set | b.bit()))
    }

    /// Whether `bug` is on.
    pub fn has(self, bug: Bug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// The switches that are on, in [`Bug::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |b| self.has(*b))
    }

    /// Whether no switch is on.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sets_hold_what_was_put_in() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>().unwrap(), bug);
        }
        let err = "fast-reads".parse::<Bug>().unwrap_err();
        assert!(err.contains("fast-reads") && err.contains("stale-reads"), "{err}");
        let set = Bugs::of(&[Bug::LazyFsync, Bug::StaleReads]);
        assert_eq!(set.iter().collect::<Vec<_>>(), [Bug::StaleReads, Bug::LazyFsync]);
        assert!(!set.has(Bug::AckBeforeCommit) && Bugs::default().is_empty());
    }
}
