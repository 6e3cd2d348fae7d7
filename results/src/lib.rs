//! Results: what a run leaves for people to read. Today: the HTML result bundle (`index.html`
//! with plots, fault effects, the timeline and counterexamples, plus `results.json` and the
//! plots as SVG files) rendered from a history and the checkers' results by [`bundle::write`].

pub mod analysis;
pub mod bundle;
pub mod counterexample;
pub mod cycles;
pub mod effects;
pub mod faults;
pub mod metrics;
pub mod page;
pub mod plots;
pub mod sample;
pub mod spans;
pub mod text;
pub mod timeline;

pub use bundle::{write, Bundle, BundleError};
pub use page::{Link, RunMeta};
