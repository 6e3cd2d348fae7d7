//! The set checker (Jepsen's `set`): adds of unique elements, then a final read. Every element
//! whose add succeeded must be in the final read, and nothing that was never added may be.

use rustc_hash::FxHashMap;
use serde_json::json;

use crate::anomaly_kind::AnomalyKind;

use super::{pairs, Report};
use crate::history::{History, OpType};
use crate::verdict::{CheckResult, Validity};

/// Checks adds (`f = add`, value an element) against the last successful read (`f = read`,
/// value the list of elements).
pub fn set(history: &History) -> CheckResult {
    let mut report = Report::new("set");
    // element (as JSON text) -> (add op index, outcome)
    let mut adds: FxHashMap<String, (u64, OpType)> = FxHashMap::default();
    for p in pairs(history, Some("add")) {
        adds.insert(p.invoke.value.to_string(), (p.invoke.index, p.outcome()));
    }
    let reads = pairs(history, Some("read"));
    let Some(read) = reads.iter().rev().find_map(|p| p.done.filter(|d| d.kind == OpType::Ok)) else {
        report.add(
            Validity::Unknown,
            AnomalyKind::NoFinalRead,
            vec![],
            "the history has no successful read of the set".into(),
        );
        return report.finish(json!({"attempted": adds.len()}));
    };
    let Some(items) = read.value.as_array() else {
        report.add(
            Validity::Unknown,
            AnomalyKind::Malformed,
            vec![read.index],
            format!("the final read (op {}) returned {}, not a list of elements", read.index, read.value),
        );
        return report.finish(json!({"attempted": adds.len()}));
    };
    let seen: FxHashMap<String, ()> = items.iter().map(|v| (v.to_string(), ())).collect();
    let mut unexpected = 0;
    for v in items {
        if !adds.contains_key(&v.to_string()) {
            unexpected += 1;
            report.add(
                Validity::Invalid,
                AnomalyKind::Unexpected,
                vec![read.index],
                format!("the final read (op {}) holds {v}, which no operation ever added", read.index),
            );
        }
    }
    let (mut ok, mut lost, mut recovered) = (0, 0, 0);
    let mut sorted: Vec<(&String, &(u64, OpType))> = adds.iter().collect();
    sorted.sort_by_key(|(_, (i, _))| *i);
    for (element, &(index, outcome)) in sorted {
        let present = seen.contains_key(element);
        match (outcome, present) {
            (OpType::Ok, true) => ok += 1,
            (OpType::Ok, false) => {
                lost += 1;
                report.add(
                    Validity::Invalid,
                    AnomalyKind::Lost,
                    vec![index, read.index],
                    format!(
                        "{element} was added successfully (op {index}) but the final read (op {}) lacks it",
                        read.index
                    ),
                );
            }
            (_, true) => recovered += 1,
            _ => {}
        }
    }
    report.finish(json!({
        "attempted": adds.len(), "acknowledged_and_read": ok, "lost": lost,
        "unexpected": unexpected, "recovered": recovered, "final_read": read.index,
    }))
}
