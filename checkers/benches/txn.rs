//! List-append checker benchmark: generated histories from 10 to 10k active keys, 10 to 100
//! processes and 10k to 1M transactions, with and without injected anomalies; prints
//! transactions checked per second and peak memory.
//!
//! Histories come from a simulated strict-serializable store: processes invoke transactions
//! (1-4 micro-ops, reads and appends half each, keys drawn from a pool of active keys, each
//! key retired after 32 appends), and a transaction takes effect atomically when it
//! completes. Injected anomalies are stale reads (a read missing its key's last element),
//! one per 10k transactions.
//!
//! Run with `cargo bench -p checkers --bench txn` (add `-- quick` for the small sizes only).
//! Peak memory is the process's high-water resident set (VmHWM), reset before each check;
//! `check MiB` is that peak above the resident set holding the history. Throughput is given
//! per wall-clock second and per second of the process's CPU time, all threads (the machine is shared).

use std::time::Instant;

use checkers::txn::{check_list_append, ConsistencyModel, TxnOptions};

#[path = "common/mod.rs"]
mod common;
use common::{cpu_secs, generate, peak_mib, reset_peak, rss_mib, Config};

/// Checks one configuration and prints its row; run in a child process so that peak memory
/// is this check's alone.
fn one(c: &Config, model: ConsistencyModel) {
    let history = generate(c, 42);
    let before = rss_mib();
    reset_peak();
    let options = TxnOptions { consistency_model: model, cycle_budget: None };
    let (started, cpu) = (Instant::now(), cpu_secs());
    let result = check_list_append(&history, &options);
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    let peak = peak_mib();
    let found: Vec<String> = result.stats["counts"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k}:{v}")).collect())
        .unwrap_or_default();
    println!(
        "{:>6} {:>5} {:>8} {:>9} {:>20} {:>7.2} {:>9.0} {:>7.2} {:>9.0} {:>12.0} {:>10.0} {:>9.0}  {} {}",
        c.keys,
        c.processes,
        c.txns,
        c.anomalies,
        model.name(),
        secs,
        c.txns as f64 / secs,
        cpu,
        c.txns as f64 / cpu,
        before,
        peak - before,
        peak,
        result.validity,
        found.join(" ")
    );
    assert!(c.anomalies || result.validity == checkers::Validity::Valid, "{:?}", result.anomalies.first());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "one") {
        let n = |j: usize| args[i + j].parse::<usize>().expect("a number");
        let c = Config { keys: n(1), processes: n(2), txns: n(3), anomalies: args[i + 4] == "true" };
        one(&c, args[i + 5].parse().expect("a model"));
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    println!(
        "{:>6} {:>5} {:>8} {:>9} {:>20} {:>7} {:>9} {:>7} {:>9} {:>12} {:>10} {:>9}  verdict, anomalies found",
        "keys",
        "procs",
        "txns",
        "injected",
        "model",
        "wall s",
        "txn/s",
        "cpu s",
        "txn/cpu-s",
        "history MiB",
        "check MiB",
        "peak MiB"
    );
    for &(keys, processes, txns) in
        &[(10, 10, 10_000), (100, 10, 100_000), (1_000, 100, 100_000), (10, 10, 1_000_000), (10_000, 100, 1_000_000)]
    {
        if quick && txns > 100_000 {
            continue;
        }
        for anomalies in [false, true] {
            for model in ["serializable", "strict-serializable"] {
                let me = std::env::current_exe().expect("the bench binary");
                let config = [keys, processes, txns].map(|n| n.to_string());
                let status = std::process::Command::new(me)
                    .arg("one")
                    .args(config)
                    .arg(anomalies.to_string())
                    .arg(model)
                    .status()
                    .expect("run one configuration");
                assert!(status.success());
            }
        }
    }
}
