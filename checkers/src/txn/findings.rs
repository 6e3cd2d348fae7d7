//! What a transactional check found, as it goes: anomalies grouped by class (a few examples
//! kept per class, all counted), and the reasons the analysis could not be complete.

use std::collections::BTreeMap;

use crate::anomaly_kind::AnomalyKind;
use crate::verdict::Anomaly;

/// How many examples of each anomaly class a result keeps.
pub(crate) const EXAMPLES_PER_CLASS: usize = 8;

/// Anomalies and gaps found so far.
#[derive(Default)]
pub(crate) struct Findings {
    /// Examples per anomaly class.
    pub(crate) examples: BTreeMap<String, Vec<Anomaly>>,
    /// Occurrences per anomaly class.
    pub(crate) counts: BTreeMap<String, usize>,
    /// Why parts of the analysis could not be done (the verdict cannot be `valid`).
    pub(crate) unknown: Vec<String>,
}

impl Findings {
    /// Records an anomaly with no structured detail.
    pub(crate) fn add(&mut self, kind: AnomalyKind, ops: Vec<u64>, explanation: String) {
        self.add_detailed(kind, ops, explanation, serde_json::Value::Null);
    }

    /// Records an anomaly.
    pub(crate) fn add_detailed(
        &mut self,
        kind: AnomalyKind,
        ops: Vec<u64>,
        explanation: String,
        detail: serde_json::Value,
    ) {
        *self.counts.entry(kind.to_string()).or_default() += 1;
        let list = self.examples.entry(kind.to_string()).or_default();
        if list.len() < EXAMPLES_PER_CLASS {
            list.push(Anomaly { kind, ops, explanation, detail });
        }
    }

    /// Records a gap in the analysis (kept once per distinct reason, at most a few).
    pub(crate) fn unknown(&mut self, reason: String) {
        if self.unknown.len() < EXAMPLES_PER_CLASS && !self.unknown.contains(&reason) {
            self.unknown.push(reason);
        }
    }
}
