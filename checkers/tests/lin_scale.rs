//! Large simulated histories: the checker decides them (valid when no bug is injected, invalid
//! when stale reads are). The 100k and 1M-op figures come from `cargo bench -p checkers --bench
//! history`.

use std::time::{Duration, Instant};

use checkers::linearizable::{check, ModelKind, Options};
use checkers::simulate::{simulate, SimConfig, Store};
use checkers::Validity;

fn run(config: &SimConfig, model: ModelKind) -> (Validity, Duration, serde_json::Value) {
    let history = simulate(config);
    let semantics = history.header.as_ref().unwrap().semantics;
    let started = Instant::now();
    let result = check(&history, model, &Options { semantics, ..Options::default() });
    let elapsed = started.elapsed();
    eprintln!("{config:?}: {} in {elapsed:?}, {}", result.validity, result.stats);
    (result.validity, elapsed, result.stats)
}

fn kv(ops: usize, processes: usize, seed: u64) -> SimConfig {
    SimConfig { store: Store::Kv { keys: 10 }, processes, ops, seed, ..SimConfig::default() }
}

#[test]
fn simulated_histories_without_bugs_are_valid() {
    for seed in 0..4 {
        let (validity, _, _) = run(&kv(10_000, 20, seed), ModelKind::CasRegister);
        assert_eq!(validity, Validity::Valid);
        let register = SimConfig { store: Store::Register, ops: 5_000, processes: 10, seed, ..SimConfig::default() };
        assert_eq!(run(&register, ModelKind::Register).0, Validity::Valid);
        let cas = SimConfig { store: Store::CasRegister, ops: 5_000, processes: 10, seed, ..SimConfig::default() };
        assert_eq!(run(&cas, ModelKind::CasRegister).0, Validity::Valid);
    }
}

#[test]
fn stale_reads_are_found() {
    for seed in 0..4 {
        let config = SimConfig { stale_read_rate: 0.01, values: 1000, ..kv(10_000, 20, seed) };
        assert_eq!(run(&config, ModelKind::CasRegister).0, Validity::Invalid);
    }
}
