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

    /// Adds what another part of the same check found after it, as if found here in order.
    pub(crate) fn absorb(&mut self, other: Findings) {
        for (kind, count) in other.counts {
            *self.counts.entry(kind).or_default() += count;
        }
        for (kind, examples) in other.examples {
            let list = self.examples.entry(kind).or_default();
            let room = EXAMPLES_PER_CLASS.saturating_sub(list.len());
            list.extend(examples.into_iter().take(room));
        }
        for reason in other.unknown {
            self.unknown(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absorbed_findings_read_as_if_found_in_order() {
        let (mut first, mut second) = (Findings::default(), Findings::default());
        for i in 0..5 {
            first.add(AnomalyKind::G1a, vec![i], format!("first {i}"));
            second.add(AnomalyKind::G1a, vec![10 + i], format!("second {i}"));
        }
        second.add(AnomalyKind::G1b, vec![20], "only in the second".to_string());
        first.unknown("gap".to_string());
        second.unknown("gap".to_string());
        first.absorb(second);
        assert_eq!(first.counts[&AnomalyKind::G1a.to_string()], 10);
        assert_eq!(first.counts[&AnomalyKind::G1b.to_string()], 1);
        let kept: Vec<u64> = first.examples[&AnomalyKind::G1a.to_string()].iter().map(|a| a.ops[0]).collect();
        assert_eq!(kept, [0, 1, 2, 3, 4, 10, 11, 12], "the first examples, in order, up to the cap");
        assert_eq!(first.unknown, ["gap"]);
    }
}
