//! The rules a history must satisfy before any checker reads it. Each violation names the op
//! (its position) and the rule, so the loader can report file, line and rule.

use rustc_hash::FxHashMap;

use super::op::{Op, OpType, Process};

/// A rule of well-formed histories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A completion (ok/fail/info) by a client process with no op in flight.
    CompletionWithoutInvoke,
    /// An invocation by a process that already has an op in flight.
    TwoInFlight,
    /// A completion whose `f` differs from its invocation's.
    MismatchedF,
    /// An index not greater than the one before it (a duplicate, or the file out of order).
    IndexNotIncreasing,
    /// Index order says later, time says earlier: the sequencer contract was broken.
    IndexTimeDisagree,
    /// A time earlier than the one before it.
    TimeBackwards,
    /// A client process used again after one of its ops ended `info` (it must be retired).
    ReusedAfterInfo,
}

impl Rule {
    /// The short name printed in errors.
    pub fn name(self) -> &'static str {
        match self {
            Rule::CompletionWithoutInvoke => "completion-without-invoke",
            Rule::TwoInFlight => "two-in-flight",
            Rule::MismatchedF => "mismatched-f",
            Rule::IndexNotIncreasing => "index-not-increasing",
            Rule::IndexTimeDisagree => "index-time-disagree",
            Rule::TimeBackwards => "time-backwards",
            Rule::ReusedAfterInfo => "reused-after-info",
        }
    }
}

/// One broken rule at one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Position of the offending op in the history.
    pub position: usize,
    /// The rule it breaks.
    pub rule: Rule,
    /// What is wrong, in words.
    pub message: String,
}

/// Every violation in `ops`, in file order.
///
/// Named processes (the nemesis) are held to the ordering rules only: Jepsen records their
/// events as `info` pairs, sometimes without an invoke.
pub fn violations(ops: &[Op]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut in_flight: FxHashMap<&Process, &Op> = FxHashMap::default();
    let mut retired: FxHashMap<&Process, u64> = FxHashMap::default();
    for (position, pair) in ops.iter().enumerate() {
        let op = pair;
        let mut fail = |rule: Rule, message: String| out.push(Violation { position, rule, message });
        if position > 0 {
            let prev = &ops[position - 1];
            let (index_up, time_up) = (op.index > prev.index, op.time >= prev.time);
            match (index_up, time_up) {
                (true, true) => {}
                (true, false) => fail(
                    Rule::TimeBackwards,
                    format!("time {} ns is before the previous op's {} ns", op.time, prev.time),
                ),
                (false, true) if op.index != prev.index => fail(
                    Rule::IndexTimeDisagree,
                    format!(
                        "index {} follows index {} but its time is not earlier: index and time order disagree",
                        op.index, prev.index
                    ),
                ),
                _ => fail(
                    Rule::IndexNotIncreasing,
                    format!("index {} follows index {}; indices must strictly increase", op.index, prev.index),
                ),
            }
        }
        if !op.is_client() {
            continue;
        }
        if let Some(info_index) = retired.get(&op.process) {
            fail(
                Rule::ReusedAfterInfo,
                format!("process {} ended op {info_index} with info and must not be used again", op.process),
            );
            continue;
        }
        if op.kind == OpType::Invoke {
            if let Some(open) = in_flight.insert(&op.process, op) {
                fail(
                    Rule::TwoInFlight,
                    format!(
                        "process {} invokes {} while its {} (index {}) is in flight",
                        op.process, op.f, open.f, open.index
                    ),
                );
            }
            continue;
        }
        match in_flight.remove(&op.process) {
            None => fail(
                Rule::CompletionWithoutInvoke,
                format!("{} {} by process {} has no invocation in flight", op.kind.as_str(), op.f, op.process),
            ),
            Some(invoke) if invoke.f != op.f => fail(
                Rule::MismatchedF,
                format!("completion f {} does not match invocation f {} (index {})", op.f, invoke.f, invoke.index),
            ),
            Some(_) => {}
        }
        if op.kind == OpType::Info {
            retired.insert(&op.process, op.index);
        }
    }
    out
}
