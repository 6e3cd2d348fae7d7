//! Results: what a run leaves for people to read. Today: the HTML result bundle (`index.html`
//! with plots, fault effects, the timeline and counterexamples) rendered from a history and
//! the checkers' results, see [`bundle::write`].

pub mod effects;
pub mod faults;
pub mod metrics;
pub mod sample;
pub mod spans;
