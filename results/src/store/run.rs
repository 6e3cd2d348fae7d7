//! One run folder as a listing row: what `results.json` says (the runner's `ResultsFile`).

use serde_json::{Map, Value};

use super::{is_stamp, json, Found};
use crate::campaign::Verdict;
use crate::page::Link;

/// The exit code of a run whose harness failed.
const CRASHED_EXIT: u64 = 255;

/// The campaign a run belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRef {
    /// The campaign's name.
    pub name: String,
    /// Its stamp.
    pub stamp: String,
    /// Its page (or `campaign.json`), relative to the store's root.
    pub link: Option<Link>,
}

/// A run as the listing shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The test's name (the parent folder's when `results.json` does not say).
    pub test: String,
    /// When it ran, e.g. `20261123T095753Z` (the campaign's stamp when the folder has none).
    pub stamp: String,
    /// The folder, relative to the store's root.
    pub folder: String,
    /// The verdict (`crashed` for exit code 255); none when `results.json` is missing or
    /// unreadable.
    pub verdict: Option<Verdict>,
    /// Why it is unreadable, or the first harness error of a crashed run.
    pub note: Option<String>,
    /// The kinds of anomaly found, each once.
    pub anomalies: Vec<String>,
    /// The seed.
    pub seed: Option<u64>,
    /// The system under test.
    pub target: Option<String>,
    /// The workload.
    pub workload: Option<String>,
    /// Client operations completed.
    pub ops: Option<u64>,
    /// The run page (or `results.json` when there is none), then the history and the log.
    pub links: Vec<Link>,
    /// The campaign it is part of.
    pub campaign: Option<CampaignRef>,
}

/// The row of the run folder `found`, part of `campaign` if any.
pub(super) fn read(found: &Found, campaign: Option<&CampaignRef>) -> RunSummary {
    let stamp = match campaign {
        Some(c) if !is_stamp(found.name()) => c.stamp.clone(),
        _ => found.name().to_string(),
    };
    let folder_test =
        if campaign.is_some() || found.parent_name().is_empty() { found.name() } else { found.parent_name() };
    let mut run = RunSummary {
        test: folder_test.to_string(),
        stamp,
        folder: found.rel.join("/"),
        verdict: None,
        note: None,
        anomalies: Vec::new(),
        seed: None,
        target: None,
        workload: None,
        ops: None,
        links: found.links(&["index.html", "results.json"], &["history.jsonl", "harness.log"]),
        campaign: campaign.cloned(),
    };
    if !found.dir.join("results.json").is_file() {
        run.note =
            Some("no results.json yet: the run is going on, or stopped before its analysis (see harness.log)".into());
        return run;
    }
    match json::read_object(&found.dir, "results.json") {
        Ok(doc) => fill(&mut run, &doc),
        Err(reason) => run.note = Some(reason),
    }
    run
}

/// Fills `run` from the fields of its `results.json`.
fn fill(run: &mut RunSummary, doc: &Map<String, Value>) {
    if let Some(test) = json::string(doc, "test") {
        run.test = test;
    }
    run.seed = doc.get("seed").and_then(Value::as_u64);
    run.target = json::string(doc, "target");
    run.workload = json::string(doc, "workload");
    run.ops = doc.get("stats").and_then(|s| s.get("client_ops")).and_then(Value::as_u64);
    run.anomalies = json::distinct_strings(
        json::array(doc, "results")
            .iter()
            .flat_map(|r| r.get("anomalies").and_then(Value::as_array).into_iter().flatten())
            .filter_map(|a| a.get("kind")),
    );
    let errors = json::array(doc, "harness_errors");
    if doc.get("exit_code").and_then(Value::as_u64) == Some(CRASHED_EXIT) {
        run.verdict = Some(Verdict::Crashed);
        run.note = errors.first().map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string));
        return;
    }
    run.verdict = json::verdict(doc, "validity");
    if run.verdict.is_none() {
        run.note = Some("results.json: `validity` is missing or not one of valid, invalid, unknown".into());
    }
}
