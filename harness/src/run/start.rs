//! The first phase of a run: make the nodes (through the provisioner), install the target where
//! it is missing, give each node its data folder and config files, start the daemons and wait
//! until every node answers. Everything made is journaled first.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nemesis::{clock, Command, Family};
use targets::{Cluster, Target};

use super::context::Setup;
use super::executor::{execute, make};
use super::node::Node;
use crate::provision::Provisioned;
use crate::remote::exec::argv;
use crate::remote::local::LocalRemote;
use crate::remote::Remote;
use crate::run::provisioning::ProvisionerName;

/// How long the cluster may take to answer after start and after healing.
pub const READY_LIMIT: Duration = Duration::from_secs(60);

/// The size of each node's own data disk when the schedule fills disks (a tmpfs: it takes
/// memory only as it fills).
const DISK_SIZE: &str = "256m";

/// A started cluster.
pub struct Started {
    /// The nodes, in the cluster's order.
    pub nodes: Vec<Node>,
    /// The cluster as the target sees it.
    pub cluster: Cluster,
    /// How long the daemons took to answer after launch.
    pub up: Duration,
    /// How long the provisioner took to make the nodes.
    pub provisioned: Duration,
}

/// Provisions the nodes and starts the target on them.
pub async fn start(setup: &Setup) -> Result<Started, String> {
    let began = Instant::now();
    let provisioned = setup.provisioner.provision(&setup.plan.nodes, &setup.run_id, &setup.journal).await?;
    let provision_time = began.elapsed();
    let data_root = PathBuf::from("/dev/shm/faultline").join(&setup.run_id);
    let specs = provisioned.iter().map(|p| p.spec.clone()).collect();
    let cluster = Cluster { run_id: setup.run_id.clone(), nodes: specs, data_root };
    let families = setup.plan.schedule.families();
    let (clocked, delayed) = (families.contains(&Family::Clock), families.contains(&Family::Delay));
    let mut nodes = Vec::new();
    for Provisioned { spec, remote } in provisioned {
        install(setup.target.as_ref(), remote.as_ref()).await?;
        let dir = setup.dir.join("nodes").join(&spec.name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let daemon = setup.target.daemon(&spec, &cluster);
        let daemon = if clocked { clock::under_faketime(&daemon) } else { daemon };
        let node = Node { spec, remote, daemon, dir };
        prepare(setup, &node, &cluster).await?;
        if clocked {
            set_clock_true(&node).await?;
        }
        if delayed {
            let me = std::env::current_exe().map_err(|e| format!("finding faultline's own executable: {e}"))?;
            node.remote.upload(&me, &agent(&cluster)).await?;
        }
        nodes.push(node);
    }
    // After every node's folders: on namespace nodes they share one root, removed only once
    // every disk in it is unmounted.
    let fills_disks = families.contains(&Family::Disk);
    if fills_disks && setup.plan.provisioner != ProvisionerName::Docker {
        for node in &nodes {
            own_disk(setup, node, &cluster).await?;
        }
    }
    let launched = Instant::now();
    let grace_ms = setup.target.stop_grace().as_millis() as u64;
    for node in &nodes {
        let stop = Command::Stop { daemon: node.daemon_ref(), grace_ms };
        let what = format!("{} on {}", node.daemon.argv[0], node.spec.name);
        make(&setup.journal, node.remote.as_ref(), &what, stop, &[Command::Start { daemon: node.daemon.clone() }])
            .await?;
    }
    for node in &nodes {
        wait_ready(setup.target.as_ref(), node, launched + READY_LIMIT).await?;
    }
    let up = launched.elapsed();
    tracing::info!("cluster up in {:.2} s", up.as_secs_f64());
    Ok(Started { nodes, cluster, up, provisioned: provision_time })
}

/// Where faultline's own executable goes on each node when the schedule delays packets (its
/// delay agent runs from it), in the run's data folder.
pub fn agent(cluster: &Cluster) -> PathBuf {
    cluster.data_root.join("faultline-agent")
}

/// Installs the target on the node when its probe fails there.
async fn install(target: &dyn Target, remote: &dyn Remote) -> Result<(), String> {
    if remote.exec(&target.probe(), Duration::from_secs(10)).await.is_ok() {
        return Ok(());
    }
    eprintln!("faultline: installing {} on {}", target.name(), remote.node());
    for step in target.install() {
        remote.exec(&step, Duration::from_secs(600)).await?;
    }
    for step in target.quiesce_host() {
        if let Err(e) = remote.exec(&step, Duration::from_secs(30)).await {
            tracing::info!("quiescing {} after installing it: {e}", target.name());
        }
    }
    Ok(())
}

/// The node's data folder (journaled), a wiped data dir, the files the target uploads, and its
/// config files (a copy of each in the node's folder of the run, uploaded to the node).
async fn prepare(setup: &Setup, node: &Node, cluster: &Cluster) -> Result<(), String> {
    let root = cluster.data_root.to_string_lossy().into_owned();
    let remote = node.remote.as_ref();
    make(&setup.journal, remote, "data on tmpfs", exec(&["rm", "-rf", &root]), &[exec(&["mkdir", "-p", &root])])
        .await?;
    for step in setup.target.wipe(&node.spec, cluster) {
        remote.exec(&step, Duration::from_secs(30)).await?;
    }
    for upload in setup.target.uploads(&node.spec, cluster)? {
        remote.upload(&upload.from, &upload.to).await?;
    }
    for file in setup.target.configure(&node.spec, cluster) {
        let local = node.dir.join(file.path.file_name().unwrap_or_default());
        results::fsx::write_file(&local, file.contents.as_bytes()).map_err(|e| e.to_string())?;
        remote.upload(&local, &file.path).await?;
    }
    Ok(())
}

/// The command that runs `parts` on a node.
fn exec(parts: &[&str]) -> Command {
    Command::Exec { argv: argv(parts) }
}

/// Gives the node's data folder a tmpfs of its own of [`DISK_SIZE`], so a disk fault fills that
/// node's disk alone and no more. Mounted in the machine's mount namespace: for a namespace node
/// from the controller (the node's own commands run in a private mount namespace; its target,
/// started later, sees what the machine's has), for an SSH node on the node. Container nodes
/// need none: their data is on the container's own tmpfs.
async fn own_disk(setup: &Setup, node: &Node, cluster: &Cluster) -> Result<(), String> {
    let dir = setup.target.data_dir(&node.spec, cluster).to_string_lossy().into_owned();
    let size = format!("size={DISK_SIZE},mode=0700");
    let script = "mkdir -p \"$2\" && mount -t tmpfs -o \"$1\" faultline-disk \"$2\"";
    let mount = exec(&["sh", "-c", script, "sh", &size, &dir]);
    let what = format!("a data disk of its own for {}", node.spec.name);
    let controller = LocalRemote::host(&node.spec.name);
    let remote: &dyn Remote =
        if setup.plan.provisioner == ProvisionerName::Netns { &controller } else { node.remote.as_ref() };
    let umount = exec(&["sh", "-c", "if mountpoint -q \"$1\"; then umount -l \"$1\"; fi", "sh", &dir]);
    make(&setup.journal, remote, &what, umount, &[mount]).await?;
    Ok(())
}

/// Checks that libfaketime is on the node and writes the offset file its daemon reads (`+0`).
async fn set_clock_true(node: &Node) -> Result<(), String> {
    let probe = ["test", "-e", clock::LIBFAKETIME].map(String::from);
    if node.remote.exec(&probe, Duration::from_secs(10)).await.is_err() {
        return Err(format!(
            "{}: clock faults need libfaketime at {}; install Debian's libfaketime package there",
            node.spec.name,
            clock::LIBFAKETIME
        ));
    }
    Ok(execute(node.remote.as_ref(), &clock::set_offset(&clock::offset_file(&node.daemon), 0)).await?)
}

/// Waits until `node` answers, or fails naming the node and where its log went.
async fn wait_ready(target: &dyn Target, node: &Node, deadline: Instant) -> Result<(), String> {
    while !target.ready(&node.spec).await {
        let trouble = match node.remote.alive(&node.daemon_ref()).await {
            Ok(false) => Some("exited".to_string()),
            Err(e) => Some(format!("cannot be watched ({e})")),
            Ok(true) if Instant::now() > deadline => Some(format!("did not answer within {READY_LIMIT:?}")),
            Ok(true) => None,
        };
        if let Some(trouble) = trouble {
            let log = match node.collect(&node.daemon.log).await {
                Ok(kept) => format!("see {}", kept.display()),
                Err(e) => e,
            };
            return Err(format!("{} on {} {trouble}; {log}", target.name(), node.spec.name));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
