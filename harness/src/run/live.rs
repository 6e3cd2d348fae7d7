//! The workload phase: client workers, the nemesis, the progress line and the watchdog, until
//! the generator runs out, the time limit passes or the run is cancelled.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::context::Run;
use super::{faults, guard, progress, workers, workload};

/// Runs the workload phase; returns its length in seconds.
pub async fn phase(run: &Arc<Run>) -> f64 {
    let generator = workload::generator(&run.plan);
    let scheduler: workers::Scheduler = Arc::new(Mutex::new((generator, ChaCha8Rng::seed_from_u64(run.seed))));
    let mut helpers = vec![
        tokio::spawn(faults::nemesis(run.clone())),
        tokio::spawn(progress::show(run.clone(), run.plan.time_limit)),
        tokio::spawn(watchdog(run.clone())),
    ];
    if let Some((limit, hold)) = run.plan.abort_if {
        helpers.push(tokio::spawn(guard::watch(run.clone(), limit, hold)));
    }
    let threads = run.plan.concurrency;
    let tasks: Vec<_> = (0..threads)
        .map(|t| tokio::spawn(workers::worker(run.clone(), scheduler.clone(), t, threads, t % run.nodes.len())))
        .collect();
    for task in tasks {
        if let Err(e) = task.await {
            tracing::error!("a client worker failed: {e}");
            run.cancel.cancel();
        }
    }
    let workload_s = run.seq.elapsed().as_secs_f64();
    for helper in helpers {
        helper.abort();
        let _ = helper.await;
    }
    workload_s
}

/// Stops the run when a node's daemon exits on its own (the nemesis's kills do not count).
async fn watchdog(run: Arc<Run>) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let died = run
            .active
            .while_still(async |down: &[String]| {
                for node in run.nodes.iter().filter(|n| !down.contains(&n.spec.name)) {
                    if let Ok(false) = node.remote.alive(&node.daemon_ref()).await {
                        return Some(&node.spec.name);
                    }
                }
                None
            })
            .await;
        if let Some(name) = died {
            run.fail(format!("{} on {name} exited on its own; see nodes/{name}/ in the run folder", run.target.name()));
            return;
        }
    }
}
