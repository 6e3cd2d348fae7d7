//! etcd 3.4 (Debian's `etcd-server`): a static cluster, data on tmpfs, long election timeouts
//! so two shared cores keep it stable, clients through the JSON gateway.

mod client;
mod gateway;
mod lock;

use std::path::PathBuf;
use std::time::Duration;

pub use client::EtcdClient;

use nemesis::Family;

use crate::registry::{Entry, Supports, TargetOptions};
use crate::target::{BoxFuture, Client, Cluster, ConfigFile, Daemon, NodeSpec, Target};

/// etcd's line in the target registry.
pub const ENTRY: Entry = Entry {
    name: "etcd",
    about: "etcd 3.4 (Debian's etcd-server), a static cluster, clients through the JSON gateway",
    supports: Supports {
        workloads: &["register", "set", "rw-register", "list-append", "bank", "lock"],
        leader: true,
        faults: &[Family::Partition, Family::Kill, Family::Pause, Family::Disk],
        options: &["serializable", "pre-vote"],
        bugs: &[],
    },
    build: |options: &TargetOptions| {
        Box::new(Etcd { serializable: options.serializable, pre_vote: options.pre_vote, ..Etcd::default() })
    },
};

/// The etcd target and its options.
#[derive(Debug, Clone)]
pub struct Etcd {
    /// Reads with `serializable: true` (any member answers from its own state, not a quorum).
    pub serializable: bool,
    /// Start members with `--pre-vote` (a healed node then does not force an election).
    pub pre_vote: bool,
    /// Per-request client timeout.
    pub request_timeout: Duration,
}

impl Default for Etcd {
    fn default() -> Etcd {
        Etcd { serializable: false, pre_vote: false, request_timeout: Duration::from_secs(2) }
    }
}

fn config_path(node: &NodeSpec, cluster: &Cluster) -> PathBuf {
    cluster.data_root.join(format!("{}.etcd.yml", node.name))
}

fn peer_url(node: &NodeSpec) -> String {
    format!("http://{}:2380", node.addr)
}

/// The client URL of `node`.
pub fn client_url(node: &NodeSpec) -> String {
    format!("http://{}:2379", node.addr)
}

impl Target for Etcd {
    fn name(&self) -> &'static str {
        "etcd"
    }

    fn probe(&self) -> Vec<String> {
        vec!["etcd".into(), "--version".into()]
    }

    fn install(&self) -> Vec<Vec<String>> {
        let apt = |args: &[&str]| ["apt-get", "-q", "-y"].iter().chain(args).map(|s| s.to_string()).collect();
        vec![apt(&["update"]), apt(&["install", "--no-install-recommends", "etcd-server"])]
    }

    fn quiesce_host(&self) -> Vec<Vec<String>> {
        let run = |args: &[&str]| args.iter().map(|s| s.to_string()).collect();
        vec![run(&["systemctl", "stop", "etcd"]), run(&["systemctl", "disable", "etcd"])]
    }

    fn configure(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<ConfigFile> {
        let data_dir = cluster.data_root.join(&node.name);
        let initial: Vec<String> = cluster.nodes.iter().map(|n| format!("{}={}", n.name, peer_url(n))).collect();
        let lines = [
            format!("name: {}", node.name),
            format!("data-dir: {}", data_dir.display()),
            format!("listen-peer-urls: {}", peer_url(node)),
            format!("initial-advertise-peer-urls: {}", peer_url(node)),
            format!("listen-client-urls: {}", client_url(node)),
            format!("advertise-client-urls: {}", client_url(node)),
            format!("initial-cluster: {}", initial.join(",")),
            "initial-cluster-state: new".to_string(),
            format!("initial-cluster-token: faultline-{}", cluster.run_id),
            "heartbeat-interval: 100".to_string(),
            "election-timeout: 1000".to_string(),
            format!("pre-vote: {}", self.pre_vote),
            "enable-grpc-gateway: true".to_string(),
            "logger: zap".to_string(),
            "log-outputs: [stderr]".to_string(),
        ];
        vec![ConfigFile { path: config_path(node, cluster), contents: lines.join("\n") + "\n" }]
    }

    fn daemon(&self, node: &NodeSpec, cluster: &Cluster) -> Daemon {
        let config = config_path(node, cluster).to_string_lossy().into_owned();
        Daemon {
            user: None,
            argv: vec!["etcd".into(), "--config-file".into(), config],
            env: Vec::new(),
            log: cluster.data_root.join(format!("{}.etcd.log", node.name)),
            pidfile: cluster.data_root.join(format!("{}.etcd.pid", node.name)),
        }
    }

    fn wipe(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<Vec<String>> {
        let data_dir = cluster.data_root.join(&node.name);
        vec![vec!["rm".into(), "-rf".into(), data_dir.to_string_lossy().into_owned()]]
    }

    fn stop_grace(&self) -> Duration {
        Duration::from_secs(3)
    }

    fn client(&self, node: &NodeSpec, workload: &str) -> Box<dyn Client> {
        Box::new(EtcdClient::new(node, self.serializable, self.request_timeout).for_workload(workload))
    }

    fn ready<'a>(&'a self, node: &'a NodeSpec) -> BoxFuture<'a, bool> {
        Box::pin(async move { EtcdClient::new(node, false, Duration::from_secs(1)).probe().await })
    }

    fn leader<'a>(&'a self, cluster: &'a Cluster) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let mut ids = Vec::new();
            let mut votes = Vec::new();
            for node in &cluster.nodes {
                let client = EtcdClient::new(node, false, Duration::from_millis(500));
                if let Some((member, leader)) = client.status().await {
                    ids.push((member, node.name.clone()));
                    votes.push(leader);
                }
            }
            votes.sort_unstable();
            let leader = votes.iter().max_by_key(|v| votes.iter().filter(|w| w == v).count())?;
            ids.into_iter().find(|(id, _)| id == leader).map(|(_, name)| name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_every_peer_and_keeps_data_per_node() {
        let nodes: Vec<NodeSpec> =
            (1..=3).map(|i| NodeSpec { name: format!("n{i}"), addr: format!("198.18.0.{}", 10 + i) }).collect();
        let cluster = Cluster { run_id: "r1".into(), nodes: nodes.clone(), data_root: "/dev/shm/fl".into() };
        let etcd = Etcd { pre_vote: true, ..Etcd::default() };
        let files = etcd.configure(&nodes[1], &cluster);
        let text = &files[0].contents;
        assert!(text.contains("initial-cluster: n1=http://198.18.0.11:2380,n2=http://198.18.0.12:2380,n3="));
        assert!(text.contains("listen-client-urls: http://198.18.0.12:2379"));
        assert!(text.contains("election-timeout: 1000") && text.contains("pre-vote: true"));
        let d = etcd.daemon(&nodes[1], &cluster);
        assert_eq!(d.argv, ["etcd", "--config-file", "/dev/shm/fl/n2.etcd.yml"]);
        assert_eq!(files[0].path, PathBuf::from("/dev/shm/fl/n2.etcd.yml"));
        assert_eq!(etcd.wipe(&nodes[1], &cluster), [["rm", "-rf", "/dev/shm/fl/n2"]]);
    }
}
