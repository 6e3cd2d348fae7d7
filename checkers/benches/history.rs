//! Big histories and hard linearizability cases, whole process from the file: prints time and
//! peak memory per case so the next change can be compared (issue 18).
//!
//! - **Files**: 1M list-append transactions (the `txn` bench's generator, 10k keys, 100
//!   processes) written as faultline JSONL and as Jepsen EDN (one map per line), and a 100k-op
//!   register history (10 independent keys, 20 processes) as EDN. Each is loaded and checked
//!   in a fresh child process: load time and rate (per wall-clock and per CPU second: the
//!   machine is shared), bytes per op in memory (ops plus their
//!   values' heap; strings shared), check time, total and peak resident memory (VmHWM). Each
//!   file is run three times; the row printed is the median run by total time, with the range.
//! - **CAS register**: one key, P = 10 and 50 processes, 2k and 20k ops, 0/5/10% crashed
//!   (seed 11), each valid and with one stale read of a value written exactly once, with
//!   unique values per key and with values from 1..=5; each check has a 10 s time budget, so a
//!   case that is not decided prints `unknown`. `no search` counts the partitions decided
//!   before the search: by value flow (invalid) or by the greedy linearization builder (valid,
//!   unique values only).
//!
//! - **Scale**: 10 independent CAS keys, 20 processes, 5% crashed, 100k and 1M ops (in memory,
//!   60 s budget).
//!
//! Run with `cargo bench -p checkers --bench history` (add `-- quick` for 100k transactions,
//! `-- files-only` for the file rows alone, `-- keep DIR` to write the files into DIR and keep
//! them, e.g. to profile one load with `history file DIR/list-append-1000000.jsonl list-append`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use checkers::history::{jsonl::HistoryWriter, load_path, Header, History, Op, Semantics, Value};
use checkers::linearizable::{check, ModelKind, Options};
use checkers::simulate::{simulate, SimConfig, Store};
use checkers::txn::{check_list_append, ConsistencyModel, TxnOptions};

#[path = "common/mod.rs"]
mod common;
use common::{cpu_secs, generate, peak_mib, reset_peak, rss_mib, Config};

/// Writes `history` as Jepsen EDN, one op map per line (keywords for strings, as Jepsen does).
fn write_edn(history: &History, path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create the EDN file"));
    for op in &history.ops {
        let mut value = String::new();
        edn(&op.value, &mut value);
        writeln!(
            out,
            "{{:index {}, :time {}, :type :{}, :process {}, :f :{}, :value {value}}}",
            op.index,
            op.time,
            op.kind.as_str(),
            op.process,
            op.f
        )
        .expect("write EDN");
    }
}

fn edn(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("nil"),
        Value::String(s) => {
            out.push(':');
            out.push_str(s);
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                edn(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn write_jsonl(history: &History, path: &Path) {
    let header = history.header.clone().unwrap_or_else(|| Header::new("bench", 42, Semantics::default()));
    let file = std::fs::File::create(path).expect("create the JSONL file");
    let mut writer = HistoryWriter::new(file, &header).expect("write the header");
    for op in &history.ops {
        writer.write(op).expect("write an op");
    }
    writer.finish().expect("flush");
}

/// Bytes the loaded ops hold: each op inline, its value's heap, and its place (4 bytes).
fn bytes_per_op(history: &History) -> f64 {
    let total: usize = history.ops.iter().map(|op| size_of::<Op>() + op.value.heap_bytes() + 4).sum();
    total as f64 / history.ops.len().max(1) as f64
}

/// Loads and checks one file (in a child process): one row.
fn file_case(path: &Path, checker: &str) {
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len()) as f64;
    let rss_before = rss_mib();
    let (started, load_cpu) = (Instant::now(), cpu_secs());
    let history = load_path(path).unwrap_or_else(|e| panic!("{e}"));
    let load = started.elapsed().as_secs_f64();
    let load_cpu = cpu_secs() - load_cpu;
    let rss_loaded = rss_mib() - rss_before;
    let (check_started, cpu) = (Instant::now(), cpu_secs());
    let verdict = match checker {
        "list-append" => {
            let options = TxnOptions { consistency_model: ConsistencyModel::Serializable, cycle_budget: None };
            check_list_append(&history, &options).validity
        }
        _ => {
            let semantics = Semantics { independent: true, ..Semantics::default() };
            check(&history, ModelKind::CasRegister, &Options { semantics, ..Options::default() }).validity
        }
    };
    let checked = check_started.elapsed().as_secs_f64();
    println!(
        "{:<28} {:>7.1} {:>8} {:>7.2} {:>7.1} {:>9.1} {:>9.0} {:>9.0} {:>7.2} {:>7.2} {:>7.2} {:>8.0}  {verdict}",
        path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
        bytes / 1e6,
        history.ops.len(),
        load,
        bytes / 1e6 / load,
        bytes / 1e6 / load_cpu.max(0.01),
        bytes_per_op(&history),
        rss_loaded * 1024.0 * 1024.0 / history.ops.len().max(1) as f64,
        checked,
        cpu_secs() - cpu,
        started.elapsed().as_secs_f64(),
        peak_mib(),
    );
}

/// One CAS-register case (in a child process): one row.
fn cas_case(processes: usize, ops: usize, crash_rate: f64, stale: bool, unique: bool) {
    let config = SimConfig {
        store: Store::CasRegister,
        processes,
        ops,
        crash_rate,
        values: 5,
        seed: 11,
        unique_values: unique,
        one_stale_read: stale,
        ..SimConfig::default()
    };
    let history = simulate(&config);
    let semantics = history.header.as_ref().map(|h| h.semantics).unwrap_or_default();
    reset_peak();
    let budget = Duration::from_secs(10);
    let started = Instant::now();
    let result = check(
        &history,
        ModelKind::CasRegister,
        &Options { semantics, time_budget: Some(budget), ..Options::default() },
    );
    println!(
        "{:>5} {:>6} {:>6.2} {:>6} {:>7} {:>8} {:>8.3} {:>8.0} {:>9}  {}",
        processes,
        ops,
        crash_rate,
        stale,
        if unique { "unique" } else { "1..=5" },
        result.validity.to_string(),
        started.elapsed().as_secs_f64(),
        peak_mib(),
        result.stats["decided_without_search"],
        result.unknown_reason.unwrap_or_default(),
    );
}

/// Many independent keys (in a child process): one row.
fn kv_case(ops: usize) {
    let config = SimConfig { store: Store::Kv { keys: 10 }, processes: 20, ops, seed: 1, ..SimConfig::default() };
    let history = simulate(&config);
    let semantics = history.header.as_ref().map(|h| h.semantics).unwrap_or_default();
    reset_peak();
    let started = Instant::now();
    let budget = Some(Duration::from_secs(60));
    let result =
        check(&history, ModelKind::CasRegister, &Options { semantics, time_budget: budget, ..Options::default() });
    println!(
        "kv 10 keys, 20 processes, {ops:>8} ops: {} in {:.2} s, peak {:.0} MiB",
        result.validity,
        started.elapsed().as_secs_f64(),
        peak_mib()
    );
}

/// Runs a file case [`RUNS`] times and prints the row whose total time is the median, with
/// the least and most totals: the machine is shared, and one slow run says little.
fn median_row(args: &[String]) {
    let me = std::env::current_exe().expect("the bench binary");
    let mut rows: Vec<(f64, String)> = (0..RUNS)
        .map(|_| {
            let out = Command::new(&me).args(args).output().expect("run a file case");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let row = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
            (row.split_whitespace().nth(TOTAL_COLUMN).and_then(|t| t.parse().ok()).unwrap_or(f64::MAX), row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (least, most) = (rows[0].0, rows[RUNS - 1].0);
    println!("{}  (total of {RUNS} runs: {least:.2}-{most:.2} s)", rows[RUNS / 2].1);
}

/// How many times each file is loaded and checked.
const RUNS: usize = 3;
/// The column of a file row that holds its total time.
const TOTAL_COLUMN: usize = 10;

fn child(args: &[String]) -> bool {
    let me = std::env::current_exe().expect("the bench binary");
    Command::new(me).args(args).status().is_ok_and(|s| s.success())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "file") {
        file_case(Path::new(&args[i + 1]), &args[i + 2]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "cas") {
        let n = |j: usize| args[i + j].parse::<f64>().expect("a number");
        cas_case(n(1) as usize, n(2) as usize, n(3), args[i + 4] == "true", args[i + 5] == "true");
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "kv") {
        kv_case(args[i + 1].parse().expect("a number of ops"));
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    let temporary = tempfile::tempdir().expect("a temporary folder");
    let dir = match args.iter().position(|a| a == "keep") {
        Some(i) => PathBuf::from(&args[i + 1]),
        None => temporary.path().to_path_buf(),
    };
    let txns = if quick { 100_000 } else { 1_000_000 };
    let append = generate(&Config { keys: 10_000, processes: 100, txns, anomalies: false }, 42);
    let register = simulate(&SimConfig {
        store: Store::Kv { keys: 10 },
        processes: 20,
        ops: 100_000,
        seed: 1,
        ..SimConfig::default()
    });
    let files: Vec<(PathBuf, &str)> = vec![
        (dir.join(format!("list-append-{txns}.jsonl")), "list-append"),
        (dir.join(format!("list-append-{txns}.edn")), "list-append"),
        (dir.join("register-100k.edn"), "cas-register"),
    ];
    write_jsonl(&append, &files[0].0);
    write_edn(&append, &files[1].0);
    write_edn(&register, &files[2].0);
    drop((append, register));
    println!(
        "{:<28} {:>7} {:>8} {:>7} {:>7} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>8}  verdict",
        "file",
        "MB",
        "ops",
        "load s",
        "MB/s",
        "MB/cpu-s",
        "B/op heap",
        "B/op RSS",
        "check s",
        "cpu s",
        "total s",
        "peak MiB"
    );
    for (path, checker) in &files {
        median_row(&["file".to_string(), path.display().to_string(), checker.to_string()]);
    }
    if args.iter().any(|a| a == "files-only") {
        return;
    }
    println!();
    for ops in [100_000, 1_000_000] {
        if !quick || ops <= 100_000 {
            assert!(child(&["kv".to_string(), ops.to_string()]));
        }
    }
    println!();
    println!(
        "{:>5} {:>6} {:>6} {:>6} {:>7} {:>8} {:>8} {:>8} {:>9}  unknown because",
        "procs", "ops", "crash", "stale", "values", "verdict", "secs", "peak MiB", "no search"
    );
    for unique in [true, false] {
        for processes in [10, 50] {
            for ops in [2_000, 20_000] {
                for crash in [0.0, 0.05, 0.10] {
                    for stale in [false, true] {
                        let args = ["cas", &processes.to_string(), &ops.to_string(), &crash.to_string()]
                            .map(str::to_string)
                            .into_iter()
                            .chain([stale.to_string(), unique.to_string()])
                            .collect::<Vec<_>>();
                        assert!(child(&args));
                    }
                }
            }
        }
    }
}
