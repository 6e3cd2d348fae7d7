//! `Remote`: the one interface through which the harness touches a node (Jepsen's control
//! Remote). Run an argv with a timeout, upload and download a file, start a daemon with its log
//! and pidfile, signal it, stop it, tell whether it is alive. Nothing else acts on a node, and
//! nothing assumes a node shares the controller's filesystem: config files are uploaded, logs
//! downloaded, pidfiles live on the node.
//!
//! Implementations: [`local::LocalRemote`] (the controller itself, or a network namespace on
//! it), [`ssh::SshRemote`] (a machine reached over SSH) and [`docker::DockerRemote`] (a
//! container on this machine). A journal entry names its node and how to reach it ([`Reach`]), never a secret, so
//! `faultline heal` can undo it after the harness died.

pub mod docker;
pub mod exec;
pub mod local;
pub mod ssh;

use std::path::Path;
use std::time::Duration;

use nemesis::{Daemon, DaemonRef, Signal};
use serde::{Deserialize, Serialize};
pub use targets::BoxFuture;

/// Something that went wrong on a node; displays as one line that names the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    /// The node it happened on.
    pub node: String,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.node, self.message)
    }
}

impl std::error::Error for RemoteError {}

impl From<RemoteError> for String {
    fn from(e: RemoteError) -> String {
        e.to_string()
    }
}

/// What a remote call returns.
pub type RemoteResult<T> = Result<T, RemoteError>;

/// How to reach a node again, e.g. from `faultline heal` after the harness died.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "kebab-case")]
pub enum Reach {
    /// The controller itself (the bridge, the namespaces, host-wide rules).
    Local,
    /// A network namespace on the controller.
    Netns {
        /// The namespace's name.
        netns: String,
    },
    /// A machine reached over SSH: host, port, user, the key file's path and the known_hosts
    /// file (never key contents).
    Ssh(Box<ssh::Login>),
    /// A Docker container on the controller.
    Docker {
        /// The container's name.
        container: String,
    },
}

/// The control channel of one node. Methods are async (boxed futures, so a remote can be a
/// trait object); an implementation that blocks runs its blocking calls off the runtime.
pub trait Remote: Send + Sync {
    /// The node's name (the journal and every error name it).
    fn node(&self) -> &str;
    /// How to reach this node again.
    fn reach(&self) -> Reach;
    /// Runs `argv` on the node to completion within `timeout`; its stdout on success.
    fn exec<'a>(&'a self, argv: &'a [String], timeout: Duration) -> BoxFuture<'a, RemoteResult<String>>;
    /// Copies the controller's file `from` to `to` on the node.
    fn upload<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>>;
    /// Copies the node's file `from` to `to` on the controller.
    fn download<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>>;
    /// Starts `daemon`, its output appended to its log, its pid written to its pidfile.
    fn start<'a>(&'a self, daemon: &'a Daemon) -> BoxFuture<'a, RemoteResult<u32>>;
    /// Sends `signal` to the daemon (nothing when it is not running).
    fn signal<'a>(&'a self, daemon: &'a DaemonRef, signal: Signal) -> BoxFuture<'a, RemoteResult<()>>;
    /// Stops the daemon: SIGCONT (it may be paused), SIGTERM, then SIGKILL after `grace`.
    fn stop<'a>(&'a self, daemon: &'a DaemonRef, grace: Duration) -> BoxFuture<'a, RemoteResult<()>>;
    /// Whether the daemon is running (a paused daemon is).
    fn alive<'a>(&'a self, daemon: &'a DaemonRef) -> BoxFuture<'a, RemoteResult<bool>>;
}

/// A remote for `node` as `reach` says to reach it.
pub fn connect(node: &str, reach: &Reach) -> Box<dyn Remote> {
    match reach {
        Reach::Local => Box::new(local::LocalRemote::host(node)),
        Reach::Netns { netns } => Box::new(local::LocalRemote::netns(node, netns)),
        Reach::Docker { container } => Box::new(docker::DockerRemote::new(node, container)),
        Reach::Ssh(login) => Box::new(ssh::SshRemote::new(node, (**login).clone(), ssh::UnknownHostKey::Refuse)),
    }
}
