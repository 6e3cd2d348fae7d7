//! The analysis phase of a run: load and validate the history once, check it with the
//! workload's checkers, write the run's record (`results.json`, typed in `results::record`) and
//! its page, and say the verdict. The loaded history and the record are handed back so the
//! campaign's row needs no second load.

use std::path::Path;
use std::time::Instant;

use checkers::{CheckResult, History, Validity};
use results::hypothesis::{judge_history, steady_line, Abort};
use results::record::{RunRecord, Stats, RECORD};
use results::run_page::HISTORY;
use results::Verdict;

use super::config::Plan;

/// What the run left for its analysis, besides the history on disk.
pub struct Recorded {
    /// Figures of the workload (the check time is filled in here).
    pub stats: Stats,
    /// Final reads that never got an answer.
    pub unanswered: Vec<String>,
    /// The run was interrupted (Ctrl-C, SIGTERM).
    pub interrupted: bool,
    /// Problems of the harness so far, one line each.
    pub errors: Vec<String>,
    /// Why and when the abort guard fired, if it did.
    pub aborted: Option<Abort>,
}

/// What the analysis leaves: the record as written and the history it judged (none when the
/// run left no readable history).
pub struct Analyzed {
    /// The record, as written to `results.json`.
    pub record: RunRecord,
    /// The history as loaded and validated once, for the page and the campaign's row.
    pub history: Option<History>,
}

/// Up to three anomalies per result, each followed by its context in the run (the nodes that
/// served its ops, the faults on them, the writes involved), and why a result is unknown.
fn explain(history: &History, results: &[CheckResult]) -> Vec<String> {
    let periods = results::faults::fault_periods(history);
    let cx = results::context::Context::new(history, &periods);
    let mut lines = Vec::new();
    for result in results {
        for anomaly in result.anomalies.iter().take(3) {
            lines.push(format!("  {}: {}", anomaly.kind, anomaly.explanation));
            lines.extend(cx.text(anomaly).into_iter().map(|line| format!("    {line}")));
        }
        if let Some(reason) = &result.unknown_reason {
            lines.push(format!("  unknown: {reason}"));
        }
    }
    lines
}

/// Checks `history` with the workload's checkers; unanswered final reads turn a valid verdict
/// into unknown.
fn check(plan: &Plan, history: &History, unanswered: &[String]) -> Vec<CheckResult> {
    let mut results = super::workload::check(plan, history);
    for result in results.iter_mut().filter(|r| r.validity == Validity::Valid && !unanswered.is_empty()) {
        result.validity = Validity::Unknown;
        result.unknown_reason = Some(format!(
            "final reads never answered after healing ({}): the cluster did not recover",
            unanswered.join(", ")
        ));
    }
    results
}

/// Loads the history in `dir` (if the run got as far as writing one) and checks it.
fn load_and_check(plan: &Plan, dir: &Path, recorded: &mut Recorded) -> (Option<History>, Vec<CheckResult>) {
    let path = dir.join(HISTORY);
    if !path.exists() {
        return (None, Vec::new());
    }
    match checkers::history::load_path(&path) {
        Ok(history) => {
            history.warnings.iter().for_each(|w| tracing::warn!("{w}"));
            let results = check(plan, &history, &recorded.unanswered);
            (Some(history), results)
        }
        Err(e) => {
            recorded.errors.push(format!("analysis: {e}"));
            (None, Vec::new())
        }
    }
}

/// The analysis phase of the run `run_id` of `plan` with `seed` in `dir`: check, record, page,
/// and the closing lines.
pub fn finish(plan: &Plan, seed: u64, run_id: &str, dir: &Path, mut recorded: Recorded) -> Analyzed {
    let started = Instant::now();
    let (history, results) = load_and_check(plan, dir, &mut recorded);
    recorded.stats.check_s = started.elapsed().as_secs_f64();
    if let Some(h) = &history {
        recorded.stats.count(&results::metrics::OpCount::of(h));
    }
    let lines = history.as_ref().map(|h| explain(h, &results)).unwrap_or_default();
    let mut record = RunRecord::of_results(&plan.name, results);
    if plan.hypothesis.is_some() || plan.abort_if.is_some() {
        record.experiment =
            history.as_ref().map(|h| judge_history(h, plan.hypothesis.as_ref(), recorded.aborted.clone()));
    }
    // A run cut short by Ctrl-C or SIGTERM tested less than was asked: at best unknown, so a CI
    // job killed by its timeout never passes.
    let cut_short = recorded.interrupted && record.validity == Validity::Valid;
    if cut_short {
        record.validity = Validity::Unknown;
    }
    let harness_failed =
        record.results.is_empty() || (!recorded.errors.is_empty() && record.validity != Validity::Invalid);
    record.exit_code = None;
    let verdict = if harness_failed { Verdict::Crashed } else { record.verdict() };
    record.exit_code = Some(verdict.exit_code());
    record.run_id = Some(run_id.to_string());
    record.seed = Some(seed);
    record.target = Some(plan.target_name().to_string());
    record.workload = Some(plan.workload.to_string());
    record.nodes = plan.nodes.clone();
    record.concurrency = Some(plan.concurrency);
    record.serializable = Some(plan.fields.serializable);
    record.bugs = plan.target_options.bugs.iter().map(|b| b.name().to_string()).collect();
    record.stats = recorded.stats;
    record.unanswered_final_reads = recorded.unanswered;
    record.interrupted = recorded.interrupted;
    record.harness_errors = recorded.errors.clone();
    if let Err(e) = record.write(&dir.join(RECORD)) {
        eprintln!("faultline: {e}");
    }
    let page = match history.as_ref().map(|h| results::run_page::render(dir, h, &record)) {
        Some(Ok(bundle)) => format!("; page {}", bundle.index.display()),
        Some(Err(e)) => {
            recorded.errors.push(format!("the HTML bundle: {e}"));
            String::new()
        }
        None => String::new(),
    };
    for error in &recorded.errors {
        eprintln!("faultline: {error}");
    }
    for line in lines {
        eprintln!("{line}");
    }
    if let Some(experiment) = &record.experiment {
        eprintln!("{}", steady_line(&experiment.steady_state));
        for line in experiment.lines() {
            eprintln!("  {line}");
        }
    }
    let word = match (harness_failed, cut_short, verdict) {
        (true, _, _) => "harness failed",
        (false, true, _) => "unknown (interrupted; what was recorded checks valid)",
        (false, false, Verdict::HypothesisFailed) => "valid, but the hypothesis failed",
        (false, false, _) => record.validity.as_str(),
    };
    let s = &record.stats;
    let refusals = match s.serialization_failures {
        0 => String::new(),
        n => format!(", {n} serialization failures"),
    };
    crate::exit::say!(
        "{word}: {} client ops (+ {} final reads) at {:.1} ops/s, {} refused{refusals}, {} faults, nodes made in {:.1} s, cluster up in {:.1} s; results in {}{page}",
        s.client_ops,
        s.final_reads,
        s.ops_per_s,
        s.refused,
        s.faults,
        s.provision_s,
        s.cluster_up_s,
        dir.display()
    );
    Analyzed { record, history }
}
