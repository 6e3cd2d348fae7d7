//! What every checker returns: a validity, the anomalies that justify it, and why a verdict is
//! `unknown` when the analysis could not finish.

use serde::{Deserialize, Serialize};

use crate::anomaly_kind::AnomalyKind;

/// The outcome of one checker on one history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Validity {
    /// The history satisfies the property.
    Valid,
    /// The analysis ran out of a budget (time, memory, search) before deciding; never a pass.
    Unknown,
    /// The history violates the property; `anomalies` says where.
    Invalid,
}

impl Validity {
    /// Combines two verdicts over parts of one history: any invalid part makes the whole
    /// invalid, else any unknown part makes it unknown.
    pub fn merge(self, other: Validity) -> Validity {
        self.max(other)
    }

    /// The lowercase word used on the command line and in results files.
    pub fn as_str(self) -> &'static str {
        match self {
            Validity::Valid => "valid",
            Validity::Unknown => "unknown",
            Validity::Invalid => "invalid",
        }
    }
}

impl std::fmt::Display for Validity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a checker found wrong, with the ops involved and a sentence a person understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The anomaly class, e.g. `nonlinearizable`, `G-single`, `lost`, `negative-balance`.
    pub kind: AnomalyKind,
    /// `index` of every op involved, in the order the explanation mentions them.
    pub ops: Vec<u64>,
    /// One or a few plain sentences: what happened and why it is wrong.
    pub explanation: String,
    /// Structured data for reports (states, cycles, prefixes); `null` when there is none.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

/// A checker's full answer on one history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which checker produced this, e.g. `linearizable`.
    pub checker: String,
    /// Valid, invalid, or unknown (with `unknown_reason`).
    pub validity: Validity,
    /// Why the verdict is `unknown` (which budget ran out), when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_reason: Option<String>,
    /// The anomalies found; empty when valid.
    #[serde(default)]
    pub anomalies: Vec<Anomaly>,
    /// Checker-specific figures (ops checked, partitions, states explored, ...).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub stats: serde_json::Value,
}

impl CheckResult {
    /// A valid result with no anomalies.
    pub fn valid(checker: &str) -> CheckResult {
        CheckResult {
            checker: checker.to_string(),
            validity: Validity::Valid,
            unknown_reason: None,
            anomalies: Vec::new(),
            stats: serde_json::Value::Null,
        }
    }
}
