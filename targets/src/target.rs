//! The target protocol, in the spirit of Jepsen's `DB`: lifecycle as commands, plus a client.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use checkers::txn::ConsistencyModel;
use checkers::{OpType, Value};
pub use nemesis::Daemon;
use workloads::Invocation;

/// A boxed future, so targets and clients can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One node of the cluster as a target sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    /// The node's name, `n1`.
    pub name: String,
    /// Its IPv4 address in the run's network.
    pub addr: String,
}

/// The cluster a target is deployed on.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The run's id, unique per run (tags cluster tokens, rules and files).
    pub run_id: String,
    /// Every node, in the cluster's order.
    pub nodes: Vec<NodeSpec>,
    /// Where each node keeps its data (a tmpfs), one subfolder per node.
    pub data_root: PathBuf,
}

/// A configuration file the harness uploads to a node before starting the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where it goes on the node.
    pub path: PathBuf,
    /// What the file holds.
    pub contents: String,
}

/// A file the harness copies from the controller to a node before the daemon starts (the own
/// server's executable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The file on the controller.
    pub from: PathBuf,
    /// Where it goes on the node.
    pub to: PathBuf,
}

/// What became of an op.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// ok, fail or info.
    pub kind: OpType,
    /// The result value (the invocation's value when the op did not return one).
    pub value: Value,
    /// Why it failed or is indeterminate.
    pub error: Option<String>,
    /// The node refused the connection: nothing was sent (the worker backs off before its next
    /// op rather than spin against a node that is down).
    pub refused: bool,
}

/// A completion of `kind` with `value` and `error` (the connection was not refused).
pub(crate) fn done(kind: OpType, value: impl Into<Value>, error: Option<String>) -> Completion {
    Completion { kind, value: value.into(), error, refused: false }
}

/// An HTTP client for cluster traffic: no proxy, each request bounded by `timeout` (connecting
/// by at most half a second).
pub(crate) fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_millis(500)))
        .build()
        .expect("a reqwest client with static options builds")
}

/// A client bound to one node.
pub trait Client: Send + Sync {
    /// Executes one op: `ok` when it took effect, `fail` only when it provably did not, `info`
    /// when it may have.
    fn invoke<'a>(&'a self, op: &'a Invocation) -> BoxFuture<'a, Completion>;
    /// Whether this client knows how to run `op` (pure: decodes it, sends nothing).
    fn runs(&self, op: &Invocation) -> bool;
}

/// A system under test.
pub trait Target: Send + Sync {
    /// Its name on the command line, `etcd`.
    fn name(&self) -> &'static str;
    /// A command that succeeds when the target is installed.
    fn probe(&self) -> Vec<String>;
    /// Commands that install it on a node (run when `probe` fails there).
    fn install(&self) -> Vec<Vec<String>>;
    /// Commands run on a node after installing: stop and disable a copy the package may have
    /// started as a system service; their failures are harmless (nothing to stop).
    fn quiesce_host(&self) -> Vec<Vec<String>>;
    /// The files `node` needs before its daemon starts.
    fn configure(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<ConfigFile>;
    /// Files to copy to `node` before its daemon starts (none unless the target says so).
    fn uploads(&self, _node: &NodeSpec, _cluster: &Cluster) -> Result<Vec<Upload>, String> {
        Ok(Vec::new())
    }
    /// The daemon to run on `node`.
    fn daemon(&self, node: &NodeSpec, cluster: &Cluster) -> Daemon;
    /// The folder of the target's data on `node` (a disk fault fills the filesystem holding it).
    fn data_dir(&self, node: &NodeSpec, cluster: &Cluster) -> PathBuf {
        cluster.data_root.join(&node.name)
    }
    /// Commands that remove the daemon's data on `node` (run before configuring it).
    fn wipe(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<Vec<String>>;
    /// How long SIGTERM may take before the harness sends SIGKILL.
    fn stop_grace(&self) -> Duration;
    /// A client bound to `node` that runs the ops of workload `workload` (by name; two
    /// workloads may share an op's shape, a read-only transaction or a read of null).
    fn client(&self, node: &NodeSpec, workload: &str) -> Box<dyn Client>;
    /// How many nodes it runs on at most (`None`: any number).
    fn max_nodes(&self) -> Option<usize> {
        None
    }
    /// The transactional model its transactions are judged against unless the test names one.
    fn consistency_model(&self) -> ConsistencyModel {
        ConsistencyModel::StrictSerializable
    }
    /// Whether `node` answers a linearizable read now.
    fn ready<'a>(&'a self, node: &'a NodeSpec) -> BoxFuture<'a, bool>;
    /// The node currently leading, if the target has leaders and one is known.
    fn leader<'a>(&'a self, cluster: &'a Cluster) -> BoxFuture<'a, Option<String>>;
}
