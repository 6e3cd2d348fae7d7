//! `faultline test`: provision a local cluster, run the workload under faults, heal, read back,
//! tear down, check. Setup and teardown go through the fault journal so that nothing outlives
//! the run, whatever stops it.

mod analysis;
pub mod config;
mod context;
mod exec;
mod faults;
mod final_reads;
mod heal;
mod interrupt;
mod journal;
mod lock;
mod logsink;
mod netns;
mod node;
mod progress;
mod sequencer;
pub mod stamp;
mod workers;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use checkers::history::Header;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use targets::etcd::Etcd;
use targets::{Cluster, Target};
use tokio_util::sync::CancellationToken;

pub use config::TestArgs;
pub use heal::heal;

use context::{Counts, Run};
use journal::{Journal, Undo};
use logsink::LogSink;
use node::Node;
use results::{Stats, Verdict};
use sequencer::Sequencer;

/// How long the cluster may take to answer after start and after healing.
const READY_LIMIT: Duration = Duration::from_secs(60);

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
            break;
        }
    }
    crate::exit::for_verdict(worst.unwrap_or(Verdict::Crashed))
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
        journal::heal_file(&state_file);
        let _ = std::fs::remove_file(&state_file);
    }));
    let target = Etcd { serializable: plan.fields.serializable, pre_vote: plan.fields.pre_vote, ..Etcd::default() };
    let mut errors = Vec::new();
    let outcome = drive(plan, seed, &run_id, dir, journal, Box::new(target), interrupt.token(), &mut errors).await;
    let _ = std::panic::take_hook();
    std::panic::set_hook(previous_hook);
    let (stats, unanswered) = match outcome {
        Ok(x) => x,
        Err(e) => {
            errors.push(e);
            (Stats::default(), Vec::new())
        }
    };
    let recorded = analysis::Recorded { stats, unanswered, interrupted: interrupt.fired(), errors };
    Some(analysis::finish(plan, seed, &run_id, dir, recorded))
}

/// Provisions, runs and tears down; teardown problems go to `errors`.
#[allow(clippy::too_many_arguments)]
async fn drive(
    plan: &config::Plan,
    seed: u64,
    run_id: &str,
    dir: &Path,
    journal: Journal,
    target: Box<dyn Target>,
    cancel: CancellationToken,
    errors: &mut Vec<String>,
) -> Result<(Stats, Vec<String>), String> {
    let setup = provision(plan, run_id, dir, &journal, target.as_ref()).await;
    let result = match setup {
        Ok((nodes, cluster, up)) => {
            workload(plan, seed, run_id, dir, journal, target, nodes, cluster, up, cancel).await
        }
        Err(e) => {
            tracing::error!("setup: {e}");
            teardown_journal(journal, errors);
            Err(e)
        }
    };
    match result {
        Ok((stats, unanswered, teardown_errors)) => {
            errors.extend(teardown_errors);
            Ok((stats, unanswered))
        }
        Err(e) => Err(e),
    }
}

fn teardown_journal(journal: Journal, errors: &mut Vec<String>) {
    let failures = journal::heal_file(journal.state_file());
    if failures.is_empty() {
        if let Err(e) = journal.close() {
            errors.push(format!("removing the machine-wide journal: {e}"));
        }
    } else {
        errors.extend(failures.into_iter().map(|f| format!("teardown: {f}; run `faultline heal`")));
    }
}

/// Installs the target if needed, makes the namespaces and starts the cluster. Returns the
/// nodes, the cluster and how long it took to answer.
async fn provision(
    plan: &config::Plan,
    run_id: &str,
    dir: &Path,
    journal: &Journal,
    target: &dyn Target,
) -> Result<(Vec<Node>, Cluster, Duration), String> {
    if exec::run(&target.probe(), Duration::from_secs(10)).await.is_err() {
        eprintln!("faultline: installing {} (apt-get)", target.name());
        for step in target.install() {
            exec::run(&step, Duration::from_secs(600)).await?;
        }
        for step in target.quiesce_host() {
            if let Err(e) = exec::run(&step, Duration::from_secs(30)).await {
                tracing::info!("quiescing the host's {}: {e}", target.name());
            }
        }
    }
    let specs = netns::plan(&plan.nodes);
    netns::setup(&specs, run_id, journal).await?;
    let data_root = PathBuf::from("/dev/shm/faultline").join(run_id);
    journal
        .made("data on tmpfs", Undo::Command { argv: exec::argv(&["rm", "-rf", &data_root.to_string_lossy()]) })
        .map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&data_root).map_err(|e| format!("{}: {e}", data_root.display()))?;
    let cluster = Cluster { run_id: run_id.to_string(), nodes: specs.clone(), data_root };
    let nodes: Vec<Node> = specs
        .into_iter()
        .map(|spec| {
            let node_dir = dir.join("nodes").join(&spec.name);
            Node::new(spec, node_dir)
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("node folders: {e}"))?;
    for node in &nodes {
        for step in target.wipe(&node.spec, &cluster) {
            node.exec(&step, Duration::from_secs(30)).await?;
        }
        for file in target.configure(&node.spec, &cluster) {
            let name = file.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            let local = node.dir.join(name);
            results::fsx::write_file(&local, file.contents.as_bytes()).map_err(|e| e.to_string())?;
            node.upload(&local, &file.path)
                .map_err(|e| format!("{}: uploading {}: {e}", node.spec.name, file.path.display()))?;
        }
    }
    let started = Instant::now();
    for node in &nodes {
        node.start(&target.daemon(&node.spec, &cluster), journal, target.stop_grace()).await?;
    }
    let deadline = started + READY_LIMIT;
    for node in &nodes {
        while !target.ready(&node.spec).await {
            let trouble = match node.exited().await {
                Some(status) => Some(format!("exited ({status})")),
                None if Instant::now() > deadline => Some(format!("did not answer within {READY_LIMIT:?}")),
                None => None,
            };
            if let Some(trouble) = trouble {
                let log = target.daemon(&node.spec, &cluster).log;
                let kept = node.dir.join(log.file_name().unwrap_or_default());
                let _ = node.download(&log, &kept);
                return Err(format!("{} on {} {trouble}; see {}", target.name(), node.spec.name, kept.display()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let up = started.elapsed();
    tracing::info!("cluster up in {:.2} s", up.as_secs_f64());
    Ok((nodes, cluster, up))
}

/// Stops the run when a node's daemon exits on its own (the nemesis's kills do not count).
async fn watchdog(run: Arc<Run>) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        for node in &run.nodes {
            if let Some(status) = node.exited().await {
                run.fail(format!(
                    "{} on {} exited on its own ({status}); see nodes/{}/ in the run folder",
                    run.target.name(),
                    node.spec.name,
                    node.spec.name
                ));
                return;
            }
        }
    }
}

/// Figures, final reads never answered, and problems of teardown.
type WorkloadOutcome = (Stats, Vec<String>, Vec<String>);

#[allow(clippy::too_many_arguments)]
async fn workload(
    plan: &config::Plan,
    seed: u64,
    run_id: &str,
    dir: &Path,
    journal: Journal,
    target: Box<dyn Target>,
    nodes: Vec<Node>,
    cluster: Cluster,
    up: Duration,
    cancel: CancellationToken,
) -> Result<WorkloadOutcome, String> {
    let mut header = Header::new(&plan.name, seed, workload::semantics(plan.workload));
    header.target = Some(target.name().to_string());
    header.workload = Some(plan.workload.to_string());
    let (seq, writer) =
        Sequencer::start(&dir.join("history.jsonl"), &header).map_err(|e| format!("history.jsonl: {e}"))?;
    let threads = plan.concurrency;
    let run = Arc::new(Run {
        run_id: run_id.to_string(),
        seq,
        journal,
        nodes,
        cluster,
        target,
        cancel: cancel.clone(),
        counts: Counts::default(),
        keys: Mutex::new(Default::default()),
        next_process: AtomicU64::new(0),
        fault_now: Mutex::new(String::new()),
        failures: Mutex::new(Vec::new()),
    });
    let generator = workload::generator(plan);
    let scheduler: workers::Scheduler = Arc::new(std::sync::Mutex::new((generator, ChaCha8Rng::seed_from_u64(seed))));
    let active = Arc::new(faults::Active::default());
    let nemesis =
        tokio::spawn(faults::nemesis(run.clone(), active.clone(), plan.schedule.clone(), seed, plan.time_limit));
    let progress = tokio::spawn(progress::show(run.clone(), plan.time_limit));
    let watchdog = tokio::spawn(watchdog(run.clone()));
    let tasks: Vec<_> = (0..threads)
        .map(|t| tokio::spawn(workers::worker(run.clone(), scheduler.clone(), t, threads, t % run.nodes.len())))
        .collect();
    for task in tasks {
        if let Err(e) = task.await {
            tracing::error!("a client worker failed: {e}");
            cancel.cancel();
        }
    }
    let workload_s = run.seq.elapsed().as_secs_f64();
    nemesis.abort();
    let _ = nemesis.await;
    progress.abort();
    let _ = progress.await;
    watchdog.abort();
    let _ = watchdog.await;
    let mut problems = active.heal(&run).await;
    problems.extend(run.failures.lock().unwrap_or_else(|e| e.into_inner()).drain(..));
    // Cancelled by an interrupt, or by a node that died on its own: heal and stop quickly.
    let cancelled = cancel.is_cancelled();
    let c = &run.counts;
    let (ok, fail, info) =
        (c.ok.load(Ordering::Relaxed), c.fail.load(Ordering::Relaxed), c.info.load(Ordering::Relaxed));
    let mut unanswered = Vec::new();
    if !cancelled {
        let not_ready = final_reads::wait_ready(&run, READY_LIMIT).await;
        if !not_ready.is_empty() {
            tracing::warn!("after healing, {} never answered", not_ready.join(", "));
        }
        let keys = run.keys.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let reads = workload::final_reads(plan.workload, &keys);
        unanswered = final_reads::final_reads(&run, reads, Duration::from_secs(60)).await;
    }
    run.seq.close();
    if let Err(e) = writer.join() {
        problems.push(e);
    }
    let grace = if cancelled { Duration::from_secs(1) } else { run.target.stop_grace() };
    let stops: Vec<_> = (0..run.nodes.len())
        .map(|i| {
            let run = run.clone();
            tokio::spawn(async move { run.nodes[i].stop(grace).await })
        })
        .collect();
    for stop in stops {
        let _ = stop.await;
    }
    for node in &run.nodes {
        let log = run.target.daemon(&node.spec, &run.cluster).log;
        let name = log.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        if let Err(e) = node.download(&log, &node.dir.join(name)) {
            problems.push(format!("{}: downloading {}: {e}", node.spec.name, log.display()));
        }
    }
    let run = match Arc::try_unwrap(run) {
        Ok(run) => run,
        Err(run) => {
            let failures = journal::heal_file(run.journal.state_file());
            return Err(format!(
                "a task still held the run after the workload ended; healed from the journal{}",
                if failures.is_empty() { String::new() } else { format!(" except: {}", failures.join("; ")) }
            ));
        }
    };
    teardown_journal(run.journal, &mut problems);
    let client_ops = ok + fail + info;
    let stats = Stats {
        cluster_up_s: up.as_secs_f64(),
        workload_s,
        client_ops,
        ok,
        fail,
        info,
        ops_per_s: client_ops as f64 / workload_s.max(1e-9),
        faults: run.counts.faults.load(Ordering::Relaxed),
        check_s: 0.0,
    };
    Ok((stats, unanswered, problems))
}
