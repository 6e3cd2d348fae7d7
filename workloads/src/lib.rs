//! Workloads: a seeded generator of operations, the op vocabulary its client executes, and the
//! checkers (with their model semantics) that judge the resulting history.
//!
//! - [`generator`]: generators as pure state machines and their algebra (mix, stagger, limit,
//!   once, time-limit, phases, per-thread, flip-flop, sleep, independent keys).
//! - [`register`]: read/write/CAS over many independent keys.
//! - [`rw_register`]: transactions of reads and writes (Elle's rw-register).
//! - [`set`]: adds of unique elements and final reads.

pub mod generator;
pub mod register;
pub mod rw_register;
pub mod set;

pub use generator::{Context, Event, Generator, Invocation, Next};

use serde_json::json;

/// Every workload faultline runs, by name.
pub const NAMES: [&str; 3] = ["register", "set", "rw-register"];

/// One invocation of each kind workload `name` issues (a client that runs the workload must
/// take them all); `None` for a name that is no workload.
pub fn examples(name: &str) -> Option<Vec<Invocation>> {
    Some(match name {
        "register" => {
            vec![register::read(0), Invocation::new("write", json!([0, 1])), Invocation::new("cas", json!([0, [1, 2]]))]
        }
        "set" => vec![Invocation::new("add", json!(0)), set::read()],
        "rw-register" => vec![Invocation::new("txn", json!([["r", 0, null], ["w", 1, 2]]))],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_names_checkers_the_registry_accepts() {
        for specs in [register::checkers(), set::checkers(), rw_register::checkers()] {
            assert!(!specs.is_empty());
            for spec in specs {
                assert!(spec.prepare().is_ok(), "{}: {:?}", spec.checker, spec.prepare().err());
            }
        }
    }
}
