//! Seeded histories from a simulated concurrent store: a register, a CAS register, or a
//! key-value store of independent CAS registers, driven by N client processes whose ops take
//! effect at a random moment between invocation and completion (so the history is linearizable
//! unless a bug is injected), with crashed ops (`info`, applied or not), CAS ops that fail with
//! `mismatch`, and optionally stale reads (a read returns an overwritten value).
//!
//! Used by the linearizability tests and benchmarks, and by `faultline bench`. The same config
//! and seed always give the same history.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::history::{FailedCas, Header, History, NilRead, Op, OpType, Process, Semantics};

/// What the simulated store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// One register: read and write.
    Register,
    /// One register: read, write and compare-and-set.
    CasRegister,
    /// This many independent CAS registers; values are `[key value]`, the header says
    /// `independent`.
    Kv {
        /// Number of keys.
        keys: u32,
    },
}

/// How to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// The store.
    pub store: Store,
    /// Concurrent client processes (a crashed process is replaced by a new one).
    pub processes: usize,
    /// Operations to invoke in all.
    pub ops: usize,
    /// Fraction of ops that crash (end `info`); half of them took effect.
    pub crash_rate: f64,
    /// Fraction of reads that return an overwritten value instead of the current one (a bug).
    pub stale_read_rate: f64,
    /// Writes pick values from `1..=values` (small domains make the search harder).
    pub values: u32,
    /// The seed every random choice flows from.
    pub seed: u64,
    /// Every write and CAS writes a value never written before to its key (as faultline's own
    /// register workloads do); CAS compares against the current value half the time.
    pub unique_values: bool,
    /// Inject exactly one stale read: the first write writes a marker value no other op writes
    /// (`0`, outside `1..=values`) and never crashes, and the first read after half the ops
    /// returns that marker once it has been overwritten.
    pub one_stale_read: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            store: Store::CasRegister,
            processes: 5,
            ops: 1000,
            crash_rate: 0.05,
            stale_read_rate: 0.0,
            values: 5,
            seed: 0,
            unique_values: false,
            one_stale_read: false,
        }
    }
}

impl SimConfig {
    /// A register history whose linearizability search is long (50 processes, 20k ops, 30% of
    /// them crashed, writes over three values, 1% stale reads): what budget tests run out on.
    pub fn long_search() -> SimConfig {
        SimConfig {
            store: Store::Register,
            processes: 50,
            ops: 20_000,
            crash_rate: 0.3,
            stale_read_rate: 0.01,
            values: 3,
            seed: 11,
            ..SimConfig::default()
        }
    }
}

/// An op a process has invoked and not completed.
struct InFlight {
    f: &'static str,
    key: u32,
    arg: Value,
    /// Set once the op took effect: what it returned, and whether a CAS compare failed.
    result: Option<(Value, bool)>,
    /// Whether it will end `info`.
    crash: bool,
}

struct Client {
    process: u64,
    op: Option<InFlight>,
}

/// The store's state: each key's current value and the values it held before.
struct Data {
    current: Vec<Value>,
    past: Vec<Vec<Value>>,
    /// With `one_stale_read`: the marker value, and whether the stale read has happened.
    marker: Option<(Value, bool)>,
}

impl Data {
    fn apply(&mut self, op: &InFlight, stale: bool, rng: &mut ChaCha8Rng) -> (Value, bool) {
        let k = op.key as usize;
        match op.f {
            "read" if self.marker.as_ref().is_some_and(|(m, done)| !done && stale && self.current[k] != *m) => {
                let marker = self.marker.as_mut().map(|(m, done)| {
                    *done = true;
                    m.clone()
                });
                (marker.unwrap_or_default(), false)
            }
            "read" if stale && self.marker.is_none() && !self.past[k].is_empty() => {
                (self.past[k][rng.gen_range(0..self.past[k].len())].clone(), false)
            }
            "read" => (self.current[k].clone(), false),
            "write" => {
                let old = std::mem::replace(&mut self.current[k], op.arg.clone());
                self.past[k].push(old);
                (op.arg.clone(), false)
            }
            _ => {
                if self.current[k] == op.arg[0] {
                    let old = std::mem::replace(&mut self.current[k], op.arg[1].clone());
                    self.past[k].push(old);
                    (op.arg.clone(), false)
                } else {
                    (op.arg.clone(), true)
                }
            }
        }
    }
}

/// Simulates a history; see the module documentation.
pub fn simulate(config: &SimConfig) -> History {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let keys = match config.store {
        Store::Kv { keys } => keys.max(1),
        _ => 1,
    };
    let independent = matches!(config.store, Store::Kv { .. });
    let cas = config.store != Store::Register;
    let values = config.values.max(1);
    let semantics = Semantics { nil_read: NilRead::Absent, failed_cas: FailedCas::Observed, independent };
    let mut header = Header::new("simulate", config.seed, semantics);
    header.workload = Some(
        if independent {
            "kv"
        } else if cas {
            "cas-register"
        } else {
            "register"
        }
        .to_string(),
    );

    let mut data =
        Data { current: vec![Value::Null; keys as usize], past: vec![Vec::new(); keys as usize], marker: None };
    let mut fresh = values as u64;
    let mut clients: Vec<Client> =
        (0..config.processes.max(1) as u64).map(|process| Client { process, op: None }).collect();
    let mut next_process = clients.len() as u64;
    let mut ops = Vec::with_capacity(config.ops * 2);
    let (mut invoked, mut time) = (0usize, 0u64);
    let wrap = |key: u32, v: Value| if independent { json!([key, v]) } else { v };
    loop {
        let busy = clients.iter().filter(|c| c.op.is_some()).count();
        if invoked == config.ops && busy == 0 {
            break;
        }
        let c = rng.gen_range(0..clients.len());
        time += rng.gen_range(1..2_000_000);
        let client = &mut clients[c];
        let Some(op) = client.op.as_mut() else {
            if invoked == config.ops {
                continue;
            }
            let roll = rng.gen_range(0..4);
            let key = rng.gen_range(0..keys);
            let seen_max = values.max(fresh as u32);
            let mut value = |rng: &mut ChaCha8Rng| {
                if config.unique_values {
                    fresh += 1;
                    json!(fresh)
                } else {
                    json!(rng.gen_range(1..=values))
                }
            };
            let (f, mut arg) = match roll {
                0 | 1 => ("read", Value::Null),
                2 => ("write", value(&mut rng)),
                _ if !cas => ("write", value(&mut rng)),
                _ if config.unique_values && rng.gen_bool(0.5) => {
                    ("cas", json!([data.current[key as usize], value(&mut rng)]))
                }
                _ => ("cas", json!([rng.gen_range(1..=seen_max), value(&mut rng)])),
            };
            let mut crash = rng.gen_bool(config.crash_rate.clamp(0.0, 1.0));
            if config.one_stale_read && f == "write" && data.marker.is_none() {
                arg = json!(0);
                crash = false;
                data.marker = Some((arg.clone(), false));
            }
            ops.push(record(ops.len(), time, OpType::Invoke, client.process, f, wrap(key, arg.clone()), None));
            client.op = Some(InFlight { f, key, arg, result: None, crash });
            invoked += 1;
            continue;
        };
        if op.result.is_none() && !(op.crash && rng.gen_bool(0.5)) {
            let stale = op.f == "read"
                && (rng.gen_bool(config.stale_read_rate.clamp(0.0, 1.0))
                    || (config.one_stale_read && invoked * 2 >= config.ops));
            op.result = Some(data.apply(op, stale, &mut rng));
            continue;
        }
        let (kind, value, error) = match &op.result {
            _ if op.crash => (OpType::Info, wrap(op.key, op.arg.clone()), None),
            Some((_, true)) => (OpType::Fail, wrap(op.key, op.arg.clone()), Some("mismatch".to_string())),
            Some((seen, false)) => (OpType::Ok, wrap(op.key, seen.clone()), None),
            None => continue, // not reached: an op that does not crash takes effect first
        };
        ops.push(record(ops.len(), time, kind, client.process, op.f, value, error));
        client.op = None;
        if kind == OpType::Info {
            client.process = next_process;
            next_process += 1;
        }
    }
    History::from_ops(Some(header), ops)
}

fn record(index: usize, time: u64, kind: OpType, process: u64, f: &str, value: Value, error: Option<String>) -> Op {
    Op {
        index: index as u64,
        time,
        kind,
        process: Process::Client(process),
        f: f.into(),
        value: value.into(),
        node: None,
        error: error.map(Into::into),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::validate;

    #[test]
    fn histories_are_valid_repeatable_and_have_crashes_and_mismatches() {
        let config = SimConfig { ops: 2000, processes: 8, store: Store::Kv { keys: 4 }, ..SimConfig::default() };
        let a = simulate(&config);
        let b = simulate(&config);
        assert_eq!(a.ops, b.ops);
        assert!(validate::violations(&a.ops).is_empty());
        assert_eq!(a.ops.iter().filter(|o| o.kind == OpType::Invoke).count(), 2000);
        let info = a.ops.iter().filter(|o| o.kind == OpType::Info).count();
        assert!((50..=150).contains(&info), "{info} crashed");
        assert!(a.ops.iter().any(|o| o.error.as_deref() == Some("mismatch")));
        assert!(a.header.as_ref().unwrap().semantics.independent);
    }
}
