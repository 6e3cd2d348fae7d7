//! What the runner needs of each workload: its generator, the semantics its client guarantees,
//! its final reads and the checker that judges it.

use std::collections::BTreeSet;
use std::time::Duration;

use checkers::history::Semantics;
use checkers::linearizable::{self, ModelKind, Options};
use checkers::txn::{ConsistencyModel, TxnOptions};
use checkers::{CheckResult, History};
use workloads::generator::{time_limit, BoxGen};
use workloads::{register, rw_register, set, Invocation};

use super::config::{Plan, WorkloadName};

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
    };
    time_limit(plan.time_limit, ops)
}

/// What the client guarantees, for the history's header.
pub fn semantics(workload: WorkloadName) -> Semantics {
    match workload {
        WorkloadName::Register => register::semantics(),
        WorkloadName::Set => set::semantics(),
        WorkloadName::RwRegister => rw_register::semantics(),
    }
}

/// The reads every node answers after healing: each touched register key, or the whole set;
/// none for transactions (Elle needs no final read).
pub fn final_reads(workload: WorkloadName, keys: &BTreeSet<u64>) -> Vec<Invocation> {
    match workload {
        WorkloadName::Register => keys.iter().map(|k| register::read(*k)).collect(),
        WorkloadName::Set => vec![set::read()],
        WorkloadName::RwRegister => Vec::new(),
    }
}

/// Judges a history of `workload`.
pub fn check(workload: WorkloadName, history: &History) -> CheckResult {
    match workload {
        WorkloadName::Register => {
            let options = Options {
                semantics: history.header.as_ref().map(|h| h.semantics).unwrap_or_default(),
                init: None,
                time_budget: Some(Duration::from_secs(300)),
                memory_budget_bytes: Some(2 << 30),
            };
            linearizable::check(history, ModelKind::CasRegister, &options)
        }
        WorkloadName::Set => checkers::workload::set(history),
        WorkloadName::RwRegister => {
            let options =
                TxnOptions { consistency_model: ConsistencyModel::StrictSerializable, ..TxnOptions::default() };
            checkers::txn::check_rw_register(history, &options)
        }
    }
}
