//! Counterexamples in words and JSON: the longest linearizable prefix, the op that cannot be
//! placed after it, and the states the object could be in when that op had to take effect.

use serde_json::json;

use crate::history::Value;

use super::model::{Interner, Model};
use super::prepare::Partition;
use super::search::Counterexample;
use crate::history::History;
use crate::verdict::Anomaly;

/// How many ops of the prefix's end are spelled out in the detail.
const TAIL: usize = 8;
/// How many other pending ops are listed beside the stuck one.
const CONCURRENT: usize = 16;

/// Says when an op happened: seconds since the run started, or its place in an imported file
/// whose ops carry no times.
pub(crate) struct Clock {
    real_time: bool,
}

impl Clock {
    /// Times are real when the history has a header or any op's time differs from its index
    /// (imports without `:time` get the file position as both).
    pub(crate) fn of(history: &History) -> Clock {
        Clock { real_time: history.header.is_some() || history.ops.iter().any(|op| op.time != op.index) }
    }

    fn when(&self, history: &History, position: usize) -> String {
        let op = &history.ops[position];
        if self.real_time {
            format!("at {:.3} s", op.time as f64 / 1e9)
        } else {
            format!("(op {})", op.index)
        }
    }
}

/// The anomaly for one partition whose search failed.
pub(crate) fn anomaly<M: Model>(
    model: &M,
    history: &History,
    clock: &Clock,
    part: &Partition<M::Input, M::Output>,
    cx: &Counterexample<M::State>,
    values: &Interner,
) -> Anomaly {
    let describe = |i: u32| {
        let op = &part.ops[i as usize];
        model.describe_op(&op.input, op.output.as_ref(), values)
    };
    let index_of = |position: u32| history.ops[position as usize].index;
    let stuck = &part.ops[cx.stuck as usize];
    let key = part.key.as_ref().map(|k| format!(" on key {}", show(k))).unwrap_or_default();
    let ret = stuck.ret.map_or(stuck.call, |r| r) as usize;
    let mut states: Vec<String> = cx.stuck_states.iter().map(|s| model.describe_state(s, values)).collect();
    states.sort_unstable();
    states.dedup();
    let explanation = if states.is_empty() {
        format!(
            "{}{key} {}, but no order of the ops before it allows that",
            describe(cx.stuck),
            clock.when(history, ret)
        )
    } else {
        format!(
            "{}{key} {}, but in every order of the ops before it the {} was then {}",
            describe(cx.stuck),
            clock.when(history, ret),
            model.name(),
            states.join(" or ")
        )
    };
    let in_prefix: rustc_hash::FxHashSet<u32> = cx.prefix.iter().copied().collect();
    let concurrent: Vec<u64> = part
        .ops
        .iter()
        .enumerate()
        .filter(|(i, op)| {
            *i as u32 != cx.stuck && op.ret.is_some() && op.call < ret as u32 && !in_prefix.contains(&(*i as u32))
        })
        .take(CONCURRENT)
        .map(|(_, op)| index_of(op.call))
        .collect();
    let tail: Vec<serde_json::Value> = cx.prefix[cx.prefix.len().saturating_sub(TAIL)..]
        .iter()
        .map(|&i| json!({"index": index_of(part.ops[i as usize].call), "op": describe(i)}))
        .collect();
    let mut ops = vec![index_of(stuck.call)];
    ops.extend(stuck.ret.map(index_of));
    Anomaly {
        kind: "nonlinearizable".to_string(),
        ops,
        explanation,
        detail: json!({
            "model": model.name(),
            "key": part.key.clone().unwrap_or(Value::Null),
            "prefix": cx.prefix.iter().map(|&i| index_of(part.ops[i as usize].call)).collect::<Vec<_>>(),
            "prefix_tail": tail,
            "state_after_prefix": model.describe_state(&cx.state, values),
            "cannot_place": [{
                "index": index_of(stuck.call),
                "completion": stuck.ret.map(index_of),
                "op": describe(cx.stuck),
            }],
            "states_before": states,
            "concurrent": concurrent,
        }),
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string(),
        other => other.to_string(),
    }
}
