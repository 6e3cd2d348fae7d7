//! Transactional checkers in the manner of Elle: list-append and read-write registers.
//!
//! The pipeline: read transactions out of the history ([`parse`]); infer per-key version
//! orders and find the anomalies visible without cycles ([`list_append`], [`rw_register`]);
//! build the dependency graph (ww, wr, rw, plus process and real-time order when the model
//! needs them, [`graph`]); search each strongly connected component for the shortest cycle of
//! each class ([`cycle`]); explain each anomaly in words ([`explain`]); and say which
//! consistency models the history rules out ([`model`]).
//!
//! Transactions are never split by key. Committed (`ok`) and indeterminate (`info`)
//! transactions are in the graph; failed ones only serve to detect aborted reads.

mod cycle;
mod explain;
mod findings;
mod graph;
mod kv_map;
mod list_append;
pub mod model;
mod parse;
mod rw_register;

use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;
use serde_json::{json, Value};

use crate::anomaly_kind::AnomalyKind;
use crate::history::History;
use crate::verdict::{CheckResult, Validity};
use findings::Findings;
use graph::{Builder, PROCESS, REALTIME};
use kv_map::KvMap;
use parse::{Mop, MopFn, Shape, Status, Txns};

pub use model::{boundary, Boundary, ConsistencyModel, ALL_MODELS};

/// Options of the transactional checkers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOptions {
    /// The model to check against; serializable by default, as in Elle. Process-order
    /// edges are added when it (or a model it implies) forbids a `-process` anomaly,
    /// real-time edges when it forbids a `-realtime` one (strict serializability does).
    pub consistency_model: ConsistencyModel,
    /// Time allowed for cycle search; a class whose search does not finish is reported
    /// unknown. `None` searches to the end.
    pub cycle_budget: Option<Duration>,
}

impl Default for TxnOptions {
    fn default() -> Self {
        TxnOptions { consistency_model: ConsistencyModel::default(), cycle_budget: Some(Duration::from_secs(60)) }
    }
}

/// Why one edge exists: what it is about and which inference it rests on. `text` uses
/// `{a}` and `{b}` for the names of the edge's source and target.
pub(crate) struct EdgeWhy {
    key: Value,
    value: Value,
    text: String,
    why: &'static str,
}

/// What a data model (list-append, register) contributes to the pipeline.
pub(crate) trait Inference {
    /// Adds every ww, wr and rw edge.
    fn edges(&self, txns: &Txns, b: &mut Builder);
    /// Why edge `a -> b` of data kind `kind` exists, if it does.
    fn explain(&self, txns: &Txns, a: u32, b: u32, kind: u8) -> Option<EdgeWhy>;
    /// The assumptions behind the version orders, for the report.
    fn assumptions(&self) -> Vec<&'static str>;
}

/// A (key, value) pair of ids as one map key.
pub(crate) fn kv(key: u32, v: u32) -> u64 {
    (key as u64) << 32 | v as u64
}

/// Records txn `t` as the writer of micro-op `m`'s value in `writer`. Both models
/// name a version by the value written, so a value written twice to one key is reported as a
/// gap: the verdict cannot be valid.
pub(crate) fn record_writer(writer: &mut KvMap, txns: &Txns, t: u32, m: &Mop, out: &mut Findings) {
    let Some(prev) = writer.insert(m.key, m.val, t) else { return };
    let (done, model, needs) = match m.f {
        MopFn::Append => ("appended", "list-append", "appends"),
        _ => ("written", "rw-register", "writes"),
    };
    out.unknown(format!(
        "{} was {done} to key {} more than once (ops {} and {}); {model} needs unique {needs}",
        txns.values.show(m.val),
        txns.keys.show(m.key),
        txns.op_index(prev),
        txns.op_index(t)
    ));
}

/// Checks a list-append history: micro-ops `[append k v]` and `[r k list]`.
pub fn check_list_append(history: &History, options: &TxnOptions) -> CheckResult {
    check(history, options, Shape::List, "list-append")
}

/// Checks a read-write register history: micro-ops `[w k v]` and `[r k v]`, each value
/// written at most once per key, registers starting nil.
pub fn check_rw_register(history: &History, options: &TxnOptions) -> CheckResult {
    check(history, options, Shape::Register, "rw-register")
}

fn check(history: &History, options: &TxnOptions, shape: Shape, name: &str) -> CheckResult {
    let started = Instant::now();
    let model = options.consistency_model;
    let txns = parse::parse(history, shape);
    let mut found = Findings::default();
    for (pos, why) in &txns.malformed {
        found.add(
            AnomalyKind::MalformedTxn,
            vec![history.ops[*pos].index],
            format!("op {}: {why}", history.ops[*pos].index),
        );
        found.unknown(format!(
            "some ops are not transactions this checker understands (op {})",
            history.ops[*pos].index
        ));
    }
    let inference: Box<dyn Inference> = match shape {
        Shape::List => Box::new(list_append::ListAppend::infer(&txns, &mut found)),
        Shape::Register => Box::new(rw_register::Register::infer(&txns, &mut found)),
    };
    let (process, realtime) = (model.needs_process_order(), model.needs_realtime_order());
    let n = txns.txns.len();
    if 2 * n + 1 >= graph::MAX_NODES {
        found.unknown(format!("{n} transactions are more than the cycle search can index"));
        let gaps = Gaps { data: true, classes: Vec::new() };
        return finish(name, model, &txns, found, gaps, inference.as_ref(), json!({}), started);
    }
    let mut builder = Builder::new(n as u32);
    inference.edges(&txns, &mut builder);
    if process {
        process_edges(&txns, &mut builder);
    }
    if realtime {
        realtime_edges(history, &txns, &mut builder);
    }
    let g = builder.build(n as u32);
    let graph_stats = json!({"nodes": g.len(), "edges": g.edge_count(), "process": process, "realtime": realtime});
    let deadline = options.cycle_budget.map(|b| Instant::now() + b);
    let report = cycle::search(&g, process, realtime, deadline);
    for (class, cycles) in &report.cycles {
        for c in cycles {
            let (text, ops, detail) = explain::cycle(history, &txns, &g, inference.as_ref(), class, c);
            found.add_detailed(AnomalyKind::named(class), ops, text, detail);
        }
    }
    let data_gaps = !found.unknown.is_empty();
    for class in &report.timed_out {
        found.unknown(format!(
            "the search for {class} cycles ran out of its time budget of {:.3} s; raise it with --time-budget SECONDS",
            options.cycle_budget.unwrap_or_default().as_secs_f64()
        ));
    }
    let cycles = json!({"sccs": report.sccs, "largest_scc": report.largest_scc,
        "timed_out": report.timed_out.iter().collect::<Vec<_>>()});
    let mut stats = json!({"graph": graph_stats, "cycle_search": cycles});
    let unknown_classes: Vec<String> = report.timed_out.iter().cloned().collect();
    stats["unknown_searches"] = json!(unknown_classes);
    let gaps = Gaps { data: data_gaps, classes: unknown_classes };
    finish(name, model, &txns, found, gaps, inference.as_ref(), stats, started)
}

/// What the analysis could not cover.
struct Gaps {
    /// Some ops or assumptions could not be analysed (malformed values, duplicate writes).
    data: bool,
    /// Cycle classes whose search ran out of budget.
    classes: Vec<String>,
}

/// Turns findings into the result: the verdict under `model`, and what they say of models.
#[allow(clippy::too_many_arguments)]
fn finish(
    name: &str,
    model: ConsistencyModel,
    txns: &Txns,
    found: Findings,
    gaps: Gaps,
    inference: &dyn Inference,
    mut stats: Value,
    started: Instant,
) -> CheckResult {
    let types: Vec<&str> = found.counts.keys().map(String::as_str).filter(|k| *k != "malformed-txn").collect();
    let (forbidden, allowed): (Vec<&str>, Vec<&str>) = types.iter().partition(|a| model.forbids(a));
    let b = boundary(types.iter().copied());
    let unknown_forbidden = gaps.classes.iter().any(|c| model.forbids(c));
    let validity = if !forbidden.is_empty() {
        Validity::Invalid
    } else if unknown_forbidden || gaps.data {
        Validity::Unknown
    } else {
        Validity::Valid
    };
    let names = |ms: &[ConsistencyModel]| ms.iter().map(|m| m.name()).collect::<Vec<_>>();
    let count = |s: Status| txns.txns.iter().filter(|t| t.status == s).count();
    stats["model"] = json!(model.name());
    stats["txns"] = json!({"ok": count(Status::Ok), "info": count(Status::Info), "fail": count(Status::Fail)});
    stats["anomaly_types"] = json!(forbidden);
    stats["also_found"] = json!(allowed);
    stats["counts"] = json!(found.counts);
    stats["not"] = json!(names(&b.not));
    stats["also_not"] = json!(names(&b.also_not));
    stats["may_satisfy"] = json!(names(&b.may_satisfy));
    stats["assumptions"] = json!(inference.assumptions());
    stats["elapsed_ms"] = json!(started.elapsed().as_millis() as u64);
    let mut anomalies = Vec::new();
    let mut allowed_examples = Vec::new();
    for (kind, list) in found.examples {
        if model.forbids(&kind) || kind == "malformed-txn" {
            anomalies.extend(list);
        } else {
            allowed_examples.extend(list);
        }
    }
    stats["allowed_anomalies"] = serde_json::to_value(&allowed_examples).unwrap_or(Value::Null);
    let unknown_reason = (validity == Validity::Unknown).then(|| found.unknown.join("; "));
    CheckResult { checker: name.to_string(), validity, unknown_reason, anomalies, stats }
}

/// Each process's transactions, in order, linked one to the next.
fn process_edges(txns: &Txns, b: &mut Builder) {
    let mut last: FxHashMap<u64, u32> = Default::default();
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.status == Status::Fail {
            continue;
        }
        if let Some(prev) = last.insert(txn.process, t as u32) {
            b.link(prev, t as u32, PROCESS);
        }
    }
}

/// Real-time order in linear size: a moment node per committed completion, chained in
/// history order; a txn links to the moment of its completion, and the latest moment links to
/// each txn invoked after it. History order is time order (one sequencer stamps both).
fn realtime_edges(history: &History, txns: &Txns, b: &mut Builder) {
    // Per op position: the txn it invokes or completes (txns are numbered in invoke order).
    let mut at: Vec<u32> = vec![u32::MAX; history.ops.len()];
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.status == Status::Fail {
            continue;
        }
        at[txn.invoke as usize] = t as u32;
        if let (Status::Ok, Some(c)) = (txn.status, txn.complete) {
            at[c as usize] = t as u32;
        }
    }
    let mut moment: Option<u32> = None;
    for (pos, &t) in at.iter().enumerate() {
        if t == u32::MAX {
            continue;
        }
        if txns.txns[t as usize].invoke as usize != pos {
            let m = b.add_node();
            b.link(t, m, REALTIME);
            if let Some(prev) = moment {
                b.link(prev, m, REALTIME);
            }
            moment = Some(m);
        } else if let Some(m) = moment {
            b.link(m, t, REALTIME);
        }
    }
}
