//! Client operations as spans: each invocation paired with its completion, the unit that plots,
//! tables and the timeline draw.

use checkers::{History, OpType, Process};

/// How a client operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Completed `ok`.
    Ok,
    /// Completed `fail`: it definitely did not happen.
    Fail,
    /// Completed `info`: it may or may not have happened.
    Info,
    /// Never completed before the history ended (treated like `info` by the checkers).
    Open,
}

impl Outcome {
    /// The lowercase word used in pages and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Fail => "fail",
            Outcome::Info => "info",
            Outcome::Open => "open",
        }
    }
}

/// One client operation from invocation to completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Position of the invocation in `History::ops`.
    pub invoke: usize,
    /// Position of the completion, when there is one.
    pub completion: Option<usize>,
    /// How it ended.
    pub outcome: Outcome,
    /// Invocation time, ns since the run started.
    pub start: u64,
    /// Completion time; for an open op, the history's last time.
    pub end: u64,
    /// The store answered: `ok`, or a `fail` the store decided itself (`"error": "mismatch"`, a
    /// CAS whose comparison was false; or no error at all, as in Jepsen's imports). A `fail`
    /// refused before reaching the store carries another error. What availability counts.
    pub answered: bool,
}

/// Whether a completion of type `kind` with `error` was answered by the store (see
/// [`Span::answered`]); the abort guard counts live completions by the same rule.
pub fn answered(kind: OpType, error: Option<&str>) -> bool {
    kind == OpType::Ok || (kind == OpType::Fail && matches!(error, None | Some("mismatch")))
}

impl Span {
    /// Invocation to completion in ns; `None` for an op that never completed.
    pub fn latency(&self) -> Option<u64> {
        self.completion.map(|_| self.end - self.start)
    }
}

/// False for an import whose ops carry no times (the loader then sets each op's time to its
/// index, so times order the ops but measure nothing); the same rule as the checkers'.
pub fn has_real_times(history: &History) -> bool {
    history.header.is_some() || history.ops.iter().any(|op| op.time != op.index)
}

/// The `index` of the invocation of the op with `index` (itself when it is an invocation, or
/// when it is not found): the key the timeline knows ops by.
pub fn invocation_index(history: &History, index: u64) -> u64 {
    let Ok(p) = history.ops.binary_search_by_key(&index, |op| op.index) else { return index };
    let op = &history.ops[p];
    if op.kind == OpType::Invoke {
        return index;
    }
    history.ops[..p]
        .iter()
        .rev()
        .find(|o| o.process == op.process && o.kind == OpType::Invoke)
        .map_or(index, |o| o.index)
}

/// The time of the last op, 0 for an empty history.
pub fn history_end(history: &History) -> u64 {
    history.ops.last().map_or(0, |op| op.time)
}

/// Every client operation of `history` as a span, in invocation order. Nemesis and other named
/// processes are left out; completions without an invocation (which validation rejects) too.
pub fn client_spans(history: &History) -> Vec<Span> {
    let completions = history.completions();
    let end = history_end(history);
    history
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.kind == OpType::Invoke && matches!(op.process, Process::Client(_)))
        .map(|(i, op)| match completions[i] {
            Some(c) => {
                let done = &history.ops[c];
                let outcome = match done.kind {
                    OpType::Ok => Outcome::Ok,
                    OpType::Fail => Outcome::Fail,
                    _ => Outcome::Info,
                };
                let answered = answered(done.kind, done.error.as_deref());
                Span { invoke: i, completion: Some(c), outcome, start: op.time, end: done.time.max(op.time), answered }
            }
            None => Span {
                invoke: i,
                completion: None,
                outcome: Outcome::Open,
                start: op.time,
                end: end.max(op.time),
                answered: false,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::op;

    #[test]
    fn pairs_invocations_with_completions_and_keeps_open_ops() {
        let h = History::from_ops(
            None,
            vec![
                op(0, 10, OpType::Invoke, 1, "read"),
                op(1, 20, OpType::Invoke, 2, "write"),
                op(2, 35, OpType::Ok, 1, "read"),
                op(3, 40, OpType::Invoke, 1, "cas"),
                op(4, 50, OpType::Fail, 1, "cas"),
            ],
        );
        let spans = client_spans(&h);
        assert_eq!(spans.len(), 3);
        assert_eq!((spans[0].outcome, spans[0].latency()), (Outcome::Ok, Some(25)));
        assert_eq!((spans[1].outcome, spans[1].end, spans[1].latency()), (Outcome::Open, 50, None));
        assert_eq!(spans[2].outcome, Outcome::Fail);
        assert_eq!((invocation_index(&h, 4), invocation_index(&h, 2), invocation_index(&h, 1)), (3, 0, 1));
        assert_eq!(invocation_index(&h, 99), 99);
    }

    #[test]
    fn empty_history_has_no_spans() {
        assert!(client_spans(&History::default()).is_empty());
        assert!(!has_real_times(&History::from_ops(None, vec![op(0, 0, OpType::Invoke, 1, "read")])));
        assert!(has_real_times(&History::from_ops(None, vec![op(0, 7, OpType::Invoke, 1, "read")])));
        assert_eq!(history_end(&History::default()), 0);
    }
}
