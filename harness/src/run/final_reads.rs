//! The final phase after healing: wait until every node answers, then read every key from every
//! node with retries. A key a node never answered for makes the verdict unknown, not valid.

use std::sync::Arc;
use std::time::{Duration, Instant};

use checkers::OpType;
use workloads::Invocation;

use super::context::Run;
use super::start::READY_LIMIT;

/// The final-reads phase: waits until every node answers, then reads what the workload touched
/// from every node. Returns the reads never answered.
pub async fn phase(run: &Arc<Run>) -> Vec<String> {
    let not_ready = wait_ready(run, READY_LIMIT).await;
    if !not_ready.is_empty() {
        tracing::warn!("after healing, {} never answered", not_ready.join(", "));
    }
    final_reads(run, run.touched.final_reads(), Duration::from_secs(60)).await
}

/// Waits until every node answers a linearizable read, up to `limit`. Returns the nodes that
/// never did.
async fn wait_ready(run: &Run, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut waiting: Vec<&targets::NodeSpec> = run.nodes.iter().map(|n| &n.spec).collect();
    while !waiting.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for spec in waiting {
            if !run.target.ready(spec).await {
                still.push(spec);
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    waiting.into_iter().map(|s| s.name.clone()).collect()
}

async fn read_all(run: Arc<Run>, node: usize, reads: Vec<Invocation>, deadline: Instant) -> Vec<String> {
    let spec = run.nodes[node].spec.clone();
    let client = run.target.client(&spec, &run.plan.workload.to_string());
    let process = run.new_process();
    let mut unanswered = Vec::new();
    for op in reads {
        let mut answered = false;
        for _ in 0..10 {
            if Instant::now() >= deadline || run.cancel.is_cancelled() {
                break;
            }
            run.record_client(process, OpType::Invoke, &op.f, op.value.clone(), &spec.name, None);
            let done = client.invoke(&op).await;
            let kind = if done.kind == OpType::Info { OpType::Fail } else { done.kind };
            run.record_client(process, kind, &op.f, done.value, &spec.name, done.error);
            if kind == OpType::Ok {
                answered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        if !answered {
            unanswered.push(format!("{} {} on {}", op.f, op.value, spec.name));
        }
    }
    unanswered
}

/// Runs `reads` on every node (nodes in parallel). Returns what went unanswered.
async fn final_reads(run: &Arc<Run>, reads: Vec<Invocation>, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let tasks: Vec<_> =
        (0..run.nodes.len()).map(|i| tokio::spawn(read_all(run.clone(), i, reads.clone(), deadline))).collect();
    let mut unanswered = Vec::new();
    for task in tasks {
        unanswered.extend(task.await.unwrap_or_else(|e| vec![format!("a final reader failed: {e}")]));
    }
    unanswered
}
