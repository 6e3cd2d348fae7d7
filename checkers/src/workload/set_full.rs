//! The set-full checker (Jepsen's `set-full`): elements added over time and reads of the whole
//! set throughout. Per element: *stable* (present in every read from some point on), *lost*
//! (known to be in the set, then absent from the last read that began after that), *stale*
//! (absent from a read that began after it was known, present later), *never read* (no read
//! began after it was known). Adds and reads may be keyed as `[key element]` / `[key nil]`.

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::json;

use crate::anomaly_kind::AnomalyKind;
use crate::history::Value;

use super::{pairs, secs, Report};
use crate::history::{History, OpType};
use crate::verdict::{CheckResult, Validity};

/// Options of the set-full checker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetFullOptions {
    /// Stale reads are errors (a linearizable set); otherwise only lost elements are.
    pub linearizable: bool,
}

/// One successful read: (invoke time, completion time, op index, elements as JSON text).
struct Read {
    start: u64,
    end: u64,
    index: u64,
    elements: FxHashSet<String>,
}

/// One add: (invoke time, completion time, op index, outcome).
struct Add {
    start: u64,
    end: u64,
    index: u64,
    outcome: OpType,
}

/// Checks adds (`f = add`) against reads (`f = read`) over time.
pub fn set_full(history: &History, options: &SetFullOptions) -> CheckResult {
    let mut report = Report::new("set-full");
    let mut adds: FxHashMap<String, FxHashMap<String, Add>> = FxHashMap::default();
    let mut reads: FxHashMap<String, Vec<Read>> = FxHashMap::default();
    for p in pairs(history, Some("add")) {
        let (key, element) = match p.invoke.value.as_array() {
            Some(kv) if kv.len() == 2 => (kv[0].to_string(), kv[1].to_string()),
            _ => (String::new(), p.invoke.value.to_string()),
        };
        let add = Add { start: p.invoke.time, end: p.end(), index: p.invoke.index, outcome: p.outcome() };
        adds.entry(key).or_default().insert(element, add);
    }
    for p in pairs(history, Some("read")) {
        let Some(done) = p.done.filter(|d| d.kind == OpType::Ok) else { continue };
        let key = match p.invoke.value.as_array() {
            Some(kv) if kv.len() == 2 && kv[1].is_null() => Some(&kv[0]),
            _ => None,
        };
        let items: Option<&[Value]> = match (key, done.value.as_array()) {
            (None, Some(items)) => Some(items),
            (Some(_), Some(kv)) if kv.len() == 2 && kv[1].is_array() => kv[1].as_array(),
            (Some(k), Some(flat)) if flat.first() == Some(k) => Some(&flat[1..]),
            _ => None,
        };
        let Some(items) = items else {
            report.add(
                Validity::Unknown,
                AnomalyKind::Malformed,
                vec![done.index],
                format!("read op {} returned {}, not the set's elements", done.index, done.value),
            );
            continue;
        };
        let mut elements = FxHashSet::default();
        for item in items {
            let text = item.to_string();
            if !elements.insert(text.clone()) {
                report.add(
                    Validity::Invalid,
                    AnomalyKind::Duplicated,
                    vec![done.index],
                    format!("read op {} holds {text} more than once", done.index),
                );
            }
        }
        let key = key.map_or(String::new(), |k| k.to_string());
        reads.entry(key).or_default().push(Read { start: p.invoke.time, end: done.time, index: done.index, elements });
    }
    let (mut stable, mut lost, mut stale, mut never_read) = (0usize, 0usize, 0usize, 0usize);
    let (mut stable_latencies, mut lost_latencies) = (Vec::new(), Vec::new());
    let mut keys: Vec<&String> = adds.keys().chain(reads.keys()).collect();
    keys.sort();
    keys.dedup();
    let empty_adds = FxHashMap::default();
    for key in keys {
        let mut rs: Vec<&Read> = reads.get(key).map(|r| r.iter().collect()).unwrap_or_default();
        rs.sort_by_key(|r| r.start);
        let key_adds = adds.get(key).unwrap_or(&empty_adds);
        let label = if key.is_empty() { String::new() } else { format!(" of key {key}") };
        for r in &rs {
            for e in &r.elements {
                if !key_adds.contains_key(e) {
                    report.add(
                        Validity::Invalid,
                        AnomalyKind::Unexpected,
                        vec![r.index],
                        format!("read op {} holds {e}{label}, which no operation ever added", r.index),
                    );
                }
            }
        }
        let mut elements: Vec<(&String, &Add)> = key_adds.iter().collect();
        elements.sort_by_key(|(_, a)| a.index);
        for (e, add) in elements {
            let first_seen = rs.iter().filter(|r| r.elements.contains(e)).map(|r| r.end).min();
            let acked = (add.outcome == OpType::Ok).then_some(add.end);
            let Some(known) = [first_seen, acked].into_iter().flatten().min() else { continue };
            let after: Vec<&&Read> = rs.iter().filter(|r| r.start > known).collect();
            let Some(last) = after.last() else {
                never_read += 1;
                continue;
            };
            let last_absent = after.iter().rev().find(|r| !r.elements.contains(e));
            if last.elements.contains(e) {
                stable += 1;
                stable_latencies.push(last_absent.map_or(known, |r| r.end).saturating_sub(add.start));
                if let Some(r) = last_absent {
                    stale += 1;
                    if !options.linearizable {
                        continue;
                    }
                    report.add(
                        Validity::Invalid,
                        AnomalyKind::Stale,
                        vec![add.index, r.index],
                        format!(
                            "{e}{label} was known present at {} (add op {}), yet read op {}, begun at {}, lacked it; later reads saw it",
                            secs(known),
                            add.index,
                            r.index,
                            secs(r.start)
                        ),
                    );
                }
            } else {
                lost += 1;
                let first_of_final_absent =
                    after.iter().rev().take_while(|r| !r.elements.contains(e)).last().map_or(last.start, |r| r.start);
                lost_latencies.push(first_of_final_absent.saturating_sub(add.start));
                report.add(
                    Validity::Invalid,
                    AnomalyKind::Lost,
                    vec![add.index, last.index],
                    format!(
                        "{e}{label} was known present at {} (add op {}), but the last read begun after that (op {}, at {}) lacks it",
                        secs(known),
                        add.index,
                        last.index,
                        secs(last.start)
                    ),
                );
            }
        }
    }
    report.finish(json!({
        "stable": stable, "lost": lost, "stale": stale, "never_read": never_read,
        "stable_latency_ms": quantiles(&mut stable_latencies), "lost_latency_ms": quantiles(&mut lost_latencies),
    }))
}

/// Min, median, 95th percentile and max of latencies, in milliseconds.
fn quantiles(ns: &mut [u64]) -> serde_json::Value {
    if ns.is_empty() {
        return serde_json::Value::Null;
    }
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() - 1) as f64 * q).round() as usize] as f64 / 1e6;
    json!({"min": at(0.0), "median": at(0.5), "p95": at(0.95), "max": at(1.0)})
}
