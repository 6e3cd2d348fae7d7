//! `faultline campaign -f campaign.yaml`: a matrix of tests over seeds and repetitions, each run
//! in fresh state one after another, judged together: `campaign.json`, a page and JUnit XML in
//! `<store>/campaigns/<name>/<stamp>/` (each run an ordinary run folder in `runs/<id>/`),
//! compared with the previous campaign of the same name. A run that fails does not stop the
//! campaign; an interrupt (Ctrl-C) stops it after the run it interrupted has healed.

mod expand;
mod file;
mod publish;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use results::campaign::figures::RunFigures;
use results::campaign::{RunRow, CAMPAIGNS};
use results::layout;

use crate::exit;
use crate::run::{stamp, Session};
use expand::{Expanded, RunSpec};
use publish::Publisher;

/// The name the campaign file's copy gets in the campaign's folder.
const FILE_COPY: &str = "campaign.yaml";

/// `faultline campaign` arguments.
#[derive(Debug, clap::Args)]
pub struct CampaignArgs {
    /// The campaign file (YAML): name, test defaults, matrix, seeds, repetitions.
    #[arg(short = 'f', long = "file")]
    pub file: PathBuf,
    /// The store (overrides the file's `results-dir`; default `store`).
    #[arg(long)]
    pub results_dir: Option<PathBuf>,
}

/// The text of a panic's payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Runs one test of the campaign into `dir` and reads its row; never panics.
fn one_run(session: &Result<Session, String>, spec: &RunSpec, dir: &Path) -> RunFigures {
    let session = match session {
        Ok(s) => s,
        Err(e) => return RunFigures::crashed(e),
    };
    match catch_unwind(AssertUnwindSafe(|| session.run(&spec.plan, spec.seed, dir))) {
        Ok(outcome) => match &outcome.record {
            Some(record) => RunFigures::of(record, outcome.history.as_ref(), outcome.code),
            None => RunFigures::read(&outcome.dir, outcome.code),
        },
        Err(payload) => RunFigures::crashed(&format!("the harness panicked: {}", panic_text(payload.as_ref()))),
    }
}

/// The row of a run that took `duration_s`.
fn row(spec: &RunSpec, figures: &RunFigures, duration_s: f64) -> RunRow {
    RunRow {
        id: spec.id.clone(),
        cell: spec.cell.clone(),
        seed: spec.seed,
        repetition: spec.repetition,
        dir: format!("runs/{}", spec.id),
        verdict: figures.verdict,
        anomalies: figures.anomalies.clone(),
        ops: figures.ops,
        ops_per_s: figures.ops_per_s,
        p50_ms: figures.p50_ms,
        p99_ms: figures.p99_ms,
        faults: figures.faults,
        duration_s,
        why: figures.why.clone(),
    }
}

/// One line for a run that ended.
fn run_line(k: usize, n: usize, row: &RunRow) -> String {
    let p99 = row.p99_ms.map_or_else(String::new, |p| format!(", p99 {p:.1} ms"));
    let why = row.why.as_deref().map_or_else(String::new, |w| format!(": {w}"));
    format!(
        "campaign [{k}/{n}] {} {}{why} ({} ops{p99}, {} faults, {:.1} s)",
        row.id,
        row.verdict.as_str(),
        row.ops,
        row.faults,
        row.duration_s
    )
}

/// Reads and expands the campaign file, or says in one line what is wrong with it.
fn load(args: &CampaignArgs) -> Result<Expanded, String> {
    file::CampaignFile::read(&args.file).and_then(|f| expand::expand(&f, &args.file))
}

/// Runs `faultline campaign`: the exit code of the worst run's verdict (255 any crashed, else 1
/// any invalid, else 2 any unknown, else 0; see `results::verdict`), 254 a bad campaign file.
pub fn run(args: CampaignArgs) -> ExitCode {
    let campaign = match load(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("faultline campaign: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let store = args.results_dir.clone().or(campaign.results_dir.clone()).unwrap_or_else(|| PathBuf::from("store"));
    let parent = store.join(CAMPAIGNS).join(&campaign.name);
    let dir = layout::fresh_dir(&parent, &stamp::utc_now());
    if let Err(e) = std::fs::create_dir_all(dir.join("runs")) {
        eprintln!("faultline campaign: {}: {e}", dir.display());
        return ExitCode::from(exit::HARNESS_FAILED);
    }
    let copied = std::fs::read(&args.file)
        .map_err(|e| e.to_string())
        .and_then(|text| results::fsx::write_atomic(&dir, FILE_COPY, &text).map_err(|e| e.to_string()));
    if let Err(e) = copied {
        eprintln!("faultline campaign: copying {} into {}: {e}", args.file.display(), dir.display());
    }
    let n = campaign.runs.len();
    let mut publisher = Publisher::new(&campaign.name, n, &dir);
    eprintln!("faultline campaign {}: {n} runs into {}", campaign.name, dir.display());
    let session = Session::open();
    if let Err(e) = &session {
        eprintln!("faultline campaign: {e}");
    }
    for (k, spec) in campaign.runs.iter().enumerate() {
        if session.as_ref().is_ok_and(Session::interrupted) {
            eprintln!("faultline campaign: interrupted; stopping after {k} of {n} runs");
            break;
        }
        let started = Instant::now();
        let figures = one_run(&session, spec, &dir.join("runs").join(&spec.id));
        let row = row(spec, &figures, started.elapsed().as_secs_f64());
        crate::exit::say!("{}", run_line(k + 1, n, &row));
        publisher.add(row, figures.explanations);
        if let Err(e) = publisher.write() {
            eprintln!("faultline campaign: {e}");
        }
    }
    drop(session);
    if let Err(e) = publisher.write() {
        eprintln!("faultline campaign: {e}");
    }
    if let Err(e) = layout::point_latest(&dir) {
        eprintln!("faultline campaign: {}: cannot update the `latest` link: {e}", parent.display());
    }
    let record = publisher.record();
    crate::exit::say!("{}", publish::summary(&record, &dir));
    ExitCode::from(record.exit_code)
}
