//! What each fuzz target does with its input: hand it to one of faultline's parsers of files
//! people give it, which must answer (a value or an error) and never panic, hang or run out of
//! memory. The history readers go through `checkers::history::load_str`, the public load API;
//! the test and campaign files through the harness's own modules, compiled here from their
//! source (the harness is a binary crate, so nothing else can link them).

// The harness modules below are compiled whole but only their parsers are used here.
#![allow(dead_code)]

use std::borrow::Cow;
use std::path::Path;

// At the crate's root, so that the paths they use (`crate::limits`, `crate::run::config`,
// `super::file`) lead where they lead in the harness.
#[path = "../../src/run/config.rs"]
pub mod config;
#[path = "../../src/campaign/expand.rs"]
pub mod expand;
#[path = "../../src/campaign/file.rs"]
pub mod file;
#[path = "../../src/limits.rs"]
pub mod limits;
#[path = "../../src/run/provisioning.rs"]
pub mod provisioning;

/// The harness's `run` module, as much of it as the test file needs.
pub mod run {
    pub use super::config;
    pub use super::provisioning;
}

/// A fuzz target: its name and what it does with an input.
pub type Target = (&'static str, fn(&[u8]));

/// Every target by name, as `scripts/fuzz` and the proptest fuzz tests run them.
pub const TARGETS: [Target; 7] = [
    ("history_jsonl", history_jsonl),
    ("history_edn", history_edn),
    ("history_json", history_json),
    ("test_file", test_file),
    ("campaign_file", campaign_file),
    ("schedule", schedule),
    ("chaos_file", chaos_file),
];

fn text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A history read as faultline JSONL (the input made to start as JSONL does).
pub fn history_jsonl(data: &[u8]) {
    let text = text(data);
    let text = if text.trim_start().starts_with("{\"") { text } else { Cow::Owned(format!("{{\"{text}")) };
    let _ = checkers::history::load_str(&text, "fuzz.jsonl");
}

/// A history read as Jepsen EDN (the input made not to look like JSONL).
pub fn history_edn(data: &[u8]) {
    let text = text(data);
    let text = if text.trim_start().starts_with("{\"") { Cow::Owned(format!("[{text}")) } else { text };
    let _ = checkers::history::load_str(&text, "fuzz.edn");
}

/// A history read as a JSON array of ops (the input made to start with `[`).
pub fn history_json(data: &[u8]) {
    let text = text(data);
    let text = if text.trim_start().starts_with('[') { text } else { Cow::Owned(format!("[{text}")) };
    let _ = checkers::history::load_str(&text, "fuzz.json");
}

/// A test file, validated into a plan (its schedule and chaos files are not read: `schedule`
/// and `chaos_file` cover those).
pub fn test_file(data: &[u8]) {
    if let Ok(mut fields) = serde_saphyr::from_str::<config::Fields>(&text(data)) {
        fields.nemesis_schedule = None;
        fields.chaos = None;
        let _ = config::Plan::from_fields(fields);
    }
}

/// A campaign file, parsed and expanded into its validated runs.
pub fn campaign_file(data: &[u8]) {
    let path = Path::new("/nonexistent-faultline-fuzz/campaign.yaml");
    if let Ok(file) = file::CampaignFile::parse(&text(data), path) {
        let _ = expand::expand(&file, path);
    }
}

/// A scripted schedule.
pub fn schedule(data: &[u8]) {
    let _ = nemesis::ScriptedSchedule::parse(&text(data), "fuzz.yaml");
}

/// A Chaos Mesh experiment file, bound to five labelled nodes and turned into a schedule.
pub fn chaos_file(data: &[u8]) {
    let Ok(file) = nemesis::chaos_mesh::ChaosFile::parse(&text(data), "fuzz.yaml") else { return };
    let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
    let labels = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let role = if i < 3 { "database" } else { "api-server" };
            (n.clone(), [("app.kubernetes.io/component".to_string(), role.to_string())].into())
        })
        .collect();
    if let Ok(plan) = file.bind(&nodes, &labels) {
        let _ = plan.schedule(std::time::Duration::from_secs(5), data.len() as u64);
    }
}
