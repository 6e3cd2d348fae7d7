//! Made-up histories of any size, with faults, for the render benchmark, demos and tests; a
//! one-line op constructor; and whole run folders as the runner leaves them. Deterministic: the
//! same arguments give the same history.

use std::path::Path;

use checkers::history::jsonl::HistoryWriter;
use checkers::history::{Header, Semantics, Value};
use checkers::{CheckResult, History, Op, OpType, Process};

use crate::record::{RunRecord, Stats};
use crate::{Bundle, BundleError, Link, RunMeta};

/// A client op of process `process` with a null value.
pub fn op(index: u64, time: u64, kind: OpType, process: u64, f: &str) -> Op {
    Op {
        index,
        time,
        kind,
        process: Process::Client(process),
        f: f.into(),
        value: Value::Null,
        node: None,
        error: None,
    }
}

/// A nemesis op with `value`.
pub fn nemesis_op(index: u64, time: u64, kind: OpType, f: &str, value: impl Into<Value>) -> Op {
    Op { index, time, kind, process: Process::nemesis(), f: f.into(), value: value.into(), node: None, error: None }
}

/// A small deterministic generator (xorshift64*), enough for made-up latencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

/// A register history of about `client_ops` client operations (invocations and completions
/// count as one) by `workers` workers over about `seconds` s, with a partition of 3 s every
/// 10 s (from 5 s on) healed by `heal`.
/// During a partition ops slow down and a share of them fail or time out (`info`, after which
/// the worker continues as a new process), so plots and fault tables have something to show.
pub fn register_history(client_ops: usize, workers: u64, seconds: u64, seed: u64) -> History {
    let mut rng = Rng(seed | 1);
    let workers = workers.max(1);
    let per_worker = client_ops.div_ceil(workers as usize);
    let period = seconds * SEC / per_worker.max(1) as u64;
    let in_fault = |t: u64| t % (10 * SEC) >= 5 * SEC && t % (10 * SEC) < 8 * SEC;
    let mut events: Vec<Op> = Vec::with_capacity(client_ops * 2 + 16);
    let mut last = 0;
    for w in 0..workers {
        let mut process = w;
        let mut t = rng.next() % MS;
        for k in 0..per_worker as u64 {
            t = t.max(k * period + rng.next() % (period / 2 + 1));
            let (f, value) = match rng.next() % 3 {
                0 => ("read", Value::Null),
                1 => ("write", Value::from(rng.next() % 5)),
                _ => ("cas", Value::from(vec![rng.next() % 5, rng.next() % 5])),
            };
            let mut invoke = op(0, t, OpType::Invoke, process, f);
            invoke.value = value.clone();
            let faulty = in_fault(t);
            let roll = rng.unit();
            let (kind, latency, result) = if faulty && roll < 0.2 {
                (OpType::Info, 500 * MS, value)
            } else if faulty && roll < 0.5 {
                (OpType::Fail, (2.0 * MS as f64 * (1.0 + 4.0 * rng.unit())) as u64, value)
            } else {
                let base = if faulty { 20.0 } else { 1.0 };
                let latency = (base * MS as f64 * (0.3 + 2.0 * rng.unit() * rng.unit())) as u64;
                let result = if f == "read" { Value::from(rng.next() % 5) } else { value };
                (OpType::Ok, latency, result)
            };
            let mut done = op(0, t + latency, kind, process, f);
            done.value = result;
            if kind == OpType::Info {
                done.error = Some("timeout".into());
            }
            events.push(invoke);
            events.push(done);
            t += latency + rng.next() % (MS / 2);
            last = last.max(t);
            if kind == OpType::Info {
                process += workers;
            }
        }
    }
    let mut fault_start = 5 * SEC;
    while fault_start < last {
        let targets = serde_json::json!({"nodes": ["n1", "n2"], "isolated": ["n3"]});
        events.push(nemesis_op(0, fault_start, OpType::Invoke, "partition", targets.clone()));
        events.push(nemesis_op(0, fault_start + 2 * MS, OpType::Info, "partition", targets));
        events.push(nemesis_op(0, fault_start + 3 * SEC, OpType::Invoke, "heal", Value::Null));
        events.push(nemesis_op(0, fault_start + 3 * SEC + 2 * MS, OpType::Info, "heal", Value::Null));
        fault_start += 10 * SEC;
    }
    // Stable sort by time keeps each process's invoke before its completion.
    events.sort_by_key(|op| op.time);
    for (i, op) in events.iter_mut().enumerate() {
        op.index = i as u64;
    }
    History::from_ops(None, events)
}

/// A run folder in `dir` laid out as `faultline test` leaves it, for tests and demos: a small
/// register history with a header (`history.jsonl`), `results.json` shaped like the runner's
/// (test, run id, seed, target, workload, verdict, exit code, stats, checker results),
/// `test.json`, `harness.log` and the HTML bundle.
pub fn run_folder(dir: &Path, test: &str, seed: u64, checked: &[CheckResult]) -> Result<Bundle, BundleError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Write(crate::fsx::FsxError::Io { path, source })
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut history = register_history(300, 3, 6, seed);
    let mut header = Header::new(test, seed, Semantics::default());
    header.target = Some("etcd".into());
    header.workload = Some("register".into());
    let path = dir.join("history.jsonl");
    let file = crate::fsx::create_new(&path)?;
    let mut writer = HistoryWriter::new(file, &header).map_err(io(&path))?;
    history.ops.iter().try_for_each(|op| writer.write(op)).map_err(io(&path))?;
    writer.finish().map_err(io(&path))?;
    history.header = Some(header);
    let client_ops = history.ops.iter().filter(|op| op.is_client() && op.kind != OpType::Invoke).count() as u64;
    let mut record = RunRecord::of_results(test, checked.to_vec());
    record.run_id = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    record.seed = Some(seed);
    record.target = Some("etcd".into());
    record.workload = Some("register".into());
    record.nodes = ["n1", "n2", "n3"].map(String::from).into();
    record.concurrency = Some(3);
    record.serializable = Some(false);
    record.stats = Stats { client_ops, ops_per_s: client_ops as f64 / 6.0, faults: 1, ..Stats::default() };
    let test_json = serde_json::json!({"name": test, "seed": seed, "target": "etcd", "workload": "register"});
    for (file, text) in [
        ("results.json", serde_json::to_string_pretty(&record).unwrap_or_default()),
        ("test.json", test_json.to_string()),
        ("harness.log", format!("sample run of {test}\n")),
    ] {
        crate::fsx::write_atomic(dir, file, text.as_bytes())?;
    }
    let mut meta = RunMeta::from_history(&history, test);
    meta.links = ["history.jsonl", "results.json", "test.json", "harness.log"].map(|f| Link::new(f, f)).into();
    crate::write(dir, &history, checked, &meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_history_is_valid_and_has_faults() {
        let h = register_history(2_000, 5, 12, 7);
        assert!(h.validate("sample").is_ok(), "{:?}", h.validate("sample"));
        assert!(h.ops.iter().any(|op| op.process == Process::nemesis()));
        assert!(h.ops.iter().any(|op| op.kind == OpType::Info && op.is_client()));
        assert!(h.ops.len() >= 4_000);
    }
}
