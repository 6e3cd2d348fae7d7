//! Budgets: a search that runs out of time or memory answers `unknown` with the reason, never
//! `valid`; a generous budget changes nothing; a long search stops once another key is known
//! invalid.

use std::time::{Duration, Instant};

use checkers::history::{Op, OpType, Process, Value};
use checkers::linearizable::{check, ModelKind, Options};
use checkers::simulate::{simulate, SimConfig, Store};
use checkers::{History, Validity};
use serde_json::json;

/// Many processes, many crashed writes over three values, and stale reads: a long search.
fn hard() -> History {
    simulate(&SimConfig::long_search())
}

fn options(history: &History) -> Options {
    Options { semantics: history.header.as_ref().unwrap().semantics, ..Options::default() }
}

#[test]
fn a_tiny_time_budget_gives_unknown() {
    let history = hard();
    let result =
        check(&history, ModelKind::Register, &Options { time_budget: Some(Duration::ZERO), ..options(&history) });
    assert_eq!(result.validity, Validity::Unknown, "{result:?}");
    assert!(result.unknown_reason.unwrap().contains("time budget"));
    assert!(result.anomalies.is_empty());
}

#[test]
fn a_tiny_memory_budget_gives_unknown() {
    let history = hard();
    let result = check(&history, ModelKind::Register, &Options { memory_budget_bytes: Some(1), ..options(&history) });
    assert_eq!(result.validity, Validity::Unknown, "{result:?}");
    assert!(result.unknown_reason.unwrap().contains("memory budget of 1 bytes"));
}

#[test]
fn a_generous_budget_decides() {
    let history = simulate(&SimConfig {
        store: Store::Kv { keys: 10 },
        processes: 20,
        ops: 5_000,
        seed: 3,
        ..SimConfig::default()
    });
    let generous = Options {
        time_budget: Some(Duration::from_secs(120)),
        memory_budget_bytes: Some(1 << 30),
        ..options(&history)
    };
    let result = check(&history, ModelKind::CasRegister, &generous);
    assert_eq!(result.validity, Validity::Valid, "{result:?}");
    assert_eq!(result.unknown_reason, None);
}

/// A CAS register the simulated store kept linearizable (no stale reads), so valid, whose
/// search is long: 50 processes, 20k ops, 10% crashed, values 1..=5.
fn long_valid_cas() -> History {
    simulate(&SimConfig {
        store: Store::CasRegister,
        processes: 50,
        ops: 20_000,
        crash_rate: 0.1,
        values: 5,
        seed: 11,
        ..SimConfig::default()
    })
}

/// [`long_valid_cas`] as key 1 of an independent history, after a key 0 that reads a value
/// never written (invalid, refuted by value flow alone): the history is invalid.
fn one_invalid_key_beside_a_long_valid_one() -> History {
    let long = long_valid_cas();
    let op = |kind, process, f: &str, value: serde_json::Value| Op {
        index: 0,
        time: 0,
        kind,
        process: Process::Client(process),
        f: f.into(),
        value: value.into(),
        node: None,
        error: None,
    };
    let stranger = 1_000_000;
    let mut ops = vec![
        op(OpType::Invoke, stranger, "write", json!([0, 1])),
        op(OpType::Ok, stranger, "write", json!([0, 1])),
        op(OpType::Invoke, stranger, "read", json!([0, null])),
        op(OpType::Ok, stranger, "read", json!([0, 2])),
    ];
    ops.extend(long.ops.into_iter().map(|mut op| {
        op.value = Value::from(vec![Value::from(1), op.value]);
        op
    }));
    for (i, op) in ops.iter_mut().enumerate() {
        op.index = i as u64;
        op.time += i.min(4) as u64;
    }
    let mut header = long.header.expect("simulated histories have a header");
    header.semantics.independent = true;
    History::from_ops(Some(header), ops)
}

#[test]
fn long_searches_stop_once_another_key_is_known_invalid() {
    // Alone, the valid key needs a genuinely long search: tens of millions of steps, where each
    // key first gets a short search of 2^20 (counted in steps, not seconds: machines differ).
    let long = long_valid_cas();
    let alone = check(&long, ModelKind::CasRegister, &options(&long));
    assert_eq!(alone.validity, Validity::Valid, "{:?}", alone.stats);
    let alone_steps = alone.stats["steps"].as_u64().unwrap();
    assert!(alone_steps > 10 << 20, "{:?}", alone.stats);

    // Beside a key known invalid, its search stops at once: invalid, long before the budget.
    let history = one_invalid_key_beside_a_long_valid_one();
    let started = Instant::now();
    let budget = Options { time_budget: Some(Duration::from_secs(120)), ..options(&history) };
    let result = check(&history, ModelKind::CasRegister, &budget);
    assert_eq!(result.validity, Validity::Invalid, "{result:?}");
    assert_eq!(result.stats["partitions"], 2, "{:?}", result.stats);
    assert_eq!(result.stats["undecided_once_invalid"], 1, "{:?}", result.stats);
    assert!(result.stats["steps"].as_u64().unwrap() < alone_steps / 10, "stopped early: {:?}", result.stats);
    assert_eq!(result.anomalies.len(), 1, "{result:?}");
    let anomaly = &result.anomalies[0];
    assert!(anomaly.explanation.contains("read returned 2 (op 2) on key 0"), "{}", anomaly.explanation);
    assert_eq!(anomaly.ops, [2, 3]);
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
}
