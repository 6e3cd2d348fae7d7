//! A run's phases in order, over one context: start (provision the nodes, start the target),
//! workload (clients and the nemesis), heal, final reads, stop, collect, and the journal's undo.
//! Whatever fails, what was made is undone.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use checkers::history::Header;

use super::context::{Run, Setup};
use super::sequencer::{Sequencer, Writer};
use super::{final_reads, journal, live, start, teardown, workload};
use results::Stats;

/// What the phases leave for the analysis: the figures and the final reads never answered.
pub struct Driven {
    /// Figures of the run.
    pub stats: Stats,
    /// Final reads that never got an answer.
    pub unanswered: Vec<String>,
    /// Why and when the abort guard fired, if it did.
    pub aborted: Option<results::hypothesis::Abort>,
}

/// Runs every phase; problems that did not stop the run go to `errors`.
pub async fn drive(setup: Setup, errors: &mut Vec<String>) -> Result<Driven, String> {
    let started = start::start(&setup).await;
    let history = started.as_ref().map_err(Clone::clone).and_then(|_| open_history(&setup));
    let (started, (seq, writer)) = match (started, history) {
        (Ok(started), Ok(history)) => (started, history),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!("setup: {e}");
            teardown::undo_journal(setup.journal, errors).await;
            return Err(e);
        }
    };
    let (up, provisioned) = (started.up, started.provisioned);
    let run = Arc::new(Run::new(setup, started, seq));
    let workload_s = live::phase(&run).await;
    errors.extend(teardown::heal(&run).await);
    // Cancelled by an interrupt, or by a node that died on its own: heal and stop quickly.
    let unanswered = if run.cancel.is_cancelled() { Vec::new() } else { final_reads::phase(&run).await };
    run.seq.close();
    if let Err(e) = writer.join() {
        errors.push(e);
    }
    teardown::stop(&run).await;
    errors.extend(teardown::collect(&run).await);
    let aborted = run.aborted.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut stats = stats(&run, workload_s);
    stats.cluster_up_s = up.as_secs_f64();
    stats.provision_s = provisioned.as_secs_f64();
    match Arc::try_unwrap(run) {
        Ok(run) => teardown::undo_journal(run.journal, errors).await,
        Err(run) => {
            errors.push("a task still held the run after the workload ended; healed from the journal".into());
            errors.extend(journal::heal_file(run.journal.state_file()).await);
        }
    }
    Ok(Driven { stats, unanswered, aborted })
}

/// The history file, its header naming the test, seed, target, workload and semantics.
fn open_history(setup: &Setup) -> Result<(Sequencer, Writer), String> {
    let workload = setup.plan.workload;
    let mut header = Header::new(&setup.plan.name, setup.seed, workload::semantics(workload));
    header.target = Some(setup.target.name().to_string());
    header.workload = Some(workload.to_string());
    Sequencer::start(&setup.dir.join("history.jsonl"), &header).map_err(|e| format!("history.jsonl: {e}"))
}

/// The run's figures (all but the cluster's start time and the checker's).
fn stats(run: &Run, workload_s: f64) -> Stats {
    let c = &run.counts;
    let (ok, fail, info) =
        (c.ok.load(Ordering::Relaxed), c.fail.load(Ordering::Relaxed), c.info.load(Ordering::Relaxed));
    let client_ops = ok + fail + info;
    Stats {
        workload_s,
        client_ops,
        ok,
        fail,
        info,
        refused: c.refused.load(Ordering::Relaxed),
        ops_per_s: client_ops as f64 / workload_s.max(1e-9),
        faults: c.faults.load(Ordering::Relaxed),
        ..Stats::default()
    }
}
