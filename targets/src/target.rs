//! The target protocol, in the spirit of Jepsen's `DB`: lifecycle as commands, plus a client.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use checkers::{OpType, Value};
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
    /// Every node.
    pub nodes: Vec<NodeSpec>,
    /// Where each node keeps its data (a tmpfs), one subfolder per node.
    pub data_root: PathBuf,
}

/// A long-running process the harness starts on a node, with its pidfile and log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daemon {
    /// The command.
    pub argv: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// The file on the node that receives stdout and stderr; the harness downloads it into
    /// the run folder at teardown.
    pub log: PathBuf,
}

/// A configuration file the harness uploads to a node before starting the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where it goes on the node.
    pub path: PathBuf,
    /// Its contents.
    pub contents: String,
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
}

/// A client bound to one node.
pub trait Client: Send + Sync {
    /// Executes one op: `ok` when it took effect, `fail` only when it provably did not, `info`
    /// when it may have.
    fn invoke<'a>(&'a self, op: &'a Invocation) -> BoxFuture<'a, Completion>;
}

/// A system under test.
pub trait Target: Send + Sync {
    /// Its name on the command line, `etcd`.
    fn name(&self) -> &'static str;
    /// A command that succeeds when the target is installed.
    fn probe(&self) -> Vec<String>;
    /// Commands that install it on the host (the nodes share the host's files).
    fn install(&self) -> Vec<Vec<String>>;
    /// Commands that stop and disable a copy the package may have started in the root
    /// namespace; their failures are harmless (nothing to stop).
    fn quiesce_host(&self) -> Vec<Vec<String>>;
    /// The files `node` needs before its daemon starts.
    fn configure(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<ConfigFile>;
    /// The daemon to run on `node`.
    fn daemon(&self, node: &NodeSpec, cluster: &Cluster) -> Daemon;
    /// Commands that remove the daemon's data on `node` (run before configuring it).
    fn wipe(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<Vec<String>>;
    /// How long SIGTERM may take before the harness sends SIGKILL.
    fn stop_grace(&self) -> Duration;
    /// A client bound to `node`.
    fn client(&self, node: &NodeSpec) -> Box<dyn Client>;
    /// Whether `node` answers a linearizable read now.
    fn ready<'a>(&'a self, node: &'a NodeSpec) -> BoxFuture<'a, bool>;
    /// The node currently leading, if the target has leaders and one is known.
    fn leader<'a>(&'a self, cluster: &'a Cluster) -> BoxFuture<'a, Option<String>>;
}
