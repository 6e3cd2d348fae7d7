//! What the benchmarks share: the list-append history generator of the `txn` bench and
//! readings of this process's CPU time and memory from `/proc/self`.

use checkers::history::{History, Op, OpType, Process};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// One benchmark configuration.
pub struct Config {
    pub keys: usize,
    pub processes: usize,
    pub txns: usize,
    pub anomalies: bool,
}

/// A micro-op template: (append?, key, value).
type Template = Vec<(bool, u64, u64)>;

pub fn generate(c: &Config, seed: u64) -> History {
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
pub fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): state is field 3; utime, stime 14, 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest.split_whitespace().map(|f| f.parse().unwrap_or(0.0)).collect();
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / 100.0
}

/// Peak resident memory since the last reset, in MiB.
pub fn peak_mib() -> f64 {
    status_kib("VmHWM:") / 1024.0
}

/// Current resident memory, in MiB.
pub fn rss_mib() -> f64 {
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
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
