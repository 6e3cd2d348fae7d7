//! Campaigns: many runs of a matrix of tests, judged together. This module is the campaign's
//! record, `campaign.json` in `<store>/campaigns/<name>/<stamp>/` (each run's folder is
//! `runs/<run-id>/` beside it); [`figures`] reads a run's row from its folder, [`compare`]
//! sets a campaign against the previous one of the same name, [`page`] and [`junit`] render it
//! for people and for CI systems.

pub mod compare;
pub mod figures;
pub mod junit;
pub mod page;
pub mod shard;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::verdict::Verdict;
pub use compare::{compare, Comparison, LatencyRegression};
pub use figures::RunFigures;

/// The `format` field of every `campaign.json`.
pub const FORMAT: &str = "faultline-campaign";
/// The version of the `campaign.json` layout.
pub const VERSION: u32 = 1;
/// The record's file name in a campaign's folder.
pub const RECORD: &str = "campaign.json";
/// The folder, under the store, that holds one folder per campaign name.
pub const CAMPAIGNS: &str = "campaigns";

/// How many runs ended each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Totals {
    /// Every run.
    pub runs: usize,
    /// Valid runs.
    pub valid: usize,
    /// Invalid runs.
    pub invalid: usize,
    /// Unknown runs.
    pub unknown: usize,
    /// Crashed runs.
    pub crashed: usize,
    /// Runs whose history was valid but whose experiment's hypothesis failed.
    #[serde(default)]
    pub hypothesis_failed: usize,
}

impl Totals {
    /// Counts the verdicts of `runs`.
    pub fn of(runs: &[RunRow]) -> Totals {
        let count = |v: Verdict| runs.iter().filter(|r| r.figures.verdict == v).count();
        Totals {
            runs: runs.len(),
            valid: count(Verdict::Valid),
            invalid: count(Verdict::Invalid),
            unknown: count(Verdict::Unknown),
            crashed: count(Verdict::Crashed),
            hypothesis_failed: count(Verdict::HypothesisFailed),
        }
    }
}

/// One run of a campaign, as its row shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Stable across campaigns of the same file: cell, seed and repetition, e.g.
    /// `register-isolate-serializable-s11-r1`.
    pub id: String,
    /// The cell: one value of each axis, e.g. `register-isolate-serializable`.
    pub cell: String,
    /// The run's seed.
    pub seed: u64,
    /// Which repetition of the cell and seed (from 1).
    pub repetition: u32,
    /// The run's folder, relative to the campaign's folder (`runs/<id>`).
    pub dir: String,
    /// What the run's folder says about it: verdict, anomaly kinds and figures.
    #[serde(flatten)]
    pub figures: RunFigures,
    /// Wall-clock seconds of the whole run (setup to analysis).
    pub duration_s: f64,
}

/// `campaign.json`: a campaign and each of its runs; rewritten after every run, so a campaign
/// that dies leaves a valid record of what ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The campaign's name (its folder under `campaigns/`).
    pub name: String,
    /// When it started, `YYYYMMDDTHHMMSSZ` (its folder's name).
    pub stamp: String,
    /// Seconds from start until now (or the end).
    pub duration_s: f64,
    /// The worst verdict of its runs (see [`Verdict::worst`]; no runs is unknown).
    pub verdict: Verdict,
    /// The exit code of `faultline campaign`.
    pub exit_code: u8,
    /// Runs per verdict.
    pub totals: Totals,
    /// Runs the matrix holds; more than `totals.runs` while it goes on, or when it was cut
    /// short (then it is at best unknown: the runs that never ran passed nothing).
    #[serde(default)]
    pub planned: usize,
    /// The ids of planned runs that did not run (cut short, or a shard that never came back).
    #[serde(default)]
    pub not_run: Vec<String>,
    /// Every run that ended, in order.
    pub runs: Vec<RunRow>,
    /// The stamp of the campaign compared with, if any.
    pub previous: Option<String>,
    /// What changed since the previous campaign (empty lists when there is none).
    pub comparison: Comparison,
}

impl Campaign {
    /// The record of `runs`, compared with `previous` (the last campaign of the same name).
    pub fn new(name: &str, stamp: &str, duration_s: f64, runs: Vec<RunRow>, previous: Option<&Campaign>) -> Campaign {
        let verdict = Verdict::worst(runs.iter().map(|r| r.figures.verdict));
        Campaign {
            format: FORMAT.to_string(),
            version: VERSION,
            name: name.to_string(),
            stamp: stamp.to_string(),
            duration_s,
            verdict,
            exit_code: verdict.exit_code(),
            totals: Totals::of(&runs),
            planned: runs.len(),
            not_run: Vec::new(),
            comparison: previous.map(|p| compare(&p.runs, &runs)).unwrap_or_default(),
            previous: previous.map(|p| p.stamp.clone()),
            runs,
        }
    }

    /// The same record for a matrix of the runs `planned` (ids, in order): while some have not
    /// run, a valid verdict is only unknown, and `not_run` lists them.
    pub fn with_planned(mut self, planned: &[String]) -> Campaign {
        self.planned = planned.len();
        self.not_run = planned.iter().filter(|id| !self.runs.iter().any(|r| &r.id == *id)).cloned().collect();
        if !self.not_run.is_empty() && self.verdict == Verdict::Valid {
            self.verdict = Verdict::Unknown;
            self.exit_code = self.verdict.exit_code();
        }
        self
    }

    /// Reads a `campaign.json`.
    pub fn read(path: &Path) -> Result<Campaign, String> {
        let campaign: Campaign = read_json(path, "a campaign record")?;
        check_format(path, (&campaign.format, campaign.version), (FORMAT, VERSION))?;
        Ok(campaign)
    }

    /// Writes it to `path`, replacing the file whole and never through a symlink (see [`crate::fsx::write_file`]).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        write_json(self, path)
    }
}

/// Reads the JSON record at `path`, `what` naming it in the error.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not {what}: {e}", path.display()))
}

/// Refuses a record whose (format, version) is not the one this faultline reads.
fn check_format(path: &Path, found: (&str, u32), wanted: (&str, u32)) -> Result<(), String> {
    if found == wanted {
        return Ok(());
    }
    Err(format!(
        "{}: format {} version {}; this faultline reads {} version {}",
        path.display(),
        found.0,
        found.1,
        wanted.0,
        wanted.1
    ))
}

/// Writes `record` to `path`, replacing the file whole and never through a symlink (see
/// [`crate::fsx::write_file`]).
fn write_json<T: Serialize>(record: &T, path: &Path) -> Result<(), String> {
    let text = serde_json::to_string_pretty(record).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::fsx::write_file(path, text.as_bytes()).map_err(|e| e.to_string())
}

/// The newest campaign in `parent` (`<store>/campaigns/<name>`) whose folder name sorts before
/// `stamp` and holds a readable `campaign.json`, with why each newer one was passed over.
pub fn previous(parent: &Path, stamp: &str) -> (Option<Campaign>, Vec<String>) {
    let mut stamps: Vec<PathBuf> = std::fs::read_dir(parent)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().as_ref() < stamp))
                .collect()
        })
        .unwrap_or_default();
    stamps.sort();
    let mut skipped = Vec::new();
    for dir in stamps.iter().rev() {
        let record = dir.join(RECORD);
        if !record.exists() {
            continue;
        }
        match Campaign::read(&record) {
            Ok(campaign) => return (Some(campaign), skipped),
            Err(e) => skipped.push(e),
        }
    }
    (None, skipped)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An empty folder of its own under the system's temporary folder.
    pub(crate) fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("faultline-campaign-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A row with the given id, verdict and p99 (ms).
    pub(crate) fn row(id: &str, verdict: Verdict, p99_ms: Option<f64>) -> RunRow {
        RunRow {
            id: id.to_string(),
            cell: id.rsplit_once("-s").map_or(id, |(cell, _)| cell).to_string(),
            seed: 11,
            repetition: 1,
            dir: format!("runs/{id}"),
            figures: RunFigures {
                verdict,
                anomalies: if verdict == Verdict::Invalid { vec!["nonlinearizable".into()] } else { Vec::new() },
                ops: 1000,
                ops_per_s: 99.5,
                p50_ms: p99_ms.map(|p| p / 4.0),
                p99_ms,
                faults: 2,
                why: (verdict != Verdict::Valid)
                    .then(|| format!("{} because <reasons> & \"quotes\"", verdict.as_str())),
                explanations: Vec::new(),
            },
            duration_s: 14.2,
        }
    }

    #[test]
    fn the_worst_verdict_wins_and_no_runs_is_not_a_pass() {
        let runs =
            |vs: &[Verdict]| vs.iter().enumerate().map(|(i, v)| row(&format!("r{i}"), *v, None)).collect::<Vec<_>>();
        use Verdict::*;
        let of = |vs: &[Verdict]| Campaign::new("n", "20261123T095753Z", 1.0, runs(vs), None).verdict;
        assert_eq!(of(&[Valid, Valid]), Valid);
        assert_eq!(of(&[Valid, Invalid]), Invalid);
        assert_eq!(of(&[Invalid, Unknown, Valid]), Invalid, "invalid outranks unknown, as in checkers");
        assert_eq!(of(&[Unknown, Crashed, Invalid]), Crashed);
        assert_eq!(of(&[]), Unknown);
        let planned: Vec<String> = ["r0", "r1", "r2"].map(String::from).to_vec();
        let cut_short = Campaign::new("n", "20261123T095753Z", 1.0, runs(&[Valid]), None).with_planned(&planned);
        assert_eq!((cut_short.verdict, cut_short.exit_code, cut_short.planned), (Unknown, 2, 3));
        assert_eq!(cut_short.not_run, ["r1", "r2"]);
        let whole = Campaign::new("n", "20261123T095753Z", 1.0, runs(&[Valid]), None).with_planned(&planned[..1]);
        assert_eq!((whole.verdict, whole.exit_code), (Valid, 0));
        let c = Campaign::new("n", "20261123T095753Z", 1.0, runs(&[Invalid, Valid, Invalid]), None);
        assert_eq!((c.exit_code, c.totals.runs, c.totals.valid, c.totals.invalid), (1, 3, 1, 2));
    }

    #[test]
    fn a_row_keeps_the_fields_campaign_json_always_had() {
        let mut r = row("a-s11-r1", Verdict::Invalid, Some(8.0));
        r.figures.explanations = vec!["nonlinearizable: read of x=3".into()];
        let json = serde_json::to_value(&r).unwrap();
        let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut before = [
            "id",
            "cell",
            "seed",
            "repetition",
            "dir",
            "verdict",
            "anomalies",
            "ops",
            "ops_per_s",
            "p50_ms",
            "p99_ms",
            "faults",
            "duration_s",
            "why",
        ];
        before.sort_unstable();
        assert_eq!(keys, before, "explanations stay out of campaign.json");
        let back: RunRow = serde_json::from_value(json).unwrap();
        assert_eq!(back, RunRow { figures: RunFigures { explanations: Vec::new(), ..r.figures.clone() }, ..r });
    }

    #[test]
    fn the_record_round_trips_and_the_previous_campaign_is_the_newest_earlier_readable_one() {
        let parent = scratch("previous");
        let write = |stamp: &str, verdict: Verdict| {
            let dir = parent.as_path().join(stamp);
            std::fs::create_dir_all(&dir).unwrap();
            let c = Campaign::new("n", stamp, 2.0, vec![row("a-s1-r1", verdict, Some(3.0))], None);
            c.write(&dir.join(RECORD)).unwrap();
            c
        };
        let first = write("20261120T000000Z", Verdict::Invalid);
        assert_eq!(Campaign::read(&parent.as_path().join("20261120T000000Z").join(RECORD)).unwrap(), first);
        write("20261121T000000Z", Verdict::Valid);
        std::fs::create_dir_all(parent.as_path().join("20261122T000000Z")).unwrap();
        std::fs::write(parent.as_path().join("20261122T000000Z").join(RECORD), "{not json").unwrap();
        std::fs::create_dir_all(parent.as_path().join("20261123T000000Z")).unwrap();
        write("20261124T000000Z", Verdict::Valid);
        let (found, skipped) = previous(parent.as_path(), "20261123T120000Z");
        assert_eq!(found.unwrap().stamp, "20261121T000000Z", "skips the unreadable and the later ones");
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].contains("20261122T000000Z") && skipped[0].contains("not a campaign record"), "{skipped:?}");
        assert!(previous(parent.as_path(), "20261120T000000Z").0.is_none());
        assert!(previous(&parent.join("missing"), "z").0.is_none());
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
