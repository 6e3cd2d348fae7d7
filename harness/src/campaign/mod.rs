//! `faultline campaign -f campaign.yaml`: a matrix of tests over seeds and repetitions, each run
//! in fresh state one after another, judged together: `campaign.json`, a page and JUnit XML in
//! `<store>/campaigns/<name>/<stamp>/` (each run an ordinary run folder in `runs/<id>/`),
//! compared with the previous campaign of the same name. A run that fails does not stop the
//! campaign; an interrupt (Ctrl-C) stops it after the run it interrupted has healed.
//!
//! Beyond one machine: `plan` splits the runs into shards for a CI matrix or a Kubernetes
//! Indexed Job, `run --shard I/N` runs one shard, and `merge` joins the shards' folders into the
//! campaign one machine would have written.

mod expand;
mod file;
mod merge;
mod plan;
mod publish;
mod shard;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use results::campaign::shard::{ShardRecord, SHARDS, SHARD_RECORD};
use results::campaign::RunFigures;
use results::campaign::{RunRow, CAMPAIGNS};
use results::layout;

use crate::exit;
use crate::run::{stamp, Session};
use expand::{Expanded, RunSpec};
use publish::Publisher;
use shard::ShardId;

/// The name the campaign file's copy gets in the campaign's folder.
const FILE_COPY: &str = "campaign.yaml";

/// `faultline campaign` arguments: `-f FILE` runs the whole campaign, or one of the actions.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CampaignArgs {
    /// What to do: plan shards, run one, merge them (none: run the whole campaign).
    #[command(subcommand)]
    pub action: Option<Action>,
    /// The whole campaign's file and store.
    #[command(flatten)]
    pub whole: RunArgs,
}

/// `faultline campaign plan|run|merge`.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Split the campaign's runs into shards and print them for a CI matrix or Kubernetes.
    Plan(PlanArgs),
    /// Run the campaign, or only one shard of it (`--shard I/N`).
    Run(ShardArgs),
    /// Merge the folders of shards run anywhere into one campaign (record, page, JUnit).
    Merge(merge::MergeArgs),
}

/// The campaign file and the store.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The campaign file (YAML): name, test defaults, matrix, seeds, repetitions.
    #[arg(short = 'f', long = "file", required = true)]
    pub file: Option<PathBuf>,
    /// The store (overrides the file's `results-dir`; default `store`).
    #[arg(long)]
    pub results_dir: Option<PathBuf>,
}

/// `faultline campaign run`.
#[derive(Debug, clap::Args)]
pub struct ShardArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Run only shard I of N (I from 0, as Kubernetes' JOB_COMPLETION_INDEX), into
    /// `<store>/shards/<name>/<stamp>-shard-I-of-N/`.
    #[arg(long, value_name = "I/N")]
    shard: Option<ShardId>,
}

/// `faultline campaign plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The campaign file.
    #[arg(short = 'f', long = "file")]
    file: PathBuf,
    /// How many shards.
    #[arg(long)]
    shards: usize,
    /// What to print.
    #[arg(long, value_enum, default_value_t = plan::PlanFormat::Json)]
    format: plan::PlanFormat,
    /// For `--format k8s`.
    #[command(flatten)]
    k8s: plan::K8sOptions,
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
fn row(spec: &RunSpec, figures: RunFigures, duration_s: f64) -> RunRow {
    RunRow {
        id: spec.id.clone(),
        cell: spec.cell.clone(),
        seed: spec.seed,
        repetition: spec.repetition,
        dir: format!("runs/{}", spec.id),
        figures,
        duration_s,
    }
}

/// One line for a run that ended.
fn run_line(k: usize, n: usize, row: &RunRow) -> String {
    let p99 = row.figures.p99_ms.map_or_else(String::new, |p| format!(", p99 {p:.1} ms"));
    let why = row.figures.why.as_deref().map_or_else(String::new, |w| format!(": {w}"));
    format!(
        "campaign [{k}/{n}] {} {}{why} ({} ops{p99}, {} faults, {:.1} s)",
        row.id,
        row.figures.verdict.as_str(),
        row.figures.ops,
        row.figures.faults,
        row.duration_s
    )
}

/// Reads and expands the campaign file `path` (validating every run's test), or says in one
/// line what is wrong with it.
pub(crate) fn load(path: &Path) -> Result<Expanded, String> {
    file::CampaignFile::read(path).and_then(|f| expand::expand(&f, path))
}

/// The SHA-256 of the campaign file, hex: what tells shards of one file from another's.
fn file_sha256(path: &Path) -> Result<String, String> {
    use sha2::Digest;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// Runs `faultline campaign` and its actions (see [`run_whole`] for the exit codes).
pub fn run(args: CampaignArgs) -> ExitCode {
    let outcome = match args.action {
        None => run_whole(&args.whole),
        Some(Action::Run(ShardArgs { run, shard: None })) => run_whole(&run),
        Some(Action::Run(ShardArgs { run, shard: Some(shard) })) => run_shard(&run, shard),
        Some(Action::Plan(plan)) => print_plan(&plan),
        Some(Action::Merge(merge)) => merge::run(&merge),
    };
    outcome.unwrap_or_else(|e| {
        eprintln!("faultline campaign: {e}");
        ExitCode::from(exit::BAD_INPUT)
    })
}

/// `plan`: the shards as the chosen engine wants them, on stdout.
fn print_plan(args: &PlanArgs) -> Result<ExitCode, String> {
    if args.shards == 0 || args.shards > shard::MAX_SHARDS {
        return Err(format!("--shards {}: use 1 to {}", args.shards, shard::MAX_SHARDS));
    }
    let campaign = load(&args.file)?;
    crate::exit::say!("{}", plan::render(&campaign, &file_sha256(&args.file)?, args.shards, args.format, &args.k8s)?);
    Ok(ExitCode::SUCCESS)
}

/// The store: the flag, else the file's `results-dir`, else `store`.
fn store(args: &RunArgs, campaign: &Expanded) -> PathBuf {
    args.results_dir.clone().or(campaign.results_dir.clone()).unwrap_or_else(|| PathBuf::from("store"))
}

/// Makes the folder `dir` with `runs/` and a copy of the campaign file.
fn make_folder(dir: &Path, file: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir.join("runs")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let copied = std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|text| results::fsx::write_atomic(dir, FILE_COPY, &text).map_err(|e| e.to_string()));
    if let Err(e) = copied {
        eprintln!("faultline campaign: copying {} into {}: {e}", file.display(), dir.display());
    }
    Ok(())
}

/// The whole campaign: the exit code of the worst run's verdict (255 any crashed, else 1 any
/// invalid, else 2 any unknown, else 3 any hypothesis failed, else 0; see `results::verdict`),
/// 254 a bad campaign file.
fn run_whole(args: &RunArgs) -> Result<ExitCode, String> {
    let file = args.file.as_deref().ok_or("-f FILE names the campaign file")?;
    let campaign = load(file)?;
    let parent = store(args, &campaign).join(CAMPAIGNS).join(&campaign.name);
    let dir = layout::fresh_dir(&parent, &stamp::utc_now());
    make_folder(&dir, file)?;
    let specs: Vec<&RunSpec> = campaign.runs.iter().collect();
    Ok(execute(&campaign.name, &specs, &dir, |_| Ok(())))
}

/// One shard: its runs into `<store>/shards/<name>/<stamp>-shard-I-of-N/`, with `shard.json`
/// beside the shard's own `campaign.json`; exit codes as for the whole campaign.
fn run_shard(args: &RunArgs, shard: ShardId) -> Result<ExitCode, String> {
    let file = args.file.as_deref().ok_or("-f FILE names the campaign file")?;
    let campaign = load(file)?;
    let mine = shard::split(&campaign.runs, shard.count).swap_remove(shard.index).runs;
    let parent = store(args, &campaign).join(SHARDS).join(&campaign.name);
    let name = format!("{}-shard-{}-of-{}", stamp::utc_now(), shard.index, shard.count);
    let dir = layout::fresh_dir(&parent, &name);
    make_folder(&dir, file)?;
    let all = campaign.runs.iter().map(|r| r.id.clone()).collect();
    let mut record = ShardRecord::new(&campaign.name, &file_sha256(file)?, &shard.to_string(), all, mine.clone());
    let path = dir.join(SHARD_RECORD);
    record.write(&path)?;
    let specs: Vec<&RunSpec> = campaign.runs.iter().filter(|r| mine.contains(&r.id)).collect();
    eprintln!("faultline campaign {}: shard {shard} of its {} runs", campaign.name, campaign.runs.len());
    Ok(execute(&campaign.name, &specs, &dir, |row| {
        record.explanations.insert(row.id.clone(), row.figures.explanations.clone());
        record.write(&path)
    }))
}

/// Runs `specs` one after another into `dir/runs/<id>/`, rewriting the campaign's record, page
/// and JUnit after each (and calling `after_run` with its row), then prints the summary.
fn execute(
    name: &str,
    specs: &[&RunSpec],
    dir: &Path,
    mut after_run: impl FnMut(&RunRow) -> Result<(), String>,
) -> ExitCode {
    let n = specs.len();
    let mut publisher = Publisher::new(name, specs.iter().map(|s| s.id.clone()).collect(), dir);
    eprintln!("faultline campaign {name}: {n} runs into {}", dir.display());
    let session = Session::open();
    if let Err(e) = &session {
        eprintln!("faultline campaign: {e}");
    }
    for (k, spec) in specs.iter().enumerate() {
        if session.as_ref().is_ok_and(Session::interrupted) {
            eprintln!("faultline campaign: interrupted; stopping after {k} of {n} runs");
            break;
        }
        let started = Instant::now();
        let figures = one_run(&session, spec, &dir.join("runs").join(&spec.id));
        let row = row(spec, figures, started.elapsed().as_secs_f64());
        crate::exit::say!("{}", run_line(k + 1, n, &row));
        let written = after_run(&row);
        publisher.add(row);
        if let Err(e) = written.and_then(|()| publisher.write()) {
            eprintln!("faultline campaign: {e}");
        }
    }
    drop(session);
    publisher.finish()
}
