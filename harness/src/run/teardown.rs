//! The phases after the workload: heal every fault in force, stop the daemons, collect their
//! logs, and undo what the journal still lists (namespaces, rules, data).

use std::sync::Arc;
use std::time::Duration;

use super::context::Run;
use super::journal::{self, Journal};

/// Heals the faults in force; returns the problems, with the failures that stopped the run.
pub async fn heal(run: &Run) -> Vec<String> {
    let mut problems = run.active.heal(run).await;
    problems.extend(run.failures.lock().unwrap_or_else(|e| e.into_inner()).drain(..));
    problems
}

/// Stops every node's daemon (in parallel), quickly when the run was cancelled.
pub async fn stop(run: &Arc<Run>) {
    let grace = if run.cancel.is_cancelled() { Duration::from_secs(1) } else { run.target.stop_grace() };
    let stops: Vec<_> = (0..run.nodes.len())
        .map(|i| {
            let run = run.clone();
            tokio::spawn(async move {
                let node = &run.nodes[i];
                if let Err(e) = node.remote.stop(&node.daemon_ref(), grace).await {
                    tracing::warn!("stopping the daemon: {e}");
                }
            })
        })
        .collect();
    for stop in stops {
        let _ = stop.await;
    }
}

/// Downloads every node's daemon log into its folder of the run; returns the problems.
pub async fn collect(run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    for node in &run.nodes {
        if let Err(e) = node.collect(&node.daemon.log).await {
            problems.push(e);
        }
    }
    problems
}

/// Undoes whatever the journal still lists and, when all of it is undone, removes the
/// machine-wide state file; failures go to `errors`.
pub async fn undo_journal(journal: Journal, errors: &mut Vec<String>) {
    let failures = journal::heal_file(journal.state_file()).await;
    if failures.is_empty() {
        if let Err(e) = journal.close() {
            errors.push(format!("removing the machine-wide journal: {e}"));
        }
    } else {
        errors.extend(failures.into_iter().map(|f| format!("teardown: {f}; run `faultline heal`")));
    }
}
