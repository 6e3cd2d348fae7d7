//! Figures over time: per time window, how many client ops completed with each outcome, the
//! share the store answered (availability: `ok`, and CAS mismatches) and latency quantiles; and
//! counts per `f` and type.

use std::collections::BTreeMap;

use checkers::{History, OpType, Process};
use hdrhistogram::Histogram;

use crate::spans::{Outcome, Span};

/// Latency quantiles of the ops completed in some stretch of time, in ns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantiles {
    /// Median.
    pub p50: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

/// What happened in one time window `[start, start + width)`, by completion time.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Start, ns since the run started.
    pub start: u64,
    /// Completions that were `ok`.
    pub ok: u64,
    /// Completions that were `fail`.
    pub fail: u64,
    /// Completions that were `info`.
    pub info: u64,
    /// Completions the store answered (see [`Span::answered`]).
    pub answered: u64,
    /// Latency quantiles of every op completed in the window; `None` when none did.
    pub latency: Option<Quantiles>,
}

impl Window {
    /// Every completion in the window.
    pub fn completed(&self) -> u64 {
        self.ok + self.fail + self.info
    }

    /// The share of completions the store answered; `None` when nothing completed.
    pub fn availability(&self) -> Option<f64> {
        (self.completed() > 0).then(|| self.answered as f64 / self.completed() as f64)
    }
}

/// A window width from 1-2-5 steps giving about `target` windows over `duration` ns (at
/// least 1 ms).
pub fn window_width(duration: u64, target: u64) -> u64 {
    let want = (duration / target.max(1)).max(1_000_000);
    let mut step = 1_000_000u64;
    loop {
        for m in [1, 2, 5] {
            if step * m >= want {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// A latency histogram in ns with 2 significant digits, up to an hour.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 2).expect("static histogram bounds are valid")
}

/// Quantiles of a histogram, `None` when empty.
fn quantiles(h: &Histogram<u64>) -> Option<Quantiles> {
    (!h.is_empty()).then(|| Quantiles {
        p50: h.value_at_quantile(0.5),
        p95: h.value_at_quantile(0.95),
        p99: h.value_at_quantile(0.99),
        max: h.max(),
    })
}

/// Windows of `width` ns covering `[0, end]`, filled from the completed spans.
pub fn windows(spans: &[Span], end: u64, width: u64) -> Vec<Window> {
    let width = width.max(1);
    let n = (end / width + 1) as usize;
    let mut out: Vec<Window> = (0..n)
        .map(|i| Window { start: i as u64 * width, ok: 0, fail: 0, info: 0, answered: 0, latency: None })
        .collect();
    let mut hists: Vec<Option<Histogram<u64>>> = vec![None; n];
    for s in spans {
        let Some(latency) = s.latency() else { continue };
        let i = ((s.end / width) as usize).min(n - 1);
        match s.outcome {
            Outcome::Ok => out[i].ok += 1,
            Outcome::Fail => out[i].fail += 1,
            _ => out[i].info += 1,
        }
        out[i].answered += u64::from(s.answered);
        hists[i].get_or_insert_with(histogram).saturating_record(latency.max(1));
    }
    for (w, h) in out.iter_mut().zip(hists) {
        w.latency = h.as_ref().and_then(quantiles);
    }
    out
}

/// Latency quantiles of the spans that completed `ok` (the service's own speed, without
/// timeouts); `None` when none did.
pub fn ok_quantiles(spans: &[Span]) -> Option<Quantiles> {
    let mut h = histogram();
    for latency in spans.iter().filter(|s| s.outcome == Outcome::Ok).filter_map(Span::latency) {
        h.saturating_record(latency.max(1));
    }
    quantiles(&h)
}

/// Availability and latency of the ops that completed in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stretch {
    /// Completions in the stretch.
    pub completed: u64,
    /// The share the store answered, `None` when nothing completed.
    pub availability: Option<f64>,
    /// Their 99th percentile latency, ns.
    pub p99: Option<u64>,
}

/// Availability and p99 latency of the spans completed in `[from, to)`. `by_end` holds the
/// completed spans sorted by completion time.
pub fn stretch(by_end: &[&Span], from: u64, to: u64) -> Stretch {
    let lo = by_end.partition_point(|s| s.end < from);
    let hi = by_end.partition_point(|s| s.end < to);
    let mut h = histogram();
    let mut answered = 0;
    for s in &by_end[lo..hi.max(lo)] {
        answered += u64::from(s.answered);
        h.saturating_record(s.latency().unwrap_or(0).max(1));
    }
    let completed = (hi.max(lo) - lo) as u64;
    Stretch {
        completed,
        availability: (completed > 0).then(|| answered as f64 / completed as f64),
        p99: quantiles(&h).map(|q| q.p99),
    }
}

/// The one op count of a run, as the page and `results.json` give it: client ops (each
/// invocation counted once, whatever became of it) during the workload, and the final reads
/// after it. Final reads are the client ops invoked after the nemesis's last op (the run's
/// final heal); a history with no nemesis ops has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpCount {
    /// Client ops invoked during the workload.
    pub workload: u64,
    /// Of those, completed `ok`.
    pub ok: u64,
    /// Of those, completed `fail`.
    pub fail: u64,
    /// Of those, completed `info`.
    pub info: u64,
    /// Client ops invoked after the nemesis's last op.
    pub final_reads: u64,
    /// Of the workload's `fail`s, those the database refused to commit: a serialization failure
    /// or a deadlock (error starting with SQLSTATE 40001 or 40P01).
    pub serialization_failures: u64,
}

/// Whether a completion's error is a database's refusal to commit (SQLSTATE 40001 or 40P01).
pub fn is_serialization_failure(error: &str) -> bool {
    error.starts_with("40001") || error.starts_with("40P01")
}

impl OpCount {
    /// Counts `history`'s client ops.
    pub fn of(history: &History) -> OpCount {
        let last_nemesis = history.ops.iter().rposition(|op| op.process == Process::nemesis());
        let mut count = OpCount::default();
        for (i, op) in history.ops.iter().enumerate() {
            if !op.is_client() {
                continue;
            }
            let after = last_nemesis.is_some_and(|n| i > n);
            match (op.kind, after) {
                (OpType::Invoke, true) => count.final_reads += 1,
                (_, true) => {}
                (OpType::Invoke, false) => count.workload += 1,
                (OpType::Ok, false) => count.ok += 1,
                (OpType::Fail, false) => {
                    count.fail += 1;
                    if op.error.as_ref().is_some_and(|e| is_serialization_failure(e)) {
                        count.serialization_failures += 1;
                    }
                }
                (OpType::Info, false) => count.info += 1,
            }
        }
        count
    }

    /// `1171 client ops (+ 36 final reads)`.
    pub fn describe(&self) -> String {
        let reads = if self.final_reads > 0 {
            format!(" (+ {})", crate::text::count(self.final_reads as usize, "final read"))
        } else {
            String::new()
        };
        format!("{}{reads}", crate::text::count(self.workload as usize, "client op"))
    }
}

/// How many ops of each type one `f` of one kind of process had.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Count {
    /// `nemesis` or another named process, empty for clients.
    pub actor: String,
    /// The function.
    pub f: String,
    /// invoke, ok, fail, info.
    pub by_type: [u64; 4],
}

/// Counts per (actor, `f`) and type, clients first, then by `f`.
pub fn counts(history: &History) -> Vec<Count> {
    let mut map: BTreeMap<(String, String), [u64; 4]> = BTreeMap::new();
    for op in &history.ops {
        let actor = match &op.process {
            Process::Client(_) => String::new(),
            Process::Named(name) => name.to_string(),
        };
        let slot = match op.kind {
            OpType::Invoke => 0,
            OpType::Ok => 1,
            OpType::Fail => 2,
            OpType::Info => 3,
        };
        map.entry((actor, op.f.to_string())).or_default()[slot] += 1;
    }
    map.into_iter().map(|((actor, f), by_type)| Count { actor, f, by_type }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::op;
    use crate::spans::client_spans;

    #[test]
    fn widths_follow_one_two_five() {
        assert_eq!(window_width(0, 100), 1_000_000);
        assert_eq!(window_width(60_000_000_000, 100), 1_000_000_000);
        assert_eq!(window_width(30_000_000_000, 100), 500_000_000);
        assert_eq!(window_width(15_000_000_000, 100), 200_000_000);
    }

    #[test]
    fn windows_count_outcomes_and_latency_by_completion_time() {
        let mut h = History::from_ops(
            None,
            vec![
                op(0, 0, OpType::Invoke, 0, "read"),
                op(1, 5, OpType::Ok, 0, "read"),
                op(2, 6, OpType::Invoke, 0, "write"),
                op(3, 15, OpType::Fail, 0, "write"),
                op(4, 16, OpType::Invoke, 1, "write"),
                op(5, 21, OpType::Invoke, 0, "cas"),
                op(6, 22, OpType::Fail, 0, "cas"),
            ],
        );
        h.ops[3].error = Some("connection refused".into());
        h.ops[6].error = Some("mismatch".into());
        let spans = client_spans(&h);
        let w = windows(&spans, 22, 10);
        assert_eq!(w.len(), 3);
        assert_eq!((w[0].ok, w[0].fail, w[0].availability()), (1, 0, Some(1.0)));
        assert_eq!((w[1].ok, w[1].fail, w[1].availability()), (0, 1, Some(0.0)), "refused: not answered");
        assert_eq!((w[2].fail, w[2].answered, w[2].availability()), (1, 1, Some(1.0)), "a CAS mismatch is an answer");
        assert_eq!(w[0].latency.unwrap().max, 5);
        assert_eq!(ok_quantiles(&spans).map(|q| (q.p50, q.p99)), Some((5, 5)), "the failed write is left out");
        assert_eq!(ok_quantiles(&spans[1..2]), None);
        let mut by_end: Vec<&Span> = spans.iter().filter(|s| s.completion.is_some()).collect();
        by_end.sort_by_key(|s| s.end);
        let all = stretch(&by_end, 0, 100);
        assert_eq!((all.completed, all.availability), (3, Some(2.0 / 3.0)));
        assert_eq!(stretch(&by_end, 50, 60).availability, None);
    }

    #[test]
    fn final_reads_come_after_the_last_nemesis_op() {
        let mut h = History::from_ops(
            None,
            vec![
                op(0, 0, OpType::Invoke, 0, "read"),
                op(1, 1, OpType::Ok, 0, "read"),
                op(2, 2, OpType::Invoke, 1, "write"),
                op(3, 3, OpType::Info, 1, "write"),
                op(6, 6, OpType::Invoke, 5, "read"),
                op(7, 7, OpType::Ok, 5, "read"),
            ],
        );
        assert_eq!(OpCount::of(&h).describe(), "3 client ops");
        h.ops.insert(4, crate::sample::nemesis_op(4, 4, OpType::Invoke, "heal", serde_json::Value::Null));
        h.ops.insert(5, crate::sample::nemesis_op(5, 5, OpType::Ok, "heal", serde_json::Value::Null));
        let c = OpCount::of(&h);
        assert_eq!((c.workload, c.ok, c.fail, c.info, c.final_reads), (2, 1, 0, 1, 1));
        assert_eq!(c.describe(), "2 client ops (+ 1 final read)");
    }

    #[test]
    fn counts_split_clients_and_nemesis() {
        let mut h = History::from_ops(
            None,
            vec![
                op(0, 0, OpType::Invoke, 0, "read"),
                op(1, 1, OpType::Ok, 0, "read"),
                op(2, 2, OpType::Invoke, 1, "read"),
            ],
        );
        h.ops.push(crate::sample::nemesis_op(3, 3, OpType::Info, "kill", serde_json::Value::Null));
        let c = counts(&h);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].actor.as_str(), c[0].f.as_str(), c[0].by_type), ("", "read", [2, 1, 0, 0]));
        assert_eq!((c[1].actor.as_str(), c[1].by_type), ("nemesis", [0, 0, 0, 1]));
    }
}
