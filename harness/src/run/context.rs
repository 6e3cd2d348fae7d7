//! What every task of a live run shares.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use checkers::{OpType, Process, Value};
use targets::{Cluster, Target};
use tokio_util::sync::CancellationToken;

use super::journal::Journal;
use super::node::Node;
use super::sequencer::Sequencer;

/// Counts of recorded client completions.
#[derive(Debug, Default)]
pub struct Counts {
    /// ok completions.
    pub ok: AtomicU64,
    /// fail completions.
    pub fail: AtomicU64,
    /// info completions.
    pub info: AtomicU64,
    /// Nemesis faults injected.
    pub faults: AtomicU64,
}

/// The live run.
pub struct Run {
    /// The run's id.
    pub run_id: String,
    /// Stamps and writes ops.
    pub seq: Sequencer,
    /// Undo records.
    pub journal: Journal,
    /// The nodes, in the cluster's order.
    pub nodes: Vec<Node>,
    /// The cluster as the target sees it.
    pub cluster: Cluster,
    /// The system under test.
    pub target: Box<dyn Target>,
    /// Fired by Ctrl-C, SIGTERM or a failure: everything winds down and heals now.
    pub cancel: CancellationToken,
    /// Completion counts (progress, stats).
    pub counts: Counts,
    /// Every register key a client touched (the final reads read them all).
    pub keys: Mutex<BTreeSet<u64>>,
    /// The next unused client process number.
    pub next_process: AtomicU64,
    /// What the nemesis is doing now (for the progress line).
    pub fault_now: Mutex<String>,
    /// Failures that stopped the run (a node's daemon died on its own), one line each.
    pub failures: Mutex<Vec<String>>,
}

impl Run {
    /// Records why the run must stop, and stops it.
    pub fn fail(&self, why: String) {
        tracing::error!("{why}");
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).push(why);
        self.cancel.cancel();
    }

    /// The node named `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.spec.name == name)
    }

    /// A fresh client process number.
    pub fn new_process(&self) -> u64 {
        self.next_process.fetch_add(1, Ordering::SeqCst)
    }

    /// Records a client op and counts completions.
    pub fn record_client(
        &self,
        process: u64,
        kind: OpType,
        f: &str,
        value: Value,
        node: &str,
        error: Option<String>,
    ) -> checkers::Op {
        let counter = match kind {
            OpType::Ok => Some(&self.counts.ok),
            OpType::Fail => Some(&self.counts.fail),
            OpType::Info => Some(&self.counts.info),
            OpType::Invoke => None,
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.seq.record(Process::Client(process), kind, f, value, Some(node), error)
    }
}
