//! Workloads: a seeded generator of operations, the op vocabulary its client executes, and the
//! checkers (with their model semantics) that judge the resulting history.
