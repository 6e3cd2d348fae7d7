//! Where a problem in a history file is, and what it is: every error names the file, the
//! place and (for broken rules) the rule.

use std::fmt;

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

impl HistoryError {
    /// A file that cannot be read as a history, at line `line`.
    pub(crate) fn malformed(file: &str, line: u32, message: String) -> HistoryError {
        HistoryError::Malformed { file: file.to_string(), at: Location::Line(line), message }
    }
}

/// The warning for a torn last line (a crash mid-write) at `line`, dropped because of `why`.
pub(crate) fn torn_line(file: &str, line: u32, why: impl std::fmt::Display) -> String {
    format!("{file}: line {line}: dropped a torn last line ({why})")
}
