//! The local provisioner: one network namespace per node on a bridge, addresses in
//! 198.18.0.0/24 (the bridge is .1, node i is .10+i), names resolvable through
//! `/etc/netns/<ns>/hosts`, faultline's iptables chain in every node, and the one rule that
//! lets bridged traffic pass Docker's FORWARD policy. Everything is journaled before it is made.

use std::path::Path;

use nemesis::{iptables, Command};
use targets::{BoxFuture, NodeSpec};

use super::{Provisioned, Provisioner};
use crate::remote::exec::argv;
use crate::remote::local::LocalRemote;
use crate::remote::Remote;
use crate::run::executor::make;
use crate::run::journal::Journal;

/// The bridge all nodes hang off.
pub const BRIDGE: &str = "fl-br0";
const SUBNET_PREFIX: &str = "198.18.0";
/// The name the controller goes by in the journal.
const HOST: &str = "host";

/// One network namespace per node on this machine.
pub struct Netns;

/// The namespace of node `name`.
pub fn netns(name: &str) -> String {
    format!("fl-{name}")
}

/// The node specs (names and addresses) for `names`.
pub fn plan(names: &[String]) -> Vec<NodeSpec> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| NodeSpec { name: name.clone(), addr: format!("{SUBNET_PREFIX}.{}", 11 + i) })
        .collect()
}

fn exec(parts: &[&str]) -> Command {
    Command::Exec { argv: argv(parts) }
}

/// Which chain carries the accept rule: Docker's DOCKER-USER where Docker runs, else FORWARD.
async fn forward_chain(host: &LocalRemote) -> &'static str {
    match host.exec(&iptables::has_docker_user(), std::time::Duration::from_secs(10)).await {
        Ok(_) => "DOCKER-USER",
        Err(_) => "FORWARD",
    }
}

/// Refuses to start over leftovers no journal lists (another tool's, or a lost journal's).
fn check_free(nodes: &[NodeSpec]) -> Result<(), String> {
    for i in 1..=nodes.len() {
        let veth = format!("flv{i}");
        if Path::new("/sys/class/net").join(&veth).exists() {
            return Err(format!(
                "interface {veth} already exists and no faultline journal lists it; if it is a leftover, remove it \
                 with `ip link del {veth}`"
            ));
        }
    }
    for node in nodes {
        let ns = netns(&node.name);
        if Path::new("/run/netns").join(&ns).exists() {
            return Err(format!(
                "network namespace {ns} already exists and no faultline journal lists it; if it is a leftover, \
                 remove it with `ip netns del {ns}`"
            ));
        }
    }
    Ok(())
}

/// The bridge, and the rule that lets traffic cross it.
async fn bridge(host: &LocalRemote, run_id: &str, journal: &Journal) -> Result<(), String> {
    let steps = [
        exec(&["ip", "link", "add", BRIDGE, "type", "bridge"]),
        exec(&["ip", "addr", "add", &format!("{SUBNET_PREFIX}.1/24"), "dev", BRIDGE]),
        exec(&["ip", "link", "set", BRIDGE, "up"]),
    ];
    make(journal, host, &format!("bridge {BRIDGE}"), exec(&["ip", "link", "del", BRIDGE]), &steps).await?;
    let chain = forward_chain(host).await;
    let rule = |add| Command::Exec { argv: iptables::accept_bridged(chain, BRIDGE, run_id, add) };
    make(journal, host, &format!("{chain} accept on {BRIDGE}"), rule(false), &[rule(true)]).await?;
    Ok(())
}

/// Node `i` (0-based): its hosts file, namespace, veth pair and faultline's chain.
async fn node(
    host: &LocalRemote,
    spec: &NodeSpec,
    i: usize,
    hosts: &str,
    run_id: &str,
    journal: &Journal,
) -> Result<LocalRemote, String> {
    let ns = netns(&spec.name);
    let veth = format!("flv{}", i + 1);
    let etc = format!("/etc/netns/{ns}");
    make(journal, host, &format!("hosts of {ns}"), exec(&["rm", "-rf", &etc]), &[]).await?;
    std::fs::create_dir_all(&etc).map_err(|e| format!("{etc}: {e}"))?;
    results::fsx::write_atomic(Path::new(&etc), "hosts", hosts.as_bytes()).map_err(|e| e.to_string())?;
    make(
        journal,
        host,
        &format!("namespace {ns}"),
        exec(&["ip", "netns", "del", &ns]),
        &[exec(&["ip", "netns", "add", &ns])],
    )
    .await?;
    // The kernel destroys a deleted namespace (and the veth peer inside) asynchronously, so
    // the host end is deleted explicitly: the next run can then reuse its name at once.
    let steps = [
        exec(&["ip", "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns]),
        exec(&["ip", "link", "set", &veth, "master", BRIDGE, "up"]),
        exec(&["ip", "-n", &ns, "addr", "add", &format!("{}/24", spec.addr), "dev", "eth0"]),
        exec(&["ip", "-n", &ns, "link", "set", "eth0", "up"]),
        exec(&["ip", "-n", &ns, "link", "set", "lo", "up"]),
    ];
    make(journal, host, &format!("veth {veth} of {ns}"), exec(&["ip", "link", "del", &veth]), &steps).await?;
    let remote = LocalRemote::netns(&spec.name, &ns);
    for cmd in iptables::setup(run_id) {
        remote.exec(&cmd, std::time::Duration::from_secs(10)).await?;
    }
    Ok(remote)
}

async fn provision(names: &[String], run_id: &str, journal: &Journal) -> Result<Vec<Provisioned>, String> {
    let specs = plan(names);
    check_free(&specs)?;
    let host = LocalRemote::host(HOST);
    bridge(&host, run_id, journal).await?;
    let hosts: String = std::iter::once("127.0.0.1 localhost\n".to_string())
        .chain(specs.iter().map(|n| format!("{} {}\n", n.addr, n.name)))
        .collect();
    let mut nodes = Vec::new();
    for (i, spec) in specs.into_iter().enumerate() {
        let remote = node(&host, &spec, i, &hosts, run_id, journal).await?;
        nodes.push(Provisioned { spec, remote: Box::new(remote) });
    }
    Ok(nodes)
}

impl Provisioner for Netns {
    fn provision<'a>(
        &'a self,
        names: &'a [String],
        run_id: &'a str,
        journal: &'a Journal,
    ) -> BoxFuture<'a, Result<Vec<Provisioned>, String>> {
        Box::pin(provision(names, run_id, journal))
    }
}
