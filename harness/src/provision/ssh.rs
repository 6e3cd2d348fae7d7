//! The SSH provisioner: the nodes are machines that exist already, reached over SSH. Before
//! anything is changed every node is checked (reachable, host key known, key accepted, root or
//! passwordless sudo); then faultline's iptables chain is made on each, journaled with its
//! undo. Partition rules drop only traffic from other nodes' addresses, never the controller's
//! SSH connection.

use std::net::ToSocketAddrs;

use nemesis::{iptables, Command};
use targets::{BoxFuture, NodeSpec};

use super::{Provisioned, Provisioner};
use crate::remote::ssh::{Login, SshRemote, UnknownHostKey};
use crate::run::executor::make;
use crate::run::journal::Journal;
use crate::run::provisioning::{Machine, SshNodes};

/// Machines reached over SSH.
pub struct Ssh(pub SshNodes);

impl Ssh {
    /// The login of machine `machine`.
    pub fn login(&self, machine: &Machine) -> Login {
        Login {
            host: machine.host.clone(),
            port: machine.port,
            user: machine.user.clone(),
            key: machine.key.clone(),
            known_hosts: self.0.known_hosts.clone(),
            sudo: machine.sudo,
        }
    }

    /// What to do with a host key known_hosts does not list.
    pub fn unknown_host_keys(&self) -> UnknownHostKey {
        if self.0.accept_new_host_keys {
            UnknownHostKey::Record
        } else {
            UnknownHostKey::Refuse
        }
    }

    /// A remote for each node, each checked (connected, authenticated, root reached), in the
    /// order of `names`; the first failure in node order is returned, as one line.
    pub async fn connect(&self, names: &[String]) -> Result<Vec<SshRemote>, String> {
        let remotes: Vec<SshRemote> = names
            .iter()
            .zip(&self.0.machines)
            .map(|(name, machine)| SshRemote::new(name, self.login(machine), self.unknown_host_keys()))
            .collect();
        // Checked one at a time: recording new host keys writes one known_hosts file.
        for remote in &remotes {
            remote.check_access().await?;
        }
        Ok(remotes)
    }
}

/// The IPv4 address `host` resolves to on the controller (the address the other nodes and the
/// clients use).
fn address(name: &str, host: &str) -> Result<String, String> {
    (host, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4()))
        .map(|a| a.ip().to_string())
        .ok_or_else(|| format!("{name}: {host} has no IPv4 address; name the node by its address (NAME=ADDRESS)"))
}

async fn provision(ssh: &Ssh, names: &[String], run_id: &str, journal: &Journal) -> Result<Vec<Provisioned>, String> {
    let remotes = ssh.connect(names).await?;
    let specs: Vec<NodeSpec> = names
        .iter()
        .zip(&ssh.0.machines)
        .map(|(name, machine)| Ok(NodeSpec { name: name.clone(), addr: address(name, &machine.host)? }))
        .collect::<Result<_, String>>()?;
    let mut nodes = Vec::new();
    for (spec, remote) in specs.into_iter().zip(remotes) {
        let [chain, jump] = iptables::setup(run_id).map(|argv| Command::Exec { argv });
        let [unchain, unjump] = iptables::teardown(run_id).map(|argv| Command::Exec { argv });
        make(journal, &remote, &format!("chain {} on {}", iptables::CHAIN, spec.name), unchain, &[chain]).await?;
        make(journal, &remote, &format!("jump to {} on {}", iptables::CHAIN, spec.name), unjump, &[jump]).await?;
        nodes.push(Provisioned { spec, remote: Box::new(remote) });
    }
    Ok(nodes)
}

impl Provisioner for Ssh {
    fn provision<'a>(
        &'a self,
        names: &'a [String],
        run_id: &'a str,
        journal: &'a Journal,
    ) -> BoxFuture<'a, Result<Vec<Provisioned>, String>> {
        Box::pin(provision(self, names, run_id, journal))
    }
}
