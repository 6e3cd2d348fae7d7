//! PostgreSQL (Debian's `postgresql`): one server on one node, its cluster initialised by
//! faultline (`initdb` into the node's data folder, as the `postgres` user: the server refuses
//! root), listening on the node's address, a database and a role `faultline`. Every transaction
//! runs at the isolation level the test names (`--isolation`, default serializable); the
//! history is judged against serializability unless the test names another model.

mod client;
mod sql;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use checkers::txn::ConsistencyModel;
pub use client::PostgresClient;
use nemesis::Family;

use crate::registry::{Entry, Supports, TargetOptions};
use crate::target::{BoxFuture, Client, Cluster, ConfigFile, Daemon, NodeSpec, Target};

/// Where Debian's PostgreSQL 15 keeps its programs.
pub const BIN: &str = "/usr/lib/postgresql/15/bin";

/// The port the server listens on.
pub const PORT: u16 = 5432;

/// The role and the database faultline's clients use.
pub const ROLE: &str = "faultline";

/// The user the server and `initdb` run as.
const USER: &str = "postgres";

/// PostgreSQL's line in the target registry.
pub const ENTRY: Entry = Entry {
    name: "postgres",
    about:
        "PostgreSQL 15 (Debian's postgresql), one node, a cluster initialised by faultline; --isolation per transaction",
    supports: Supports {
        workloads: &["list-append", "rw-register", "bank"],
        leader: false,
        faults: &[Family::Partition, Family::Kill, Family::Pause],
        options: &["isolation"],
        bugs: &[],
    },
    build: |options: &TargetOptions| {
        Box::new(Postgres { isolation: options.isolation.unwrap_or_default(), ..Postgres::default() })
    },
};

/// A transaction isolation level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Isolation {
    /// READ COMMITTED: each statement sees what was committed before it began.
    ReadCommitted,
    /// REPEATABLE READ: PostgreSQL's is snapshot isolation.
    RepeatableRead,
    /// SERIALIZABLE: snapshot isolation with serialization failures for dangerous structures.
    #[default]
    Serializable,
}

impl Isolation {
    /// Every level, weakest first.
    pub const ALL: [Isolation; 3] = [Isolation::ReadCommitted, Isolation::RepeatableRead, Isolation::Serializable];

    /// Its name as `--isolation` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read-committed",
            Isolation::RepeatableRead => "repeatable-read",
            Isolation::Serializable => "serializable",
        }
    }

    /// Its name in SQL (`BEGIN ISOLATION LEVEL ...`).
    pub fn sql(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::RepeatableRead => "REPEATABLE READ",
            Isolation::Serializable => "SERIALIZABLE",
        }
    }
}

impl FromStr for Isolation {
    type Err = String;
    fn from_str(s: &str) -> Result<Isolation, String> {
        Isolation::ALL.into_iter().find(|i| i.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Isolation::ALL.iter().map(|i| i.name()).collect();
            format!("unknown isolation level {s:?}; use one of {}", names.join(", "))
        })
    }
}

impl std::fmt::Display for Isolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The PostgreSQL target and its options.
#[derive(Debug, Clone)]
pub struct Postgres {
    /// The isolation level of every transaction.
    pub isolation: Isolation,
    /// How long one transaction may take before the client gives up on it.
    pub request_timeout: Duration,
}

impl Default for Postgres {
    fn default() -> Postgres {
        Postgres { isolation: Isolation::default(), request_timeout: Duration::from_secs(2) }
    }
}

fn data_dir(node: &NodeSpec, cluster: &Cluster) -> PathBuf {
    cluster.data_root.join(format!("{}.pgdata", node.name))
}

fn hba_path(node: &NodeSpec, cluster: &Cluster) -> PathBuf {
    cluster.data_root.join(format!("{}.pg_hba.conf", node.name))
}

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

impl Target for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn probe(&self) -> Vec<String> {
        vec![format!("{BIN}/postgres"), "--version".into()]
    }

    fn install(&self) -> Vec<Vec<String>> {
        let apt = |args: &[&str]| ["apt-get", "-q", "-y"].iter().chain(args).map(|s| s.to_string()).collect();
        vec![apt(&["update"]), apt(&["install", "--no-install-recommends", "postgresql"])]
    }

    fn quiesce_host(&self) -> Vec<Vec<String>> {
        vec![strings(&["systemctl", "stop", "postgresql"]), strings(&["systemctl", "disable", "postgresql"])]
    }

    fn configure(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<ConfigFile> {
        // Trust the run's network (the harness connects from the bridge); nothing else.
        let contents = format!("host all all 198.18.0.0/16 trust\n# node {}\n", node.name);
        vec![ConfigFile { path: hba_path(node, cluster), contents }]
    }

    fn daemon(&self, node: &NodeSpec, cluster: &Cluster) -> Daemon {
        let data = data_dir(node, cluster).to_string_lossy().into_owned();
        let hba = hba_path(node, cluster).to_string_lossy().into_owned();
        let setting = |s: String| ["-c".to_string(), s];
        let mut argv = vec![format!("{BIN}/postgres"), "-D".into(), data];
        for s in [
            format!("listen_addresses={}", node.addr),
            format!("port={PORT}"),
            format!("hba_file={hba}"),
            "unix_socket_directories=".to_string(),
            "max_connections=200".to_string(),
            "fsync=off".to_string(),
            "logging_collector=off".to_string(),
        ] {
            argv.extend(setting(s));
        }
        Daemon {
            argv,
            env: Vec::new(),
            user: Some(USER.into()),
            log: cluster.data_root.join(format!("{}.postgres.log", node.name)),
            pidfile: cluster.data_root.join(format!("{}.postgres.pid", node.name)),
        }
    }

    fn data_dir(&self, node: &NodeSpec, cluster: &Cluster) -> PathBuf {
        data_dir(node, cluster)
    }

    fn wipe(&self, node: &NodeSpec, cluster: &Cluster) -> Vec<Vec<String>> {
        let data = data_dir(node, cluster).to_string_lossy().into_owned();
        let initdb = format!("{BIN}/initdb");
        let as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"];
        let init = [initdb.as_str(), "-D", &data, "-U", ROLE, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"];
        vec![
            strings(&["rm", "-rf", &data]),
            strings(&["install", "-d", "-o", USER, "-g", USER, "-m", "0700", &data]),
            strings(&[&as_postgres[..], &init[..]].concat()),
        ]
    }

    fn stop_grace(&self) -> Duration {
        Duration::from_secs(5)
    }

    fn client(&self, node: &NodeSpec, workload: &str) -> Box<dyn Client> {
        Box::new(PostgresClient::new(node, workload, self.isolation, self.request_timeout))
    }

    fn ready<'a>(&'a self, node: &'a NodeSpec) -> BoxFuture<'a, bool> {
        Box::pin(async move { client::prepare(node, Duration::from_secs(2)).await.is_ok() })
    }

    fn leader<'a>(&'a self, _cluster: &'a Cluster) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { None })
    }

    fn max_nodes(&self) -> Option<usize> {
        Some(1)
    }

    fn consistency_model(&self) -> ConsistencyModel {
        ConsistencyModel::Serializable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_runs_as_postgres_on_the_nodes_address_with_data_initialised_per_node() {
        let node = NodeSpec { name: "n1".into(), addr: "198.18.0.11".into() };
        let cluster = Cluster { run_id: "r1".into(), nodes: vec![node.clone()], data_root: "/dev/shm/fl".into() };
        let pg = Postgres::default();
        let d = pg.daemon(&node, &cluster);
        assert_eq!(d.user.as_deref(), Some("postgres"));
        assert_eq!(d.reference().exe, "postgres");
        assert!(d.argv.contains(&"listen_addresses=198.18.0.11".to_string()), "{:?}", d.argv);
        assert!(d.argv.contains(&"hba_file=/dev/shm/fl/n1.pg_hba.conf".to_string()));
        let wipe = pg.wipe(&node, &cluster);
        assert_eq!(wipe[0], ["rm", "-rf", "/dev/shm/fl/n1.pgdata"]);
        assert!(
            wipe[2].starts_with(&strings(&["setpriv", "--reuid=postgres"])) && wipe[2].contains(&"faultline".into())
        );
        assert!(pg.configure(&node, &cluster)[0].contents.starts_with("host all all 198.18.0.0/16 trust"));
        assert_eq!("repeatable-read".parse::<Isolation>(), Ok(Isolation::RepeatableRead));
        assert!("snapshot".parse::<Isolation>().unwrap_err().contains("read-committed, repeatable-read, serializable"));
        assert_eq!(Isolation::default().sql(), "SERIALIZABLE");
    }
}
