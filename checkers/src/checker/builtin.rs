//! The built-in checkers behind the [`Checker`] seam: thin adapters from [`CheckerOptions`] to
//! each analysis's own options.

use super::{Checker, CheckerOption, CheckerOptions, Reads};
use crate::history::History;
use crate::linearizable::{self, ModelKind};
use crate::txn::{self, TxnOptions};
use crate::verdict::CheckResult;
use crate::workload;

use CheckerOption::*;

/// Linearizability against a sequential model (`--model`).
pub struct Linearizable;

impl Checker for Linearizable {
    fn name(&self) -> &'static str {
        linearizable::CHECKER
    }
    fn about(&self) -> &'static str {
        "linearizability against a model (--model)"
    }
    fn takes(&self) -> &'static [CheckerOption] {
        &[Model, Init, NilRead, FailedCas, Independent, TimeBudget, MemoryBudget]
    }
    fn validate(&self, options: &CheckerOptions) -> Result<(), String> {
        match options.model {
            Some(_) => Ok(()),
            None => {
                let names: Vec<&str> = ModelKind::ALL.iter().map(|m| m.name()).collect();
                Err(format!("--checker linearizable needs --model: one of {}", names.join(", ")))
            }
        }
    }
    fn reads(&self, options: &CheckerOptions) -> Reads {
        Reads::Functions(match options.model {
            Some(ModelKind::Register | ModelKind::CasRegister) | None => &["read", "write", "cas"],
            Some(ModelKind::MultiRegister) => &["txn"],
            Some(ModelKind::Set) => &["add", "read"],
            Some(ModelKind::Queue) => &["enqueue", "dequeue"],
            Some(ModelKind::Mutex) => &["acquire", "release"],
            Some(ModelKind::Kv) => &["get", "put", "append"],
        })
    }
    fn check(&self, history: &History, options: &CheckerOptions) -> CheckResult {
        let settings = linearizable::Options {
            semantics: options.semantics_for(history),
            init: options.init.clone(),
            time_budget: options.time_budget,
            memory_budget_bytes: options.memory_budget_bytes,
        };
        linearizable::check(history, options.model.unwrap_or(ModelKind::CasRegister), &settings)
    }
}

/// The options of the transactional checkers.
fn txn_options(options: &CheckerOptions) -> TxnOptions {
    let mut settings = TxnOptions::default();
    if let Some(model) = options.consistency_model {
        settings.consistency_model = model;
    }
    if let Some(budget) = options.time_budget {
        settings.cycle_budget = Some(budget);
    }
    settings
}

/// Declares a checker with a fixed list of options and fixed ops it reads.
macro_rules! checker {
    ($ty:ident, $name:literal, $about:literal, $takes:expr, $reads:expr, |$h:ident, $o:pat_param| $check:expr) => {
        #[doc = concat!("`", $name, "`: ", $about, ".")]
        pub struct $ty;

        impl Checker for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn about(&self) -> &'static str {
                $about
            }
            fn takes(&self) -> &'static [CheckerOption] {
                $takes
            }
            fn reads(&self, _: &CheckerOptions) -> Reads {
                $reads
            }
            fn check(&self, $h: &History, $o: &CheckerOptions) -> CheckResult {
                $check
            }
        }
    };
}

checker!(
    ListAppend,
    "list-append",
    "Elle-style list-append transactions (--consistency-model)",
    &[ConsistencyModel, TimeBudget],
    Reads::Transactions,
    |h, o| txn::check_list_append(h, &txn_options(o))
);
checker!(
    RwRegister,
    "rw-register",
    "Elle-style read/write register transactions (--consistency-model)",
    &[ConsistencyModel, TimeBudget],
    Reads::Transactions,
    |h, o| txn::check_rw_register(h, &txn_options(o))
);
checker!(SetChecker, "set", "adds and a final read", &[], Reads::Functions(&["add", "read"]), |h, _| workload::set(h));
checker!(
    SetFull,
    "set-full",
    "adds and reads over time: stable, lost, stale elements",
    &[],
    Reads::Functions(&["add", "read"]),
    |h, _| workload::set_full(h, &workload::SetFullOptions::default())
);
checker!(Counter, "counter", "increments and reads within bounds", &[], Reads::Functions(&["add", "read"]), |h, _| {
    workload::counter(h)
});
checker!(
    Bank,
    "bank",
    "transfers conserve the total; no negative balances",
    &[],
    Reads::Functions(&["transfer", "read"]),
    |h, _| workload::bank(h, &workload::BankOptions::default())
);
checker!(UniqueIds, "unique-ids", "generated ids are unique", &[], Reads::Functions(&["generate"]), |h, _| {
    workload::unique_ids(h)
});
checker!(
    LongFork,
    "long-fork",
    "reads of groups of keys agree on one order (group size 3)",
    &[],
    Reads::Transactions,
    |h, _| workload::long_fork(h, &workload::LongForkOptions::default())
);
checker!(
    Lock,
    "lock",
    "lock holds that overlapped (reported) and guarded writes out of fencing-token order (invalid)",
    &[],
    Reads::Functions(&workload::lock::FUNCTIONS),
    |h, _| workload::lock(h)
);
