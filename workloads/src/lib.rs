//! Workloads: a seeded generator of operations, the op vocabulary its client executes, and the
//! checkers (with their model semantics) that judge the resulting history.
//!
//! - [`generator`]: generators as pure state machines and their algebra (mix, stagger, limit,
//!   once, time-limit, phases, per-thread, flip-flop, sleep, independent keys).
//! - [`register`]: read/write/CAS over many independent keys.
//! - [`rw_register`]: transactions of reads and writes (Elle's rw-register).
//! - [`set`]: adds of unique elements and final reads.
//! - [`list_append`]: transactions of reads and appends to lists (Elle's list-append).
//! - [`bank`]: transfers between accounts with a fixed total, and reads of every balance.

pub mod bank;
pub mod generator;
pub mod keys;
pub mod list_append;
pub mod lock;
pub mod register;
pub mod rw_register;
pub mod set;

pub use generator::{Context, Event, Generator, Invocation, Next};

use serde_json::json;

/// A transactional checker (`list-append`, `rw-register`) judging against `model`, with the
/// default budgets.
fn transactional(checker: &str, model: checkers::txn::ConsistencyModel) -> Vec<checkers::checker::CheckSpec> {
    let options = checkers::checker::CheckerOptions { consistency_model: Some(model), ..Default::default() };
    vec![checkers::checker::CheckSpec::new(checker, options).with_default_budgets()]
}

/// Every workload faultline runs, by name.
pub const NAMES: [&str; 6] = ["register", "set", "rw-register", "list-append", "bank", "lock"];

/// One invocation of each kind workload `name` issues (a client that runs the workload must
/// take them all); `None` for a name that is no workload.
pub fn examples(name: &str) -> Option<Vec<Invocation>> {
    Some(match name {
        "register" => {
            vec![register::read(0), Invocation::new("write", json!([0, 1])), Invocation::new("cas", json!([0, [1, 2]]))]
        }
        "set" => vec![Invocation::new("add", json!(0)), set::read()],
        "rw-register" => vec![Invocation::new("txn", json!([["r", 0, null], ["w", 1, 2]]))],
        "list-append" => vec![Invocation::new("txn", json!([["r", 0, null], ["append", 1, 2]]))],
        "bank" => vec![Invocation::new("transfer", json!({"from": 0, "to": 1, "amount": 2})), bank::read()],
        "lock" => {
            let hold = lock::Hold { token: 1, lease: 2, key: "k".into() };
            let ops = [
                lock::LockOp::Acquire { ttl: 2 },
                lock::LockOp::Write { token: 1, value: 1 },
                lock::LockOp::Read { token: 1 },
                lock::LockOp::Release(hold),
            ];
            ops.iter().map(lock::LockOp::invocation).collect()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_names_checkers_the_registry_accepts() {
        let model = checkers::txn::ConsistencyModel::Serializable;
        let all = [
            register::checkers(),
            set::checkers(),
            rw_register::checkers(model),
            list_append::checkers(model),
            bank::checkers(),
            lock::checkers(),
        ];
        for specs in all {
            assert!(!specs.is_empty());
            for spec in specs {
                assert!(spec.prepare().is_ok(), "{}: {:?}", spec.checker, spec.prepare().err());
            }
        }
    }
}
