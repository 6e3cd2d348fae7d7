//! `results.json`: the record of one run (or of one `faultline report`), one typed struct that
//! the runner writes and everything that reads a run folder reads: the store's listing, the
//! campaign's rows, `analyze` and the run page.
//!
//! Folders written by older versions still read: every field but `validity` has a default; a
//! record without it is refused in one line that names the field.

use std::io::Read;
use std::path::{Path, PathBuf};

use checkers::{CheckResult, Validity};
use serde::{Deserialize, Serialize};

use crate::hypothesis::Experiment;
use crate::verdict::{Verdict, CRASHED_EXIT};

/// The record's file name in a run's folder.
pub const RECORD: &str = "results.json";

/// Records larger than this are not read (a listing reads every run's record).
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// Figures of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// Seconds the provisioner took to make the nodes (namespaces, SSH checks and chains,
    /// containers and, the first time, their image).
    pub provision_s: f64,
    /// Seconds from launching the daemons until every node answered a linearizable read.
    pub cluster_up_s: f64,
    /// Seconds of workload (until the generator ran out or the run was interrupted).
    pub workload_s: f64,
    /// Client ops invoked during the workload, each counted once, as
    /// [`crate::metrics::OpCount`] counts them from the history (the page gives the same).
    pub client_ops: u64,
    /// Completions of type ok.
    pub ok: u64,
    /// Completions of type fail.
    pub fail: u64,
    /// Completions of type info.
    pub info: u64,
    /// Completions of type fail whose node refused the connection (the worker backed off).
    pub refused: u64,
    /// Completions of type fail the database refused to commit (serialization failures and
    /// deadlocks, SQLSTATE 40001 and 40P01).
    pub serialization_failures: u64,
    /// Client ops invoked after the workload: the final reads, not in `client_ops`.
    pub final_reads: u64,
    /// `client_ops / workload_s`.
    pub ops_per_s: f64,
    /// Faults injected.
    pub faults: u64,
    /// Seconds the checkers took.
    pub check_s: f64,
}

impl Stats {
    /// Takes the op counts from the history's [`crate::metrics::OpCount`], so `results.json`
    /// and the page give one count.
    pub fn count(&mut self, count: &crate::metrics::OpCount) {
        (self.client_ops, self.ok, self.fail, self.info) = (count.workload, count.ok, count.fail, count.info);
        self.final_reads = count.final_reads;
        self.serialization_failures = count.serialization_failures;
        self.ops_per_s = count.workload as f64 / self.workload_s.max(1e-9);
    }
}

/// `results.json`: what the run was, what happened, and the verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The test's name (empty when unknown, e.g. a report of a history with no header).
    #[serde(default)]
    pub test: String,
    /// The run's id (tags iptables rules, the cluster token, the journal); none for a report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The history file a report checked (runs keep theirs as `history.jsonl` beside this file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    /// The seed every random choice flowed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The system under test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The workload the clients ran, e.g. `register`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// The nodes the cluster ran on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// Client workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    /// Reads were serializable (not linearizable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serializable: Option<bool>,
    /// The bug switches the target ran with (mistakes made on purpose), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
    /// The overall verdict of the checkers: the merge of every result's.
    pub validity: Validity,
    /// The process exit code that goes with the run's [`verdict`](RunRecord::verdict) (255 when
    /// the harness failed); records of older reports have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
    /// Throughput, op outcomes, faults and timings of the run.
    #[serde(default)]
    pub stats: Stats,
    /// Final reads that never got an answer (each makes the verdict at best unknown).
    #[serde(default)]
    pub unanswered_final_reads: Vec<String>,
    /// The run was interrupted (Ctrl-C, SIGTERM).
    #[serde(default)]
    pub interrupted: bool,
    /// Problems of the harness (setup, teardown), one line each.
    #[serde(default)]
    pub harness_errors: Vec<String>,
    /// Every checker's result (none when the harness failed before checking).
    #[serde(default)]
    pub results: Vec<CheckResult>,
    /// The chaos experiment (steady state, hypothesis per fault, abort), when the test set a
    /// hypothesis or an abort guard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<Experiment>,
}

/// What is wrong with a `results.json`, without the path.
#[derive(Debug, thiserror::Error)]
pub enum RecordProblem {
    /// It could not be read.
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    /// It is larger than [`MAX_RECORD_BYTES`].
    #[error("larger than the {} MB a run record may have", MAX_RECORD_BYTES >> 20)]
    TooLarge,
    /// It is not JSON (maybe still being written).
    #[error("not valid JSON ({0}); it may still be being written")]
    Syntax(serde_json::Error),
    /// It is JSON, but not an object.
    #[error("not a JSON object")]
    NotObject,
    /// It is JSON, but a field is missing or of the wrong type.
    #[error("{0}; a run record needs at least `validity`")]
    Field(serde_json::Error),
}

/// A `results.json` that could not be read, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct RecordError {
    /// The file that could not be read.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: RecordProblem,
}

impl RunRecord {
    /// A record of `results` with nothing else known yet: the validity is their merge, the exit
    /// code the verdict's.
    pub fn of_results(test: &str, results: Vec<CheckResult>) -> RunRecord {
        let validity = results.iter().fold(Validity::Valid, |v, r| v.merge(r.validity));
        RunRecord {
            test: test.to_string(),
            run_id: None,
            history: None,
            seed: None,
            target: None,
            workload: None,
            nodes: Vec::new(),
            concurrency: None,
            serializable: None,
            bugs: Vec::new(),
            validity,
            exit_code: Some(Verdict::from(validity).exit_code()),
            stats: Stats::default(),
            unanswered_final_reads: Vec::new(),
            interrupted: false,
            harness_errors: Vec::new(),
            results,
            experiment: None,
        }
    }

    /// How the run ended: crashed when its exit code says the harness failed (whatever the
    /// validity says), else the checkers' validity, or hypothesis-failed when they found the
    /// history valid but the experiment failed.
    pub fn verdict(&self) -> Verdict {
        if self.exit_code == Some(CRASHED_EXIT) {
            return Verdict::Crashed;
        }
        let failed = self.experiment.as_ref().is_some_and(|e| !e.held);
        Verdict::from(self.validity).max(if failed { Verdict::HypothesisFailed } else { Verdict::Valid })
    }

    /// The kinds of anomaly found, each once, in the order first found.
    pub fn anomaly_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for anomaly in self.results.iter().flat_map(|r| &r.anomalies) {
            let kind = anomaly.kind.to_string();
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
    }

    /// Parses a record from its text.
    pub fn parse(text: &str) -> Result<RunRecord, RecordProblem> {
        let first = text.trim_start().chars().next();
        if first.is_some_and(|c| c != '{') && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
            return Err(RecordProblem::NotObject);
        }
        serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => RecordProblem::Field(e),
            _ => RecordProblem::Syntax(e),
        })
    }

    /// Reads the record at `path` (at most [`MAX_RECORD_BYTES`]).
    pub fn read(path: &Path) -> Result<RunRecord, RecordError> {
        let error = |problem| RecordError { path: path.to_path_buf(), problem };
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_RECORD_BYTES + 1).read_to_string(&mut text))
            .map_err(|e| error(RecordProblem::Io(e)))?;
        if text.len() as u64 > MAX_RECORD_BYTES {
            return Err(error(RecordProblem::TooLarge));
        }
        RunRecord::parse(&text).map_err(error)
    }

    /// Writes the record to `path`, replacing the file whole and never through a symlink (see [`crate::fsx::write_file`]).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| format!("{}: {e}", path.display()))?;
        crate::fsx::write_file(path, text.as_bytes()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkers::Anomaly;

    fn record() -> RunRecord {
        let mut result = CheckResult::valid("linearizable");
        result.validity = Validity::Invalid;
        result.anomalies.push(Anomaly {
            kind: "nonlinearizable".into(),
            ops: vec![3, 4],
            explanation: "read of x=3 saw an old value".into(),
            detail: serde_json::Value::Null,
        });
        let mut record = RunRecord::of_results("etcd-register", vec![result, CheckResult::valid("stats")]);
        record.run_id = Some("20261123T095753Z-42-0".into());
        record.seed = Some(7);
        record.target = Some("etcd".into());
        record.workload = Some("register".into());
        record.nodes = vec!["n1".into(), "n2".into()];
        record.concurrency = Some(4);
        record.serializable = Some(true);
        record.stats = Stats { client_ops: 10, ok: 8, fail: 1, info: 1, ops_per_s: 2.5, ..Stats::default() };
        record.harness_errors = vec!["teardown: n2 did not stop".into()];
        record
    }

    #[test]
    fn a_record_round_trips_and_says_its_verdict() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RECORD);
        let written = record();
        assert_eq!(
            (written.validity, written.exit_code, written.verdict()),
            (Validity::Invalid, Some(1), Verdict::Invalid)
        );
        written.write(&path).unwrap();
        assert_eq!(RunRecord::read(&path).unwrap(), written);
        assert_eq!(written.anomaly_kinds(), ["nonlinearizable"]);
        let crashed = RunRecord { exit_code: Some(CRASHED_EXIT), ..written };
        assert_eq!(crashed.verdict(), Verdict::Crashed, "exit code 255 is a crash whatever the validity says");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no staging file is left behind");
    }

    /// `results.json` as the runner wrote it before the record moved here (commit 7847dd4:
    /// every field of `ResultsFile`, `seed` and `target` always set), and as `report` wrote it.
    #[test]
    fn records_of_older_versions_still_read() {
        let runner = r#"{
          "test": "etcd-register", "run_id": "20261123T095753Z-42-0", "seed": 7, "target": "etcd",
          "workload": "register", "nodes": ["n1", "n2", "n3"], "concurrency": 6, "serializable": false,
          "validity": "valid", "exit_code": 0,
          "stats": {"cluster_up_s": 0.7, "workload_s": 10.0, "client_ops": 900, "ok": 880, "fail": 15,
                    "info": 5, "ops_per_s": 90.0, "faults": 2, "check_s": 0.01},
          "unanswered_final_reads": [], "interrupted": false, "harness_errors": [],
          "results": [{"checker": "linearizable", "validity": "valid", "anomalies": []}]
        }"#;
        let old = RunRecord::parse(runner).unwrap();
        assert_eq!((old.seed, old.concurrency, old.serializable), (Some(7), Some(6), Some(false)));
        assert_eq!((old.stats.client_ops, old.verdict()), (900, Verdict::Valid));
        let report = r#"{"history": "h.edn", "validity": "unknown", "results": []}"#;
        let old = RunRecord::parse(report).unwrap();
        assert_eq!((old.history.as_deref(), old.exit_code, old.verdict()), (Some("h.edn"), None, Verdict::Unknown));
    }

    #[test]
    fn a_record_missing_a_needed_field_is_refused_in_one_line_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RECORD);
        std::fs::write(&path, r#"{"test": "x", "results": []}"#).unwrap();
        let message = RunRecord::read(&path).unwrap_err().to_string();
        assert!(message.contains("missing field `validity`") && message.contains(RECORD), "{message}");
        assert_eq!(message.lines().count(), 1);
        std::fs::write(&path, r#"{"test": "x", "validity":"#).unwrap();
        let message = RunRecord::read(&path).unwrap_err().to_string();
        assert!(message.contains("not valid JSON"), "{message}");
        assert!(RunRecord::read(&dir.path().join("missing.json")).unwrap_err().to_string().contains("cannot read"));
    }
}
