//! The timeline's data: one column per process, each op a box from invocation to completion,
//! and the fault periods. The page's script draws only what is on screen from this, so it
//! stays usable for 100k+ ops. Processes that never overlap in time (a worker's successive
//! processes after `info` results) share a column, so columns stay as few as the workers.

use serde::Serialize;

use checkers::{History, Process};

use crate::faults::FaultPeriod;
use crate::spans::{Outcome, Span};
use crate::text;

/// Longest value text carried per op.
const VALUE_CHARS: usize = 48;

/// One op: `[start, duration, outcome, index, process, text]` in ticks (see
/// [`TimelineData::real_time`]), `start` counted from the previous op's start in the same
/// column (short numbers keep 100k-op pages small); outcome 0 ok, 1 fail, 2 info, 3 never
/// completed.
pub type TimelineOp = (u64, u64, u8, u64, u64, String);

/// A column of ops, sorted by start (and so by end: a process has one op at a time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// The processes in it, e.g. `3, 8, 13`.
    pub label: String,
    /// Its ops.
    pub ops: Vec<TimelineOp>,
}

/// Everything the timeline script reads, serialized into the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineData {
    /// The history's last time, in ticks.
    pub end: u64,
    /// True when times are real and a tick is 1 µs; false for imports without times, whose
    /// "times" are op positions (then a tick is one position).
    pub real_time: bool,
    /// The columns.
    pub cols: Vec<Column>,
    /// Fault periods: `[start, end, label, healed]`, in ticks.
    pub faults: Vec<(u64, u64, String, bool)>,
}

/// Builds the timeline of `spans` (in invocation order) and `faults`.
pub fn build(history: &History, spans: &[Span], faults: &[FaultPeriod], end: u64) -> TimelineData {
    let real_time = crate::spans::has_real_times(history);
    let tick = |ns: u64| if real_time { (ns + 500) / 1_000 } else { ns };
    // Each process's lifetime, in order of first invocation.
    let mut lives: Vec<(u64, u64, u64)> = Vec::new(); // (process, first start, last end)
    let mut position: std::collections::HashMap<u64, usize> = Default::default();
    for s in spans {
        let Process::Client(p) = history.ops[s.invoke].process else { continue };
        match position.get(&p) {
            Some(&i) => lives[i].2 = lives[i].2.max(s.end),
            None => {
                position.insert(p, lives.len());
                lives.push((p, s.start, s.end));
            }
        }
    }
    // Greedy packing: a process joins the first column whose last process ended before it began.
    let mut col_end: Vec<u64> = Vec::new();
    let mut col_procs: Vec<Vec<u64>> = Vec::new();
    for &(p, start, stop) in &lives {
        let c = match col_end.iter().position(|&e| e <= start) {
            Some(c) => c,
            None => {
                col_end.push(0);
                col_procs.push(Vec::new());
                col_end.len() - 1
            }
        };
        col_end[c] = stop;
        col_procs[c].push(p);
    }
    col_procs.sort_by_key(|procs| procs.first().copied());
    let mut cols: Vec<Column> = col_procs
        .iter()
        .map(|procs| {
            let names: Vec<String> = procs.iter().map(u64::to_string).collect();
            Column { label: text::cut(&names.join(", "), 40), ops: Vec::new() }
        })
        .collect();
    let col_of: std::collections::HashMap<u64, usize> =
        col_procs.iter().enumerate().flat_map(|(c, procs)| procs.iter().map(move |&p| (p, c))).collect();
    let completions = history.completions();
    let mut last_start = vec![0; cols.len()];
    for s in spans {
        let inv = &history.ops[s.invoke];
        let Process::Client(p) = inv.process else { continue };
        let outcome = match s.outcome {
            Outcome::Ok => 0,
            Outcome::Fail => 1,
            Outcome::Info => 2,
            Outcome::Open => 3,
        };
        let done = completions[s.invoke].map(|c| &history.ops[c]);
        let mut label = text::op_call(inv, VALUE_CHARS);
        if let Some(d) = done {
            if d.value != inv.value {
                label.push_str(" → ");
                label.push_str(&text::value(&d.value, VALUE_CHARS));
            }
            if let Some(e) = &d.error {
                label.push_str(" (");
                label.push_str(&text::cut(e, VALUE_CHARS));
                label.push(')');
            }
        }
        let col = col_of[&p];
        let (start, end) = (tick(s.start), tick(s.end));
        let delta = start.saturating_sub(last_start[col]);
        last_start[col] = start;
        cols[col].ops.push((delta, end - start, outcome, inv.index, p, label));
    }
    let faults = faults
        .iter()
        .map(|p| {
            let label = if p.nodes.is_empty() { p.f.clone() } else { format!("{} {}", p.f, p.nodes.join(",")) };
            (tick(p.start), tick(p.end_or(end)), text::cut(&label, 60), p.healed.is_some())
        })
        .collect();
    TimelineData { end: tick(end), real_time, cols, faults }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::fault_periods;
    use crate::sample::register_history;
    use crate::spans::{client_spans, history_end};

    #[test]
    fn retired_processes_share_their_worker_column() {
        let h = register_history(3_000, 4, 12, 5);
        let spans = client_spans(&h);
        let t = build(&h, &spans, &fault_periods(&h), history_end(&h));
        assert_eq!(t.cols.len(), 4, "{:?}", t.cols.iter().map(|c| &c.label).collect::<Vec<_>>());
        assert!(t.cols.iter().any(|c| c.label.contains(',')));
        assert_eq!(t.cols.iter().map(|c| c.ops.len()).sum::<usize>(), spans.len());
        for c in &t.cols {
            // Start deltas are at least the previous op's duration: no overlap in a column.
            assert!(c.ops.windows(2).all(|w| w[0].1 <= w[1].0), "overlap in column {}", c.label);
        }
        assert!(!t.faults.is_empty());
        assert!(t.real_time && t.end > 11_000_000 && t.end < 13_000_000, "{}", t.end);
    }

    #[test]
    fn empty_history() {
        let t = build(&History::default(), &[], &[], 0);
        assert!(t.cols.is_empty() && t.faults.is_empty());
    }
}
