//! Writing a campaign's files after every run: `campaign.json` (so a crash leaves a valid record
//! of what ran), `index.html` and `junit.xml`, and the closing summary line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use results::campaign::{self, junit, page, Campaign, RunRow, RECORD};
use results::fsx;

/// A campaign's record as its runs end.
pub struct Publisher {
    name: String,
    dir: PathBuf,
    stamp: String,
    started: Instant,
    previous: Option<Campaign>,
    planned: Vec<String>,
    duration_s: Option<f64>,
    rows: Vec<RunRow>,
}

impl Publisher {
    /// A campaign named `name` of the runs `planned` (ids) in the folder `dir`
    /// (`<store>/campaigns/<name>/<stamp>`), compared with the newest earlier campaign beside it.
    pub fn new(name: &str, planned: Vec<String>, dir: &Path) -> Publisher {
        let stamp = dir.file_name().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let (previous, skipped) = dir.parent().map_or((None, Vec::new()), |parent| campaign::previous(parent, &stamp));
        for why in skipped {
            eprintln!("faultline campaign: not comparing with {why}");
        }
        Publisher {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            stamp,
            started: Instant::now(),
            previous,
            planned,
            duration_s: None,
            rows: Vec::new(),
        }
    }

    /// Adds a run that ended.
    pub fn add(&mut self, row: RunRow) {
        self.rows.push(row);
    }

    /// Fixes the campaign's duration (a merge takes its shards' longest, not its own time).
    pub fn set_duration(&mut self, seconds: f64) {
        self.duration_s = Some(seconds);
    }

    /// The record of the runs so far.
    pub fn record(&self) -> Campaign {
        let duration_s = self.duration_s.unwrap_or_else(|| self.started.elapsed().as_secs_f64());
        Campaign::new(&self.name, &self.stamp, duration_s, self.rows.clone(), self.previous.as_ref())
            .with_planned(&self.planned)
    }

    /// Writes `campaign.json`, `index.html` and `junit.xml` for the runs so far.
    pub fn write(&self) -> Result<(), String> {
        let record = self.record();
        record.write(&self.dir.join(RECORD))?;
        let html = page::render(&record).map_err(|e| format!("the campaign page: {e}"))?;
        fsx::write_atomic(&self.dir, "index.html", html.as_bytes()).map_err(|e| e.to_string())?;
        let xml = junit::render(&record);
        fsx::write_atomic(&self.dir, "junit.xml", xml.as_bytes()).map_err(|e| e.to_string())
    }

    /// Writes the files a last time, points `latest` at the folder, prints the summary line and
    /// returns the campaign's exit code.
    pub fn finish(&self) -> std::process::ExitCode {
        if let Err(e) = self.write() {
            eprintln!("faultline campaign: {e}");
        }
        if let Err(e) = results::layout::point_latest(&self.dir) {
            eprintln!("faultline campaign: {}: cannot update the `latest` link: {e}", self.dir.display());
        }
        let record = self.record();
        crate::exit::say!("{}", summary(&record, &self.dir));
        std::process::ExitCode::from(record.exit_code)
    }
}

/// The closing line: verdict, totals, what changed, where the page is.
pub fn summary(record: &Campaign, dir: &Path) -> String {
    let t = &record.totals;
    let c = &record.comparison;
    let compared = match &record.previous {
        Some(stamp) => format!(
            "since {stamp}: {} new failures, {} fixed, {} still failing, {} latency regressions",
            c.new_failures.len(),
            c.fixed.len(),
            c.still_failing.len(),
            c.latency_regressions.len()
        ),
        None => "first campaign of this name".to_string(),
    };
    format!(
        "campaign {} {}: {} runs, {} valid, {} invalid, {} unknown, {} crashed; {compared}; page {}",
        record.name,
        record.verdict.as_str(),
        t.runs,
        t.valid,
        t.invalid,
        t.unknown,
        t.crashed,
        dir.join("index.html").display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use results::campaign::{RunFigures, Verdict};

    fn row(id: &str, verdict: Verdict) -> RunRow {
        RunRow {
            id: id.to_string(),
            cell: "cell".to_string(),
            seed: 11,
            repetition: 1,
            dir: format!("runs/{id}"),
            figures: RunFigures {
                verdict,
                anomalies: Vec::new(),
                ops: 10,
                ops_per_s: 1.0,
                p50_ms: Some(1.0),
                p99_ms: Some(2.0),
                faults: 0,
                why: None,
                explanations: Vec::new(),
            },
            duration_s: 1.0,
        }
    }

    #[test]
    fn each_write_leaves_a_complete_record_page_and_junit_compared_with_the_campaign_before() {
        let parent = std::env::temp_dir().join(format!("faultline-publish-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&parent);
        let first_dir = parent.join("20261122T000000Z");
        std::fs::create_dir_all(&first_dir).unwrap();
        let mut first = Publisher::new("c", vec!["a-s11-r1".into()], &first_dir);
        let mut stale = row("a-s11-r1", Verdict::Invalid);
        stale.figures.explanations = vec!["stale: read <x>".into()];
        first.add(stale);
        first.write().unwrap();
        assert!(summary(&first.record(), &first_dir).contains("first campaign of this name"));

        let second_dir = parent.join("20261123T000000Z");
        std::fs::create_dir_all(&second_dir).unwrap();
        let mut second = Publisher::new("c", vec!["a-s11-r1".into(), "b-s11-r1".into()], &second_dir);
        second.add(row("a-s11-r1", Verdict::Invalid));
        second.write().unwrap();
        let partial = Campaign::read(&second_dir.join(RECORD)).unwrap();
        assert_eq!((partial.totals.runs, partial.previous.as_deref()), (1, Some("20261122T000000Z")));
        assert_eq!(partial.comparison.still_failing, ["a-s11-r1"]);
        second.add(row("b-s11-r1", Verdict::Crashed));
        second.write().unwrap();
        let record = Campaign::read(&second_dir.join(RECORD)).unwrap();
        assert_eq!((record.totals.runs, record.exit_code), (2, 255));
        assert_eq!(record.comparison.new_failures, ["b-s11-r1"]);
        let junit = std::fs::read_to_string(second_dir.join("junit.xml")).unwrap();
        assert!(junit.contains("tests=\"2\" failures=\"1\" errors=\"1\""), "{junit}");
        let page = std::fs::read_to_string(second_dir.join("index.html")).unwrap();
        assert!(page.contains("data-previous=\"20261122T000000Z\""));
        let line = summary(&record, &second_dir);
        assert!(
            line.contains("crashed: 2 runs") && line.contains("1 new failures, 0 fixed, 1 still failing"),
            "{line}"
        );
        std::fs::remove_dir_all(&parent).unwrap();
    }
}
