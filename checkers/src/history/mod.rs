//! The history: every operation of a run as invoke/complete events, with the header that says
//! what the client guarantees. See DESIGN.md, "The history".
//!
//! - [`op`]: the op model and the header.
//! - [`jsonl`]: faultline's own format, streamed while a run goes on.
//! - [`edn`]: import of Jepsen/Knossos `history.edn` (and the same ops as JSON).
//! - [`validate`]: the rules a history must satisfy before any checker looks at it.
//! - [`load`]: read any supported file, detecting its format by content, and validate it.

pub mod edn;
pub mod jsonl;
pub mod load;
mod op;
pub mod validate;

pub use load::{load_path, load_str, History, HistoryError, Location};
pub use op::{
    FailedCas, Header, NilRead, Op, OpType, Process, Semantics, SemanticsOverride, Value, FORMAT_NAME, FORMAT_VERSION,
};
