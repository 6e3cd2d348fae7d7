//! Results: what a run leaves for people to read. Today: the HTML result bundle (`index.html`
//! with the verdict first, plots, fault effects, the timeline and counterexamples; the plots as
//! SVG files; `effects.json`) rendered from a history and the checkers' results by [`write`].
//!
//! A run calls it once its checkers are done, with links to the files it wrote itself:
//! ```
//! use checkers::{CheckResult, History};
//! use results::{Link, RunMeta};
//!
//! let history: History = results::sample::register_history(1_000, 3, 5, 1);
//! let checked = vec![CheckResult::valid("linearizable")];
//! let dir = std::env::temp_dir().join(format!("faultline-doc-{}", std::process::id()));
//! let mut meta = RunMeta::from_history(&history, "register under partitions");
//! meta.links.push(Link::new("history.jsonl", "history.jsonl"));
//! meta.links.push(Link::new("results.json", "results.json"));
//! meta.links.push(Link::new("harness.log", "harness.log"));
//! let bundle = results::write(&dir, &history, &checked, &meta).unwrap();
//! assert_eq!(bundle.verdict, "valid");
//! assert!(bundle.index.ends_with("index.html"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

pub mod analysis;
pub mod axis;
pub mod bundle;
pub mod campaign;
pub mod context;
pub mod counterexample;
pub mod cycles;
pub mod effects;
pub mod faults;
pub mod fsx;
pub mod hypothesis;
pub mod layout;
pub mod listing;
pub mod metrics;
pub mod page;
pub mod plots;
pub mod record;
pub mod run_page;
pub mod sample;
pub mod spans;
pub mod store;
pub mod text;
pub mod timeline;
pub mod verdict;

pub use bundle::{write, Bundle, BundleError};
pub use page::{Link, RunMeta};
pub use record::{RunRecord, Stats};
pub use verdict::Verdict;
