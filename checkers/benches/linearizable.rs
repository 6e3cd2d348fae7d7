//! Linearizability checker benchmarks: every `linearizable` fixture of the manifest, and
//! simulated register and KV histories (5–50 processes, 1k–1M ops, 5% crashed, failed CAS).
//! One CAS register under 50 processes is measured at 2k ops only: at 20k ops with 5% crashed
//! ops its search can still take minutes (the search is exponential in concurrency; per-key
//! partitions keep KV histories fast). `tests/lin_contended.rs` measures those with a budget.
//!
//! `cargo bench -p checkers --bench linearizable`; add a filter (e.g. `kv/1000000`) for one.
// `criterion_group!` defines a public `benches` it cannot document.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use checkers::history::{load_path, History, Semantics};
use checkers::linearizable::{check, ModelKind, Options};
use checkers::simulate::{simulate, SimConfig, Store};
use checkers::Validity;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::json;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

/// Every linearizable fixture with the model and options its manifest row gives.
fn fixture_set() -> Vec<(History, ModelKind, Options)> {
    let manifest = std::fs::read_to_string(fixtures().join("MANIFEST.tsv")).expect("MANIFEST.tsv beside the project");
    manifest
        .lines()
        .skip(1)
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|cols| cols.get(1) == Some(&"linearizable"))
        .map(|cols| {
            let (path, spec) = (cols[0], cols[2]);
            let model: ModelKind = spec.split_whitespace().next().unwrap_or_default().parse().expect("a model name");
            let init = if spec.contains("{x 0, y 0}") {
                Some(json!({"x": 0, "y": 0}))
            } else if spec.contains("init 0") && !path.contains("/rethink-") {
                Some(json!(0))
            } else {
                None
            };
            let semantics = Semantics { independent: spec.contains("--independent"), ..Semantics::default() };
            let history = load_path(&fixtures().join(path)).expect("a loadable fixture");
            (history, model, Options { semantics, init, ..Options::default() })
        })
        .collect()
}

fn bench_fixtures(c: &mut Criterion) {
    let set = fixture_set();
    c.bench_function("fixtures/all-linearizable", |b| {
        b.iter(|| set.iter().filter(|(h, m, o)| check(h, *m, o).validity == Validity::Invalid).count())
    });
}

fn bench_simulated(c: &mut Criterion) {
    let cases = [
        ("register", Store::Register, ModelKind::Register, 5, 1_000),
        ("register", Store::Register, ModelKind::Register, 20, 10_000),
        ("cas-register", Store::CasRegister, ModelKind::CasRegister, 5, 10_000),
        ("cas-register", Store::CasRegister, ModelKind::CasRegister, 50, 2_000),
        ("kv", Store::Kv { keys: 10 }, ModelKind::CasRegister, 20, 10_000),
        ("kv", Store::Kv { keys: 10 }, ModelKind::CasRegister, 20, 100_000),
        ("kv", Store::Kv { keys: 10 }, ModelKind::CasRegister, 50, 100_000),
        ("kv", Store::Kv { keys: 10 }, ModelKind::CasRegister, 20, 1_000_000),
    ];
    let mut group = c.benchmark_group("simulated");
    group.sample_size(10).warm_up_time(Duration::from_millis(500));
    for (name, store, model, processes, ops) in cases {
        let config = SimConfig { store, processes, ops, crash_rate: 0.05, seed: 7, ..SimConfig::default() };
        let history = simulate(&config);
        let semantics = history.header.as_ref().map(|h| h.semantics).unwrap_or_default();
        let options = Options { semantics, ..Options::default() };
        group.throughput(Throughput::Elements(ops as u64));
        group.bench_with_input(BenchmarkId::new(format!("{name}/{processes}p"), ops), &history, |b, h| {
            b.iter(|| check(h, model, &options).validity)
        });
    }
    group.finish();
}

criterion_group!(benches, bench_fixtures, bench_simulated);
criterion_main!(benches);
