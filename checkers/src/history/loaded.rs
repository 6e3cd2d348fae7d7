//! The loaded history: header, ops in index order, where each op came from, and the warnings
//! its reader had.

use super::error::{HistoryError, Location};
use super::op::{Header, Op, OpType, Process};
use super::validate::{self, Violation};

/// A loaded, validated history.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The header, when the file had one (faultline's own histories do; imports do not).
    pub header: Option<Header>,
    /// Every op, in index order.
    pub ops: Vec<Op>,
    /// Problems that lost nothing of value but are worth saying (e.g. a dropped torn last line).
    pub warnings: Vec<String>,
    /// For each op, the line (or op number) it came from.
    pub(crate) places: Vec<u32>,
    /// Whether `places` are lines or op numbers.
    pub(crate) places_are_lines: bool,
}

impl History {
    /// A history built in memory (tests, generators); places are op numbers.
    pub fn from_ops(header: Option<Header>, ops: Vec<Op>) -> History {
        let places = (1..=ops.len() as u32).collect();
        History { header, ops, warnings: Vec::new(), places, places_are_lines: false }
    }

    /// Where op `i` (a position in `ops`) came from.
    pub fn location(&self, i: usize) -> Location {
        let n = self.places.get(i).copied().unwrap_or(i as u32 + 1);
        if self.places_are_lines {
            Location::Line(n)
        } else {
            Location::OpNumber(n)
        }
    }

    /// For each op position: the position of its completion when it is an invoke that
    /// completed, `None` otherwise (completions, and invocations still open at the end).
    /// Assumes a validated history.
    pub fn completions(&self) -> Vec<Option<usize>> {
        // Each process's open invocation: numbered clients below `TABLE` by number, others
        // by name (a hash map on every op costs a big history a tenth of its check).
        const TABLE: u64 = 1 << 16;
        let mut clients: Vec<Option<usize>> = Vec::new();
        let mut others: rustc_hash::FxHashMap<&Process, Option<usize>> = Default::default();
        let mut out = vec![None; self.ops.len()];
        for (i, op) in self.ops.iter().enumerate() {
            let open = match &op.process {
                &Process::Client(n) if n < TABLE => {
                    let n = n as usize;
                    if n >= clients.len() {
                        clients.resize(n + 1, None);
                    }
                    &mut clients[n]
                }
                other => others.entry(other).or_default(),
            };
            if op.kind == OpType::Invoke {
                *open = Some(i);
            } else if let Some(inv) = open.take() {
                out[inv] = Some(i);
            }
        }
        out
    }

    /// Checks every rule of [`validate`] and returns the first violation as an error.
    pub fn validate(&self, file: &str) -> Result<(), HistoryError> {
        match validate::violations(&self.ops).into_iter().next() {
            None => Ok(()),
            Some(v) => Err(self.invalid(file, v)),
        }
    }

    fn invalid(&self, file: &str, v: Violation) -> HistoryError {
        HistoryError::Invalid {
            file: file.to_string(),
            at: self.location(v.position),
            rule: v.rule.name(),
            message: v.message,
        }
    }
}
