//! The project's own server as a target: a key-value store replicated with openraft
//! ([`server`]), correct by default, with bug switches that break it the way real systems break.
//! It needs no package: the harness uploads its own executable to each node and starts it as
//! `faultline own-server`, so the server is always the build that tests it.

pub mod api;
mod client;
pub mod server;

use std::path::PathBuf;
use std::time::Duration;

pub use client::OwnClient;
use nemesis::Family;

use crate::bugs::{Bug, Bugs};
use crate::registry::{Entry, Supports, TargetOptions};
use crate::target::{BoxFuture, Client, Cluster, ConfigFile, Daemon, NodeSpec, Target, Upload};

/// The port each member serves Raft and clients on.
pub const PORT: u16 = 7401;

/// The own server's line in the target registry.
pub const ENTRY: Entry = Entry {
    name: "own",
    about: "faultline's own Raft key-value server (openraft), correct by default, with bug switches",
    supports: Supports {
        workloads: &["register", "set", "rw-register", "list-append", "bank", "lock"],
        leader: true,
        faults: &[Family::Partition, Family::Kill, Family::Pause, Family::Clock, Family::Disk],
        options: &[],
        bugs: &Bug::ALL,
    },
    build: |options: &TargetOptions| Box::new(Own { bugs: options.bugs }),
};

/// The own server target and the switches it starts with.
#[derive(Debug, Clone, Default)]
pub struct Own {
    /// The bug switches every member starts with.
    pub bugs: Bugs,
}

/// Where the uploaded executable lives on each node (the run's tmpfs folder).
fn executable(cluster: &Cluster) -> PathBuf {
    cluster.data_root.join("faultline-own")
}

/// The Raft id of `node`: its position in the cluster, from 1.
fn raft_id(node: &NodeSpec, cluster: &Cluster) -> usize {
    cluster.nodes.iter().position(|n| n == node).map_or(0, |i| i + 1)
}

/// `HOST:PORT` of `node`.
pub fn addr(node: &NodeSpec) -> String {
    format!("{}:{PORT}", node.addr)
}

impl Target for Own {
    fn name(&self) -> &'static str {
        "own"
    }

    fn probe(&self) -> Vec<String> {
        // Nothing to install: the executable is uploaded with each run's files.
        vec!["true".into()]
    }

    fn install(&self) -> Vec<Vec<String>> {
        Vec::new()
    }

    fn quiesce_host(&self) -> Vec<Vec<String>> {
        Vec::new()
    }

    fn configure(&self, _node: &NodeSpec, _cluster: &Cluster) -> Vec<ConfigFile> {
        Vec::new()
    }

    fn uploads(&self, _node: &NodeSpec, cluster: &Cluster) -> Result<Vec<Upload>, String> {
        let me = std::env::current_exe().map_err(|e| format!("finding faultline's own executable: {e}"))?;
        Ok(vec![Upload { from: me, to: executable(cluster) }])
    }

    fn daemon(&self, node: &NodeSpec, cluster: &Cluster) -> Daemon {
        let mut argv = vec![
            executable(cluster).to_string_lossy().into_owned(),
            "own-server".into(),
            "--id".into(),
            raft_id(node, cluster).to_string(),
            "--data".into(),
            cluster.data_root.join(&node.name).to_string_lossy().into_owned(),
        ];
        for (i, peer) in cluster.nodes.iter().enumerate() {
            argv.extend(["--peer".into(), format!("{}={}", i + 1, addr(peer))]);
        }
        for bug in self.bugs.iter() {
            argv.extend(["--bug".into(), bug.name().into()]);
        }
        Daemon {
            argv,
            env: Vec::new(),
            user: None,
            log: cluster.data_root.join(format!("{}.own.log", node.name)),
            pidfile: cluster.data_root.join(format!("{}.own.pid", node.name)),
        }
    }

    fn wipe(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<Vec<String>> {
        vec![vec!["rm".into(), "-rf".into(), cluster.data_root.join(&node.name).to_string_lossy().into_owned()]]
    }

    fn stop_grace(&self) -> Duration {
        Duration::from_secs(2)
    }

    fn client(&self, node: &NodeSpec, workload: &str) -> Box<dyn Client> {
        let timeout = if workload == "lock" { workloads::lock::LOCK_WAIT } else { Duration::from_secs(2) };
        Box::new(OwnClient::new(node, workload, timeout))
    }

    fn ready<'a>(&'a self, node: &'a NodeSpec) -> BoxFuture<'a, bool> {
        Box::pin(async move { OwnClient::new(node, "register", Duration::from_secs(1)).probe().await })
    }

    fn leader<'a>(&'a self, cluster: &'a Cluster) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let mut votes = Vec::new();
            for node in &cluster.nodes {
                if let Some(leader) = OwnClient::new(node, "register", Duration::from_millis(500)).leader().await {
                    votes.push(leader);
                }
            }
            let leader = *votes.iter().max_by_key(|v| votes.iter().filter(|w| w == v).count())?;
            cluster.nodes.get(usize::try_from(leader).ok()?.checked_sub(1)?).map(|n| n.name.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_learn_every_peer_and_their_switches_from_argv() {
        let nodes: Vec<NodeSpec> =
            (1..=3).map(|i| NodeSpec { name: format!("n{i}"), addr: format!("198.18.0.{}", 10 + i) }).collect();
        let cluster = Cluster { run_id: "r1".into(), nodes: nodes.clone(), data_root: "/dev/shm/fl".into() };
        let own = Own { bugs: Bugs::of(&[Bug::LazyFsync]) };
        let argv = own.daemon(&nodes[1], &cluster).argv.join(" ");
        assert_eq!(
            argv,
            "/dev/shm/fl/faultline-own own-server --id 2 --data /dev/shm/fl/n2 --peer 1=198.18.0.11:7401 \
             --peer 2=198.18.0.12:7401 --peer 3=198.18.0.13:7401 --bug lazy-fsync"
        );
        let uploads = own.uploads(&nodes[1], &cluster).unwrap();
        assert_eq!(uploads[0].to, PathBuf::from("/dev/shm/fl/faultline-own"));
        assert_eq!(uploads[0].from, std::env::current_exe().unwrap());
    }
}
