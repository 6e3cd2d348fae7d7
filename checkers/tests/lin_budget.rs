//! Budgets: a search that runs out of time or memory answers `unknown` with the reason, never
//! `valid`; a generous budget changes nothing.

use std::time::Duration;

use checkers::linearizable::{check, ModelKind, Options};
use checkers::simulate::{simulate, SimConfig, Store};
use checkers::{History, Validity};

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
