//! One CAS-register key under 50 processes with crashed ops: the shape of an etcd key in a run
//! with kills and partitions, where the search is exponential in the crashed ops that pile up
//! (each stays concurrent with everything after it).
//!
//! The check: 2k ops with 5% crashed and 20k ops without crashes are decided (seed 11, 5
//! values, a 30 s budget so a blow-up reads as `unknown` instead of hanging). The measurements
//! of every crash rate, stale reads and unique values are in `cargo bench -p checkers --bench
//! history`. With unique values (seed 11, 20k ops, 10% crashed) the greedy linearization
//! builder must decide the valid history and value flow the one with a stale read, neither
//! taking a search step.

use std::time::{Duration, Instant};

use checkers::linearizable::{check, ModelKind, Options};
use checkers::simulate::{simulate, SimConfig, Store};
use checkers::Validity;

/// One CAS register, 50 processes.
fn contended(ops: usize, crash_rate: f64, stale_read_rate: f64) -> SimConfig {
    SimConfig {
        store: Store::CasRegister,
        processes: 50,
        ops,
        crash_rate,
        stale_read_rate,
        seed: 11,
        values: 5,
        ..SimConfig::default()
    }
}

/// Checks `config`'s history within `budget`: verdict, time, and the search's figures.
fn run(config: &SimConfig, model: ModelKind, budget: Duration) -> Validity {
    let history = simulate(config);
    let semantics = history.header.as_ref().unwrap().semantics;
    let options = Options { semantics, time_budget: Some(budget), ..Options::default() };
    let started = Instant::now();
    let result = check(&history, model, &options);
    let stats = &result.stats;
    eprintln!(
        "{model} {:>6} ops, {} values, crash {:.2}, stale {:.2}: {:<7} in {:>8.1} ms, memo {:>9} states, {:>10} steps, \
         {} crashed ({} dropped)",
        config.ops,
        config.values,
        config.crash_rate,
        config.stale_read_rate,
        result.validity.to_string(),
        started.elapsed().as_secs_f64() * 1e3,
        stats["states"],
        stats["steps"],
        stats["crashed"],
        stats["crashed_dropped"],
    );
    result.validity
}

#[test]
fn one_cas_key_50_processes_is_decided() {
    assert_eq!(run(&contended(2_000, 0.05, 0.0), ModelKind::CasRegister, Duration::from_secs(30)), Validity::Valid);
    assert_eq!(run(&contended(20_000, 0.0, 0.0), ModelKind::CasRegister, Duration::from_secs(30)), Validity::Valid);
}

/// With unique values (as faultline's register workload writes them), the greedy builder
/// decides the valid histories the search finds hardest, 50 processes, 20k ops, 10% crashed, on
/// its own (no search step), and the same history with one stale read stays invalid.
#[test]
fn unique_values_are_decided_without_the_search() {
    for stale in [false, true] {
        let config =
            SimConfig { unique_values: true, crash_rate: 0.10, one_stale_read: stale, ..contended(20_000, 0.0, 0.0) };
        let history = simulate(&config);
        let semantics = history.header.as_ref().unwrap().semantics;
        let options = Options { semantics, time_budget: Some(Duration::from_secs(60)), ..Options::default() };
        let result = check(&history, ModelKind::CasRegister, &options);
        assert_eq!(result.validity, if stale { Validity::Invalid } else { Validity::Valid }, "stale read: {stale}");
        assert_eq!(result.stats["steps"], 0, "decided without the search (stale read: {stale})");
        assert_eq!(result.stats["witnessed"], u64::from(!stale), "stale read: {stale}");
    }
}
