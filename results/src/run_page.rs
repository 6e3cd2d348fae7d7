//! A run folder's page: the HTML result bundle rendered from what the run left there (its
//! history, its record `results.json`, the configuration in `test.json`, links to the logs),
//! without checking again. The runner calls [`render`] with the history and record it already
//! has; `faultline analyze` calls [`render_folder`], which reads them first.

use std::path::Path;

use checkers::history::load_path;
use checkers::History;
use serde_json::Value;

use crate::bundle::{self, Bundle, BundleError};
use crate::hypothesis::{steady_line, Experiment};
use crate::page::{Link, RunMeta};
use crate::record::{RunRecord, RECORD};

/// The history's file name in a run's folder.
pub const HISTORY: &str = "history.jsonl";

/// Files of a run worth a link from its page, in this order, when they exist.
const RUN_FILES: [(&str, &str); 6] = [
    (HISTORY, "the history"),
    (RECORD, "the checkers' results"),
    ("test.json", "the test's configuration"),
    ("harness.log", "the harness's log"),
    ("shrunk-schedule.yaml", "the smallest schedule that still fails, from faultline shrink"),
    ("shrink.json", "how faultline shrink got there: every attempt"),
];

/// Why a run folder's page could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The folder's history or record is missing or unreadable (bad input).
    #[error("{0}")]
    Input(String),
    /// The bundle could not be written.
    #[error(transparent)]
    Write(#[from] BundleError),
}

/// A configuration value as a page shows it: strings as they are, the rest as compact JSON;
/// `None` for values with nothing to show (null, empty lists and maps).
fn shown(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) if o.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Notes for the verdict box: bug switches, an interrupted run, harness errors, unanswered
/// final reads.
fn notes(record: &RunRecord) -> Vec<String> {
    let mut notes = Vec::new();
    if !record.bugs.is_empty() {
        notes.push(format!(
            "The target ran with bug switches on ({}): mistakes made on purpose, for the checkers to catch.",
            record.bugs.join(", ")
        ));
    }
    if record.interrupted {
        notes.push("The run was interrupted.".to_string());
    }
    notes.extend(record.harness_errors.iter().map(|e| format!("Harness error: {e}")));
    if !record.unanswered_final_reads.is_empty() {
        notes.push(format!("Final reads never answered from: {}", record.unanswered_final_reads.join(", ")));
    }
    notes
}

/// The experiment as the page lists it: the overall outcome, the steady state, the abort and
/// each fault's judgement.
fn experiment_lines(experiment: &Experiment) -> Vec<(&'static str, String)> {
    let class = |held: bool| if held { "held" } else { "failed" };
    let overall = match experiment.why_failed() {
        None => "The hypothesis held for every fault.".to_string(),
        Some(why) => format!("The experiment failed: {why}."),
    };
    let mut lines = vec![(class(experiment.held), overall), ("steady", steady_line(&experiment.steady_state))];
    if let Some(h) = &experiment.hypothesis {
        lines.push(("steady", format!("hypothesis: {}", serde_json::to_string(h).unwrap_or_default())));
    }
    let judged = experiment.lines();
    let aborted = usize::from(experiment.aborted.is_some());
    lines.extend(judged.iter().take(aborted).map(|l| ("failed", l.clone())));
    lines.extend(experiment.faults.iter().zip(judged.into_iter().skip(aborted)).map(|(f, l)| (class(f.held), l)));
    lines
}

/// At most this many node files get a link (a run has a few per node).
const MAX_NODE_FILES: usize = 1000;
/// Folders deeper than this below `nodes/` are not looked into.
const MAX_NODE_DEPTH: usize = 4;

/// The files under `dir` (recursively, at most [`MAX_NODE_DEPTH`] deep and [`MAX_NODE_FILES`]
/// of them), relative to `root`, sorted. Symlinks are never followed (a link to `.` would make
/// the walk endless, one to `/` huge), nor is `dir` itself when it is one.
fn files_under(root: &Path, dir: &Path, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_NODE_DEPTH || dir.symlink_metadata().map_or(true, |m| !m.is_dir()) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if out.len() >= MAX_NODE_FILES {
            break;
        }
        let path = entry.path();
        // DirEntry::file_type does not follow symlinks.
        match entry.file_type() {
            Ok(t) if t.is_dir() => files_under(root, &path, depth + 1, out),
            Ok(t) if t.is_file() => {
                if let Ok(relative) = path.strip_prefix(root) {
                    out.push(relative.to_string_lossy().into_owned());
                }
            }
            _ => {}
        }
    }
    out.sort();
}

/// The page's title, configuration rows (the history's header, then `test.json`, then the
/// record's fields), notes and links for the run folder `dir`.
pub fn meta(dir: &Path, history: &History, record: &RunRecord) -> RunMeta {
    let name = dir.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    let mut meta = RunMeta::from_history(history, &name);
    let test = std::fs::read_to_string(dir.join("test.json")).ok().and_then(|t| serde_json::from_str(&t).ok());
    let Some(Value::Object(mut fields)) = serde_json::to_value(record).ok() else { return meta };
    fields.remove("results");
    let test_fields = match test {
        Some(Value::Object(map)) => map.into_iter().collect(),
        _ => Vec::new(),
    };
    for (key, value) in test_fields.into_iter().chain(fields) {
        if let Some(text) = shown(&value).filter(|_| !meta.config.iter().any(|(k, _)| *k == key)) {
            meta.config.push((key, text));
        }
    }
    meta.notes = notes(record);
    if let Some(experiment) = &record.experiment {
        meta.experiment = experiment_lines(experiment);
    }
    let s = &record.stats;
    if s.refused > 0 {
        let share = s.refused as f64 / s.client_ops.max(1) as f64;
        meta.facts.push(format!(
            "{} refused by a node that was down ({} of client ops; workers backed off)",
            s.refused,
            crate::text::percent(Some(share))
        ));
    }
    if s.serialization_failures > 0 {
        meta.facts.push(format!(
            "{} the database refused to commit (serialization failures and deadlocks, SQLSTATE 40001/40P01)",
            s.serialization_failures
        ));
    }
    for (file, what) in RUN_FILES {
        if dir.join(file).exists() {
            meta.links.push(Link::new(format!("{file} ({what})"), file));
        }
    }
    let mut node_files = Vec::new();
    files_under(dir, &dir.join("nodes"), 0, &mut node_files);
    meta.links.extend(node_files.into_iter().map(|f| Link::new(f.clone(), f)));
    meta
}

/// Renders the page of the run folder `dir` from its loaded history and record.
pub fn render(dir: &Path, history: &History, record: &RunRecord) -> Result<Bundle, BundleError> {
    bundle::write(dir, history, &record.results, &meta(dir, history, record))
}

/// Reads the run folder `dir`'s history and record and renders its page; returns what was
/// written and the record.
pub fn render_folder(dir: &Path) -> Result<(Bundle, RunRecord), RenderError> {
    let history = load_path(&dir.join(HISTORY)).map_err(|e| RenderError::Input(e.to_string()))?;
    let record = RunRecord::read(&dir.join(RECORD)).map_err(|e| RenderError::Input(e.to_string()))?;
    let bundle = render(dir, &history, &record)?;
    Ok((bundle, record))
}
