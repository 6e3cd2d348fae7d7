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

use checkers::history::{History, Op, OpType, Process};
use checkers::txn::{check_list_append, ConsistencyModel, TxnOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// One benchmark configuration.
struct Config {
    keys: usize,
    processes: usize,
    txns: usize,
    anomalies: bool,
}

/// A micro-op template: (append?, key, value).
type Template = Vec<(bool, u64, u64)>;

fn generate(c: &Config, seed: u64) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pool: Vec<u64> = (0..c.keys as u64).collect();
    let mut next_key = c.keys as u64;
    let mut state: rustc_hash::FxHashMap<u64, Vec<u64>> = Default::default();
    let mut next_value = 1u64;
    let mut running: Vec<Option<Template>> = vec![None; c.processes];
    let mut ops = Vec::with_capacity(c.txns * 2);
    let (mut invoked, mut time) = (0usize, 0u64);
    let mut stale_budget = 0usize;
    let push = |ops: &mut Vec<Op>, time: u64, p: usize, kind: OpType, value: Value| {
        let index = ops.len() as u64;
        ops.push(Op {
            index,
            time,
            kind,
            process: Process::Client(p as u64),
            f: "txn".into(),
            value: value.into(),
            node: None,
            error: None,
        });
    };
    while invoked < c.txns || running.iter().any(Option::is_some) {
        let p = rng.gen_range(0..c.processes);
        time += rng.gen_range(1_000..50_000);
        match running[p].take() {
            None if invoked < c.txns => {
                let mut t: Template = Vec::new();
                for _ in 0..rng.gen_range(1..=4) {
                    let slot = rng.gen_range(0..pool.len());
                    if rng.gen_bool(0.5) {
                        t.push((false, pool[slot], 0));
                    } else {
                        t.push((true, pool[slot], next_value));
                        next_value += 1;
                    }
                }
                let value = Value::Array(
                    t.iter()
                        .map(|&(a, k, v)| if a { json!(["append", k, v]) } else { json!(["r", k, null]) })
                        .collect(),
                );
                push(&mut ops, time, p, OpType::Invoke, value);
                running[p] = Some(t);
                invoked += 1;
                if c.anomalies && invoked % 10_000 == 0 {
                    stale_budget += 1;
                }
            }
            None => {}
            Some(t) => {
                let mut mops = Vec::with_capacity(t.len());
                for (append, k, v) in t {
                    let list = state.entry(k).or_default();
                    if append {
                        list.push(v);
                        mops.push(json!(["append", k, v]));
                        if list.len() >= 32 {
                            if let Some(slot) = pool.iter().position(|&x| x == k) {
                                pool[slot] = next_key;
                                next_key += 1;
                            }
                        }
                    } else if stale_budget > 0 && list.len() > 1 {
                        stale_budget -= 1;
                        mops.push(json!(["r", k, list[..list.len() - 1]]));
                    } else {
                        mops.push(json!(["r", k, list]));
                    }
                }
                push(&mut ops, time, p, OpType::Ok, Value::Array(mops));
            }
        }
    }
    History::from_ops(None, ops)
}

/// CPU time the process (all its threads) has used, in seconds: utime + stime from
/// `/proc/self/stat`, in clock ticks of 10 ms.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): state is field 3; utime, stime 14, 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / 100.0
}

/// Peak resident memory since the last reset, in MiB.
fn peak_mib() -> f64 {
    status_kib("VmHWM:") / 1024.0
}

/// Current resident memory, in MiB.
fn rss_mib() -> f64 {
    status_kib("VmRSS:") / 1024.0
}

fn status_kib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

/// Resets the high-water mark to the current resident set (Linux `clear_refs` 5).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

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
