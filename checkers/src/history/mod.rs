//! The history: every operation of a run as invoke/complete events, with the header that says
//! what the client guarantees. See DESIGN.md, "The history".
//!
//! - [`op`]: the op model and the header.
//! - [`jsonl`]: faultline's own format, streamed while a run goes on.
//! - [`edn`]: import of Jepsen/Knossos `history.edn` (and the same ops as JSON).
//! - [`validate`]: the rules a history must satisfy before any checker looks at it.
//! - [`load`]: read any supported file, detecting its format by content, and validate it.

mod atom;
mod builder;
pub mod edn;
mod error;
mod input;
pub mod jsonl;
pub mod load;
mod loaded;
mod micro_ops;
mod op;
pub mod validate;
mod value;

pub use atom::Atoms;
pub use error::{HistoryError, Location};
pub use input::{ReadLimits, DEFAULT_MAX_HISTORY_BYTES, MAX_NESTING};
pub use load::{load_path, load_path_with, load_reader, load_str};
pub use loaded::History;
pub(crate) use micro_ops::micro_op_text;
pub use micro_ops::{Ints, MicroOps, MopArg, MopFn};
pub use op::{
    Atom, FailedCas, Header, IntList, NilRead, Op, OpType, Process, Semantics, SemanticsOverride, Value, FORMAT_NAME,
    FORMAT_VERSION,
};
