//! Client workers: each bound to one node, each asks the one generator for its next op, runs it
//! and records invoke and completion. Jepsen process semantics: an `info` retires the process
//! and the worker goes on as a new one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use checkers::OpType;
use rand_chacha::ChaCha8Rng;
use targets::Completion;
use workloads::register::RegisterOp;
use workloads::{Context, Event, Generator, Next};

use super::context::Run;

/// The generator and the rng behind one lock: the scheduler.
pub type Scheduler = Arc<Mutex<(Box<dyn Generator>, ChaCha8Rng)>>;

fn update(scheduler: &Scheduler, event: Event) {
    scheduler.lock().unwrap_or_else(|e| e.into_inner()).0.update(&event);
}

/// Runs client worker `thread` (of `threads`) against node `node` until the generator is done
/// or the run is cancelled.
pub async fn worker(run: Arc<Run>, scheduler: Scheduler, thread: usize, threads: usize, node: usize) {
    let spec = run.nodes[node].spec.clone();
    let client = run.target.client(&spec);
    let mut process = run.new_process();
    loop {
        if run.cancel.is_cancelled() {
            return;
        }
        let time = run.seq.elapsed();
        let next = {
            let mut guard = scheduler.lock().unwrap_or_else(|e| e.into_inner());
            let (gen, rng) = &mut *guard;
            gen.next(&mut Context { time, thread, threads, rng })
        };
        let op = match next {
            Next::Done => return,
            Next::Pending(at) => {
                let wait =
                    at.map_or(Duration::from_millis(10), |at| at.saturating_sub(time)).min(Duration::from_millis(100));
                tokio::select! {
                    _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
                    _ = run.cancel.cancelled() => return,
                }
                continue;
            }
            Next::Op(op) => op,
        };
        if let Some(reg) = RegisterOp::decode(&op) {
            run.keys.lock().unwrap_or_else(|e| e.into_inner()).insert(reg.key());
        }
        let invoked = run.record_client(process, OpType::Invoke, &op.f, op.value.clone(), &spec.name, None);
        update(
            &scheduler,
            Event {
                time: Duration::from_nanos(invoked.time),
                thread,
                kind: OpType::Invoke,
                f: op.f.clone(),
                value: op.value.clone(),
            },
        );
        let done = tokio::select! {
            done = client.invoke(&op) => done,
            _ = run.cancel.cancelled() => {
                let kind = if op.f == "read" { OpType::Fail } else { OpType::Info };
                Completion { kind, value: op.value.clone(), error: Some("interrupted".into()) }
            }
        };
        let completed = run.record_client(process, done.kind, &op.f, done.value.clone(), &spec.name, done.error);
        update(
            &scheduler,
            Event { time: Duration::from_nanos(completed.time), thread, kind: done.kind, f: op.f, value: done.value },
        );
        if done.kind == OpType::Info {
            process = run.new_process();
        }
    }
}
