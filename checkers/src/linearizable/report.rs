//! Counterexamples in words and JSON: the longest linearizable prefix, the op that cannot be
//! placed after it, and the states the object could be in when that op had to take effect.

use serde_json::json;

use crate::history::Value;

use super::model::{Interner, Model};
use super::prepare::{PartOp, Partition};
use super::search::Counterexample;
use super::stale::Stale;
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
    let ops = call_and_return(history, stuck);
    nonlinearizable(
        model.name(),
        part.key.as_ref(),
        ops,
        explanation,
        json!({
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
    )
}

/// The anomaly for a read that value flow alone refutes (see the `stale` module).
pub(crate) fn stale_anomaly<M: Model>(
    model: &M,
    history: &History,
    clock: &Clock,
    part: &Partition<M::Input, M::Output>,
    found: &Stale,
    values: &Interner,
) -> Anomaly {
    let index_of = |position: u32| history.ops[position as usize].index;
    let op = |i: u32| &part.ops[i as usize];
    let describe = |i: u32| model.describe_op(&op(i).input, op(i).output.as_ref(), values);
    let read = op(found.read);
    let key = part.key.as_ref().map(|k| format!(" on key {}", show(k))).unwrap_or_default();
    let began =
        if clock.real_time { format!(", invoked {}", clock.when(history, read.call as usize)) } else { String::new() };
    let shown = values.show(found.value);
    let (explanation, rule, writer, over) = match found.overwritten {
        None => (
            format!(
                "{} (op {}){key}{began}, but no op wrote {shown} and the {} did not start with it",
                describe(found.read),
                index_of(read.call),
                model.name()
            ),
            "never-written",
            None,
            None,
        ),
        Some((writer, w)) => {
            let over = op(w);
            let wrote = match writer {
                Some(x) => format!(
                    "{} (op {}) returned {}",
                    describe(x),
                    index_of(op(x).call),
                    clock.when(history, op(x).ret.unwrap_or(op(x).call) as usize)
                ),
                None => format!("{shown} was the initial value"),
            };
            (
                format!(
                    "{} (op {}){key}{began}, but that value was overwritten before the read began: {wrote}, then {} (op {}) was invoked after that and returned {}, and no other op wrote {shown}",
                    describe(found.read),
                    index_of(read.call),
                    describe(w),
                    index_of(over.call),
                    clock.when(history, over.ret.unwrap_or(over.call) as usize),
                ),
                "overwritten",
                writer.map(|x| index_of(op(x).call)),
                Some(index_of(over.call)),
            )
        }
    };
    let mut ops = call_and_return(history, read);
    ops.extend(writer);
    ops.extend(over);
    nonlinearizable(
        model.name(),
        part.key.as_ref(),
        ops,
        explanation,
        json!({
            "rule": rule,
            "cannot_place": [{
                "index": index_of(read.call),
                "completion": read.ret.map(index_of),
                "op": describe(found.read),
            }],
            "write": writer,
            "overwritten_by": over,
        }),
    )
}

/// The history indices of `op`'s invocation and, when it completed, its completion.
fn call_and_return<I, O>(history: &History, op: &PartOp<I, O>) -> Vec<u64> {
    std::iter::once(op.call).chain(op.ret).map(|position| history.ops[position as usize].index).collect()
}

/// A `nonlinearizable` anomaly whose detail also names the model and the key.
fn nonlinearizable(
    model: &str,
    key: Option<&Value>,
    ops: Vec<u64>,
    explanation: String,
    mut detail: serde_json::Value,
) -> Anomaly {
    detail["model"] = json!(model);
    detail["key"] = json!(key.unwrap_or(&Value::Null));
    Anomaly { kind: crate::AnomalyKind::Nonlinearizable, ops, explanation, detail }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string(),
        other => other.to_string(),
    }
}
