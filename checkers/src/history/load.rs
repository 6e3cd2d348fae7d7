//! Loading a history from any supported file: the format is detected by content, the ops are
//! validated, and every problem names the file, the place and the rule.

use std::fmt;
use std::path::Path;

use super::op::{Header, Op, OpType, Process};
use super::validate::{self, Violation};
use super::{edn, jsonl};

/// Where in its file an op (or a problem) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line of the file (JSONL, EDN with one map per line).
    Line(u32),
    /// A 1-based op number (an EDN vector, a JSON array), when lines are not known.
    OpNumber(u32),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::OpNumber(n) => write!(f, "op {n}"),
        }
    }
}

/// Why a history could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    /// The file could not be read at all.
    #[error("{file}: cannot read: {message}")]
    Io {
        /// The file's path.
        file: String,
        /// What the operating system said.
        message: String,
    },
    /// Some text is not a well-formed op.
    #[error("{file}: {at}: {message}")]
    Malformed {
        /// The file's path.
        file: String,
        /// Where.
        at: Location,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The ops are well-formed but break a rule of histories (see [`validate`]).
    #[error("{file}: {at}: {rule}: {message}")]
    Invalid {
        /// The file's path.
        file: String,
        /// Where.
        at: Location,
        /// The rule's short name, e.g. `two-in-flight`.
        rule: &'static str,
        /// What is wrong.
        message: String,
    },
}

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
        let mut open: rustc_hash::FxHashMap<&Process, usize> = Default::default();
        let mut out = vec![None; self.ops.len()];
        for (i, op) in self.ops.iter().enumerate() {
            if op.kind == OpType::Invoke {
                open.insert(&op.process, i);
            } else if let Some(inv) = open.remove(&op.process) {
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

/// Reads, parses and validates the history in `path` (faultline JSONL, Jepsen EDN, or a JSON
/// array of ops), detecting the format by its content.
pub fn load_path(path: &Path) -> Result<History, HistoryError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| HistoryError::Io { file: file.clone(), message: e.to_string() })?;
    let text = String::from_utf8(bytes).map_err(|e| HistoryError::Malformed {
        file: file.clone(),
        at: Location::Line(line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to())),
        message: "the file is not UTF-8 text; give a JSONL or EDN history".to_string(),
    })?;
    load_str(&text, &file)
}

/// Parses and validates a history held in memory; `file` names it in errors.
pub fn load_str(text: &str, file: &str) -> Result<History, HistoryError> {
    let history = match detect(text) {
        Format::Jsonl => jsonl::parse(text, file)?,
        Format::Edn => edn::parse(text, file)?,
        Format::Empty => {
            return Err(HistoryError::Malformed {
                file: file.to_string(),
                at: Location::Line(1),
                message: "the file holds no ops; give a JSONL or EDN history".to_string(),
            })
        }
    };
    history.validate(file)?;
    Ok(history)
}

enum Format {
    Jsonl,
    Edn,
    Empty,
}

/// JSONL starts with `{"`; anything else that starts with `[`, `{` or `(` is EDN (whose
/// syntax includes JSON arrays of objects, as commas are whitespace in EDN... except that
/// JSON's `"key":` is not EDN, so JSON arrays are read by the EDN module's JSON path).
fn detect(text: &str) -> Format {
    let mut chars = text.chars().filter(|c| !c.is_whitespace());
    match (chars.next(), chars.next()) {
        (None, _) => Format::Empty,
        (Some('{'), Some('"')) => Format::Jsonl,
        _ => Format::Edn,
    }
}

fn line_of_byte(bytes: &[u8], pos: usize) -> u32 {
    1 + bytes[..pos.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as u32
}
