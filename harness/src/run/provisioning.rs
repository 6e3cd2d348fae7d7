//! Which kind of node a test runs on (`--provisioner`, `provisioner:` in a test file or a
//! campaign axis), parsed and checked with the rest of the test file. Parse-only: the
//! provisioners themselves live in `crate::provision`, which picks one from this.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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

/// One machine of an SSH run: where and as whom faultline logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Host name or IPv4 address.
    pub host: String,
    /// sshd's port.
    pub port: u16,
    /// The user to log in as.
    pub user: String,
    /// The private key file (OpenSSH ed25519 or RSA); none asks ssh-agent.
    pub key: Option<PathBuf>,
    /// Whether commands go through `sudo -n` (always when the user is not root).
    pub sudo: bool,
}

/// How to reach the nodes of an SSH run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshNodes {
    /// Each node's machine, in the order of the nodes.
    pub machines: Vec<Machine>,
    /// The known_hosts file host keys are checked against.
    pub known_hosts: PathBuf,
    /// Record host keys the known_hosts file does not list (a changed key is still refused).
    pub accept_new_host_keys: bool,
}

/// One machine of a test file's `inventory:` (the nodes of an SSH run, in order); the fields it
/// leaves out come from ssh-user, ssh-port and ssh-key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryEntry {
    /// The node's name in the run (n1, db1, ...).
    pub name: String,
    /// Its host name or IPv4 address.
    pub host: String,
    /// sshd's port there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The user to log in as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The private key file (`~/` is the home folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
    /// Run commands through `sudo -n` (the default when the user is not root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo: Option<bool>,
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
    /// The test file's `inventory:`, whose names are the nodes.
    pub inventory: Option<Vec<InventoryEntry>>,
}

/// The home folder (`$HOME`, else /root).
fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"))
}

/// `path` with a leading `~/` read as the home folder.
fn expand_home(path: PathBuf) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) if path.starts_with("~/") => home().join(rest),
        _ => path,
    }
}

impl SshFields {
    /// The SSH nodes for `entries` (the `--nodes` entries, or the inventory's names) under
    /// `provisioner`; none unless it is ssh, and SSH fields or hosts with another provisioner
    /// are refused.
    pub fn resolve(self, provisioner: ProvisionerName, entries: &[String]) -> Result<Option<SshNodes>, String> {
        if provisioner != ProvisionerName::Ssh {
            let given = self.user.is_some()
                || self.port.is_some()
                || self.key.is_some()
                || self.known_hosts.is_some()
                || self.accept_new_host_keys
                || self.inventory.is_some();
            if given || entries.iter().any(|e| split_node(e).1.is_some()) {
                return Err(format!(
                    "ssh-user, ssh-port, ssh-key, ssh-known-hosts, accept-new-host-keys, inventory and NAME=HOST \
                     nodes are for SSH nodes; add provisioner: ssh or remove them (provisioner is {provisioner})"
                ));
            }
            return Ok(None);
        }
        let port = self.port.unwrap_or(22);
        if port == 0 {
            return Err("ssh-port = 0: use sshd's port on the nodes, e.g. 22".into());
        }
        let user = self.user.unwrap_or_else(|| "root".into());
        let key = self.key.map(expand_home);
        let machines = match self.inventory {
            Some(inventory) => inventory
                .into_iter()
                .map(|e| {
                    let user = e.user.unwrap_or_else(|| user.clone());
                    let sudo = match e.sudo {
                        Some(false) if user != "root" => {
                            return Err(format!(
                                "inventory {}: sudo: false, but user {user} is not root; faultline needs root on a \
                                 node (iptables, daemons): set sudo: true or user: root",
                                e.name
                            ))
                        }
                        sudo => sudo.unwrap_or(user != "root"),
                    };
                    let port = e.port.unwrap_or(port);
                    if port == 0 {
                        return Err(format!("inventory {}: port = 0: use sshd's port on it, e.g. 22", e.name));
                    }
                    Ok(Machine { host: e.host, port, user, key: e.key.map(expand_home).or_else(|| key.clone()), sudo })
                })
                .collect::<Result<_, String>>()?,
            None => entries
                .iter()
                .map(|e| Machine {
                    host: split_node(e).1.unwrap_or(e).to_string(),
                    port,
                    user: user.clone(),
                    key: key.clone(),
                    sudo: user != "root",
                })
                .collect(),
        };
        Ok(Some(SshNodes {
            machines,
            known_hosts: self.known_hosts.map(expand_home).unwrap_or_else(|| home().join(".ssh/known_hosts")),
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
        let hosts: Vec<(&str, &str, u16, bool)> =
            ssh.machines.iter().map(|m| (m.host.as_str(), m.user.as_str(), m.port, m.sudo)).collect();
        assert_eq!(hosts, [("198.18.0.11", "root", 2222, false), ("db2", "root", 2222, false)]);
        let err = SshFields { user: Some("admin".into()), ..SshFields::default() }
            .resolve(ProvisionerName::Netns, &["n1".into()])
            .unwrap_err();
        assert!(err.contains("provisioner: ssh"), "{err}");
        assert!(SshFields::default().resolve(ProvisionerName::Netns, &entries).is_err());
        assert!(check_host("-oProxyCommand=x").is_err() && check_host("10.0.0.5").is_ok());
    }

    fn entry(name: &str, user: Option<&str>, sudo: Option<bool>) -> InventoryEntry {
        InventoryEntry {
            name: name.into(),
            host: format!("{name}.example"),
            port: None,
            user: user.map(String::from),
            key: None,
            sudo,
        }
    }

    #[test]
    fn an_inventory_gives_each_machine_its_own_login_over_the_shared_defaults() {
        let mut db2 = entry("db2", Some("admin"), None);
        db2.port = Some(2200);
        db2.key = Some(PathBuf::from("~/.ssh/db2"));
        let fields = SshFields {
            user: Some("ops".into()),
            key: Some(PathBuf::from("/keys/ops")),
            inventory: Some(vec![entry("db1", Some("root"), None), db2, entry("db3", None, Some(true))]),
            ..SshFields::default()
        };
        let names: Vec<String> = ["db1", "db2", "db3"].map(String::from).to_vec();
        let ssh = fields.resolve(ProvisionerName::Ssh, &names).unwrap().unwrap();
        let got: Vec<(&str, u16, &str, bool)> =
            ssh.machines.iter().map(|m| (m.host.as_str(), m.port, m.user.as_str(), m.sudo)).collect();
        assert_eq!(
            got,
            [
                ("db1.example", 22, "root", false),
                ("db2.example", 2200, "admin", true),
                ("db3.example", 22, "ops", true)
            ]
        );
        assert_eq!(ssh.machines[0].key, Some(PathBuf::from("/keys/ops")));
        assert_eq!(ssh.machines[1].key, Some(home().join(".ssh/db2")));
    }

    #[test]
    fn an_inventory_refuses_a_non_root_user_without_sudo_and_other_provisioners() {
        let fields =
            SshFields { inventory: Some(vec![entry("n1", Some("admin"), Some(false))]), ..SshFields::default() };
        let err = fields.clone().resolve(ProvisionerName::Ssh, &["n1".into()]).unwrap_err();
        assert!(err.starts_with("inventory n1: sudo: false") && err.contains("set sudo: true or user: root"), "{err}");
        let err = fields.resolve(ProvisionerName::Docker, &["n1".into()]).unwrap_err();
        assert!(err.contains("inventory") && err.contains("provisioner: ssh"), "{err}");
    }
}
