//! Workloads: a seeded generator of operations, the op vocabulary its client executes, and the
//! checkers (with their model semantics) that judge the resulting history.
//!
//! - [`generator`]: generators as pure state machines and their algebra (mix, stagger, limit,
//!   once, time-limit, phases, per-thread, flip-flop, sleep, independent keys).
//! - [`register`]: read/write/CAS over many independent keys.
//! - [`rw_register`]: transactions of reads and writes (Elle's rw-register).
//! - [`set`]: adds of unique elements and final reads.

pub mod generator;
pub mod register;
pub mod rw_register;
pub mod set;

pub use generator::{Context, Event, Generator, Invocation, Next};
