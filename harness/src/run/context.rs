//! The context of one run, which its phases share: [`Setup`] until the cluster stands, then
//! [`Run`], which every task of the live run holds.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use checkers::{OpType, Process, Value};
use nemesis::{Family, Placement, CLIENTS};
use results::hypothesis::Abort;
use targets::{Cluster, Target};
use tokio_util::sync::CancellationToken;

use super::config::Plan;
use super::faults::Active;
use super::journal::Journal;
use super::node::Node;
use super::sequencer::Sequencer;
use super::start::{self, Started};
use super::workload::Touched;
use crate::provision::Provisioner;

/// A run before its cluster exists.
pub struct Setup {
    /// The validated test.
    pub plan: Plan,
    /// This run's seed.
    pub seed: u64,
    /// The run's id (tags rules, files and the cluster token).
    pub run_id: String,
    /// The run's folder.
    pub dir: PathBuf,
    /// The fault journal: the undo of everything made or broken, written before it is done.
    pub journal: Journal,
    /// The system under test, built from the registry.
    pub target: Box<dyn Target>,
    /// Makes the nodes.
    pub provisioner: Box<dyn Provisioner>,
    /// Fired by Ctrl-C, SIGTERM or a failure: everything winds down and heals now.
    pub cancel: CancellationToken,
}

/// Counts of recorded client completions.
#[derive(Debug, Default)]
pub struct Counts {
    /// Client ops that completed ok.
    pub ok: AtomicU64,
    /// Completions whose node refused the connection (a subset of fail).
    pub refused: AtomicU64,
    /// Client ops that completed fail.
    pub fail: AtomicU64,
    /// Client ops that completed info (indeterminate).
    pub info: AtomicU64,
    /// Completions the store answered (ok, or a fail it decided): availability's numerator.
    pub answered: AtomicU64,
    /// Nemesis faults injected.
    pub faults: AtomicU64,
}

/// The live run.
pub struct Run {
    /// The validated test.
    pub plan: Plan,
    /// This run's seed.
    pub seed: u64,
    /// Stamps and writes ops.
    pub seq: Sequencer,
    /// The fault journal: the undo of everything made or broken, written before it is done.
    pub journal: Journal,
    /// The nodes, in the cluster's order.
    pub nodes: Vec<Node>,
    /// The cluster as the target sees it.
    pub cluster: Cluster,
    /// Addresses and daemons, as the nemesis resolves faults against them.
    pub placement: Placement,
    /// Faults in force.
    pub active: Active,
    /// The system under test.
    pub target: Box<dyn Target>,
    /// Fired by Ctrl-C, SIGTERM or a failure: everything winds down and heals now.
    pub cancel: CancellationToken,
    /// Completion counts (progress, stats).
    pub counts: Counts,
    /// What the workload's ops touched (the final reads read it all).
    pub touched: Touched,
    /// The next unused client process number.
    pub next_process: AtomicU64,
    /// What the nemesis is doing now (for the progress line).
    pub fault_now: Mutex<String>,
    /// Failures that stopped the run (a node's daemon died on its own), one line each.
    pub failures: Mutex<Vec<String>>,
    /// Set when the abort guard fired: the nemesis injects nothing more.
    pub aborted: Mutex<Option<Abort>>,
}

/// The address the controller (where the workload's clients run) sends from toward `node_addr`,
/// as `ip route get` tells it: what a node sees the clients' packets come from.
fn controller_addr(node_addr: &str) -> Option<String> {
    let out = std::process::Command::new("ip").args(["-o", "route", "get", node_addr]).output().ok()?;
    let route = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut words = route.split_whitespace();
    words.by_ref().find(|w| *w == "src")?;
    words.next().map(str::to_string)
}

impl Run {
    /// The live run on a started cluster, recording into `seq`.
    pub fn new(setup: Setup, started: Started, seq: Sequencer) -> Run {
        let mut addrs: std::collections::BTreeMap<String, String> =
            started.nodes.iter().map(|n| (n.spec.name.clone(), n.spec.addr.clone())).collect();
        if let Some(clients) = started.nodes.first().and_then(|n| controller_addr(&n.spec.addr)) {
            addrs.insert(CLIENTS.to_string(), clients);
        }
        let placement = Placement {
            run_id: setup.run_id.clone(),
            addrs,
            daemons: started.nodes.iter().map(|n| (n.spec.name.clone(), n.daemon.clone())).collect(),
            agent: setup.plan.schedule.families().contains(&Family::Delay).then(|| start::agent(&started.cluster)),
            data_dirs: started
                .nodes
                .iter()
                .map(|n| (n.spec.name.clone(), setup.target.data_dir(&n.spec, &started.cluster)))
                .collect(),
        };
        Run {
            touched: Touched::new(setup.plan.workload),
            plan: setup.plan,
            seed: setup.seed,
            seq,
            journal: setup.journal,
            nodes: started.nodes,
            cluster: started.cluster,
            placement,
            active: Active::default(),
            target: setup.target,
            cancel: setup.cancel,
            counts: Counts::default(),
            next_process: AtomicU64::new(0),
            fault_now: Mutex::default(),
            failures: Mutex::default(),
            aborted: Mutex::default(),
        }
    }

    /// Records why the run must stop, and stops it.
    pub fn fail(&self, why: String) {
        tracing::error!("{why}");
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).push(why);
        self.cancel.cancel();
    }

    /// Whether the abort guard fired.
    pub fn is_aborted(&self) -> bool {
        self.aborted.lock().unwrap_or_else(|e| e.into_inner()).is_some()
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
        if results::spans::answered(kind, error.as_deref()) {
            self.counts.answered.fetch_add(1, Ordering::Relaxed);
        }
        self.seq.record(Process::Client(process), kind, f, value, Some(node), error)
    }
}
