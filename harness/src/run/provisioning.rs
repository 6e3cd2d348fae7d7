//! Which kind of node a test runs on (`--provisioner`, `provisioner:` in a test file or a
//! campaign axis), parsed and checked with the rest of the test file. Parse-only: the
//! provisioners themselves live in `crate::provision`, which picks one from this.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The provisioners a test can name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProvisionerName {
    /// One network namespace per node on this machine (needs root).
    #[default]
    Netns,
    /// Machines reached over SSH (`--nodes` names their hosts).
    Ssh,
    /// Docker containers on this machine, on a network faultline creates (needs root and a
    /// Docker engine; the node image is built locally and cached).
    Docker,
}

impl ProvisionerName {
    /// Every provisioner, as `--provisioner` names them.
    pub const ALL: [ProvisionerName; 3] = [ProvisionerName::Netns, ProvisionerName::Ssh, ProvisionerName::Docker];

    /// Its name in flags and files.
    pub fn name(self) -> &'static str {
        match self {
            ProvisionerName::Netns => "netns",
            ProvisionerName::Ssh => "ssh",
            ProvisionerName::Docker => "docker",
        }
    }
}

impl FromStr for ProvisionerName {
    type Err = String;
    fn from_str(s: &str) -> Result<ProvisionerName, String> {
        ProvisionerName::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<&str> = ProvisionerName::ALL.iter().map(|p| p.name()).collect();
            format!("unknown provisioner {s:?}; use one of: {}", names.join(", "))
        })
    }
}

impl fmt::Display for ProvisionerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--nodes` entry split into the node's name and, for SSH nodes, its host: `NAME=HOST`, or a
/// bare `NAME` that is its own host.
pub fn split_node(entry: &str) -> (&str, Option<&str>) {
    match entry.split_once('=') {
        Some((name, host)) => (name, Some(host)),
        None => (entry, None),
    }
}

/// Checks the host part of a `--nodes` entry: a host name or an IPv4 address.
pub fn check_host(host: &str) -> Result<(), String> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !host.starts_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(format!("node host {host:?}: use a host name or an IPv4 address, e.g. n1=10.0.0.5"))
    }
}

/// How to reach the nodes of an SSH run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshNodes {
    /// The host of each node, in the order of the nodes.
    pub hosts: Vec<String>,
    /// The user to log in as (`sudo -n` when not root).
    pub user: String,
    /// sshd's port on every node.
    pub port: u16,
    /// The private key file (OpenSSH ed25519 or RSA); none asks ssh-agent.
    pub key: Option<PathBuf>,
    /// The known_hosts file host keys are checked against.
    pub known_hosts: PathBuf,
    /// Record host keys the known_hosts file does not list (a changed key is still refused).
    pub accept_new_host_keys: bool,
}

/// The SSH fields of a test, as given (before defaults).
#[derive(Debug, Clone, Default)]
pub struct SshFields {
    /// `--ssh-user` (default root).
    pub user: Option<String>,
    /// `--ssh-port` (default 22).
    pub port: Option<u16>,
    /// `--ssh-key` (default: ssh-agent).
    pub key: Option<PathBuf>,
    /// `--ssh-known-hosts` (default ~/.ssh/known_hosts).
    pub known_hosts: Option<PathBuf>,
    /// `--accept-new-host-keys`.
    pub accept_new_host_keys: bool,
}

impl SshFields {
    /// The SSH nodes for `entries` (the `--nodes` entries) under `provisioner`; none unless it
    /// is ssh, and SSH fields or hosts with another provisioner are refused.
    pub fn resolve(self, provisioner: ProvisionerName, entries: &[String]) -> Result<Option<SshNodes>, String> {
        if provisioner != ProvisionerName::Ssh {
            let given = self.user.is_some()
                || self.port.is_some()
                || self.key.is_some()
                || self.known_hosts.is_some()
                || self.accept_new_host_keys;
            if given || entries.iter().any(|e| split_node(e).1.is_some()) {
                return Err(format!(
                    "ssh-user, ssh-port, ssh-key, ssh-known-hosts, accept-new-host-keys and NAME=HOST nodes are for                      SSH nodes; add provisioner: ssh or remove them (provisioner is {provisioner})"
                ));
            }
            return Ok(None);
        }
        if self.port == Some(0) {
            return Err("ssh-port = 0: use sshd's port on the nodes, e.g. 22".into());
        }
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
        Ok(Some(SshNodes {
            hosts: entries.iter().map(|e| split_node(e).1.unwrap_or(e).to_string()).collect(),
            user: self.user.unwrap_or_else(|| "root".into()),
            port: self.port.unwrap_or(22),
            key: self.key,
            known_hosts: self.known_hosts.unwrap_or_else(|| home.join(".ssh/known_hosts")),
            accept_new_host_keys: self.accept_new_host_keys,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_an_unknown_one_lists_the_choices() {
        for p in ProvisionerName::ALL {
            assert_eq!(p.name().parse::<ProvisionerName>(), Ok(p));
        }
        let err = "vagrant".parse::<ProvisionerName>().unwrap_err();
        assert!(err.contains("unknown provisioner \"vagrant\"") && err.contains("netns"), "{err}");
    }

    #[test]
    fn ssh_nodes_take_their_hosts_and_defaults_and_ssh_fields_need_the_ssh_provisioner() {
        let entries = vec!["n1=198.18.0.11".to_string(), "db2".to_string()];
        let ssh = SshFields { port: Some(2222), ..SshFields::default() }.resolve(ProvisionerName::Ssh, &entries);
        let ssh = ssh.unwrap().unwrap();
        assert_eq!(
            (ssh.hosts.as_slice(), ssh.user.as_str(), ssh.port),
            (&["198.18.0.11".into(), "db2".into()][..], "root", 2222)
        );
        let err = SshFields { user: Some("admin".into()), ..SshFields::default() }
            .resolve(ProvisionerName::Netns, &["n1".into()])
            .unwrap_err();
        assert!(err.contains("provisioner: ssh"), "{err}");
        assert!(SshFields::default().resolve(ProvisionerName::Netns, &entries).is_err());
        assert!(check_host("-oProxyCommand=x").is_err() && check_host("10.0.0.5").is_ok());
    }
}
