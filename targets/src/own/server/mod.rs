//! The own server: a key-value store replicated with openraft, its log durable on disk, Raft
//! RPC and the client API over HTTP on one port. `faultline own-server` runs it on a node.

mod data;
mod lease;
mod log_store;
mod machine;
mod network;
mod serve;
mod stamp;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use openraft::{BasicNode, Config, SnapshotPolicy};

use crate::bugs::{Bug, Bugs};
use crate::own::api::{Reply, Request};

openraft::declare_raft_types!(
    /// The own server's Raft types: requests in the log, replies from applying them.
    pub TypeConfig:
        D = Request,
        R = Reply,
);

/// The openraft instance of the own server.
pub type Raft = openraft::Raft<TypeConfig>;

/// `faultline own-server` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// This node's id (its `ID=` in `--peer`).
    #[arg(long)]
    pub id: u64,
    /// The folder for the Raft log.
    #[arg(long)]
    pub data: PathBuf,
    /// Every member as ID=HOST:PORT, this node included (it listens on its own address).
    #[arg(long = "peer", required = true)]
    pub peers: Vec<Peer>,
    /// A bug switch to turn on (repeatable).
    #[arg(long = "bug")]
    pub bugs: Vec<Bug>,
}

/// One member: its Raft id and the address it serves Raft and clients on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Its id.
    pub id: u64,
    /// HOST:PORT.
    pub addr: String,
}

impl FromStr for Peer {
    type Err = String;
    fn from_str(s: &str) -> Result<Peer, String> {
        let (id, addr) = s.split_once('=').ok_or_else(|| format!("peer {s:?}: write ID=HOST:PORT"))?;
        let id = id.parse().map_err(|_| format!("peer {s:?}: the id must be a number"))?;
        Ok(Peer { id, addr: addr.to_string() })
    }
}

/// Runs the server until it fails (a kill or SIGTERM ends it).
pub async fn run(args: ServerArgs) -> Result<(), String> {
    let me =
        args.peers.iter().find(|p| p.id == args.id).ok_or_else(|| format!("--id {}: no --peer has it", args.id))?;
    let bugs = Bugs::of(&args.bugs);
    std::fs::create_dir_all(&args.data).map_err(|e| format!("{}: {e}", args.data.display()))?;
    let log_path = args.data.join("raft.log");
    let log = log_store::LogStore::open(&log_path, bugs.has(Bug::LazyFsync))
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    let machine = machine::Machine::new(!bugs.has(Bug::UnfencedLocks));
    let config = Config {
        cluster_name: "faultline-own".into(),
        heartbeat_interval: 100,
        election_timeout_min: 1000,
        election_timeout_max: 2000,
        snapshot_policy: SnapshotPolicy::Never,
        ..Config::default()
    };
    let config = Arc::new(config.validate().map_err(|e| format!("raft config: {e}"))?);
    let raft = Raft::new(args.id, config, network::Network::default(), log, machine.clone())
        .await
        .map_err(|e| format!("starting raft: {e}"))?;
    let members: BTreeMap<u64, BasicNode> =
        args.peers.iter().map(|p| (p.id, BasicNode { addr: p.addr.clone() })).collect();
    if !raft.is_initialized().await.map_err(|e| e.to_string())? {
        // Every member initializes with the same membership, which openraft allows.
        if let Err(e) = raft.initialize(members.clone()).await {
            tracing::info!("initialize: {e}");
        }
    }
    let listener =
        tokio::net::TcpListener::bind(&me.addr).await.map_err(|e| format!("listening on {}: {e}", me.addr))?;
    tracing::info!(
        "own server {} on {} with bugs [{}]",
        args.id,
        me.addr,
        bugs.iter().map(|b| b.name()).collect::<Vec<_>>().join(",")
    );
    let node = serve::Node::new(args.id, raft, machine, members, bugs);
    axum::serve(listener, serve::router(node)).await.map_err(|e| format!("serving: {e}"))
}
