//! The checker seam: one [`Checker`] trait (a name, the options it takes, the ops it reads, and
//! a check of a [`History`] into a [`CheckResult`]) and one [`REGISTRY`] from name to checker,
//! shared by `faultline check`, `faultline report` and runs (a workload names its checkers as
//! [`CheckSpec`]s).
//!
//! [`run`] is the only way in: it refuses an option the checker does not take (never ignores
//! it), checks what the checker needs, and answers `unknown` ("no ops for this checker") for a
//! history with none of the ops the checker reads, for every checker alike.
//!
//! To add a checker: write its analysis, implement [`Checker`] for it (the built-in ones are in
//! `builtin.rs`) and add one line to [`REGISTRY`].

mod builtin;

use std::time::Duration;

use serde_json::Value;

use crate::history::{History, Op, OpType, Semantics, SemanticsOverride};
use crate::linearizable::ModelKind;
use crate::txn::ConsistencyModel;
use crate::verdict::{CheckResult, Validity};

pub use builtin::{
    Bank, Counter, Linearizable, ListAppend, Lock, LongFork, RwRegister, SetChecker, SetFull, UniqueIds,
};

/// Every checker, by name; `--checker NAME` picks from it.
pub static REGISTRY: &[&dyn Checker] =
    &[&Linearizable, &ListAppend, &RwRegister, &SetChecker, &SetFull, &Counter, &Bank, &UniqueIds, &LongFork, &Lock];

/// The unknown reason of a history with none of the ops a checker reads.
pub const NO_OPS: &str = "no ops for this checker";

/// The search time a checker that takes a time budget gets when none is given (runs, `check`
/// and `report` alike): a hard history ends `unknown`, naming the budget, instead of running on.
pub const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(300);

/// The memory a checker that takes a memory budget may use when none is given, bytes.
pub const DEFAULT_MEMORY_BUDGET: usize = 2 << 30;

/// An option a checker may take; each is a flag of `faultline check` and `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckerOption {
    /// The sequential model (`--model`).
    Model,
    /// The model's initial value (`--init`).
    Init,
    /// What a nil read means (`--nil-read`).
    NilRead,
    /// What a failed CAS means (`--failed-cas`).
    FailedCas,
    /// Values are `[key value]` over independent keys (`--independent`).
    Independent,
    /// The transactional consistency model (`--consistency-model`).
    ConsistencyModel,
    /// Give up with `unknown` after this long (`--time-budget`).
    TimeBudget,
    /// Give up with `unknown` past this much memory (set by runs; no flag yet).
    MemoryBudget,
}

impl CheckerOption {
    /// The command-line flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            CheckerOption::Model => "--model",
            CheckerOption::Init => "--init",
            CheckerOption::NilRead => "--nil-read",
            CheckerOption::FailedCas => "--failed-cas",
            CheckerOption::Independent => "--independent",
            CheckerOption::ConsistencyModel => "--consistency-model",
            CheckerOption::TimeBudget => "--time-budget",
            CheckerOption::MemoryBudget => "--memory-budget",
        }
    }
}

/// The options given to a checker; `None` (or `false`) is "not given". Semantics given here
/// override the history header's.
#[derive(Debug, Clone, Default)]
pub struct CheckerOptions {
    /// `--model`.
    pub model: Option<ModelKind>,
    /// `--init`: the model's initial value.
    pub init: Option<Value>,
    /// `--nil-read`, `--failed-cas`, `--independent`.
    pub semantics: SemanticsOverride,
    /// `--consistency-model`.
    pub consistency_model: Option<ConsistencyModel>,
    /// `--time-budget`.
    pub time_budget: Option<Duration>,
    /// The memory budget, bytes.
    pub memory_budget_bytes: Option<usize>,
}

impl CheckerOptions {
    /// The options that were given, in [`CheckerOption`] order.
    pub fn given(&self) -> Vec<CheckerOption> {
        let s = &self.semantics;
        [
            (CheckerOption::Model, self.model.is_some()),
            (CheckerOption::Init, self.init.is_some()),
            (CheckerOption::NilRead, s.nil_read.is_some()),
            (CheckerOption::FailedCas, s.failed_cas.is_some()),
            (CheckerOption::Independent, s.independent.is_some()),
            (CheckerOption::ConsistencyModel, self.consistency_model.is_some()),
            (CheckerOption::TimeBudget, self.time_budget.is_some()),
            (CheckerOption::MemoryBudget, self.memory_budget_bytes.is_some()),
        ]
        .into_iter()
        .filter_map(|(option, given)| given.then_some(option))
        .collect()
    }

    /// The semantics for `history`: its header's, then these overrides.
    pub fn semantics_for(&self, history: &History) -> Semantics {
        Semantics::resolve(history.header.as_ref(), self.semantics)
    }
}

/// Which client ops a checker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Ops with one of these `f`s.
    Functions(&'static [&'static str]),
    /// Ops of any `f` whose value is a list (transactions of micro-ops).
    Transactions,
}

impl Reads {
    /// True if the checker reads `op` (a client invocation).
    pub fn matches(&self, op: &Op) -> bool {
        match self {
            Reads::Functions(fs) => fs.iter().any(|f| op.f == *f),
            Reads::Transactions => op.value.is_array(),
        }
    }

    /// In words, for messages.
    pub fn describe(&self) -> String {
        match self {
            Reads::Functions(fs) => format!("ops with f = {}", fs.join(", ")),
            Reads::Transactions => "transactions (ops whose value is a list of micro-ops)".to_string(),
        }
    }
}

/// A checker: a pure analysis of a history.
pub trait Checker: Sync {
    /// Its name, as `--checker` takes it and as its results carry it.
    fn name(&self) -> &'static str;
    /// One line for help texts: what it checks.
    fn about(&self) -> &'static str;
    /// The options it takes; any other given option is refused.
    fn takes(&self) -> &'static [CheckerOption];
    /// Checks that the options it takes fit together (e.g. a model that is required).
    fn validate(&self, _options: &CheckerOptions) -> Result<(), String> {
        Ok(())
    }
    /// The client ops it reads, under `options` (already validated).
    fn reads(&self, options: &CheckerOptions) -> Reads;
    /// Checks `history` (which has ops it reads) under `options` (already validated).
    fn check(&self, history: &History, options: &CheckerOptions) -> CheckResult;
}

/// Every registered checker's name, in registry order.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|c| c.name())
}

/// The registered checker called `name`; an unknown name is refused with the known ones.
pub fn find(name: &str) -> Result<&'static dyn Checker, String> {
    REGISTRY
        .iter()
        .copied()
        .find(|c| c.name() == name)
        .ok_or_else(|| format!("unknown checker {name:?}; the checkers are {}", names().collect::<Vec<_>>().join(", ")))
}

/// A checker by name and the options to run it with: what a workload names to judge its
/// histories, and what `faultline check` builds from its flags.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// The registered checker's name.
    pub checker: String,
    /// The options to run it with; the history's header supplies the semantics not given.
    pub options: CheckerOptions,
}

impl CheckSpec {
    /// A spec of the checker `name` with `options`.
    pub fn new(name: &str, options: CheckerOptions) -> CheckSpec {
        CheckSpec { checker: name.to_string(), options }
    }

    /// The checker, once its name is known and the options fit it: an option it does not
    /// The same spec with [`DEFAULT_TIME_BUDGET`] and [`DEFAULT_MEMORY_BUDGET`] where no budget
    /// was given and the checker takes one (a checker that takes none is left as it is).
    pub fn with_default_budgets(mut self) -> CheckSpec {
        if let Ok(checker) = find(&self.checker) {
            if checker.takes().contains(&CheckerOption::TimeBudget) {
                self.options.time_budget.get_or_insert(DEFAULT_TIME_BUDGET);
            }
            if checker.takes().contains(&CheckerOption::MemoryBudget) {
                self.options.memory_budget_bytes.get_or_insert(DEFAULT_MEMORY_BUDGET);
            }
        }
        self
    }

    /// take is refused in one line naming the checker and the options it takes.
    pub fn prepare(&self) -> Result<&'static dyn Checker, String> {
        let checker = find(&self.checker)?;
        let refused: Vec<&str> = self
            .options
            .given()
            .into_iter()
            .filter(|o| !checker.takes().contains(o))
            .map(CheckerOption::flag)
            .collect();
        if !refused.is_empty() {
            let takes: Vec<&str> = checker.takes().iter().map(|o| o.flag()).collect();
            let takes = if takes.is_empty() { "no options".to_string() } else { takes.join(", ") };
            return Err(format!("--checker {} does not take {}; it takes {takes}", checker.name(), refused.join(", ")));
        }
        checker.validate(&self.options)?;
        Ok(checker)
    }

    /// Runs the checker on `history`: `unknown` with [`NO_OPS`] when it has none of the ops the
    /// checker reads.
    pub fn run(&self, history: &History) -> Result<CheckResult, String> {
        let checker = self.prepare()?;
        let reads = checker.reads(&self.options);
        let has_ops = history.ops.iter().any(|op| op.kind == OpType::Invoke && op.is_client() && reads.matches(op));
        if !has_ops {
            let mut result = CheckResult::valid(checker.name());
            result.validity = Validity::Unknown;
            result.unknown_reason = Some(format!("{NO_OPS}: it reads {}, and the history has none", reads.describe()));
            return Ok(result);
        }
        Ok(checker.check(history, &self.options))
    }
}

#[cfg(test)]
mod tests;
