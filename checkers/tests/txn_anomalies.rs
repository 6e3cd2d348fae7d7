//! Hand-built histories, one per anomaly class, each detected as that class and explained,
//! for list-append and rw-register; process and real-time variants only under models that
//! ask for those orders.

use checkers::history::{History, Op, OpType, Process};
use checkers::txn::{check_list_append, check_rw_register, ConsistencyModel, TxnOptions};
use checkers::AnomalyKind;
use checkers::{CheckResult, Validity};
use serde_json::{json, Value};

/// A transaction: process, outcome (`ok`, `fail`, `info`) and its micro-ops as completed.
type T = (u64, &'static str, Value);

/// The invocation's value: the same micro-ops with every read's value nil.
fn invoked(mops: &Value) -> Value {
    let Some(list) = mops.as_array() else { return mops.clone() };
    Value::Array(
        list.iter()
            .map(|m| if m.get(0) == Some(&json!("r")) { json!(["r", m[1].clone(), null]) } else { m.clone() })
            .collect(),
    )
}

fn op(index: usize, p: u64, kind: &str, value: impl Into<checkers::Value>) -> Op {
    Op {
        index: index as u64,
        time: index as u64 * 1_000_000,
        kind: OpType::parse(kind).unwrap(),
        process: Process::Client(p),
        f: "txn".into(),
        value: value.into(),
        node: None,
        error: None,
    }
}

/// Every transaction invoked, then every one completed: no real-time order between them.
fn concurrent(txns: &[T]) -> History {
    let mut ops: Vec<Op> = txns.iter().map(|(p, _, v)| op(0, *p, "invoke", invoked(v))).collect();
    ops.extend(txns.iter().map(|(p, kind, v)| op(0, *p, kind, v.clone())));
    for (i, o) in ops.iter_mut().enumerate() {
        *o = op(i, o.process_id(), o.kind.as_str(), o.value.clone());
    }
    History::from_ops(None, ops)
}

/// Each transaction completes before the next is invoked.
fn sequential(txns: &[T]) -> History {
    let mut ops = Vec::new();
    for (p, kind, v) in txns {
        ops.push(op(ops.len(), *p, "invoke", invoked(v)));
        ops.push(op(ops.len(), *p, kind, v.clone()));
    }
    History::from_ops(None, ops)
}

trait ProcessId {
    fn process_id(&self) -> u64;
}

impl ProcessId for Op {
    fn process_id(&self) -> u64 {
        match self.process {
            Process::Client(p) => p,
            Process::Named(_) => u64::MAX,
        }
    }
}

fn append(h: &History, model: ConsistencyModel) -> CheckResult {
    check_list_append(h, &TxnOptions { consistency_model: model, ..TxnOptions::default() })
}

fn register(h: &History, model: ConsistencyModel) -> CheckResult {
    check_rw_register(h, &TxnOptions { consistency_model: model, ..TxnOptions::default() })
}

fn types(r: &CheckResult) -> Vec<String> {
    let mut all: Vec<String> =
        r.stats["anomaly_types"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().into()).collect();
    all.extend(r.stats["also_found"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()));
    all.sort();
    all
}

/// Asserts `r` is invalid with exactly `expected` anomaly classes, and the first anomaly of
/// `class` is explained with every phrase in `phrases`.
fn assert_found(r: &CheckResult, expected: &[&str], class: &str, phrases: &[&str]) {
    assert_eq!(r.validity, Validity::Invalid, "{}", r.stats);
    assert_eq!(types(r), expected, "{:?}", r.anomalies);
    let a = r
        .anomalies
        .iter()
        .find(|a| a.kind == AnomalyKind::named(class))
        .unwrap_or_else(|| panic!("no {class} in {:?}", r.anomalies));
    for p in phrases {
        assert!(a.explanation.contains(p), "{class}: {:?} lacks {p:?}", a.explanation);
    }
    assert!(!a.ops.is_empty());
}

const SER: ConsistencyModel = ConsistencyModel::Serializable;

#[test]
fn list_append_g0() {
    let h = concurrent(&[
        (1, "ok", json!([["append", "x", 1], ["append", "y", 1]])),
        (2, "ok", json!([["append", "x", 2], ["append", "y", 2]])),
        (3, "ok", json!([["r", "x", [1, 2]], ["r", "y", [2, 1]]])),
    ]);
    let r = append(&h, ConsistencyModel::ReadUncommitted);
    assert_found(&r, &["G0"], "G0", &["a G0 cycle T1 -ww-> T2 -ww-> T1", "appended"]);
    let cycle = r.anomalies[0].detail["cycle"].as_array().unwrap();
    assert!(cycle.iter().all(|e| e["edge"] == "ww" && e["why"].as_str().unwrap().contains("longest read")));
}

#[test]
fn list_append_g1a_g1b_dirty_update() {
    let h = concurrent(&[
        (1, "fail", json!([["append", "x", 1]])),
        (2, "ok", json!([["append", "x", 2]])),
        (3, "ok", json!([["r", "x", [1, 2]]])),
    ]);
    let r = append(&h, ConsistencyModel::ReadCommitted);
    assert_found(&r, &["G1a", "dirty-update"], "G1a", &["op 5 read key \"x\" including 1", "failed"]);
    assert_found(&r, &["G1a", "dirty-update"], "dirty-update", &["appended 2 on top of the state left by op 3"]);
    let h =
        concurrent(&[(1, "ok", json!([["append", "x", 1], ["append", "x", 2]])), (2, "ok", json!([["r", "x", [1]]]))]);
    // Reading an intermediate state is also a cycle: the reader missed the final append.
    assert_found(&append(&h, SER), &["G-single", "G1b"], "G1b", &["intermediate append of op 2"]);
}

#[test]
fn list_append_g1c() {
    let h = concurrent(&[
        (1, "ok", json!([["append", "x", 1], ["r", "y", [1]]])),
        (2, "ok", json!([["append", "y", 1], ["r", "x", [1]]])),
    ]);
    assert_found(&append(&h, ConsistencyModel::ReadCommitted), &["G1c"], "G1c", &["-wr->", "whose last element 1"]);
}

#[test]
fn list_append_g_single() {
    let h = concurrent(&[
        (1, "ok", json!([["r", "x", []], ["r", "y", [1]]])),
        (2, "ok", json!([["append", "x", 1], ["append", "y", 1]])),
    ]);
    let r = append(&h, SER);
    assert_found(
        &r,
        &["G-single"],
        "G-single",
        &["T1 read key \"x\" empty, without 1, which T2 appended next", "T1 -rw-> T2 -wr-> T1"],
    );
    assert_eq!(r.stats["not"], json!(["repeatable-read", "snapshot-isolation"]));
    // Read committed allows it: valid, with the cycle still reported as allowed.
    let rc = append(&h, ConsistencyModel::ReadCommitted);
    assert_eq!(rc.validity, Validity::Valid);
    assert_eq!(rc.stats["also_found"], json!(["G-single"]));
}

#[test]
fn list_append_g_nonadjacent_and_g2_item() {
    let h = concurrent(&[
        (1, "ok", json!([["r", "a", []], ["r", "d", [1]]])),
        (2, "ok", json!([["append", "a", 1], ["append", "b", 1]])),
        (3, "ok", json!([["r", "b", [1]], ["r", "c", []]])),
        (4, "ok", json!([["append", "c", 1], ["append", "d", 1]])),
    ]);
    let r = append(&h, ConsistencyModel::SnapshotIsolation);
    assert_found(&r, &["G-nonadjacent"], "G-nonadjacent", &["-rw->", "-wr->"]);
    let cycle = r.anomalies[0].detail["cycle"].as_array().unwrap();
    assert_eq!(cycle.iter().filter(|e| e["edge"] == "rw").count(), 2);
    let skew = concurrent(&[
        (1, "ok", json!([["r", "x", []], ["append", "y", 1]])),
        (2, "ok", json!([["r", "y", []], ["append", "x", 1]])),
    ]);
    assert_eq!(append(&skew, ConsistencyModel::SnapshotIsolation).validity, Validity::Valid);
    assert_found(&append(&skew, SER), &["G2-item"], "G2-item", &["T1 -rw-> T2 -rw-> T1"]);
}

#[test]
fn list_append_non_cycle_anomalies() {
    let h = concurrent(&[(1, "ok", json!([["append", "x", 1], ["r", "x", []]]))]);
    assert_found(&append(&h, SER), &["internal"], "internal", &["should be a list ending in [1]"]);
    let h = concurrent(&[(1, "ok", json!([["append", "x", 1]])), (2, "ok", json!([["r", "x", [1, 1]]]))]);
    assert_found(&append(&h, SER), &["duplicate-elements"], "duplicate-elements", &["holding 1 more than once"]);
    let h = concurrent(&[
        (1, "ok", json!([["append", "x", 1]])),
        (2, "ok", json!([["append", "x", 2]])),
        (3, "ok", json!([["r", "x", [1, 2]]])),
        (4, "ok", json!([["r", "x", [2, 1]]])),
    ]);
    assert_found(
        &append(&h, SER),
        &["incompatible-order"],
        "incompatible-order",
        &["not a prefix of the longest read"],
    );
    let h = concurrent(&[(1, "ok", json!([["r", "x", [7]]]))]);
    assert_found(&append(&h, SER), &["garbage-read"], "garbage-read", &["no operation ever appended"]);
}

#[test]
fn list_append_process_and_realtime_variants() {
    // Process 1 appends, then (same process) reads without its own append.
    let h = sequential(&[(1, "ok", json!([["append", "x", 1]])), (1, "ok", json!([["r", "x", []]]))]);
    assert_eq!(append(&h, SER).validity, Validity::Valid);
    let r = append(&h, ConsistencyModel::StrongSessionSnapshotIsolation);
    assert_found(&r, &["G-single-process"], "G-single-process", &["T2 -process-> T1", "ran on process 1"]);
    // Different processes: only real time orders them.
    let h = sequential(&[(1, "ok", json!([["append", "x", 1]])), (2, "ok", json!([["r", "x", []]]))]);
    assert_eq!(append(&h, ConsistencyModel::StrongSessionSerializable).validity, Validity::Valid);
    let r = append(&h, ConsistencyModel::StrictSerializable);
    assert_found(&r, &["G-single-realtime"], "G-single-realtime", &["-realtime->", "completed (at 0.001000 s) before"]);
    assert_eq!(r.stats["not"], json!(["strong-snapshot-isolation"]));
}

#[test]
fn info_and_malformed_transactions() {
    // An indeterminate append that was read is in the graph like a committed one.
    let h = concurrent(&[
        (1, "ok", json!([["r", "x", []], ["r", "y", [1]]])),
        (2, "info", json!([["append", "x", 1], ["append", "y", 1]])),
    ]);
    assert_found(&append(&h, SER), &["G-single"], "G-single", &["-rw->"]);
    let h = concurrent(&[(1, "ok", json!([["append", "x"]])), (2, "ok", json!(7))]);
    let r = append(&h, SER);
    assert_eq!(r.validity, Validity::Unknown);
    assert!(r.unknown_reason.unwrap().contains("not transactions"));
    assert_eq!(r.anomalies.iter().filter(|a| a.kind == AnomalyKind::MalformedTxn).count(), 2, "{:?}", r.anomalies);
}

#[test]
fn a_value_written_twice_to_a_key_leaves_the_verdict_unknown() {
    let h = sequential(&[(1, "ok", json!([["append", "x", 1]])), (2, "ok", json!([["append", "x", 1]]))]);
    let r = append(&h, SER);
    assert_eq!(r.validity, Validity::Unknown);
    let reason = r.unknown_reason.unwrap();
    assert!(
        reason.contains("1 was appended to key \"x\" more than once (ops 1 and 3); list-append needs unique appends")
    );
    let h = sequential(&[(1, "ok", json!([["w", "x", 1]])), (2, "ok", json!([["w", "x", 1]]))]);
    let r = register(&h, SER);
    assert_eq!(r.validity, Validity::Unknown);
    let reason = r.unknown_reason.unwrap();
    assert!(reason.contains("1 was written to key \"x\" more than once (ops 1 and 3); rw-register needs unique writes"));
}

#[test]
fn rw_register_anomalies() {
    let lost = concurrent(&[
        (1, "ok", json!([["r", "x", null], ["w", "x", 1]])),
        (2, "ok", json!([["r", "x", null], ["w", "x", 2]])),
    ]);
    let r = register(&lost, ConsistencyModel::CursorStability);
    assert_found(&r, &["G2-item", "lost-update"], "lost-update", &["all read key \"x\" = nil and then wrote it"]);
    let g1c = concurrent(&[
        (1, "ok", json!([["w", "x", 1], ["r", "y", 1]])),
        (2, "ok", json!([["w", "y", 1], ["r", "x", 1]])),
    ]);
    assert_found(&register(&g1c, SER), &["G1c"], "G1c", &["read key \"x\" = 1, which T", "written once per key"]);
    let single = concurrent(&[
        (1, "ok", json!([["r", "x", null], ["r", "y", 1]])),
        (2, "ok", json!([["w", "x", 1], ["w", "y", 1]])),
    ]);
    assert_found(
        &register(&single, SER),
        &["G-single"],
        "G-single",
        &["nil (the initial state)", "nil precedes every"],
    );
    let skew = concurrent(&[
        (1, "ok", json!([["r", "x", null], ["w", "y", 1]])),
        (2, "ok", json!([["r", "y", null], ["w", "x", 1]])),
    ]);
    assert_found(&register(&skew, SER), &["G2-item"], "G2-item", &["T1 -rw-> T2 -rw-> T1"]);
    let aborted = concurrent(&[(1, "fail", json!([["w", "x", 1]])), (2, "ok", json!([["r", "x", 1]]))]);
    assert_found(&register(&aborted, SER), &["G1a"], "G1a", &["written by a failed txn"]);
    let mid = concurrent(&[(1, "ok", json!([["w", "x", 1], ["w", "x", 2]])), (2, "ok", json!([["r", "x", 1]]))]);
    assert_found(&register(&mid, SER), &["G-single", "G1b"], "G1b", &["intermediate write"]);
    let internal = concurrent(&[(1, "ok", json!([["w", "x", 1], ["r", "x", 2]]))]);
    let r = register(&internal, SER);
    assert!(types(&r).contains(&"internal".to_string()), "{:?}", r.anomalies);
    let garbage = concurrent(&[(1, "ok", json!([["r", "x", 9]]))]);
    assert_found(&register(&garbage, SER), &["garbage-read"], "garbage-read", &["no operation ever wrote"]);
    let fine = sequential(&[
        (1, "ok", json!([["w", "x", 1]])),
        (2, "ok", json!([["r", "x", 1], ["w", "x", 2]])),
        (1, "ok", json!([["r", "x", 2]])),
    ]);
    assert_eq!(register(&fine, ConsistencyModel::StrictSerializable).validity, Validity::Valid);
}

#[test]
fn budget_exhaustion_is_unknown_not_valid() {
    let h = concurrent(&[
        (1, "ok", json!([["r", "x", []], ["append", "y", 1]])),
        (2, "ok", json!([["r", "y", []], ["append", "x", 1]])),
    ]);
    let options = TxnOptions { consistency_model: SER, cycle_budget: Some(std::time::Duration::ZERO) };
    let r = check_list_append(&h, &options);
    assert_eq!(r.validity, Validity::Unknown, "{}", r.stats);
    assert!(r.unknown_reason.unwrap().contains("ran out of its time budget"));
}

/// The same anomalies, read from a file (so held flat), whatever the size of the values: their
/// own ids (small), interned one by one (a word each but past the limit), or two words each.
#[test]
fn flat_transactions_read_from_a_file_give_the_same_anomalies_whatever_their_values() {
    let mut found = Vec::new();
    for base in [100, 20_000_000, 5_000_000_000_i64] {
        let (a, b) = (base + 1, base + 2);
        let txns = [
            (1, "fail", json!([["append", 1, a]])),
            (2, "ok", json!([["append", 1, b]])),
            (3, "ok", json!([["r", 1, [a, b]], ["r", 2, []], ["r", 3, [a]]])),
            (4, "ok", json!([["append", 2, a], ["append", 3, a]])),
        ];
        let text: String = concurrent(&txns).ops.iter().map(|op| serde_json::to_string(op).unwrap() + "\n").collect();
        let h = checkers::history::load_str(&text, "h.jsonl").unwrap();
        assert!(h.ops.iter().all(|op| op.value.as_micro_ops().is_some()), "held flat");
        let r = append(&h, SER);
        assert_found(&r, &["G-single", "G1a", "dirty-update"], "G1a", &[&format!("including {a}")]);
        let g_single = r.anomalies.iter().find(|x| x.kind == AnomalyKind::named("G-single")).unwrap();
        found.push(g_single.explanation.replace(&a.to_string(), "A"));
    }
    assert!(found.iter().all(|e| *e == found[0]), "{found:#?}");
}
