//! The timeline's data: one column per process, each op a box from invocation to completion,
//! and the fault periods. The page's script draws only what is on screen from this, so it
//! stays usable for 100k+ ops. Processes that never overlap in time (a worker's successive
//! processes after `info` results) share a column, so columns stay as few as the workers.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Serialize;

use checkers::{History, Process};

use crate::faults::FaultPeriod;
use crate::spans::{Outcome, Span};
use crate::text;

/// Longest value text carried per op.
const VALUE_CHARS: usize = 48;
/// Most bytes of distinct op texts carried; past it an op's text is its `f` only (the history
/// has the rest), so a run of a million ops with unique values still makes a light page.
const MAX_TEXT_BYTES: usize = 3_000_000;

/// A column of ops, sorted by start (and so by end: a process has one op at a time).
///
/// `data` holds its ops packed: for each op, unsigned LEB128 varints of the start minus the
/// previous op's start (ticks, see [`TimelineData::real_time`]), the duration, a head byte
/// (outcome: 0 ok, 1 fail, 2 info, 3 never completed; plus 4 when the process differs from
/// the previous op's, then followed by the process), the index minus the previous op's index,
/// and the position of its text in [`TimelineData::texts`]; the whole base64-encoded. About
/// 11 characters an op where JSON took 37.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// The processes in it, e.g. `3, 8, 13`.
    pub label: String,
    /// How many ops it holds.
    pub n: usize,
    /// The ops, packed (see above).
    pub data: String,
}

/// Everything the timeline script reads, serialized into the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineData {
    /// The history's last time, in ticks.
    pub end: u64,
    /// True when times are real and a tick is 1 µs; false for imports without times, whose
    /// "times" are op positions (then a tick is one position).
    pub real_time: bool,
    /// The distinct op texts (`[n3] read [0,nil] → [0,4]`), each once.
    pub texts: Vec<String>,
    /// The columns.
    pub cols: Vec<Column>,
    /// Fault periods: `[start, end, label, healed]`, in ticks.
    pub faults: Vec<(u64, u64, String, bool)>,
}

/// Appends `v` as an unsigned LEB128 varint.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// One column's ops being packed (see [`Column`]).
#[derive(Clone, Default)]
struct Packer {
    bytes: Vec<u8>,
    n: usize,
    start: u64,
    index: u64,
    process: Option<u64>,
}

impl Packer {
    /// Appends an op from `start` to `end` (ticks).
    fn push(&mut self, start: u64, end: u64, outcome: u8, process: u64, index: u64, text: u64) {
        varint(&mut self.bytes, start.saturating_sub(self.start));
        varint(&mut self.bytes, end.saturating_sub(start));
        let changed = self.process != Some(process);
        self.bytes.push(outcome | if changed { 4 } else { 0 });
        if changed {
            varint(&mut self.bytes, process);
        }
        varint(&mut self.bytes, index.saturating_sub(self.index));
        varint(&mut self.bytes, text);
        (self.n, self.start, self.index, self.process) = (self.n + 1, start, index, Some(process));
    }
}

/// Interns op texts up to [`MAX_TEXT_BYTES`].
#[derive(Default)]
struct Texts {
    list: Vec<String>,
    ids: std::collections::HashMap<String, u64>,
    bytes: usize,
}

impl Texts {
    /// The id of `text`, or of `fallback` when the budget is spent.
    fn id(&mut self, text: String, fallback: &str) -> u64 {
        if let Some(&id) = self.ids.get(&text) {
            return id;
        }
        let text = if self.bytes + text.len() > MAX_TEXT_BYTES { fallback.to_string() } else { text };
        if let Some(&id) = self.ids.get(&text) {
            return id;
        }
        let id = self.list.len() as u64;
        self.bytes += text.len();
        self.list.push(text.clone());
        self.ids.insert(text, id);
        id
    }
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
    let labels: Vec<String> = col_procs
        .iter()
        .map(|procs| text::cut(&procs.iter().map(u64::to_string).collect::<Vec<_>>().join(", "), 40))
        .collect();
    let col_of: std::collections::HashMap<u64, usize> =
        col_procs.iter().enumerate().flat_map(|(c, procs)| procs.iter().map(move |&p| (p, c))).collect();
    let mut texts = Texts::default();
    let mut packed = vec![Packer::default(); labels.len()];
    for s in spans {
        let inv = &history.ops[s.invoke];
        let Process::Client(p) = inv.process else { continue };
        let outcome = match s.outcome {
            Outcome::Ok => 0,
            Outcome::Fail => 1,
            Outcome::Info => 2,
            Outcome::Open => 3,
        };
        let done = s.completion.map(|c| &history.ops[c]);
        let mut label = inv.node.as_deref().map(|n| format!("[{n}] ")).unwrap_or_default();
        label.push_str(&text::op_call(inv, VALUE_CHARS));
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
        let text = texts.id(label, &inv.f);
        packed[col_of[&p]].push(tick(s.start), tick(s.end), outcome, p, inv.index, text);
    }
    let cols = labels
        .into_iter()
        .zip(packed)
        .map(|(label, p)| Column { label, n: p.n, data: BASE64.encode(p.bytes) })
        .collect();
    let faults = faults
        .iter()
        .map(|p| {
            let label = if p.nodes.is_empty() { p.f.clone() } else { format!("{} {}", p.f, p.nodes.join(",")) };
            (tick(p.start), tick(p.end_or(end)), text::cut(&label, 60), p.healed.is_some())
        })
        .collect();
    TimelineData { end: tick(end), real_time, texts: texts.list, cols, faults }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::fault_periods;
    use crate::sample::register_history;
    use crate::spans::{client_spans, history_end};

    /// Unpacks a column as the page's script does: (start, end, outcome, process, index, text id).
    fn unpack(col: &Column) -> Vec<(u64, u64, u8, u64, u64, u64)> {
        let bytes = BASE64.decode(&col.data).unwrap();
        let mut at = 0;
        let mut next = || {
            let (mut v, mut shift) = (0u64, 0);
            loop {
                let b = bytes[at];
                at += 1;
                v |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b < 0x80 {
                    return v;
                }
            }
        };
        let (mut start, mut index, mut process) = (0, 0, 0);
        (0..col.n)
            .map(|_| {
                start += next();
                let duration = next();
                let head = next() as u8;
                if head & 4 != 0 {
                    process = next();
                }
                index += next();
                (start, start + duration, head & 3, process, index, next())
            })
            .collect()
    }

    #[test]
    fn retired_processes_share_their_worker_column() {
        let h = register_history(3_000, 4, 12, 5);
        let spans = client_spans(&h);
        let t = build(&h, &spans, &fault_periods(&h), history_end(&h));
        assert_eq!(t.cols.len(), 4, "{:?}", t.cols.iter().map(|c| &c.label).collect::<Vec<_>>());
        assert!(t.cols.iter().any(|c| c.label.contains(',')));
        assert_eq!(t.cols.iter().map(|c| c.n).sum::<usize>(), spans.len());
        let mut seen = 0;
        for c in &t.cols {
            let ops = unpack(c);
            assert!(ops.windows(2).all(|w| w[0].1 <= w[1].0), "overlap in column {}", c.label);
            for &(start, end, outcome, process, index, text) in &ops {
                let s = spans.iter().find(|s| h.ops[s.invoke].index == index).expect("an op of the history");
                assert_eq!((start, end), ((s.start + 500) / 1_000, (s.end + 500) / 1_000));
                assert_eq!(
                    (outcome == 2, &h.ops[s.invoke].process),
                    (s.outcome == Outcome::Info, &Process::Client(process))
                );
                assert!(t.texts[text as usize].starts_with(&*h.ops[s.invoke].f), "{}", t.texts[text as usize]);
                seen += 1;
            }
        }
        assert_eq!(seen, spans.len());
        assert!(t.texts.len() < spans.len() / 4, "texts are shared: {} for {} ops", t.texts.len(), spans.len());
        assert!(!t.faults.is_empty());
        assert!(t.real_time && t.end > 11_000_000 && t.end < 13_000_000, "{}", t.end);
    }

    #[test]
    fn texts_stop_growing_at_their_budget() {
        let mut texts = Texts::default();
        let unique = |i: usize| format!("add {i:0>100}");
        let ids: Vec<u64> = (0..MAX_TEXT_BYTES / 50).map(|i| texts.id(unique(i), "add")).collect();
        assert!(texts.bytes <= MAX_TEXT_BYTES);
        assert_eq!(texts.list[*ids.last().unwrap() as usize], "add", "past the budget, the f alone");
        assert_eq!(texts.id(unique(0), "add"), 0, "a text seen before keeps its id");
    }

    #[test]
    fn empty_history() {
        let t = build(&History::default(), &[], &[], 0);
        assert!(t.cols.is_empty() && t.faults.is_empty());
    }
}
