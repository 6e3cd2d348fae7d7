//! The drawing of a linearizability counterexample, in the spirit of porcupine's: the ops of
//! the longest linearizable prefix in the order they linearize (the last ones, numbered), the
//! op that cannot be placed after them, the ops concurrent with it, the state after the prefix
//! and the states the object could be in when the stuck op had to take effect.
//!
//! It reads the `detail` of a `nonlinearizable` anomaly as `checkers::linearizable` writes it
//! (op indices are those of invocations):
//! ```json
//! { "model": "cas-register", "key": null,
//!   "prefix": [0, 2, 5],                       // linearization order
//!   "prefix_tail": [{"index": 5, "op": "write 3"}],  // the model's words for the last ones
//!   "state_after_prefix": "3",
//!   "cannot_place": [{"index": 9, "completion": 12, "op": "read 4"}],
//!   "states_before": ["3"],
//!   "concurrent": [7] }
//! ```
//! Only the last [`MAX_PREFIX`] prefix ops are drawn.

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
    /// The model's name.
    pub model: Option<String>,
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

fn ids(v: Option<&Value>) -> Vec<u64> {
    v.and_then(Value::as_array).map(|items| items.iter().filter_map(Value::as_u64).collect()).unwrap_or_default()
}

/// Builds the drawing from an anomaly's `detail`; `None` when it does not have the expected
/// shape or names ops the history lacks.
pub fn diagram(history: &History, detail: &Value) -> Option<LinDiagram> {
    let obj = detail.as_object()?;
    let stuck = obj.get("cannot_place")?.as_array()?;
    let stuck_ids: Vec<u64> = stuck.iter().filter_map(|s| s.get("index")?.as_u64()).collect();
    if stuck_ids.is_empty() {
        return None;
    }
    // The model's own words for ops, where the detail has them.
    let mut words: HashMap<u64, String> = HashMap::new();
    for item in stuck.iter().chain(obj.get("prefix_tail").and_then(Value::as_array).into_iter().flatten()) {
        if let (Some(i), Some(op)) = (item.get("index").and_then(Value::as_u64), item.get("op").and_then(Value::as_str))
        {
            words.insert(i, op.to_string());
        }
    }
    let position = |index: u64| -> Option<usize> {
        let p = history.ops.binary_search_by_key(&index, |op| op.index).ok()?;
        (history.ops[p].kind == OpType::Invoke).then_some(p)
    };
    let prefix_ids = ids(obj.get("prefix"));
    let omitted = prefix_ids.len().saturating_sub(MAX_PREFIX);
    let after_prefix = obj.get("state_after_prefix").map(|s| text::value(s, 40));
    let mut placed: Vec<Placed> = Vec::new();
    for (k, id) in prefix_ids.iter().enumerate().skip(omitted) {
        let state = if k + 1 == prefix_ids.len() { after_prefix.clone() } else { None };
        placed.push(Placed { invoke: position(*id)?, class: "linearized", order: Some(k + 1), state });
    }
    for id in &stuck_ids {
        placed.push(Placed { invoke: position(*id)?, class: "stuck", order: None, state: None });
    }
    let taken: BTreeSet<usize> = placed.iter().map(|p| p.invoke).collect();
    let others: Vec<usize> = ids(obj.get("concurrent"))
        .into_iter()
        .filter_map(position)
        .filter(|p| !taken.contains(p))
        .take(MAX_OTHERS)
        .collect();
    placed.extend(others.into_iter().map(|i| Placed { invoke: i, class: "other", order: None, state: None }));
    Some(layout(history, placed, obj, omitted, &words))
}

fn layout(
    history: &History,
    placed: Vec<Placed>,
    obj: &serde_json::Map<String, Value>,
    omitted: usize,
    words: &HashMap<u64, String>,
) -> LinDiagram {
    let completions = history.completions();
    let real_time = crate::spans::has_real_times(history);
    let when = |op: &checkers::Op| if real_time { text::secs(op.time) } else { format!("op {}", op.index) };
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
                label: format!(
                    "{order}{}",
                    words.get(&inv.index).map_or_else(|| text::op_call(inv, 24), |w| text::cut(w, 30))
                ),
                state: p.state.clone(),
                title: format!(
                    "op {} by process {}: {} → {outcome} {result} ({} to {})",
                    inv.index,
                    inv.process,
                    text::op_call(inv, 60),
                    when(inv),
                    done.map_or_else(|| "the end".to_string(), when),
                ),
                index: inv.index,
            }
        })
        .collect::<Vec<_>>();
    let states = match obj.get("states_before") {
        Some(Value::Array(v)) => v.iter().map(|s| text::value(s, 80)).collect(),
        _ => Vec::new(),
    };
    LinDiagram {
        width: right + 20,
        height: 28 + lanes_by.len() as u32 * LANE + 10,
        lanes: lanes_by.iter().map(|(p, y)| Lane { y: *y, label: format!("process {p}") }).collect(),
        stuck: bars.iter().filter(|b| b.class.starts_with("stuck")).map(|b| b.title.clone()).collect(),
        bars,
        states,
        key: obj.get("key").filter(|k| !k.is_null()).map(|k| text::value(k, 40)),
        model: obj.get("model").map(|m| text::value(m, 40)),
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
        let detail = json!({
            "model": "register", "key": "x", "prefix": [0], "prefix_tail": [{"index": 0, "op": "write 1"}],
            "state_after_prefix": "1", "cannot_place": [{"index": 2, "completion": 4, "op": "read 2"}],
            "states_before": ["1"], "concurrent": [3]});
        let d = diagram(&h, &detail).unwrap();
        assert_eq!(d.bars.len(), 3);
        assert_eq!(d.bars[0].class, "linearized");
        assert_eq!(d.bars[0].label, "#1 write 1");
        assert_eq!(d.bars[0].state.as_deref(), Some("1"));
        assert_eq!((d.bars[1].class.as_str(), d.bars[1].index, d.bars[1].label.as_str()), ("stuck", 2, "read 2"));
        assert_eq!((d.bars[2].class.as_str(), d.bars[2].index), ("other open", 3));
        assert_eq!(d.states, vec!["1"]);
        assert_eq!((d.key.as_deref(), d.model.as_deref()), (Some("x"), Some("register")));
        assert_eq!(d.lanes.len(), 3);
        assert!(d.bars[0].x < d.bars[1].x);
        assert!(d.stuck[0].contains("read nil → ok 2"), "{}", d.stuck[0]);
    }

    #[test]
    fn other_shapes_give_no_drawing() {
        let h = history();
        assert!(diagram(&h, &json!(null)).is_none());
        assert!(diagram(&h, &json!({"prefix": [0]})).is_none());
        assert!(diagram(&h, &json!({"cannot_place": [{"index": 99}]})).is_none());
    }
}
