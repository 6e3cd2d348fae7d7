//! The drawing of a linearizability counterexample, in the spirit of porcupine's: the ops of
//! the longest linearizable prefix in the order they linearize (with the model state after each
//! when known), the op that cannot be placed, the ops concurrent with it, and the states the
//! model could be in just before it.
//!
//! Expected `detail` of a `nonlinearizable` anomaly (every field but `stuck` optional):
//! ```json
//! { "key": "x",                        // the independent key, when split per key
//!   "prefix": [12, 15, {"op": 18, "state": 3}],   // op indices in linearization order,
//!                                      // or {"op", "state"} objects (state after the op)
//!   "stuck": [21],                     // the op(s) that cannot be placed (or one index)
//!   "states": [3, 4] }                 // model states reachable after the prefix
//! ```
//! `prefix`/`stuck` may also be spelled `linearized`/`unplaceable`; op indices are the `index`
//! of the invocation or of the completion. Only the last [`MAX_PREFIX`] prefix ops are drawn.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use checkers::history::Value;
use checkers::{History, OpType, Process};

use crate::text;

/// Most prefix ops drawn; earlier ones are counted, not drawn.
pub const MAX_PREFIX: usize = 16;
/// Most concurrent (neither prefix nor stuck) ops drawn.
const MAX_OTHERS: usize = 12;
const LEFT: u32 = 70;
const LANE: u32 = 40;
const BAR: u32 = 18;

/// One op drawn as a bar from invocation to completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Left edge, px.
    pub x: u32,
    /// Top edge, px.
    pub y: u32,
    /// Width, px.
    pub w: u32,
    /// `linearized`, `stuck` or `other` (for colour), plus ` open` when it never completed.
    pub class: String,
    /// The text in the bar: `#order f value`.
    pub label: String,
    /// The model state after it (linearized ops), drawn under the bar.
    pub state: Option<String>,
    /// The full description, for the hover title.
    pub title: String,
    /// The op's invocation index, for links to the timeline.
    pub index: u64,
}

/// A process lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Top, px.
    pub y: u32,
    /// The process.
    pub label: String,
}

/// Everything the page needs to draw one counterexample.
#[derive(Debug, Clone, PartialEq)]
pub struct LinDiagram {
    /// SVG width, px.
    pub width: u32,
    /// SVG height, px.
    pub height: u32,
    /// One lane per process involved.
    pub lanes: Vec<Lane>,
    /// The ops.
    pub bars: Vec<Bar>,
    /// The ops that cannot be placed, described.
    pub stuck: Vec<String>,
    /// The model states possible just before the stuck op.
    pub states: Vec<String>,
    /// The independent key, when the history was split per key.
    pub key: Option<String>,
    /// Prefix ops not drawn (earlier than the last [`MAX_PREFIX`]).
    pub omitted: usize,
}

/// An op of the drawing, before layout.
struct Placed {
    invoke: usize,
    class: &'static str,
    order: Option<usize>,
    state: Option<String>,
}

fn indices(v: Option<&Value>) -> Vec<(u64, Option<String>)> {
    match v {
        Some(Value::Number(n)) => n.as_u64().map(|i| vec![(i, None)]).unwrap_or_default(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Number(n) => n.as_u64().map(|i| (i, None)),
                Value::Object(o) => {
                    o.get("op").and_then(Value::as_u64).map(|i| (i, o.get("state").map(|s| text::value(s, 40))))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Builds the drawing from an anomaly's `detail`; `None` when it does not have the expected
/// shape or names ops the history lacks.
pub fn diagram(history: &History, detail: &Value) -> Option<LinDiagram> {
    let obj = detail.as_object()?;
    let field = |a: &str, b: &str| obj.get(a).or_else(|| obj.get(b));
    let stuck_ids = indices(field("stuck", "unplaceable"));
    if stuck_ids.is_empty() {
        return None;
    }
    let prefix_ids = indices(field("prefix", "linearized"));
    let completions = history.completions();
    // invocation position of any op index
    let mut invoke_of: HashMap<usize, usize> = HashMap::new();
    for (i, c) in completions.iter().enumerate() {
        if let Some(c) = c {
            invoke_of.insert(*c, i);
        }
    }
    let position = |index: u64| -> Option<usize> {
        let p = history.ops.binary_search_by_key(&index, |op| op.index).ok()?;
        Some(if history.ops[p].kind == OpType::Invoke { p } else { *invoke_of.get(&p)? })
    };
    let omitted = prefix_ids.len().saturating_sub(MAX_PREFIX);
    let mut placed: Vec<Placed> = Vec::new();
    for (k, (id, state)) in prefix_ids.iter().enumerate().skip(omitted) {
        placed.push(Placed { invoke: position(*id)?, class: "linearized", order: Some(k + 1), state: state.clone() });
    }
    for (id, _) in &stuck_ids {
        placed.push(Placed { invoke: position(*id)?, class: "stuck", order: None, state: None });
    }
    let end = history.ops.last().map_or(0, |op| op.time);
    let span = |inv: usize| (history.ops[inv].time, completions[inv].map_or(end, |c| history.ops[c].time));
    let taken: BTreeSet<usize> = placed.iter().map(|p| p.invoke).collect();
    let stuck_spans: Vec<(u64, u64)> = placed.iter().filter(|p| p.class == "stuck").map(|p| span(p.invoke)).collect();
    let others: Vec<usize> = (0..history.ops.len())
        .filter(|&i| history.ops[i].kind == OpType::Invoke && history.ops[i].is_client() && !taken.contains(&i))
        .filter(|&i| {
            let (a, b) = span(i);
            stuck_spans.iter().any(|&(s, e)| a <= e && b >= s)
        })
        .take(MAX_OTHERS)
        .collect();
    placed.extend(others.into_iter().map(|i| Placed { invoke: i, class: "other", order: None, state: None }));
    Some(layout(history, &completions, placed, obj, omitted))
}

fn layout(
    history: &History,
    completions: &[Option<usize>],
    placed: Vec<Placed>,
    obj: &serde_json::Map<String, Value>,
    omitted: usize,
) -> LinDiagram {
    let lanes_by: BTreeMap<&Process, u32> = placed
        .iter()
        .map(|p| &history.ops[p.invoke].process)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, 28 + i as u32 * LANE))
        .collect();
    let mut times: Vec<u64> = Vec::new();
    for p in &placed {
        times.push(history.ops[p.invoke].time);
        if let Some(c) = completions[p.invoke] {
            times.push(history.ops[c].time);
        }
    }
    times.sort_unstable();
    times.dedup();
    let slots = times.len() as u32 + 1;
    let step = (880 / slots.max(1)).clamp(24, 90);
    let x = |t: u64| LEFT + times.partition_point(|&u| u < t) as u32 * step;
    let right = LEFT + slots * step;
    let bars = placed
        .iter()
        .map(|p| {
            let inv = &history.ops[p.invoke];
            let done = completions[p.invoke].map(|c| &history.ops[c]);
            let x0 = x(inv.time);
            let x1 = done.map_or(right, |d| x(d.time) + step / 2);
            let outcome = done.map_or("never completed", |d| d.kind.as_str());
            let result = done.map(|d| text::value(&d.value, 60)).unwrap_or_default();
            let order = p.order.map(|o| format!("#{o} ")).unwrap_or_default();
            let open = if done.is_none_or(|d| d.kind == OpType::Info) { " open" } else { "" };
            Bar {
                x: x0,
                y: lanes_by[&inv.process] + (LANE - BAR) / 2 - 6,
                w: x1.saturating_sub(x0).max(6),
                class: format!("{}{open}", p.class),
                label: format!("{order}{}", text::op_call(inv, 24)),
                state: p.state.clone(),
                title: format!(
                    "op {} by process {}: {} → {outcome} {result} ({} to {})",
                    inv.index,
                    inv.process,
                    text::op_call(inv, 60),
                    text::secs(inv.time),
                    done.map_or_else(|| "the end".to_string(), |d| text::secs(d.time)),
                ),
                index: inv.index,
            }
        })
        .collect::<Vec<_>>();
    let states = match obj.get("states").or_else(|| obj.get("state")) {
        Some(Value::Array(v)) => v.iter().map(|s| text::value(s, 80)).collect(),
        Some(s) => vec![text::value(s, 80)],
        None => Vec::new(),
    };
    LinDiagram {
        width: right + 20,
        height: 28 + lanes_by.len() as u32 * LANE + 10,
        lanes: lanes_by.iter().map(|(p, y)| Lane { y: *y, label: format!("process {p}") }).collect(),
        stuck: bars.iter().filter(|b| b.class.starts_with("stuck")).map(|b| b.title.clone()).collect(),
        bars,
        states,
        key: obj.get("key").map(|k| text::value(k, 40)),
        omitted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::op;
    use serde_json::json;

    fn history() -> History {
        let mut ops = vec![
            op(0, 0, OpType::Invoke, 0, "write"),
            op(1, 10, OpType::Ok, 0, "write"),
            op(2, 20, OpType::Invoke, 1, "read"),
            op(3, 25, OpType::Invoke, 2, "write"),
            op(4, 30, OpType::Ok, 1, "read"),
            op(5, 40, OpType::Info, 2, "write"),
        ];
        ops[0].value = json!(1);
        ops[1].value = json!(1);
        ops[2].value = json!(null);
        ops[4].value = json!(2);
        ops[3].value = json!(3);
        History::from_ops(None, ops)
    }

    #[test]
    fn draws_prefix_stuck_and_concurrent_ops() {
        let h = history();
        let d =
            diagram(&h, &json!({"prefix": [{"op": 1, "state": 1}], "stuck": 4, "states": [1], "key": "x"})).unwrap();
        assert_eq!(d.bars.len(), 3);
        assert_eq!(d.bars[0].class, "linearized");
        assert_eq!(d.bars[0].label, "#1 write 1");
        assert_eq!(d.bars[0].state.as_deref(), Some("1"));
        assert_eq!((d.bars[1].class.as_str(), d.bars[1].index), ("stuck", 2));
        assert_eq!((d.bars[2].class.as_str(), d.bars[2].index), ("other open", 3));
        assert_eq!(d.states, vec!["1"]);
        assert_eq!(d.key.as_deref(), Some("x"));
        assert_eq!(d.lanes.len(), 3);
        assert!(d.bars[0].x < d.bars[1].x);
        assert!(d.stuck[0].contains("read nil → ok 2"), "{}", d.stuck[0]);
    }

    #[test]
    fn other_shapes_give_no_drawing() {
        let h = history();
        assert!(diagram(&h, &json!(null)).is_none());
        assert!(diagram(&h, &json!({"prefix": [0]})).is_none());
        assert!(diagram(&h, &json!({"stuck": [99]})).is_none());
    }
}
