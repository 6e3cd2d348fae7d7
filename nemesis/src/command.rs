//! Commands: what the harness does to one node, as data. A fault's actions and every undo in
//! the fault journal are commands; the harness has one executor that runs them through the
//! node's control channel (`Remote`), so a new fault family needs no harness code.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A signal the harness may send to a daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Signal {
    /// SIGSTOP: freeze the process (a pause).
    Sigstop,
    /// SIGCONT: let a frozen process go on.
    Sigcont,
    /// SIGTERM: ask the process to exit.
    Sigterm,
    /// SIGKILL: end the process at once (a crash).
    Sigkill,
}

/// A long-running process on a node (the target, or a helper agent), with its log and pidfile
/// on the node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Daemon {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// Variables set for it on top of the node's environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
    /// The user it runs as (the harness runs as root; some servers, PostgreSQL, refuse root);
    /// `None` runs it as the control channel's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The file on the node that receives stdout and stderr (downloaded at teardown).
    pub log: PathBuf,
    /// The file on the node that holds the process id while it runs.
    pub pidfile: PathBuf,
}

impl Daemon {
    /// How to find this daemon again: its pidfile and the name of its executable.
    pub fn reference(&self) -> DaemonRef {
        let argv0 = self.argv.first().map(String::as_str).unwrap_or_default();
        DaemonRef { pidfile: self.pidfile.clone(), exe: argv0.rsplit('/').next().unwrap_or(argv0).to_string() }
    }
}

/// A daemon as signals and stops find it: by pidfile, with the executable's file name checked
/// against the process before signalling (a stale pidfile may name a reused pid).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DaemonRef {
    /// The pidfile on the node.
    pub pidfile: PathBuf,
    /// The executable's file name, e.g. `etcd`.
    pub exe: String,
}

/// One thing to do on one node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "run", rename_all = "kebab-case")]
pub enum Command {
    /// Run this argv to completion (an iptables rule, a folder to remove, ...).
    Exec {
        /// The program and its arguments.
        argv: Vec<String>,
    },
    /// Start this daemon.
    Start {
        /// What to run, with its log and pidfile.
        daemon: Daemon,
    },
    /// Send a signal to a daemon (nothing when it is not running).
    Signal {
        /// Which daemon, by pidfile.
        daemon: DaemonRef,
        /// Which signal to send.
        signal: Signal,
    },
    /// Stop a daemon: SIGCONT (it may be paused), SIGTERM, then SIGKILL after the grace.
    Stop {
        /// Which daemon, by pidfile.
        daemon: DaemonRef,
        /// Milliseconds between SIGTERM and SIGKILL.
        grace_ms: u64,
    },
}

impl Command {
    /// Whether undoing a crashed run's journal runs this command. Restarting a killed daemon
    /// restores a live cluster; a crashed run's cluster is being torn down, and the daemon's
    /// own (older) `Stop` entry ends it, so starting it again would only be undone at once.
    pub fn heals_a_crashed_run(&self) -> bool {
        !matches!(self, Command::Start { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daemon_is_found_by_pidfile_and_executable_name() {
        let daemon = Daemon {
            user: None,
            argv: vec!["/usr/bin/etcd".into(), "--config-file".into(), "c.yml".into()],
            env: Vec::new(),
            log: "/x/n1.log".into(),
            pidfile: "/x/n1.pid".into(),
        };
        assert_eq!(daemon.reference(), DaemonRef { pidfile: "/x/n1.pid".into(), exe: "etcd".into() });
        let stop = Command::Stop { daemon: daemon.reference(), grace_ms: 3000 };
        let text = serde_json::to_string(&stop).unwrap();
        assert!(text.contains("\"run\":\"stop\""), "{text}");
        assert_eq!(serde_json::from_str::<Command>(&text).unwrap(), stop);
        assert!(stop.heals_a_crashed_run());
        assert!(!Command::Start { daemon }.heals_a_crashed_run());
    }
}
