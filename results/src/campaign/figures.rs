//! A run's row from what the run left in its folder: the verdict and figures from
//! `results.json`, the latency of ok ops from `history.jsonl`, and why it did not pass.

use std::path::Path;

use checkers::History;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::metrics::ok_quantiles;
use crate::record::{RunRecord, RECORD};
use crate::spans::client_spans;
use crate::text::cut;
use crate::verdict::Verdict;

/// Longest `why` (characters).
const MAX_WHY: usize = 300;
/// Most anomaly explanations kept per run (for JUnit's failure text).
const MAX_EXPLANATIONS: usize = 20;

/// What a run's folder says about it: the part of a campaign's row (`RunRow`) that comes from
/// the run's record and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFigures {
    /// How it ended.
    pub verdict: Verdict,
    /// Anomaly kinds, each once, in the order first found.
    pub anomalies: Vec<String>,
    /// Up to [`MAX_EXPLANATIONS`] lines: anomalies as `kind: explanation`, each followed by its
    /// context in the run indented (when the history was read), and why a result is unknown.
    /// For JUnit's failure text; `campaign.json` does not keep them.
    #[serde(skip)]
    pub explanations: Vec<String>,
    /// Client ops completed.
    pub ops: u64,
    /// Client ops per second.
    pub ops_per_s: f64,
    /// Median latency of ok ops, ms (`null` when none succeeded).
    pub p50_ms: Option<f64>,
    /// 99th percentile latency of ok ops, ms (`null` when none succeeded).
    pub p99_ms: Option<f64>,
    /// Faults injected.
    pub faults: u64,
    /// Why it did not pass, in one line (`null` when valid).
    pub why: Option<String>,
}

/// `text` on one line, cut to [`MAX_WHY`] characters.
fn one_line(text: &str) -> String {
    cut(&text.split_whitespace().collect::<Vec<_>>().join(" "), MAX_WHY)
}

impl RunFigures {
    /// A run that left nothing to read: crashed, for `why`.
    pub fn crashed(why: &str) -> RunFigures {
        RunFigures {
            verdict: Verdict::Crashed,
            anomalies: Vec::new(),
            explanations: Vec::new(),
            ops: 0,
            ops_per_s: 0.0,
            p50_ms: None,
            p99_ms: None,
            faults: 0,
            why: Some(one_line(why)),
        }
    }

    /// Reads the run folder `dir`; `code` is the run's exit code as the runner returned it,
    /// which decides the verdict when `results.json` is missing or disagrees.
    pub fn read(dir: &Path, code: u8) -> RunFigures {
        let record = match RunRecord::read(&dir.join(RECORD)) {
            Ok(record) => record,
            Err(e) if Verdict::of_exit_code(code) == Verdict::Crashed => {
                return RunFigures::crashed(&format!("the run failed and left no results ({e})"))
            }
            Err(e) => return RunFigures::crashed(&format!("the run's results are unreadable: {e}")),
        };
        let history = checkers::history::load_path(&dir.join("history.jsonl")).ok();
        RunFigures::of(&record, history.as_ref(), code)
    }

    /// The figures of a run from its record and its history (for the latency of ok ops);
    /// `code` is the run's exit code as the runner returned it, the worse of it and the
    /// record's decides the verdict.
    pub fn of(record: &RunRecord, history: Option<&History>, code: u8) -> RunFigures {
        let verdict = record.verdict().max(Verdict::of_exit_code(code));
        let mut figures = RunFigures::crashed("");
        figures.verdict = verdict;
        figures.ops = record.stats.client_ops;
        figures.ops_per_s = record.stats.ops_per_s;
        figures.faults = record.stats.faults;
        figures.anomalies = record.anomaly_kinds();
        let periods = history.map(crate::faults::fault_periods).unwrap_or_default();
        let cx = history.map(|h| Context::new(h, &periods));
        for result in &record.results {
            for a in &result.anomalies {
                if figures.explanations.len() >= MAX_EXPLANATIONS {
                    break;
                }
                figures.explanations.push(format!("{}: {}", a.kind, one_line(&a.explanation)));
                let context = cx.as_ref().map(|cx| cx.text(a)).unwrap_or_default();
                figures.explanations.extend(context.iter().map(|line| format!("  {}", one_line(line))));
            }
            if let Some(reason) = &result.unknown_reason {
                figures.explanations.push(format!("{} could not decide: {}", result.checker, one_line(reason)));
            }
        }
        if let Some(experiment) = &record.experiment {
            figures.explanations.extend(experiment.lines().iter().map(|l| one_line(l)));
        }
        figures.explanations.truncate(MAX_EXPLANATIONS);
        figures.why = match verdict {
            Verdict::Valid => None,
            Verdict::Crashed => Some(one_line(
                record.harness_errors.first().map_or("the harness failed (see harness.log)", String::as_str),
            )),
            Verdict::HypothesisFailed => {
                record.experiment.as_ref().and_then(|e| e.why_failed()).map(|why| one_line(&why))
            }
            Verdict::Invalid | Verdict::Unknown => Some(
                figures
                    .explanations
                    .first()
                    .map_or_else(|| format!("{} (see the run's page)", verdict.as_str()), |e| one_line(e)),
            ),
        };
        if let Some(q) = history.and_then(|h| ok_quantiles(&client_spans(h))) {
            figures.p50_ms = Some(q.p50 as f64 / 1e6);
            figures.p99_ms = Some(q.p99 as f64 / 1e6);
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::tests::scratch;

    #[test]
    fn a_row_takes_the_verdict_figures_kinds_and_latency_from_the_run_folder() {
        let dir = scratch("figures");
        let history = crate::sample::register_history(400, 3, 4, 7);
        let lines: Vec<String> = history.ops.iter().map(|op| serde_json::to_string(op).unwrap()).collect();
        std::fs::write(dir.join("history.jsonl"), lines.join("\n") + "\n").unwrap();
        let results = serde_json::json!({
            "validity": "invalid",
            "exit_code": 1,
            "stats": {"client_ops": 400, "ops_per_s": 80.5, "faults": 3},
            "harness_errors": [],
            "results": [{"checker": "linearizable", "validity": "invalid", "anomalies": [
                {"kind": "nonlinearizable", "ops": [1], "explanation": "read of x=3\nsaw an old value"},
                {"kind": "nonlinearizable", "ops": [2], "explanation": "again"},
                {"kind": "G-single", "ops": [], "explanation": "a cycle"}]}]
        });
        std::fs::write(dir.join("results.json"), results.to_string()).unwrap();
        let f = RunFigures::read(&dir, 1);
        assert_eq!(f.verdict, Verdict::Invalid);
        assert_eq!(f.anomalies, ["nonlinearizable", "G-single"]);
        assert_eq!(f.why.as_deref(), Some("nonlinearizable: read of x=3 saw an old value"));
        assert_eq!(f.explanations.len(), 3);
        assert_eq!((f.ops, f.ops_per_s, f.faults), (400, 80.5, 3));
        let (p50, p99) = (f.p50_ms.unwrap(), f.p99_ms.unwrap());
        assert!(p50 > 0.0 && p99 >= p50, "{p50} {p99}");

        let crashed = RunFigures::read(&dir.join("missing"), 255);
        assert_eq!(crashed.verdict, Verdict::Crashed);
        assert!(crashed.why.unwrap().contains("left no results"));
        std::fs::write(
            dir.join("results.json"),
            r#"{"validity": "valid", "exit_code": 255, "harness_errors": ["setup: etcd on n2 exited"], "results": []}"#,
        )
        .unwrap();
        let f = RunFigures::read(&dir, 255);
        assert_eq!((f.verdict, f.why.as_deref()), (Verdict::Crashed, Some("setup: etcd on n2 exited")));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
