//! Linearizability: is there an order of the client ops, consistent with real time, in which a
//! sequential model explains every result? See DESIGN.md, "Checkers".
//!
//! - [`model`]: the [`Model`] trait (implement it for your own object) and value interning.
//! - [`register`], [`multi_register`], [`collections`], [`mutex`], [`kv`]: the built-in models.
//! - `prepare`: history → decoded ops per partition, applying the [`Semantics`].
//! - `search`: Wing–Gong with Lowe's memo and just-in-time linearization, per partition.
//! - `symmetry`: equal ops are interchangeable; the search tries only one of those that can go.
//! - `stale` and `witness`: value flow decides `invalid`, and with unique values a greedily
//!   built linearization decides `valid`, before the search (which decides the rest).
//! - `report`: counterexamples in words and JSON.
//!
//! [`check`] runs a built-in model by name; [`check_model`] runs any [`Model`]. Partitions
//! (independent keys, or the model's own [`Model::partition`]) are searched in parallel.

pub mod collections;
pub mod kv;
pub mod model;
pub mod multi_register;
pub mod mutex;
mod prepare;
pub mod register;
mod report;
mod search;
mod stale;
mod symmetry;
mod witness;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::history::Value as OpValue;

pub use collections::{QueueModel, SetModel};
pub use kv::Kv;
pub use model::{Call, Interner, Model, Outcome, Val};
pub use multi_register::MultiRegister;
pub use mutex::Mutex;
pub use register::Register;

use crate::history::{History, Semantics};
use crate::verdict::{CheckResult, Validity};
use search::{Budget, Exhausted, Verdict};

/// The checker's name in results.
pub const CHECKER: &str = "linearizable";

/// The built-in models, by the names used on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// `register`: read and write.
    Register,
    /// `cas-register`: read, write and compare-and-set (`[expected new]`).
    CasRegister,
    /// `multi-register`: transactions of reads and writes over keys.
    MultiRegister,
    /// `set`: add and read (of the whole set).
    Set,
    /// `queue`: FIFO enqueue and dequeue.
    Queue,
    /// `mutex`: acquire and release.
    Mutex,
    /// `kv`: get, put and append on string values, per key (Porcupine's key-value model).
    Kv,
}

impl ModelKind {
    /// Every model, in the order help texts list them.
    pub const ALL: [ModelKind; 7] = [
        ModelKind::Register,
        ModelKind::CasRegister,
        ModelKind::MultiRegister,
        ModelKind::Set,
        ModelKind::Queue,
        ModelKind::Mutex,
        ModelKind::Kv,
    ];

    /// The model's name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Register => "register",
            ModelKind::CasRegister => "cas-register",
            ModelKind::MultiRegister => "multi-register",
            ModelKind::Set => "set",
            ModelKind::Queue => "queue",
            ModelKind::Mutex => "mutex",
            ModelKind::Kv => "kv",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A model name that is not one of [`ModelKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown model {0:?}; the models are register, cas-register, multi-register, set, queue, mutex, kv")]
pub struct UnknownModel(pub String);

impl FromStr for ModelKind {
    type Err = UnknownModel;

    fn from_str(name: &str) -> Result<ModelKind, UnknownModel> {
        ModelKind::ALL.into_iter().find(|m| m.name() == name).ok_or_else(|| UnknownModel(name.to_string()))
    }
}

/// How to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// What the client guarantees (nil reads, failed CAS, independent keys).
    pub semantics: Semantics,
    /// The initial value (`None`: `null`, i.e. unset/absent). For `multi-register` a map of
    /// key to value, or one value for every key; with independent keys, every key's.
    pub init: Option<Value>,
    /// Give up with `unknown` after this long.
    pub time_budget: Option<Duration>,
    /// Give up with `unknown` when the search's estimated memory passes this many bytes.
    pub memory_budget_bytes: Option<usize>,
}

/// Checks the client ops of `history` against a built-in model.
pub fn check(history: &History, model: ModelKind, options: &Options) -> CheckResult {
    let init = options.init.clone().map_or(OpValue::Null, OpValue::from);
    let nil_read = options.semantics.nil_read;
    match model {
        ModelKind::Register => check_model(history, &Register::new(false, nil_read, init), options),
        ModelKind::CasRegister => check_model(history, &Register::new(true, nil_read, init), options),
        ModelKind::MultiRegister => check_model(history, &MultiRegister::new(nil_read, init), options),
        ModelKind::Set => check_model(history, &SetModel::new(nil_read), options),
        ModelKind::Queue => check_model(history, &QueueModel::new(nil_read), options),
        ModelKind::Mutex => check_model(history, &Mutex, options),
        ModelKind::Kv => check_model(history, &Kv, options),
    }
}

/// Checks the client ops of `history` against any [`Model`]; `options.init` is the model's
/// business (built-in models take it at construction).
pub fn check_model<M: Model>(history: &History, model: &M, options: &Options) -> CheckResult {
    let started = Instant::now();
    let unknown = |reason: String, stats: Value| CheckResult {
        checker: CHECKER.to_string(),
        validity: Validity::Unknown,
        unknown_reason: Some(reason),
        anomalies: Vec::new(),
        stats,
    };
    let prepared = match prepare::prepare(history, model, &options.semantics) {
        Ok(prepared) => prepared,
        Err(reason) => return unknown(format!("cannot read the history as {}: {reason}", model.name()), Value::Null),
    };
    let prepare::Prepared { mut partitions, mut values } = prepared;
    if history.ops.is_empty() {
        return unknown("no ops for this checker: the history holds no ops".to_string(), Value::Null);
    }
    let init = model.init(&mut values);
    let mut dropped = 0;
    for part in &mut partitions {
        part.ops.sort_by_key(|op| op.call);
        dropped += drop_unneeded_crashed(model, part);
    }
    // Biggest first, so the parallel tail is short.
    let mut order: Vec<usize> = (0..partitions.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(partitions[i].ops.len()));
    // Reads that value flow alone refutes decide their partition without the search, and so
    // does a linearization the greedy builder finds.
    let stale: Vec<Option<stale::Stale>> =
        partitions.par_iter().map(|part| model.state_value(&init).and_then(|v| stale::find(model, v, part))).collect();
    let used = AtomicUsize::new(0);
    let invalid = AtomicBool::new(stale.iter().any(Option::is_some));
    let budget = Budget {
        deadline: options.time_budget.map(|b| started + b),
        memory: options.memory_budget_bytes,
        used: &used,
        invalid: &invalid,
        step_cap: None,
    };
    let witnessed: Vec<bool> = partitions
        .par_iter()
        .zip(&stale)
        .map(|(part, stale)| stale.is_none() && witness::linearizes(model, &init, part))
        .collect();
    // A short search of every partition first, then the long ones (see `Budget::step_cap`).
    let search = |i: usize, budget: &Budget<'_>| (i, search::search(model, init.clone(), &partitions[i].ops, budget));
    let short = Budget { step_cap: Some(search::SHORT_SEARCH), ..budget };
    let (mut searched, deferred): (Vec<_>, Vec<_>) = order
        .into_par_iter()
        .filter(|&i| stale[i].is_none() && !witnessed[i])
        .map(|i| search(i, &short))
        .partition(|(_, s)| !matches!(s.verdict, Verdict::Exhausted(Exhausted::Deferred)));
    searched.par_extend(deferred.into_par_iter().map(|(i, _)| search(i, &budget)));
    searched.sort_by_key(|(i, _)| *i);

    let clock = report::Clock::of(history);
    let mut validity = Validity::Valid;
    let mut anomalies = Vec::new();
    let mut exhausted = None;
    let mut moot = 0;
    for (i, found) in stale.iter().enumerate() {
        if let Some(found) = found {
            validity = Validity::Invalid;
            anomalies.push(report::stale_anomaly(model, history, &clock, &partitions[i], found, &values));
        }
    }
    for (i, result) in &searched {
        match &result.verdict {
            Verdict::Linearizable => {}
            Verdict::NotLinearizable(cx) => {
                validity = validity.merge(Validity::Invalid);
                anomalies.push(report::anomaly(model, history, &clock, &partitions[*i], cx, &values));
            }
            Verdict::Exhausted(Exhausted::Moot) => moot += 1,
            Verdict::Exhausted(why) => {
                validity = validity.merge(Validity::Unknown);
                exhausted.get_or_insert(*why);
            }
        }
    }
    let ops: usize = partitions.iter().map(|p| p.ops.len()).sum();
    let crashed: usize = partitions.iter().flat_map(|p| &p.ops).filter(|op| op.ret.is_none()).count();
    let stats = json!({
        "model": model.name(),
        "ops": ops,
        "crashed": crashed + dropped,
        "crashed_dropped": dropped,
        "partitions": partitions.len(),
        "decided_without_search": stale.iter().filter(|s| s.is_some()).count() + witnessed.iter().filter(|w| **w).count(),
        "witnessed": witnessed.iter().filter(|w| **w).count(),
        "undecided_once_invalid": moot,
        "states": searched.iter().map(|(_, s)| s.states).sum::<usize>(),
        "steps": searched.iter().map(|(_, s)| s.steps).sum::<u64>(),
        "elapsed_ms": started.elapsed().as_secs_f64() * 1e3,
    });
    let unknown_reason = (validity == Validity::Unknown).then(|| match exhausted {
        Some(Exhausted::Time) => format!(
            "the time budget of {:.3} s ran out before every partition was decided; raise it with --time-budget SECONDS",
            options.time_budget.unwrap_or_default().as_secs_f64()
        ),
        _ => format!(
            "the memory budget of {} bytes ran out before every partition was decided; raise it with --memory-budget MIB",
            options.memory_budget_bytes.unwrap_or_default()
        ),
    });
    CheckResult { checker: CHECKER.to_string(), validity, unknown_reason, anomalies, stats }
}

/// Removes the crashed ops of `part` that the model says no linearization needs (see
/// [`Model::unneeded_crashed`]); how many.
fn drop_unneeded_crashed<M: Model>(model: &M, part: &mut prepare::Partition<M::Input, M::Output>) -> usize {
    let views: Vec<_> = part.ops.iter().map(|op| (&op.input, op.output.as_ref(), op.ret.is_none())).collect();
    let unneeded = model.unneeded_crashed(&views);
    drop(views);
    let before = part.ops.len();
    let mut flags = unneeded.into_iter();
    part.ops.retain(|_| !flags.next().unwrap_or(false));
    before - part.ops.len()
}
