//! Client workers: each bound to one node, each asks the one generator for its next op, runs it
//! and records invoke and completion. Jepsen process semantics: an `info` retires the process
//! and the worker goes on as a new one. A worker whose node refused the connection backs off
//! before its next op instead of spinning against a node that is down.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use checkers::OpType;
use rand_chacha::ChaCha8Rng;
use targets::{Client, Completion};
use workloads::{Context, Event, Generator, Invocation, Next};

use super::context::Run;
use super::workload::only_reads;

/// The generator and the rng behind one lock: the scheduler.
pub type Scheduler = Arc<Mutex<(Box<dyn Generator>, ChaCha8Rng)>>;

/// The pause after a refused connection: 10 ms, doubling up to 1 s, back to 10 ms once the node
/// answers.
#[derive(Debug, Default)]
struct Backoff(Option<Duration>);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MOST: Duration = Duration::from_secs(1);

    /// The pause after one more refusal.
    fn refused(&mut self) -> Duration {
        let next = self.0.map_or(Backoff::FIRST, |d| (d * 2).min(Backoff::MOST));
        self.0 = Some(next);
        next
    }

    /// The node answered.
    fn reset(&mut self) {
        self.0 = None;
    }
}

fn update(scheduler: &Scheduler, thread: usize, op: &checkers::Op) {
    let time = Duration::from_nanos(op.time);
    let event = Event { time, thread, kind: op.kind, f: op.f.to_string(), value: op.value.clone() };
    scheduler.lock().unwrap_or_else(|e| e.into_inner()).0.update(&event);
}

/// What the generator says a free worker does next; `None` when it is done or the run was
/// cancelled while waiting.
async fn next_op(run: &Run, scheduler: &Scheduler, thread: usize, threads: usize) -> Option<Invocation> {
    loop {
        if run.cancel.is_cancelled() {
            return None;
        }
        let time = run.seq.elapsed();
        let next = {
            let mut guard = scheduler.lock().unwrap_or_else(|e| e.into_inner());
            let (gen, rng) = &mut *guard;
            gen.next(&mut Context { time, thread, threads, rng })
        };
        match next {
            Next::Done => return None,
            Next::Op(op) => return Some(op),
            Next::Pending(at) => {
                let wait =
                    at.map_or(Duration::from_millis(10), |at| at.saturating_sub(time)).min(Duration::from_millis(100));
                if !pause(run, wait.max(Duration::from_millis(1))).await {
                    return None;
                }
            }
        }
    }
}

/// Sleeps `wait`; false when the run was cancelled meanwhile.
async fn pause(run: &Run, wait: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = run.cancel.cancelled() => false,
    }
}

/// Runs `op` on `client`; cut short by cancellation, a read fails (it changed nothing) and
/// anything else is indeterminate.
async fn invoke(run: &Run, client: &dyn Client, op: &Invocation) -> Completion {
    tokio::select! {
        done = client.invoke(op) => done,
        _ = run.cancel.cancelled() => {
            let kind = if only_reads(op) { OpType::Fail } else { OpType::Info };
            Completion { kind, value: op.value.clone(), error: Some("interrupted".into()), refused: false }
        }
    }
}

/// Runs client worker `thread` (of `threads`) against node `node` until the generator is done
/// or the run is cancelled.
pub async fn worker(run: Arc<Run>, scheduler: Scheduler, thread: usize, threads: usize, node: usize) {
    let spec = run.nodes[node].spec.clone();
    let client = run.target.client(&spec, &run.plan.workload.to_string());
    let mut process = run.new_process();
    let mut backoff = Backoff::default();
    while let Some(op) = next_op(&run, &scheduler, thread, threads).await {
        run.touched.observe(&op);
        let invoked = run.record_client(process, OpType::Invoke, &op.f, op.value.clone(), &spec.name, None);
        update(&scheduler, thread, &invoked);
        let done = invoke(&run, client.as_ref(), &op).await;
        let completed = run.record_client(process, done.kind, &op.f, done.value, &spec.name, done.error);
        update(&scheduler, thread, &completed);
        if done.kind == OpType::Info {
            process = run.new_process();
        }
        if !done.refused {
            backoff.reset();
        } else {
            run.counts.refused.fetch_add(1, Ordering::Relaxed);
            if !pause(&run, backoff.refused()).await {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_second_and_resets_on_an_answer() {
        let mut b = Backoff::default();
        let ms: Vec<u128> = (0..9).map(|_| b.refused().as_millis()).collect();
        assert_eq!(ms, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.refused(), Duration::from_millis(10));
    }
}
