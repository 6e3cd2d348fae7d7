//! The unique-ids checker (Jepsen's `unique-ids`): every successful `generate` must return an
//! id no other successful `generate` returned.

use rustc_hash::FxHashMap;
use serde_json::json;

use super::{pairs, Report};
use crate::anomaly_kind::AnomalyKind;
use crate::history::{History, OpType};
use crate::verdict::{CheckResult, Validity};

/// Checks the values of successful `generate` ops for duplicates.
pub fn unique_ids(history: &History) -> CheckResult {
    let mut report = Report::new("unique-ids");
    let mut seen: FxHashMap<String, u64> = FxHashMap::default();
    let (mut attempted, mut acknowledged) = (0, 0);
    for p in pairs(history, Some("generate")) {
        attempted += 1;
        let Some(done) = p.done.filter(|d| d.kind == OpType::Ok) else { continue };
        acknowledged += 1;
        let id = done.value.to_string();
        if let Some(first) = seen.insert(id.clone(), done.index) {
            report.add(
                Validity::Invalid,
                AnomalyKind::DuplicateId,
                vec![first, done.index],
                format!("op {} returned id {id}, which op {first} had already returned", done.index),
            );
        }
    }
    report.finish(json!({"attempted": attempted, "acknowledged": acknowledged, "distinct": seen.len()}))
}
