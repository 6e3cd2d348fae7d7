//! Checkers for Jepsen's non-transactional workloads: set (final read), set-full (per element
//! over time), counter, bank, unique ids, long fork, locks with fencing tokens, and per-function op statistics.
//!
//! Each is a pure function of a history; none panics on malformed values, which become
//! anomalies (`malformed`) and make the verdict at least `unknown`.

mod bank;
mod counter;
pub mod lock;
mod long_fork;
mod set;
mod set_full;
mod stats;
mod unique_ids;

pub use bank::{bank, BankOptions};
pub use counter::counter;
pub use lock::lock;
pub use long_fork::{long_fork, LongForkOptions};
pub use set::set;
pub use set_full::{set_full, SetFullOptions};
pub use stats::stats;
pub use unique_ids::unique_ids;

use crate::anomaly_kind::AnomalyKind;
use crate::history::{History, Op, OpType};
use crate::verdict::{Anomaly, CheckResult, Validity};

/// How many examples of one anomaly kind a result keeps.
const EXAMPLES: usize = 16;

/// One client operation: its invocation and completion (if any).
pub(crate) struct Pair<'h> {
    pub(crate) invoke: &'h Op,
    pub(crate) done: Option<&'h Op>,
}

impl Pair<'_> {
    /// The completion's type; `info` when the op never completed.
    pub(crate) fn outcome(&self) -> OpType {
        self.done.map_or(OpType::Info, |d| d.kind)
    }

    /// The completion time; `u64::MAX` (never) when the op never completed.
    pub(crate) fn end(&self) -> u64 {
        self.done.map_or(u64::MAX, |d| d.time)
    }
}

/// Every client operation with function `f` (any function when `None`), in invocation order.
pub(crate) fn pairs<'h>(history: &'h History, f: Option<&str>) -> Vec<Pair<'h>> {
    let completions = history.completions();
    history
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.kind == OpType::Invoke && op.is_client() && f.is_none_or(|f| op.f == f))
        .map(|(i, op)| Pair { invoke: op, done: completions[i].map(|c| &history.ops[c]) })
        .collect()
}

/// Accumulates anomalies (a few examples per kind, all counted) into a result.
pub(crate) struct Report {
    result: CheckResult,
    counts: std::collections::BTreeMap<String, usize>,
}

impl Report {
    /// An empty, valid report for `checker`.
    pub(crate) fn new(checker: &str) -> Report {
        Report { result: CheckResult::valid(checker), counts: Default::default() }
    }

    /// Records an anomaly that makes the history `validity` (invalid or unknown).
    pub(crate) fn add(&mut self, validity: Validity, kind: AnomalyKind, ops: Vec<u64>, explanation: String) {
        self.result.validity = self.result.validity.merge(validity);
        if validity == Validity::Unknown && self.result.unknown_reason.is_none() {
            self.result.unknown_reason = Some(explanation.clone());
        }
        let n = self.counts.entry(kind.to_string()).or_default();
        *n += 1;
        if *n <= EXAMPLES {
            self.result.anomalies.push(Anomaly { kind, ops, explanation, detail: serde_json::Value::Null });
        }
    }

    /// The result, with `stats` and the anomaly counts.
    pub(crate) fn finish(mut self, mut stats: serde_json::Value) -> CheckResult {
        if !stats.is_object() {
            stats = serde_json::json!({});
        }
        stats["anomaly_counts"] = serde_json::json!(self.counts);
        if self.result.validity != Validity::Unknown {
            self.result.unknown_reason = None;
        }
        self.result.stats = stats;
        self.result
    }
}

/// Seconds, for explanations.
pub(crate) fn secs(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}
