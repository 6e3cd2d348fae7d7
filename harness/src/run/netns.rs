//! The local provisioner: one network namespace per node on a bridge, addresses in
//! 198.18.0.0/24 (the bridge is .1, node i is .10+i), names resolvable through
//! `/etc/netns/<ns>/hosts`, faultline's iptables chain in every node, and the one rule that
//! lets bridged traffic pass Docker's FORWARD policy. Everything is journaled before it is made.

use std::path::Path;
use std::time::Duration;

use super::exec::{argv, run};
use super::journal::{Journal, Undo};
use targets::NodeSpec;

/// The bridge all nodes hang off.
pub const BRIDGE: &str = "fl-br0";
const SUBNET_PREFIX: &str = "198.18.0";
const TIMEOUT: Duration = Duration::from_secs(10);

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

async fn made(journal: &Journal, what: &str, undo: Vec<String>, steps: &[Vec<String>]) -> Result<(), String> {
    journal.made(what, Undo::Command { argv: undo }).map_err(|e| format!("writing the fault journal: {e}"))?;
    for step in steps {
        run(step, TIMEOUT).await?;
    }
    Ok(())
}

/// Which chain carries the accept rule: Docker's DOCKER-USER where Docker runs, else FORWARD.
async fn forward_chain() -> &'static str {
    match run(&argv(&["iptables", "-w", "5", "-S", "DOCKER-USER"]), TIMEOUT).await {
        Ok(_) => "DOCKER-USER",
        Err(_) => "FORWARD",
    }
}

/// Creates the bridge, the accept rule and one namespace per node.
pub async fn setup(nodes: &[NodeSpec], run_id: &str, journal: &Journal) -> Result<(), String> {
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
        if Path::new("/run/netns").join(netns(&node.name)).exists() {
            return Err(format!(
                "network namespace {} already exists and no faultline journal lists it; if it is a leftover, remove it \
                 with `ip netns del {}`",
                netns(&node.name),
                netns(&node.name)
            ));
        }
    }
    made(
        journal,
        &format!("bridge {BRIDGE}"),
        argv(&["ip", "link", "del", BRIDGE]),
        &[
            argv(&["ip", "link", "add", BRIDGE, "type", "bridge"]),
            argv(&["ip", "addr", "add", &format!("{SUBNET_PREFIX}.1/24"), "dev", BRIDGE]),
            argv(&["ip", "link", "set", BRIDGE, "up"]),
        ],
    )
    .await?;
    let chain = forward_chain().await;
    let comment = format!("faultline:{run_id}");
    let rule = |op: &str| {
        argv(&[
            "iptables",
            "-w",
            "5",
            op,
            chain,
            "-i",
            BRIDGE,
            "-o",
            BRIDGE,
            "-m",
            "comment",
            "--comment",
            &comment,
            "-j",
            "ACCEPT",
        ])
    };
    made(journal, &format!("{chain} accept on {BRIDGE}"), rule("-D"), &[rule("-I")]).await?;
    let hosts: String = std::iter::once("127.0.0.1 localhost\n".to_string())
        .chain(nodes.iter().map(|n| format!("{} {}\n", n.addr, n.name)))
        .collect();
    for (i, node) in nodes.iter().enumerate() {
        let ns = netns(&node.name);
        let veth = format!("flv{}", i + 1);
        let etc = format!("/etc/netns/{ns}");
        made(journal, &format!("hosts of {ns}"), argv(&["rm", "-rf", &etc]), &[]).await?;
        std::fs::create_dir_all(&etc)
            .and_then(|_| std::fs::write(format!("{etc}/hosts"), &hosts))
            .map_err(|e| format!("{etc}/hosts: {e}"))?;
        made(
            journal,
            &format!("namespace {ns}"),
            argv(&["ip", "netns", "del", &ns]),
            &[argv(&["ip", "netns", "add", &ns])],
        )
        .await?;
        // The kernel destroys a deleted namespace (and the veth peer inside) asynchronously, so
        // the host end is deleted explicitly: the next run can then reuse its name at once.
        let mut steps = vec![
            argv(&["ip", "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns]),
            argv(&["ip", "link", "set", &veth, "master", BRIDGE, "up"]),
            argv(&["ip", "-n", &ns, "addr", "add", &format!("{}/24", node.addr), "dev", "eth0"]),
            argv(&["ip", "-n", &ns, "link", "set", "eth0", "up"]),
            argv(&["ip", "-n", &ns, "link", "set", "lo", "up"]),
        ];
        steps.extend(nemesis::iptables::setup(run_id).into_iter().map(|cmd| in_netns(&node.name, &cmd)));
        made(journal, &format!("veth {veth} of {ns}"), argv(&["ip", "link", "del", &veth]), &steps).await?;
    }
    Ok(())
}

/// `argv` run inside node `name`'s namespace.
pub fn in_netns(name: &str, cmd: &[String]) -> Vec<String> {
    let mut out = argv(&["ip", "netns", "exec", &netns(name)]);
    out.extend(cmd.iter().cloned());
    out
}
