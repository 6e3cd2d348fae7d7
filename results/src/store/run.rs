//! One run folder as a listing row: what its record (`results.json`) says.

use super::{is_stamp, Found};
use crate::page::Link;
use crate::record::{RunRecord, RECORD};
use crate::verdict::Verdict;

/// The campaign a run belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRef {
    /// The campaign's name.
    pub name: String,
    /// When it started, `YYYYMMDDTHHMMSSZ` (its folder's name).
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
    /// The seed every random choice of the run flowed from.
    pub seed: Option<u64>,
    /// The system under test.
    pub target: Option<String>,
    /// The workload the clients ran, e.g. `register`.
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
    if !found.dir.join(RECORD).is_file() {
        run.note =
            Some("no results.json yet: the run is going on, or stopped before its analysis (see harness.log)".into());
        return run;
    }
    match RunRecord::read(&found.dir.join(RECORD)) {
        Ok(record) => fill(&mut run, record),
        Err(e) => run.note = Some(format!("{RECORD}: {}", e.problem)),
    }
    run
}

/// Fills `run` from its record.
fn fill(run: &mut RunSummary, record: RunRecord) {
    if !record.test.is_empty() {
        run.test = record.test.clone();
    }
    run.seed = record.seed;
    run.ops = Some(record.stats.client_ops);
    run.anomalies = record.anomaly_kinds();
    run.verdict = Some(record.verdict());
    if run.verdict == Some(Verdict::Crashed) {
        run.note = record.harness_errors.into_iter().next();
    }
    run.target = record.target;
    run.workload = record.workload;
}
