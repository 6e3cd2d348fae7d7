//! Workloads: a seeded generator of operations, the op vocabulary its client executes, and the
//! checkers (with their model semantics) that judge the resulting history.
//!
//! - [`generator`]: generators as pure state machines and their algebra (mix, stagger, limit,
//!   once, time-limit, phases, per-thread, flip-flop, sleep, independent keys).
//! - [`register`]: read/write/CAS over many independent keys.

pub mod generator;
pub mod register;

pub use generator::{Context, Event, Generator, Invocation, Next};
