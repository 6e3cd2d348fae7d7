//! Fault periods read from the nemesis's ops.
//!
//! The rule, the same for faultline's own histories and for imports:
//! - Only ops of the process `nemesis` count. Each has an `f`; a **heal** is an op whose `f` is
//!   one of `heal`, `stop`, `resume`, `restart`, `recover`, `repair`, `reset`, `unpause`, or
//!   begins with one of those followed by `-` or `_` (`stop-partition`, `heal_clock`). Every
//!   other `f` injects a fault (`partition`, `kill`, `pause`, Jepsen's classic `start`).
//! - A fault period begins at the first op of a fault `f` that is not already open. Further ops
//!   with the same `f` while it is open (the completion, Jepsen's second `:info`) add what they
//!   say to the period's description; their `value` names the targets.
//! - A heal closes the open periods of its family (`stop-partition` closes `start-partition`
//!   and `partition`: the family is what follows the first `-`/`_`, or the whole `f`), or every
//!   open period when none is of its family. The period ends at the heal's last op (its
//!   completion when it has one), so the shading covers the time the heal took. A heal is two
//!   ops at most: a later heal with nothing open (the run's final heal) moves no period's end.
//! - A period still open when the history ends is shown to the end and marked not healed.

use checkers::{History, Process};
use serde_json::Value;

/// Names that undo a fault (see the module documentation).
const HEALS: [&str; 8] = ["heal", "stop", "resume", "restart", "recover", "repair", "reset", "unpause"];

/// One fault, from injection until it was healed.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPeriod {
    /// The nemesis `f` that injected it, e.g. `partition`.
    pub f: String,
    /// Node names found in the values (`nodes`, `targets`, ... or arrays of strings), in order.
    pub nodes: Vec<String>,
    /// What the nemesis ops said, as compact JSON texts (intent, what was done, then what the
    /// heal said, prefixed by its `f`).
    pub description: Vec<String>,
    /// When the fault op was invoked, ns.
    pub start: u64,
    /// When the heal completed, ns; `None` when it was never healed.
    pub healed: Option<u64>,
    /// The `f` of the heal, when there was one.
    pub heal_f: Option<String>,
}

impl FaultPeriod {
    /// The end of the period for drawing: the heal, or `history_end` when never healed.
    pub fn end_or(&self, history_end: u64) -> u64 {
        self.healed.unwrap_or(history_end).max(self.start)
    }
}

/// True when `f` heals (see the module documentation).
pub fn is_heal(f: &str) -> bool {
    let f = f.to_ascii_lowercase();
    HEALS
        .iter()
        .any(|h| f == *h || (f.len() > h.len() && f.starts_with(h) && matches!(f.as_bytes()[h.len()], b'-' | b'_')))
}

/// The family of a fault or heal name: what follows the first `-`/`_`, else the whole name.
fn family(f: &str) -> String {
    let f = f.to_ascii_lowercase();
    match f.split_once(['-', '_']) {
        Some((_, rest)) if !rest.is_empty() => rest.to_string(),
        _ => f,
    }
}

/// Every fault period of `history`, ordered by start.
pub fn fault_periods(history: &History) -> Vec<FaultPeriod> {
    let nemesis = Process::nemesis();
    let mut done: Vec<FaultPeriod> = Vec::new();
    let mut open: Vec<FaultPeriod> = Vec::new();
    // The heal in progress: its f and the periods it closed (positions in `done`).
    let mut healing: Option<(String, Vec<usize>)> = None;
    for op in history.ops.iter().filter(|op| op.process == nemesis) {
        if is_heal(&op.f) {
            if let Some((f, closed)) = &healing {
                if op.f == *f {
                    for &i in closed {
                        done[i].healed = Some(op.time);
                        describe_heal(&mut done[i], &op.f, &op.value.to_json());
                    }
                    // A heal is two ops (invoke and completion, or Jepsen's two infos): done.
                    healing = None;
                    continue;
                }
            }
            let fam = family(&op.f);
            let any_of_family = open.iter().any(|p| family(&p.f) == fam);
            let (closing, keep): (Vec<_>, Vec<_>) = open.drain(..).partition(|p| !any_of_family || family(&p.f) == fam);
            open = keep;
            let first = done.len();
            done.extend(closing.into_iter().map(|mut p| {
                p.healed = Some(op.time);
                p.heal_f = Some(op.f.to_string());
                describe_heal(&mut p, &op.f, &op.value.to_json());
                p
            }));
            healing = Some((op.f.to_string(), (first..done.len()).collect()));
            continue;
        }
        healing = None;
        match open.iter_mut().find(|p| op.f == p.f) {
            Some(p) => describe(p, &op.value.to_json()),
            None => {
                let mut p = FaultPeriod {
                    f: op.f.to_string(),
                    nodes: Vec::new(),
                    description: Vec::new(),
                    start: op.time,
                    healed: None,
                    heal_f: None,
                };
                describe(&mut p, &op.value.to_json());
                open.push(p);
            }
        }
    }
    done.extend(open);
    done.sort_by_key(|p| p.start);
    done
}

/// Adds what `value` says to the period: its text, and node names found in it.
fn describe(period: &mut FaultPeriod, value: &Value) {
    if value.is_null() {
        return;
    }
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if !period.description.contains(&text) {
        period.description.push(text);
    }
    collect_nodes(value, false, &mut period.nodes);
}

/// Adds what a heal's `value` says, prefixed by its `f` (`stop: fully connected`).
fn describe_heal(period: &mut FaultPeriod, f: &str, value: &Value) {
    if value.is_null() {
        return;
    }
    let text = match value {
        Value::String(s) => format!("{f}: {s}"),
        other => format!("{f}: {other}"),
    };
    if !period.description.contains(&text) {
        period.description.push(text);
    }
}

/// Keys whose string values (or arrays of strings) name nodes.
const NODE_KEYS: [&str; 12] =
    ["node", "nodes", "target", "targets", "on", "from", "to", "isolated", "minority", "majority", "members", "killed"];

/// Strings under node keys (see [`NODE_KEYS`]), or inside arrays of strings.
fn collect_nodes(value: &Value, in_nodes: bool, out: &mut Vec<String>) {
    match value {
        Value::String(s) if in_nodes && !out.contains(s) => out.push(s.clone()),
        Value::Array(items) => {
            let all_strings = items.iter().all(Value::is_string);
            items.iter().for_each(|v| collect_nodes(v, in_nodes || all_strings, out));
        }
        Value::Object(map) => {
            for (k, v) in map {
                let key = k.to_ascii_lowercase();
                collect_nodes(v, in_nodes || NODE_KEYS.contains(&key.as_str()), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{nemesis_op, op};
    use checkers::OpType;
    use serde_json::json;

    #[test]
    fn heal_names_and_families() {
        for f in ["heal", "stop", "stop-partition", "resume", "Heal_clock", "restart"] {
            assert!(is_heal(f), "{f}");
        }
        for f in ["partition", "start", "kill", "pause", "stopper", "healthy", "start-partition"] {
            assert!(!is_heal(f), "{f}");
        }
        assert_eq!(family("stop-partition"), "partition");
        assert_eq!(family("partition"), "partition");
    }

    #[test]
    fn faultline_pairs_make_one_period_with_nodes() {
        let h = History::from_ops(
            None,
            vec![
                nemesis_op(0, 100, OpType::Invoke, "partition", json!({"isolated": ["n1"], "rest": ["n2", "n3"]})),
                nemesis_op(1, 110, OpType::Info, "partition", json!({"isolated": ["n1"], "rest": ["n2", "n3"]})),
                op(2, 150, OpType::Invoke, 0, "read"),
                op(3, 160, OpType::Ok, 0, "read"),
                nemesis_op(4, 200, OpType::Invoke, "heal", Value::Null),
                nemesis_op(5, 230, OpType::Info, "heal", json!("healed")),
                // The run's final heal, with nothing left to heal, must not move the first one.
                nemesis_op(6, 400, OpType::Invoke, "heal", Value::Null),
                nemesis_op(7, 410, OpType::Ok, "heal", json!({"healed": []})),
            ],
        );
        let periods = fault_periods(&h);
        assert_eq!(periods.len(), 1);
        let p = &periods[0];
        assert_eq!((p.start, p.healed, p.heal_f.as_deref()), (100, Some(230), Some("heal")));
        assert_eq!(p.nodes, vec!["n1", "n2", "n3"]);
        assert_eq!(p.description, vec![r#"{"isolated":["n1"],"rest":["n2","n3"]}"#, "heal: healed"]);
    }

    #[test]
    fn jepsen_start_stop_info_pairs() {
        let h = History::from_ops(
            None,
            vec![
                nemesis_op(0, 10, OpType::Info, "start", Value::Null),
                nemesis_op(1, 12, OpType::Info, "start", json!("Cut off {:n1 #{:n2}}")),
                nemesis_op(2, 50, OpType::Info, "stop", Value::Null),
                nemesis_op(3, 55, OpType::Info, "stop", json!("fully connected")),
                nemesis_op(4, 70, OpType::Info, "start", Value::Null),
            ],
        );
        let periods = fault_periods(&h);
        assert_eq!(periods.len(), 2);
        assert_eq!((periods[0].start, periods[0].healed), (10, Some(55)));
        assert_eq!(periods[0].description, vec!["Cut off {:n1 #{:n2}}", "stop: fully connected"]);
        assert_eq!((periods[1].start, periods[1].healed, periods[1].end_or(99)), (70, None, 99));
    }

    #[test]
    fn a_heal_closes_only_its_family_when_there_is_one() {
        let h = History::from_ops(
            None,
            vec![
                nemesis_op(0, 10, OpType::Info, "start-partition", Value::Null),
                nemesis_op(1, 20, OpType::Info, "pause", json!(["n2"])),
                nemesis_op(2, 30, OpType::Info, "stop-partition", Value::Null),
                nemesis_op(3, 40, OpType::Info, "resume", Value::Null),
            ],
        );
        let periods = fault_periods(&h);
        assert_eq!(periods.len(), 2);
        assert_eq!((periods[0].f.as_str(), periods[0].healed), ("start-partition", Some(30)));
        assert_eq!(
            (periods[1].f.as_str(), periods[1].healed, periods[1].nodes.clone()),
            ("pause", Some(40), vec!["n2".to_string()])
        );
    }

    #[test]
    fn nodes_come_from_node_keys_only() {
        let mut p = FaultPeriod {
            f: "partition".into(),
            nodes: Vec::new(),
            description: Vec::new(),
            start: 0,
            healed: None,
            heal_f: None,
        };
        let done = json!({"did": [{"do": "drop", "from": "n5", "on": "n3"}, {"do": "pause", "node": "n2"}],
            "intent": "partition bridge", "nodes_state": {"leader": "n1"}});
        describe(&mut p, &done);
        assert_eq!(p.nodes, vec!["n5", "n3", "n2"]);
    }

    #[test]
    fn no_nemesis_no_periods() {
        let h = History::from_ops(None, vec![op(0, 1, OpType::Invoke, 0, "read")]);
        assert!(fault_periods(&h).is_empty());
    }
}
