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

use std::collections::{BTreeMap, BTreeSet};

use checkers::{History, Op, OpType, Process};
use serde_json::Value;

use crate::text;

/// Most prefix ops drawn; earlier ones are counted, not drawn.
pub const MAX_PREFIX: usize = 10;
/// Most concurrent (neither prefix nor stuck) ops drawn.
const MAX_OTHERS: usize = 12;
/// Where the first event is drawn (the lane labels are left of it), px.
const LEFT: u32 = 100;
/// Lane height, px.
const LANE: u32 = 40;
/// Bar height, px.
const BAR: u32 = 18;
/// Height of the time ticks' row above the lanes, px.
const TOP: u32 = 28;
/// Least room between two successive events, px: time between events is not to scale.
const GAP: u32 = 6;
/// Room in a bar besides its label (3 px before it, the rest after), px.
const PAD: u32 = 9;
/// The widest drawing that fits the page (at 1300 px and on paper) without scrolling, px.
pub const MAX_WIDTH: u32 = 1_140;
/// The fewest characters a cut label keeps (with its ellipsis).
const MIN_LABEL: usize = 6;
/// The width of one character of the bars' labels (11 px monospace), px.
pub const CHAR_W: f64 = 6.7;

/// One op drawn as a bar from invocation to completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Left edge, px.
    pub x: u32,
    /// Top edge, px.
    pub y: u32,
    /// Width, px.
    pub w: u32,
    /// `linearized`, `stuck`, `other` or `flow` (the write a refuted read read, and its
    /// overwrite) for colour, plus ` open` when it never completed.
    pub class: String,
    /// The text in the bar: `#order f value`, cut with an ellipsis to fit.
    pub label: String,
    /// The model state after it (linearized ops), drawn under the bar.
    pub state: Option<String>,
    /// The full description, for the hover title.
    pub title: String,
    /// The op's invocation index, for links to the timeline.
    pub index: u64,
    /// Its place in the linearizable prefix, `#3`, empty for other ops.
    pub order: String,
    /// The process.
    pub process: String,
    /// The node that served it, when recorded.
    pub node: String,
    /// What it did and how it ended, uncut: `read nil → ok 4`.
    pub op: String,
    /// When it was invoked.
    pub from: String,
    /// When it completed (`the end` when it never did).
    pub to: String,
}

/// A process lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Top, px.
    pub y: u32,
    /// The process, and the node it talked to when there was one.
    pub label: String,
}

/// A time tick above the lanes.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Where, px.
    pub x: u32,
    /// The time.
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
    /// Times of some events, where their labels fit.
    pub ticks: Vec<Tick>,
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
    /// The checker refuted the read by value flow alone: no prefix, the write it read and the
    /// overwrite are drawn instead.
    pub flow: bool,
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
/// shape or names ops the history lacks. `completions` is [`History::completions`].
pub fn diagram(history: &History, completions: &[Option<usize>], detail: &Value) -> Option<LinDiagram> {
    let obj = detail.as_object()?;
    let stuck = obj.get("cannot_place")?.as_array()?;
    let stuck_ids: Vec<u64> = stuck.iter().filter_map(|s| s.get("index")?.as_u64()).collect();
    if stuck_ids.is_empty() {
        return None;
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
    // A read refuted by value flow: the write it read and the write that overwrote it.
    for field in ["write", "overwritten_by"] {
        let flow = obj.get(field).and_then(Value::as_u64).and_then(position);
        if let Some(p) = flow.filter(|p| !placed.iter().any(|q| q.invoke == *p)) {
            placed.push(Placed { invoke: p, class: "flow", order: None, state: None });
        }
    }
    Some(layout(history, completions, placed, obj, omitted))
}

/// The drawn width of `text` in the bars' monospace font, px.
pub fn text_width(text: &str) -> u32 {
    (text.chars().count() as f64 * CHAR_W).ceil() as u32
}

/// An op in a few characters, the key left out when the drawing is of one key: `w 3` (a
/// write), `r 4` (a read and what it returned), `cas 1→4`, else `f value` and what it returned
/// when that differs.
fn short_label(inv: &Op, done: Option<&Op>, key: Option<&Value>) -> String {
    let strip = |v: &Value| -> String {
        match (v.as_array().map(Vec::as_slice), key) {
            (Some([k, inner]), Some(key)) if k == key => text::value(inner, 24),
            _ => text::value(v, 24),
        }
    };
    let answered = done.filter(|d| d.kind == OpType::Ok).map(|d| d.value.to_json());
    let invoked = inv.value.to_json();
    match &*inv.f {
        "read" => answered.map_or_else(|| "r".to_string(), |seen| format!("r {}", strip(&seen))),
        "write" => format!("w {}", strip(&invoked)),
        "cas" => {
            let arg = match (invoked.as_array().map(Vec::as_slice), key) {
                (Some([k, inner]), Some(key)) if k == key => inner,
                _ => &invoked,
            };
            match arg.as_array().map(Vec::as_slice) {
                Some([old, new]) => format!("cas {}→{}", text::value(old, 12), text::value(new, 12)),
                _ => format!("cas {}", strip(arg)),
            }
        }
        f => {
            let result = answered.filter(|seen| *seen != invoked).map(|seen| format!("→{}", strip(&seen)));
            format!("{f} {}{}", strip(&invoked), result.unwrap_or_default())
        }
    }
}

/// One op's place in time: the events (positions in the sorted event times) it starts and
/// ends at (`None`: never completed), and the texts it must make room for.
struct Span<'a> {
    start: usize,
    end: Option<usize>,
    label: &'a str,
    state: Option<&'a str>,
}

/// The x of every event, and of the end (for ops that never completed), when the label of op
/// `k` is cut to `caps[k]` characters: events in time order, each at least [`GAP`] after the
/// one before and far enough after the start of every op ending there for its label to fit in
/// its bar. Also the ops on the critical path (those whose labels set the width).
fn event_xs(spans: &[Span<'_>], events: usize, caps: &[usize]) -> (Vec<u32>, u32, Vec<usize>) {
    let need = |k: usize| {
        let s = &spans[k];
        let label = text_width(&text::cut(s.label, caps[k]));
        let state = s.state.map_or(0, |st| text_width(&format!("→ {}", text::cut(st, caps[k]))));
        label.max(state) + PAD
    };
    let mut ending: Vec<Vec<usize>> = vec![Vec::new(); events + 1];
    for (k, s) in spans.iter().enumerate() {
        ending[s.end.unwrap_or(events)].push(k);
    }
    let mut xs: Vec<u32> = Vec::with_capacity(events + 1);
    let mut set_by: Vec<Option<usize>> = Vec::with_capacity(events + 1);
    for ops in &ending {
        let mut x = xs.last().map_or(LEFT, |x| x + GAP);
        let mut by = None;
        for &k in ops {
            let want = xs[spans[k].start] + need(k);
            if want > x {
                (x, by) = (want, Some(k));
            }
        }
        xs.push(x);
        set_by.push(by);
    }
    let mut critical = Vec::new();
    let mut i = events;
    loop {
        match set_by[i] {
            Some(k) => {
                critical.push(k);
                i = spans[k].start;
            }
            None if i == 0 => break,
            None => i -= 1,
        }
    }
    let end = xs.pop().unwrap_or(LEFT);
    (xs, end, critical)
}

/// Caps on the labels' lengths that let the drawing fit in [`MAX_WIDTH`]: the longest label
/// on the critical path loses a character until it fits, or every label on it is down to
/// [`MIN_LABEL`] characters (then the drawing scrolls). Labels off that path stay whole.
fn label_caps(spans: &[Span<'_>], events: usize) -> Vec<usize> {
    let mut caps: Vec<usize> = spans.iter().map(|s| s.label.chars().count().max(MIN_LABEL)).collect();
    loop {
        let (_, end, critical) = event_xs(spans, events, &caps);
        if end + 20 <= MAX_WIDTH {
            return caps;
        }
        match critical.into_iter().filter(|&k| caps[k] > MIN_LABEL).max_by_key(|&k| caps[k]) {
            Some(k) => caps[k] -= 1,
            None => return caps,
        }
    }
}

fn layout(
    history: &History,
    completions: &[Option<usize>],
    placed: Vec<Placed>,
    obj: &serde_json::Map<String, Value>,
    omitted: usize,
) -> LinDiagram {
    let real_time = crate::spans::has_real_times(history);
    let when = |op: &checkers::Op| if real_time { text::secs(op.time) } else { format!("op {}", op.index) };
    let mut lane_nodes: BTreeMap<&Process, BTreeSet<&str>> = BTreeMap::new();
    for p in &placed {
        let inv = &history.ops[p.invoke];
        lane_nodes.entry(&inv.process).or_default().extend(inv.node.as_deref());
    }
    let lanes_by: BTreeMap<&Process, u32> =
        lane_nodes.keys().enumerate().map(|(i, p)| (*p, TOP + i as u32 * LANE)).collect();
    let mut times: Vec<u64> = Vec::new();
    for p in &placed {
        times.push(history.ops[p.invoke].time);
        if let Some(c) = completions[p.invoke] {
            times.push(history.ops[c].time);
        }
    }
    times.sort_unstable();
    times.dedup();
    let event = |t: u64| times.partition_point(|&u| u < t);
    let key = obj.get("key").filter(|k| !k.is_null());
    let labels: Vec<String> = placed
        .iter()
        .map(|p| {
            let inv = &history.ops[p.invoke];
            let order = p.order.map(|o| format!("#{o} ")).unwrap_or_default();
            let done = completions[p.invoke].map(|c| &history.ops[c]);
            format!("{order}{}", short_label(inv, done, key))
        })
        .collect();
    let spans: Vec<Span<'_>> = placed
        .iter()
        .zip(&labels)
        .map(|(p, label)| Span {
            start: event(history.ops[p.invoke].time),
            end: completions[p.invoke].map(|c| event(history.ops[c].time)),
            label,
            state: p.state.as_deref(),
        })
        .collect();
    let caps = label_caps(&spans, times.len());
    let (xs, right, _) = event_xs(&spans, times.len(), &caps);
    let bars = placed
        .iter()
        .zip(spans.iter().zip(&caps))
        .map(|(p, (span, &cap))| {
            let inv = &history.ops[p.invoke];
            let done = completions[p.invoke].map(|c| &history.ops[c]);
            let x0 = xs[span.start];
            let x1 = span.end.map_or(right, |e| xs[e]);
            let outcome = done.map_or("never completed", |d| d.kind.as_str());
            let result = done.map(|d| text::value(&d.value, 60)).unwrap_or_default();
            let open = if done.is_none_or(|d| d.kind == OpType::Info) { " open" } else { "" };
            let call = text::op_call(inv, 200);
            let node = inv.node.as_deref().map(|n| format!(" on {n}")).unwrap_or_default();
            let to = done.map_or_else(|| "the end".to_string(), when);
            Bar {
                x: x0,
                y: lanes_by[&inv.process] + (LANE - BAR) / 2 - 6,
                w: x1.saturating_sub(x0).max(6),
                class: format!("{}{open}", p.class),
                label: text::cut(span.label, cap),
                state: p.state.as_deref().map(|s| text::cut(s, cap)),
                title: format!(
                    "op {} by process {}{node}: {call} → {outcome} {result} ({} to {to})",
                    inv.index,
                    inv.process,
                    when(inv),
                ),
                index: inv.index,
                order: p.order.map(|o| format!("#{o}")).unwrap_or_default(),
                process: inv.process.to_string(),
                node: inv.node.as_deref().unwrap_or_default().to_string(),
                op: format!("{call} → {outcome} {result}"),
                from: when(inv),
                to,
            }
        })
        .collect::<Vec<_>>();
    // Time ticks at events, left to right, where a label fits after the previous one.
    let mut ticks: Vec<Tick> = Vec::new();
    for (t, &x) in times.iter().zip(&xs) {
        let label = if real_time { text::secs(*t) } else { format!("op {t}") };
        let fits = x + text_width(&label) <= right + 20;
        if fits && ticks.last().is_none_or(|last| x >= last.x + text_width(&last.label) + 12) {
            ticks.push(Tick { x, label });
        }
    }
    let states = match obj.get("states_before") {
        Some(Value::Array(v)) => v.iter().map(|s| text::value(s, 80)).collect(),
        _ => Vec::new(),
    };
    LinDiagram {
        width: right + 20,
        height: TOP + lanes_by.len() as u32 * LANE + 10,
        lanes: lane_nodes
            .iter()
            .map(|(p, nodes)| {
                let on = nodes.first().filter(|_| nodes.len() == 1).map(|n| format!(" · {n}")).unwrap_or_default();
                Lane { y: lanes_by[p], label: format!("process {p}{on}") }
            })
            .collect(),
        stuck: bars.iter().filter(|b| b.class.starts_with("stuck")).map(|b| b.title.clone()).collect(),
        bars,
        ticks,
        states,
        key: obj.get("key").filter(|k| !k.is_null()).map(|k| text::value(k, 40)),
        model: obj.get("model").map(|m| text::value(m, 40)),
        omitted,
        flow: obj.contains_key("rule"),
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
        ops[0].value = json!(1).into();
        ops[1].value = json!(1).into();
        ops[2].value = json!(null).into();
        ops[4].value = json!(2).into();
        ops[3].value = json!(3).into();
        History::from_ops(None, ops)
    }

    #[test]
    fn draws_prefix_stuck_and_concurrent_ops() {
        let h = history();
        let detail = json!({
            "model": "register", "key": "x", "prefix": [0], "prefix_tail": [{"index": 0, "op": "write 1"}],
            "state_after_prefix": "1", "cannot_place": [{"index": 2, "completion": 4, "op": "read 2"}],
            "states_before": ["1"], "concurrent": [3]});
        let d = diagram(&h, &h.completions(), &detail).unwrap();
        assert_eq!(d.bars.len(), 3);
        assert_eq!(d.bars[0].class, "linearized");
        assert_eq!(d.bars[0].label, "#1 w 1");
        assert_eq!(d.bars[0].state.as_deref(), Some("1"));
        assert_eq!((d.bars[1].class.as_str(), d.bars[1].index, d.bars[1].label.as_str()), ("stuck", 2, "r 2"));
        assert_eq!((d.bars[2].class.as_str(), d.bars[2].index), ("other open", 3));
        assert_eq!(d.states, vec!["1"]);
        assert_eq!((d.key.as_deref(), d.model.as_deref()), (Some("x"), Some("register")));
        assert_eq!(d.lanes.len(), 3);
        assert!(d.bars[0].x < d.bars[1].x);
        assert!(d.stuck[0].contains("read nil → ok 2"), "{}", d.stuck[0]);
        // A read refuted by value flow names the write it read and the overwrite: both drawn.
        let flow = json!({"rule": "overwritten", "cannot_place": [{"index": 2}], "write": 0, "overwritten_by": 3});
        let d = diagram(&h, &h.completions(), &flow).unwrap();
        let classes: Vec<&str> = d.bars.iter().map(|b| b.class.as_str()).collect();
        assert_eq!(classes, ["stuck", "flow", "flow open"]);
        assert!(d.flow);
    }

    /// Fails when two label boxes in one lane intersect, or a label leaves its bar.
    pub(crate) fn assert_labels_apart(d: &LinDiagram) {
        for lane in &d.lanes {
            let mut boxes: Vec<(u32, u32, &str)> = d
                .bars
                .iter()
                .filter(|b| b.y >= lane.y && b.y < lane.y + LANE)
                .map(|b| {
                    assert!(b.x + 3 + text_width(&b.label) <= b.x + b.w, "label {:?} leaves its bar {b:?}", b.label);
                    (b.x + 3, b.x + 3 + text_width(&b.label), b.label.as_str())
                })
                .collect();
            boxes.sort_unstable();
            for w in boxes.windows(2) {
                assert!(w[0].1 <= w[1].0, "labels {:?} and {:?} overlap in {}", w[0].2, w[1].2, lane.label);
            }
        }
    }

    #[test]
    fn dense_short_ops_get_labels_that_never_overlap() {
        // 6 processes, each doing 30 ops of 1 µs back to back, with long values.
        let mut ops = Vec::new();
        for k in 0..30u64 {
            for p in 0..6u64 {
                let t = k * 2_000 + p * 150;
                let mut inv = op(0, t, OpType::Invoke, p, "cas");
                inv.value = json!([format!("v{}-abcdef", 123_456 + k), format!("v{}-abcdef", 654_321 + p)]).into();
                inv.node = Some(format!("n{}", p % 3 + 1).into());
                let mut done = op(0, t + 1_000, if k % 7 == 3 { OpType::Fail } else { OpType::Ok }, p, "cas");
                done.value = inv.value.clone();
                ops.push(inv);
                ops.push(done);
            }
        }
        ops.sort_by_key(|o| o.time);
        for (i, o) in ops.iter_mut().enumerate() {
            o.index = i as u64;
        }
        let h = History::from_ops(None, ops);
        let invokes: Vec<u64> = h.ops.iter().filter(|o| o.kind == OpType::Invoke).map(|o| o.index).collect();
        let detail = json!({"model": "cas-register", "key": null, "prefix": invokes[..60],
            "state_after_prefix": "123465", "cannot_place": [{"index": invokes[60], "op": "cas 1 -> 2"}],
            "states_before": ["123465"], "concurrent": invokes[61..80]});
        let d = diagram(&h, &h.completions(), &detail).unwrap();
        assert_eq!(d.bars.len(), MAX_PREFIX + 1 + MAX_OTHERS);
        assert_eq!(d.omitted, 60 - MAX_PREFIX);
        assert_labels_apart(&d);
        assert!(d.width <= MAX_WIDTH, "{} px wide", d.width);
        assert!(d.bars.iter().any(|b| b.label.ends_with('…')), "some labels had to be cut");
        for b in &d.bars {
            assert!(b.title.contains(&b.op) && !b.op.contains('…'), "the whole op is in the title: {b:?}");
        }
        assert!(d.lanes.iter().all(|l| l.label.contains(" · n")), "{:?}", d.lanes);
        assert!(d.ticks.len() >= 3 && d.ticks.windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn other_shapes_give_no_drawing() {
        let h = history();
        assert!(diagram(&h, &h.completions(), &json!(null)).is_none());
        assert!(diagram(&h, &h.completions(), &json!({"prefix": [0]})).is_none());
        assert!(diagram(&h, &h.completions(), &json!({"cannot_place": [{"index": 99}]})).is_none());
    }
}
