//! `faultline analyze RUN_DIR`: (re)render the HTML result bundle of a run folder from what the
//! run left there: `history.jsonl`, the checkers' results in `results.json`, the configuration
//! in `test.json`, and links to the logs. It does not check again (for other checker options,
//! `faultline report RUN_DIR/history.jsonl --out DIR`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use checkers::history::load_path;
use checkers::{CheckResult, Validity};
use clap::Args;
use results::{Link, RunMeta};
use serde_json::Value;

use crate::exit;

/// Arguments of `faultline analyze`.
#[derive(Args)]
pub struct AnalyzeArgs {
    /// A run's folder, e.g. `results/etcd-register/20261123T095753Z`.
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
}

/// Files of a run worth a link from its page, in this order, when they exist.
const RUN_FILES: [(&str, &str); 4] = [
    ("history.jsonl", "the history"),
    ("results.json", "the checkers' results"),
    ("test.json", "the test's configuration"),
    ("harness.log", "the harness's log"),
];

/// What `results.json` holds that the page needs.
struct RunResults {
    results: Vec<CheckResult>,
    /// Its other top-level fields, as configuration rows.
    fields: Vec<(String, Value)>,
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

fn run_results(path: &Path) -> Result<RunResults, String> {
    let Value::Object(mut doc) = read_json(path)? else {
        return Err(format!("{}: expected a JSON object", path.display()));
    };
    let results = doc.remove("results").ok_or_else(|| {
        format!("{}: no `results` field; check the history with `faultline report` instead", path.display())
    })?;
    let results = serde_json::from_value(results)
        .map_err(|e| format!("{}: `results` is not a list of checker results: {e}", path.display()))?;
    Ok(RunResults { results, fields: doc.into_iter().collect() })
}

/// A configuration value as a page shows it: strings as they are, the rest as compact JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Notes for the verdict box from `results.json`'s fields: harness errors, an interrupted run,
/// unanswered final reads.
fn notes(fields: &[(String, Value)]) -> Vec<String> {
    let mut notes = Vec::new();
    for (key, value) in fields {
        match (key.as_str(), value) {
            ("interrupted", Value::Bool(true)) => notes.push("The run was interrupted.".to_string()),
            ("harness_errors", Value::Array(errors)) => {
                notes.extend(errors.iter().map(|e| format!("Harness error: {}", shown(e))));
            }
            ("unanswered_final_reads", Value::Array(nodes)) if !nodes.is_empty() => notes.push(format!(
                "Final reads never answered from: {}",
                nodes.iter().map(shown).collect::<Vec<_>>().join(", ")
            )),
            _ => {}
        }
    }
    notes
}

/// Every file under `dir` (recursively), relative to `root`, sorted.
fn files_under(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(root, &path, out);
        } else if let Ok(relative) = path.strip_prefix(root) {
            out.push(relative.to_string_lossy().into_owned());
        }
    }
    out.sort();
}

/// Why a run folder's bundle could not be rendered.
pub enum RenderError {
    /// The folder's history or results.json is missing or unreadable (bad input).
    Input(String),
    /// The bundle could not be written.
    Write(String),
}

/// Renders the HTML result bundle of the run folder `dir` from what the run left there; returns
/// what was written and the merged verdict of the results (None when there are none).
pub fn render(dir: &Path) -> Result<(results::Bundle, Option<Validity>), RenderError> {
    let history = load_path(&dir.join("history.jsonl")).map_err(|e| RenderError::Input(e.to_string()))?;
    let run = run_results(&dir.join("results.json")).map_err(RenderError::Input)?;
    let name = dir.file_name().map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    let mut meta = RunMeta::from_history(&history, &name);
    let mut keys: Vec<String> = meta.config.iter().map(|(k, _)| k.clone()).collect();
    let test = match read_json(&dir.join("test.json")) {
        Ok(Value::Object(map)) => map.into_iter().collect(),
        _ => Vec::new(),
    };
    for (key, value) in test.iter().chain(run.fields.iter()) {
        let empty = match value {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        };
        if !keys.contains(key) && !empty {
            keys.push(key.clone());
            meta.config.push((key.clone(), shown(value)));
        }
    }
    meta.notes = notes(&run.fields);
    for (file, what) in RUN_FILES {
        if dir.join(file).exists() {
            meta.links.push(Link::new(format!("{file} ({what})"), file));
        }
    }
    let mut node_files = Vec::new();
    files_under(dir, &dir.join("nodes"), &mut node_files);
    meta.links.extend(node_files.into_iter().map(|f| Link::new(f.clone(), f)));
    let bundle = results::write(dir, &history, &run.results, &meta).map_err(|e| RenderError::Write(e.to_string()))?;
    Ok((bundle, run.results.iter().map(|r| r.validity).reduce(Validity::merge)))
}

/// Runs `faultline analyze`; the exit code is the run's verdict's, as for `check`.
pub fn run(args: AnalyzeArgs) -> ExitCode {
    let dir = &args.run_dir;
    match render(dir) {
        Ok((bundle, validity)) => {
            println!(
                "{}: {} — wrote {} ({:.1} MB)",
                dir.display(),
                bundle.verdict,
                bundle.index.display(),
                bundle.index_bytes as f64 / 1e6
            );
            validity.map_or(ExitCode::from(exit::BAD_INPUT), exit::for_validity)
        }
        Err(RenderError::Input(e)) => {
            eprintln!("faultline analyze: {e}");
            ExitCode::from(exit::BAD_INPUT)
        }
        Err(RenderError::Write(e)) => {
            eprintln!("faultline analyze: {e}");
            ExitCode::from(exit::HARNESS_FAILED)
        }
    }
}
