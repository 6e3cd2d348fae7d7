//! What the runner needs of each workload: its generator, the semantics its client guarantees,
//! what its ops touched (for the final reads), which ops only read, and the checkers that judge
//! it. The worker loop asks these and knows nothing about any one workload.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use checkers::history::Semantics;
use checkers::{CheckResult, History};
use workloads::bank::BankOp;
use workloads::generator::{time_limit, BoxGen};
use workloads::lock::LockOp;
use workloads::register::RegisterOp;
use workloads::rw_register::Mop;
use workloads::set::SetOp;
use workloads::{bank, list_append, lock, register, rw_register, set, Invocation};

use super::config::{Plan, WorkloadName};

/// How many list-append keys are live at once: few, so transactions conflict.
const LIST_APPEND_KEYS: u64 = 4;
/// The lease of each lock hold, seconds (etcd's shortest with its 1 s election timeout is 2).
pub const LOCK_TTL_SECONDS: u64 = 2;
/// How long a worker keeps the lock before its guarded write: the work done under the lock,
/// the window in which a pause of its node lets the lease run out.
const LOCK_HOLD: Duration = Duration::from_millis(200);
/// The pause after an acquire that did not succeed.
const LOCK_BACKOFF: Duration = Duration::from_millis(100);

/// The workload's generator for the whole run.
pub fn generator(plan: &Plan) -> BoxGen {
    let mean_delay = Duration::from_secs_f64(1.0 / plan.rate);
    let ops = match plan.workload {
        WorkloadName::Register => {
            let threads_per_key = plan.nodes.len().min(plan.concurrency).max(1);
            register::generator(120, threads_per_key, mean_delay)
        }
        WorkloadName::Set => set::generator(mean_delay),
        WorkloadName::RwRegister => rw_register::generator(mean_delay),
        WorkloadName::ListAppend => list_append::generator(LIST_APPEND_KEYS, mean_delay),
        WorkloadName::Bank => bank::generator(mean_delay),
        WorkloadName::Lock => Box::new(lock::generator(LOCK_TTL_SECONDS, LOCK_HOLD, LOCK_BACKOFF)),
    };
    time_limit(plan.time_limit, ops)
}

/// What the client guarantees, for the history's header.
pub fn semantics(workload: WorkloadName) -> Semantics {
    match workload {
        WorkloadName::Register => register::semantics(),
        WorkloadName::Set => set::semantics(),
        WorkloadName::RwRegister => rw_register::semantics(),
        WorkloadName::ListAppend => list_append::semantics(),
        WorkloadName::Bank => bank::semantics(),
        WorkloadName::Lock => lock::semantics(),
    }
}

/// What a run's ops touched, as its final reads need it.
pub struct Touched {
    workload: WorkloadName,
    /// The register keys any op touched.
    keys: Mutex<BTreeSet<u64>>,
}

impl Touched {
    /// Nothing touched yet by `workload`'s ops.
    pub fn new(workload: WorkloadName) -> Touched {
        Touched { workload, keys: Mutex::default() }
    }

    /// Notes what `op` touches, before it is invoked.
    pub fn observe(&self, op: &Invocation) {
        if let Some(reg) = RegisterOp::decode(op) {
            self.keys.lock().unwrap_or_else(|e| e.into_inner()).insert(reg.key());
        }
    }

    /// The reads every node answers after healing: each touched register key, the whole set,
    /// or every balance; none for transactions (Elle needs no final read) and locks (the checker
    /// judges the ops under the lock).
    pub fn final_reads(&self) -> Vec<Invocation> {
        match self.workload {
            WorkloadName::Register => {
                self.keys.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|k| register::read(*k)).collect()
            }
            WorkloadName::Set => vec![set::read()],
            WorkloadName::Bank => vec![bank::read()],
            WorkloadName::RwRegister | WorkloadName::ListAppend | WorkloadName::Lock => Vec::new(),
        }
    }
}

/// Whether `op` only reads: cut short, it changed nothing (`fail`, not `info`).
pub fn only_reads(op: &Invocation) -> bool {
    matches!(RegisterOp::decode(op), Some(RegisterOp::Read(_)))
        || matches!(SetOp::decode(op), Some(SetOp::Read))
        || matches!(BankOp::decode(op), Some(BankOp::Read))
        || rw_register::decode(op).is_some_and(|mops| mops.iter().all(|m| matches!(m, Mop::Read(_))))
        || list_append::decode(op).is_some_and(|mops| mops.iter().all(|m| matches!(m, list_append::Mop::Read(_))))
        || LockOp::decode(op).is_some_and(|l| l.only_reads())
}

/// Judges a history of the plan's workload with the checkers the workload names (a
/// transactional one against the plan's consistency model), through the registry.
pub fn check(plan: &Plan, history: &History) -> Vec<CheckResult> {
    let specs = match plan.workload {
        WorkloadName::Register => register::checkers(),
        WorkloadName::Set => set::checkers(),
        WorkloadName::RwRegister => rw_register::checkers(plan.consistency_model),
        WorkloadName::ListAppend => list_append::checkers(plan.consistency_model),
        WorkloadName::Bank => bank::checkers(),
        WorkloadName::Lock => lock::checkers(),
    };
    specs
        .iter()
        .map(|spec| {
            spec.run(history).unwrap_or_else(|e| {
                let mut result = CheckResult::valid(&spec.checker);
                result.validity = checkers::Validity::Unknown;
                result.unknown_reason = Some(format!("the workload's checker is misconfigured: {e}"));
                result
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn final_reads_cover_what_was_touched_and_reads_are_told_apart() {
        let touched = Touched::new(WorkloadName::Register);
        for op in [register::read(3), Invocation::new("write", json!([1, 4])), Invocation::new("add", json!(2))] {
            touched.observe(&op);
        }
        assert_eq!(touched.final_reads(), [register::read(1), register::read(3)]);
        assert_eq!(Touched::new(WorkloadName::Set).final_reads(), [set::read()]);
        assert!(Touched::new(WorkloadName::RwRegister).final_reads().is_empty());
        assert_eq!(Touched::new(WorkloadName::Bank).final_reads(), [bank::read()]);
        assert!(only_reads(&Invocation::new("txn", json!([["r", 1, null], ["r", 2, null]]))));
        assert!(!only_reads(&Invocation::new("txn", json!([["r", 1, null], ["append", 2, 3]]))));
        assert!(!only_reads(&Invocation::new("transfer", json!({"from": 0, "to": 1, "amount": 1}))));
        assert!(only_reads(&register::read(0)) && only_reads(&set::read()));
        assert!(only_reads(&Invocation::new("txn", json!([["r", 1, null]]))));
        assert!(!only_reads(&Invocation::new("txn", json!([["r", 1, null], ["w", 2, 3]]))));
        assert!(!only_reads(&Invocation::new("cas", json!([0, [1, 2]]))));
        assert!(only_reads(&LockOp::Read { token: 3 }.invocation()));
        assert!(!only_reads(&LockOp::Write { token: 3, value: 1 }.invocation()));
        assert!(Touched::new(WorkloadName::Lock).final_reads().is_empty());
    }
}
