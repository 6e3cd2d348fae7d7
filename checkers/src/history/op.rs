//! The op model: one line of a history, and the header that opens a faultline history.

use serde::{Deserialize, Serialize};

pub use super::atom::Atom;
pub use super::value::{IntList, Value};

/// The name in the `format` field of every faultline history header.
pub const FORMAT_NAME: &str = "faultline-history";
/// The header format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The kind of event an op records (Jepsen's `:type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    /// A client (or the nemesis) starts an operation.
    Invoke,
    /// The operation took effect, with the value it returned.
    Ok,
    /// The operation definitely did not take effect (but see failed CAS, DESIGN.md).
    Fail,
    /// The outcome is unknown: it may or may not have taken effect, at any time after invoke.
    Info,
}

impl OpType {
    /// Parses the lowercase name used in JSONL and as an EDN keyword.
    pub fn parse(name: &str) -> Option<OpType> {
        match name {
            "invoke" => Some(OpType::Invoke),
            "ok" => Some(OpType::Ok),
            "fail" => Some(OpType::Fail),
            "info" => Some(OpType::Info),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Invoke => "invoke",
            OpType::Ok => "ok",
            OpType::Fail => "fail",
            OpType::Info => "info",
        }
    }
}

/// Who performed an op: a numbered client process, or a named actor such as the nemesis.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Process {
    /// A client process; a worker whose op ended `info` continues under a new number.
    Client(u64),
    /// A named process, `nemesis` for faults.
    Named(Atom),
}

impl Process {
    /// The process that records faults.
    pub fn nemesis() -> Process {
        Process::Named("nemesis".into())
    }

    /// True for numbered client processes, whose ops the consistency checkers judge.
    pub fn is_client(&self) -> bool {
        matches!(self, Process::Client(_))
    }
}

impl std::fmt::Display for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Process::Client(n) => write!(f, "{n}"),
            Process::Named(name) => f.write_str(name),
        }
    }
}

/// One event of a history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Position in the history, strictly increasing.
    pub index: u64,
    /// Nanoseconds since the run started (monotonic clock), never decreasing.
    pub time: u64,
    /// invoke, ok, fail or info.
    #[serde(rename = "type")]
    pub kind: OpType,
    /// Who performed it.
    pub process: Process,
    /// The function: `read`, `write`, `cas`, `txn`, `add`, a fault name, ...
    pub f: Atom,
    /// The argument (on invoke) or the result (on completion).
    #[serde(default)]
    pub value: Value,
    /// The node the client talked to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Atom>,
    /// Why the op failed or is indeterminate (`mismatch` for a CAS whose compare was false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Atom>,
}

impl Op {
    /// True for an op of a client process (not the nemesis).
    pub fn is_client(&self) -> bool {
        self.process.is_client()
    }
}

/// How to read a `nil` (JSON `null`) result of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NilRead {
    /// `nil` means the key is absent: it constrains the state like any other value.
    Absent,
    /// `nil` means "not observed": it constrains nothing (Knossos).
    #[default]
    Any,
}

/// What a failed CAS tells the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailedCas {
    /// A CAS that failed with error `mismatch` (or no error, in imports) was evaluated by the
    /// store: the value differed from the expected one at some point during the op.
    Observed,
    /// Every failed CAS simply did not happen (Knossos).
    #[default]
    Ignored,
}

/// The guarantees of the client that recorded a history, as the checkers must read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Semantics {
    /// Meaning of a nil read.
    #[serde(default)]
    pub nil_read: NilRead,
    /// Meaning of a failed CAS.
    #[serde(default)]
    pub failed_cas: FailedCas,
    /// Values are `[key value]` pairs over independent keys, to be checked per key.
    #[serde(default)]
    pub independent: bool,
}

/// Semantics given on the command line; each field set here wins over the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SemanticsOverride {
    /// `--nil-read`.
    pub nil_read: Option<NilRead>,
    /// `--failed-cas`.
    pub failed_cas: Option<FailedCas>,
    /// `--independent`.
    pub independent: Option<bool>,
}

impl Semantics {
    /// The header's semantics (Knossos's when there is no header) with the overrides applied.
    pub fn resolve(header: Option<&Header>, overrides: SemanticsOverride) -> Semantics {
        let base = header.map(|h| h.semantics).unwrap_or_default();
        Semantics {
            nil_read: overrides.nil_read.unwrap_or(base.nil_read),
            failed_cas: overrides.failed_cas.unwrap_or(base.failed_cas),
            independent: overrides.independent.unwrap_or(base.independent),
        }
    }
}

/// The first line of a faultline history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format version, [`FORMAT_VERSION`] for files this build writes.
    pub version: u32,
    /// The test's name.
    pub test: String,
    /// The seed every random choice of the run flowed from.
    pub seed: u64,
    /// The system under test, e.g. `etcd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The workload, e.g. `register`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// What the client guarantees.
    #[serde(default)]
    pub semantics: Semantics,
}

impl Header {
    /// A header of the current format version.
    pub fn new(test: &str, seed: u64, semantics: Semantics) -> Header {
        Header {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            test: test.to_string(),
            seed,
            target: None,
            workload: None,
            semantics,
        }
    }
}
