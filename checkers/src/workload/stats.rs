//! Basic statistics (Jepsen's `stats`): ok, fail and info counts per function; a function that
//! never succeeded makes the history invalid (the workload did not really run).

use std::collections::BTreeMap;

use serde_json::json;

use super::{pairs, Report};
use crate::anomaly_kind::AnomalyKind;
use crate::history::{History, OpType};
use crate::verdict::{CheckResult, Validity};

/// Counts client ops per `f` and outcome (an op never completed counts as info).
pub fn stats(history: &History) -> CheckResult {
    let mut report = Report::new("stats");
    let mut by_f: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for p in pairs(history, None) {
        let slot = by_f.entry(p.invoke.f.as_str()).or_default();
        match p.outcome() {
            OpType::Ok => slot[0] += 1,
            OpType::Fail => slot[1] += 1,
            _ => slot[2] += 1,
        }
    }
    for (f, [ok, fail, info]) in &by_f {
        if *ok == 0 {
            report.add(
                Validity::Invalid,
                AnomalyKind::NeverSucceeded,
                vec![],
                format!("no {f} operation succeeded ({fail} failed, {info} indeterminate)"),
            );
        }
    }
    let (ok, fail, info) = by_f.values().fold((0, 0, 0), |a, c| (a.0 + c[0], a.1 + c[1], a.2 + c[2]));
    let per_f: BTreeMap<&str, serde_json::Value> =
        by_f.iter().map(|(f, [o, fl, i])| (*f, json!({"count": o + fl + i, "ok": o, "fail": fl, "info": i}))).collect();
    report.finish(json!({"count": ok + fail + info, "ok": ok, "fail": fail, "info": info, "by_f": per_f}))
}
