//! The workload checkers: every bank, counter, set, set-full and long-fork row of
//! `../shared/fixtures/MANIFEST.tsv` gets its listed verdict, and hand-built histories show
//! each anomaly detected and explained.

use std::path::PathBuf;

use checkers::history::{History, Op, OpType, Process};
use checkers::workload::{self, BankOptions, LongForkOptions, SetFullOptions};
use checkers::{CheckResult, Validity};
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn run(checker: &str, options: &str, history: &History) -> CheckResult {
    match checker {
        "bank" => {
            let negative_balances_allowed = options.contains("negative balances allowed");
            workload::bank(history, &BankOptions { negative_balances_allowed, total: None })
        }
        "counter" => workload::counter(history),
        "set" => workload::set(history),
        "set-full" => workload::set_full(history, &SetFullOptions::default()),
        "long-fork" => {
            let group_size = options.trim_start_matches("group size ").parse().expect("group size n");
            workload::long_fork(history, &LongForkOptions { group_size })
        }
        other => panic!("no checker {other}"),
    }
}

#[test]
fn manifest_workload_rows_get_their_verdicts() {
    let manifest = std::fs::read_to_string(fixtures().join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut rows = 0;
    let mut options_of_bank = String::new();
    for row in manifest.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if !["bank", "counter", "set", "set-full", "long-fork"].contains(&cols[1]) {
            continue;
        }
        // "same" refers to the row above.
        let options = if cols[2] == "same" { options_of_bank.clone() } else { cols[2].to_string() };
        options_of_bank = options.clone();
        let history = checkers::history::load_path(&fixtures().join(cols[0])).unwrap_or_else(|e| panic!("{e}"));
        let result = run(cols[1], &options, &history);
        assert_eq!(result.validity.as_str(), cols[3], "{}: {:?}", cols[0], result.anomalies);
        if result.validity == Validity::Invalid {
            assert!(!result.anomalies.is_empty() && result.anomalies.iter().all(|a| !a.explanation.is_empty()));
        }
        rows += 1;
    }
    assert_eq!(rows, 9);
}

#[test]
fn set_full_fixture_loses_element_zero_and_long_fork_is_explained() {
    let h = checkers::history::load_path(&fixtures().join("jepsen-checkers/set_full.edn")).unwrap();
    let r = workload::set_full(&h, &SetFullOptions::default());
    assert_eq!(r.stats["lost"], 1, "{}", r.stats);
    assert_eq!(r.stats["stable"], 292);
    assert!(r.anomalies[0].explanation.starts_with("0 of key 0 was known present"), "{}", r.anomalies[0].explanation);
    let h = checkers::history::load_path(&fixtures().join("jepsen-checkers/long-fork.edn")).unwrap();
    let r = workload::long_fork(&h, &LongForkOptions { group_size: 3 });
    assert_eq!(r.anomalies[0].kind.to_string(), "long-fork");
    assert!(
        r.anomalies[0].explanation.contains("saw the write to key 1 but not to key 2"),
        "{}",
        r.anomalies[0].explanation
    );
    // With groups of one key each, nothing is comparable across keys: no fork.
    assert_eq!(workload::long_fork(&h, &LongForkOptions { group_size: 1 }).validity, Validity::Valid);
}

/// Builds a history from (process, type, f, value) with times 1 s apart.
fn history(events: &[(u64, &str, &str, Value)]) -> History {
    let ops = events
        .iter()
        .enumerate()
        .map(|(i, (p, t, f, v))| Op {
            index: i as u64,
            time: i as u64 * 1_000_000_000,
            kind: OpType::parse(t).unwrap(),
            process: Process::Client(*p),
            f: (*f).into(),
            value: v.clone().into(),
            node: None,
            error: None,
        })
        .collect();
    History::from_ops(None, ops)
}

fn kinds(r: &CheckResult) -> Vec<String> {
    r.anomalies.iter().map(|a| a.kind.to_string()).collect()
}

#[test]
fn bank_flags_wrong_totals_and_negative_balances() {
    let h = history(&[
        (0, "invoke", "read", Value::Null),
        (0, "ok", "read", json!({"a": 10, "b": 10})),
        (0, "invoke", "read", Value::Null),
        (0, "ok", "read", json!({"a": 15, "b": 10})),
        (0, "invoke", "read", Value::Null),
        (0, "ok", "read", json!({"a": 22, "b": -2})),
    ]);
    let r = workload::bank(&h, &BankOptions::default());
    assert_eq!(r.validity, Validity::Invalid);
    assert_eq!(kinds(&r), vec!["wrong-total", "negative-balance"]);
    assert!(r.anomalies[0].explanation.contains("summing to 25, not the total 20"));
    let r = workload::bank(&h, &BankOptions { negative_balances_allowed: true, total: Some(25) });
    assert_eq!(kinds(&r), vec!["wrong-total", "wrong-total"]);
}

#[test]
fn counter_reads_must_lie_within_bounds() {
    let h = history(&[
        (0, "invoke", "add", json!(2)),
        (0, "ok", "add", json!(2)),
        (1, "invoke", "add", json!(5)),
        (2, "invoke", "read", Value::Null),
        (2, "ok", "read", json!(7)),
        (3, "invoke", "read", Value::Null),
        (3, "ok", "read", json!(1)),
        (1, "info", "add", json!(5)),
        (4, "invoke", "read", Value::Null),
        (4, "ok", "read", json!(8)),
    ]);
    let r = workload::counter(&h);
    assert_eq!(r.validity, Validity::Invalid);
    assert_eq!(r.anomalies.len(), 2, "{:?}", r.anomalies);
    assert!(
        r.anomalies[0].explanation.contains("returned 1") && r.anomalies[0].explanation.contains("between 2 and 7")
    );
    assert!(r.anomalies[1].explanation.contains("returned 8"));
}

#[test]
fn set_finds_lost_and_unexpected_elements() {
    let h = history(&[
        (0, "invoke", "add", json!(1)),
        (0, "ok", "add", json!(1)),
        (0, "invoke", "add", json!(2)),
        (0, "ok", "add", json!(2)),
        (1, "invoke", "add", json!(3)),
        (1, "info", "add", json!(3)),
        (2, "invoke", "read", Value::Null),
        (2, "ok", "read", json!([1, 3, 9])),
    ]);
    let r = workload::set(&h);
    assert_eq!(kinds(&r), vec!["unexpected", "lost"]);
    assert_eq!(r.stats["recovered"], 1);
}

#[test]
fn set_full_classifies_stale_lost_and_never_read() {
    let h = history(&[
        (0, "invoke", "add", json!(1)),
        (0, "ok", "add", json!(1)),
        (0, "invoke", "add", json!(2)),
        (0, "ok", "add", json!(2)),
        (1, "invoke", "read", Value::Null),
        (1, "ok", "read", json!([2])),
        (1, "invoke", "read", Value::Null),
        (1, "ok", "read", json!([1])),
        (0, "invoke", "add", json!(3)),
        (0, "ok", "add", json!(3)),
    ]);
    let r = workload::set_full(&h, &SetFullOptions::default());
    assert_eq!((r.stats["stable"].clone(), r.stats["stale"].clone()), (json!(1), json!(1)));
    assert_eq!((r.stats["lost"].clone(), r.stats["never_read"].clone()), (json!(1), json!(1)));
    assert_eq!(kinds(&r), vec!["lost"]);
    let r = workload::set_full(&h, &SetFullOptions { linearizable: true });
    assert_eq!(kinds(&r), vec!["stale", "lost"]);
}

#[test]
fn unique_ids_and_stats() {
    let h = history(&[
        (0, "invoke", "generate", Value::Null),
        (0, "ok", "generate", json!(1)),
        (1, "invoke", "generate", Value::Null),
        (1, "ok", "generate", json!(2)),
        (0, "invoke", "generate", Value::Null),
        (0, "ok", "generate", json!(1)),
        (2, "invoke", "read", Value::Null),
        (2, "fail", "read", Value::Null),
    ]);
    let r = workload::unique_ids(&h);
    assert_eq!(kinds(&r), vec!["duplicate-id"]);
    assert!(r.anomalies[0].explanation.contains("op 5 returned id 1, which op 1 had already returned"));
    let r = workload::stats(&h);
    assert_eq!(r.validity, Validity::Invalid);
    assert_eq!(kinds(&r), vec!["never-succeeded"]);
    assert_eq!(r.stats["by_f"]["generate"]["ok"], 3);
}

#[test]
fn malformed_values_are_unknown_not_panics() {
    let h = history(&[(0, "invoke", "read", Value::Null), (0, "ok", "read", json!("lots"))]);
    assert_eq!(workload::bank(&h, &BankOptions::default()).validity, Validity::Unknown);
    assert_eq!(workload::counter(&h).validity, Validity::Unknown);
    assert_eq!(workload::set(&h).validity, Validity::Unknown);
    assert_eq!(workload::set_full(&h, &SetFullOptions::default()).validity, Validity::Unknown);
}
