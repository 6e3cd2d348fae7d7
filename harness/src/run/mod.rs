//! `faultline test`: provision a local cluster, run the workload under faults, heal, read back,
//! tear down, check. Setup and teardown go through the fault journal so that nothing outlives
//! the run, whatever stops it.

mod analysis;
pub mod config;
mod context;
pub(crate) mod executor;
mod faults;
mod final_reads;
mod guard;
mod heal;
mod interrupt;
pub(crate) mod journal;
mod live;
mod lock;
mod logsink;
mod node;
mod phases;
mod progress;
pub mod provisioning;
mod sequencer;
pub mod stamp;
mod start;
mod teardown;
mod workers;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use config::TestArgs;
pub use heal::heal;

use context::Setup;
use journal::Journal;
use logsink::LogSink;
use results::{Stats, Verdict};

/// Runs `faultline test`; the exit code follows the verdict (0 valid, 1 invalid, 2 unknown,
/// 254 bad arguments, 255 the harness failed). Each run goes to `<results-dir>/<name>/<stamp>/`
/// and `<results-dir>/<name>/latest` links the newest.
pub fn test(args: TestArgs) -> ExitCode {
    let plan = match config::Plan::new(args) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("faultline test: {e}");
            return ExitCode::from(crate::exit::BAD_INPUT);
        }
    };
    if let Err(e) = precheck(&plan) {
        eprintln!("faultline test: {e}");
        return ExitCode::from(crate::exit::BAD_INPUT);
    }
    let session = match Session::open() {
        Ok(session) => session,
        Err(e) => {
            eprintln!("faultline test: {e}");
            return ExitCode::from(crate::exit::HARNESS_FAILED);
        }
    };
    let parent = plan.results_dir.join(&plan.name);
    let mut worst: Option<Verdict> = None;
    for k in 0..plan.test_count {
        let seed = plan.seed.wrapping_add(k as u64);
        let dir = results::layout::fresh_dir(&parent, &stamp::utc_now());
        let outcome = session.run(&plan, seed, &dir);
        if let Err(e) = results::layout::point_latest(&outcome.dir) {
            eprintln!("faultline: {}: cannot update the `latest` link: {e}", parent.display());
        }
        worst = worst.max(Some(Verdict::of_exit_code(outcome.code)));
        if session.interrupted() {
            eprintln!("faultline test: interrupted; the verdict is unknown at best");
            worst = worst.max(Some(Verdict::Unknown));
            break;
        }
    }
    crate::exit::for_verdict(worst.unwrap_or(Verdict::Crashed))
}

/// The provisioner's checks before anything is changed (on a runtime of their own).
fn precheck(plan: &config::Plan) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(crate::provision::precheck(plan))
}

/// What one run left: its folder, its exit code (0 valid, 1 invalid, 2 unknown, 255 the
/// harness failed), and its record and history as the analysis had them (so nothing is loaded
/// twice).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The run's folder (results.json, history.jsonl, index.html, ...).
    pub dir: PathBuf,
    /// The exit code that goes with its verdict.
    pub code: u8,
    /// The record written to `results.json`; none when the run stopped before its analysis.
    pub record: Option<results::RunRecord>,
    /// The loaded history; none when the run left no readable one.
    pub history: Option<checkers::History>,
}

/// What runs on this machine share: root, the machine-wide lock (one run at a time), the log
/// sink and the async runtime. Opening it heals whatever a crashed run left.
pub struct Session {
    sink: LogSink,
    interrupt: Arc<interrupt::Interrupt>,
    _lock: lock::MachineLock,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    /// Checks for root, takes the machine lock, heals leftovers of crashed runs and starts the
    /// runtime.
    pub fn open() -> Result<Session, String> {
        if !nix::unistd::Uid::effective().is_root() {
            return Err("needs root: it creates network namespaces, a bridge and iptables rules and starts the \
                        target inside them; run it as root (sudo faultline ...)"
                .into());
        }
        let sink = LogSink::default();
        sink.install();
        let lock = lock::MachineLock::acquire()?;
        let (healed, failures) = journal::heal_leftovers();
        for run in healed {
            eprintln!("faultline: healed what a crashed run left ({run})");
        }
        for failure in failures {
            eprintln!("faultline: while healing a crashed run: {failure}");
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let interrupt = Arc::new(interrupt::Interrupt::default());
        runtime.spawn(interrupt::watch(interrupt.clone()));
        Ok(Session { sink, interrupt, _lock: lock, runtime })
    }

    /// True once Ctrl-C or SIGTERM arrived: start no further run.
    pub fn interrupted(&self) -> bool {
        self.interrupt.fired()
    }

    /// Runs `plan` with `seed` into the folder `dir` (created): a fresh cluster, the workload
    /// under faults, teardown, the checkers, `results.json` and the HTML bundle.
    pub fn run(&self, plan: &config::Plan, seed: u64, dir: &Path) -> RunOutcome {
        let dir = match std::fs::create_dir_all(dir) {
            Ok(()) => dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
            Err(e) => {
                eprintln!("faultline: {}: {e}", dir.display());
                return RunOutcome {
                    dir: dir.to_path_buf(),
                    code: crate::exit::HARNESS_FAILED,
                    record: None,
                    history: None,
                };
            }
        };
        match self.runtime.block_on(one_run(plan, seed, &dir, &self.sink, &self.interrupt)) {
            Some(analyzed) => RunOutcome {
                dir,
                code: analyzed.record.verdict().exit_code(),
                record: Some(analyzed.record),
                history: analyzed.history,
            },
            None => RunOutcome { dir, code: crate::exit::HARNESS_FAILED, record: None, history: None },
        }
    }
}

/// Tells runs of one process apart when they start within the same second.
static RUNS_STARTED: AtomicU64 = AtomicU64::new(0);

/// One run into `dir` (which exists): journal, cluster, workload, final phase, teardown,
/// analysis. Returns what the analysis left; none when the run could not start.
async fn one_run(
    plan: &config::Plan,
    seed: u64,
    dir: &Path,
    sink: &LogSink,
    interrupt: &interrupt::Interrupt,
) -> Option<analysis::Analyzed> {
    let run_id =
        format!("{}-{}-{}", stamp::utc_now(), std::process::id(), RUNS_STARTED.fetch_add(1, Ordering::Relaxed));
    let _ = sink.switch(&dir.join("harness.log"));
    eprintln!("faultline: run {} seed {seed}, results in {}", run_id, dir.display());
    let mut fields = plan.fields.clone();
    fields.seed = Some(seed);
    let test_json = serde_json::to_string_pretty(&fields).unwrap_or_default();
    if let Err(e) = results::fsx::write_atomic(dir, "test.json", test_json.as_bytes()) {
        eprintln!("faultline: {e}");
    }
    let journal = match Journal::create(dir, &run_id) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("faultline test: fault journal: {e}");
            return None;
        }
    };
    let state_file = journal.state_file().to_path_buf();
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        eprintln!("faultline: panic ({info}); healing from the fault journal");
        journal::heal_file_blocking(&state_file);
        let _ = std::fs::remove_file(&state_file);
    }));
    let setup = Setup {
        plan: plan.clone(),
        seed,
        run_id: run_id.clone(),
        dir: dir.to_path_buf(),
        journal,
        target: plan.target(),
        provisioner: crate::provision::choose(plan),
        cancel: interrupt.token(),
    };
    let mut errors = Vec::new();
    let outcome = phases::drive(setup, &mut errors).await;
    let _ = std::panic::take_hook();
    std::panic::set_hook(previous_hook);
    let (stats, unanswered, aborted) = match outcome {
        Ok(driven) => (driven.stats, driven.unanswered, driven.aborted),
        Err(e) => {
            errors.push(e);
            (Stats::default(), Vec::new(), None)
        }
    };
    let recorded = analysis::Recorded { stats, unanswered, interrupted: interrupt.fired(), errors, aborted };
    Some(analysis::finish(plan, seed, &run_id, dir, recorded))
}
