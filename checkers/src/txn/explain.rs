//! Cycles in words: each edge says what happened and which inference it rests on, then the
//! cycle is drawn as `T1 -rw-> T2 -wr-> T1` with each name tied to its op.

use serde_json::{json, Value};

use super::cycle::Cycle;
use super::graph::{Graph, PROCESS, REALTIME, RW, WR, WW};
use super::parse::Txns;
use super::Inference;
use crate::history::History;

/// The explanation, the ops involved and the structured cycle of one found cycle.
pub(crate) fn cycle(
    history: &History,
    txns: &Txns,
    g: &Graph,
    inference: &dyn Inference,
    class: &str,
    c: &Cycle,
) -> (String, Vec<u64>, Value) {
    // Collapse runs through real-time moments into one real-time edge between txns.
    let steps: Vec<(u32, u8)> = c
        .iter()
        .filter(|&&(v, _)| !g.is_moment(v))
        .map(|&(v, k)| (v, if k == REALTIME { REALTIME } else { k }))
        .collect();
    let mut names: Vec<u32> = Vec::new();
    for &(t, _) in &steps {
        if !names.contains(&t) {
            names.push(t);
        }
    }
    let name = |t: u32| format!("T{}", names.iter().position(|&x| x == t).map_or(0, |i| i + 1));
    let mut sentences = Vec::new();
    let mut edges = Vec::new();
    let mut drawing = String::new();
    for (i, &(a, kind)) in steps.iter().enumerate() {
        let b = steps[(i + 1) % steps.len()].0;
        let (label, text, key, value, why) = edge(history, txns, inference, a, b, kind);
        let text = text.replace("{a}", &name(a)).replace("{b}", &name(b));
        drawing.push_str(&format!("{} -{label}-> ", name(a)));
        edges.push(json!({
            "from_op": txns.op_index(a), "to_op": txns.op_index(b), "edge": label,
            "key": key, "value": value, "why": why, "text": text,
        }));
        sentences.push(text);
    }
    if let Some(&(first, _)) = steps.first() {
        drawing.push_str(&name(first));
    }
    let who: Vec<String> = names
        .iter()
        .map(|&t| format!("{} is op {} (process {})", name(t), txns.op_index(t), history.ops[txns.op_pos(t)].process))
        .collect();
    let mut whys: Vec<&str> = Vec::new();
    for e in &edges {
        if let Some(w) = e["why"].as_str().filter(|w| !whys.contains(w)) {
            whys.push(w);
        }
    }
    let (rules_out, stronger) = rules_out(class);
    let text = format!(
        "{}: a {class} cycle {drawing}. {}. Why: {}. It rules out {}{}.",
        sentences.join("; "),
        who.join(", "),
        whys.join("; "),
        rules_out.join(", "),
        if stronger.is_empty() {
            String::new()
        } else {
            format!(" and every stronger model ({})", stronger.join(", "))
        }
    );
    let ops = names.iter().map(|&t| txns.op_index(t)).collect();
    (text, ops, json!({ "class": class, "cycle": edges, "rules_out": rules_out, "also_rules_out": stronger }))
}

/// The weakest models a cycle of `class` rules out, and the stronger ones it rules out with them.
fn rules_out(class: &str) -> (Vec<&'static str>, Vec<&'static str>) {
    let b = super::boundary([class]);
    let names = |ms: &[super::ConsistencyModel]| ms.iter().map(|m| m.name()).collect::<Vec<_>>();
    (names(&b.not), names(&b.also_not))
}

/// One edge: (label, text with `{a}`/`{b}`, key, value, why).
fn edge(
    history: &History,
    txns: &Txns,
    inference: &dyn Inference,
    a: u32,
    b: u32,
    kind: u8,
) -> (&'static str, String, Value, Value, &'static str) {
    match kind {
        WW | WR | RW => {
            let label = match kind {
                WW => "ww",
                WR => "wr",
                _ => "rw",
            };
            match inference.explain(txns, a, b, kind) {
                Some(e) => (label, e.text, e.key, e.value, e.why),
                None => {
                    (label, format!("{{a}} precedes {{b}} ({label})"), Value::Null, Value::Null, "inferred dependency")
                }
            }
        }
        PROCESS => {
            let p = &history.ops[txns.txns[a as usize].invoke as usize].process;
            (
                "process",
                format!("{{a}} and then {{b}} ran on process {p}"),
                Value::Null,
                Value::Null,
                "process order: a process runs one operation at a time",
            )
        }
        _ => {
            let done = history.ops[txns.op_pos(a)].time;
            let began = history.ops[txns.txns[b as usize].invoke as usize].time;
            (
                "realtime",
                format!(
                    "{{a}} completed (at {:.6} s) before {{b}} was invoked (at {:.6} s)",
                    done as f64 / 1e9,
                    began as f64 / 1e9
                ),
                Value::Null,
                Value::Null,
                "real-time order: a transaction completed before the other began",
            )
        }
    }
}
