//! Analysis of a recorded run: load and validate the history, check it, and write results.json
//! (the run's metadata, the figures, and every checker's result).

use std::path::Path;

use checkers::{CheckResult, Validity};
use serde::Serialize;

use super::config::WorkloadName;

/// Figures of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Seconds from launching the daemons until every node answered a linearizable read.
    pub cluster_up_s: f64,
    /// Seconds of workload (until the generator ran out or the run was interrupted).
    pub workload_s: f64,
    /// Client completions recorded during the workload (ok + fail + info).
    pub client_ops: u64,
    /// ok completions.
    pub ok: u64,
    /// fail completions.
    pub fail: u64,
    /// info completions.
    pub info: u64,
    /// client_ops / workload_s.
    pub ops_per_s: f64,
    /// Faults injected.
    pub faults: u64,
    /// Seconds the checker took.
    pub check_s: f64,
}

/// results.json: what the run was, what happened, and the verdicts.
#[derive(Debug, Clone, Serialize)]
pub struct ResultsFile {
    /// The test's name.
    pub test: String,
    /// The run's id (tags iptables rules, the cluster token, the journal).
    pub run_id: String,
    /// The seed.
    pub seed: u64,
    /// The system under test.
    pub target: String,
    /// The workload.
    pub workload: String,
    /// The nodes.
    pub nodes: Vec<String>,
    /// Client workers.
    pub concurrency: usize,
    /// Reads were serializable (not linearizable).
    pub serializable: bool,
    /// The overall verdict: the merge of every result's.
    pub validity: Validity,
    /// The process exit code that goes with it (255 when the harness failed).
    pub exit_code: u8,
    /// Figures.
    pub stats: Stats,
    /// Final reads that never got an answer (each makes the verdict at best unknown).
    pub unanswered_final_reads: Vec<String>,
    /// The run was interrupted (Ctrl-C, SIGTERM).
    pub interrupted: bool,
    /// Problems of the harness (setup, teardown), one line each.
    pub harness_errors: Vec<String>,
    /// Every checker's result.
    pub results: Vec<CheckResult>,
}

/// Checker results and the lines that explain them to a person.
pub struct Checked {
    /// Every checker's result.
    pub results: Vec<CheckResult>,
    /// Up to three anomalies per result, each followed by the ops it involves and their nodes.
    pub lines: Vec<String>,
}

fn explain(history: &checkers::History, results: &[CheckResult]) -> Vec<String> {
    let mut lines = Vec::new();
    for result in results {
        for anomaly in result.anomalies.iter().take(3) {
            let ops: Vec<String> = anomaly
                .ops
                .iter()
                .filter_map(|i| history.ops.iter().find(|o| o.index == *i))
                .map(|o| {
                    let node = o.node.as_deref().map(|n| format!(" on {n}")).unwrap_or_default();
                    format!("#{} {} {} by process {}{node}", o.index, o.kind.as_str(), o.f, o.process)
                })
                .collect();
            lines.push(format!("  {}: {}", anomaly.kind, anomaly.explanation));
            if !ops.is_empty() {
                lines.push(format!("    ops: {}", ops.join("; ")));
            }
        }
        if let Some(reason) = &result.unknown_reason {
            lines.push(format!("  unknown: {reason}"));
        }
    }
    lines
}

/// Checks the history at `path` with the workload's checker; unanswered final reads turn a
/// valid verdict into unknown.
pub fn check(workload: WorkloadName, path: &Path, unanswered: &[String]) -> Result<Checked, String> {
    let history = checkers::history::load_path(path).map_err(|e| e.to_string())?;
    for warning in &history.warnings {
        tracing::warn!("{warning}");
    }
    let mut result = super::workload::check(workload, &history);
    if result.validity == Validity::Valid && !unanswered.is_empty() {
        result.validity = Validity::Unknown;
        result.unknown_reason = Some(format!(
            "final reads never answered after healing ({}): the cluster did not recover",
            unanswered.join(", ")
        ));
    }
    let results = vec![result];
    Ok(Checked { lines: explain(&history, &results), results })
}

/// The overall verdict of some results.
pub fn overall(results: &[CheckResult]) -> Validity {
    results.iter().fold(Validity::Valid, |v, r| v.merge(r.validity))
}
