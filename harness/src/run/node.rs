//! The control interface of one local node: run a command inside its namespace with a timeout,
//! upload and download files (the node shares the host's filesystem), and start, signal and
//! stop its daemon with a pidfile and a log file. The daemon is a child of the harness and is
//! always reaped.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use targets::{Daemon, NodeSpec};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use super::exec;
use super::journal::{Journal, Undo};
use super::netns::in_netns;

/// One node of a local cluster.
pub struct Node {
    /// Name and address.
    pub spec: NodeSpec,
    /// The node's folder in the run (logs, pidfile).
    pub dir: PathBuf,
    daemon: Mutex<Option<Child>>,
}

impl Node {
    /// A node whose files live in `dir` (created).
    pub fn new(spec: NodeSpec, dir: PathBuf) -> std::io::Result<Node> {
        fs::create_dir_all(&dir)?;
        Ok(Node { spec, dir, daemon: Mutex::new(None) })
    }

    /// The daemon's pidfile.
    pub fn pidfile(&self) -> PathBuf {
        self.dir.join("daemon.pid")
    }

    /// Runs `argv` inside the node's namespace.
    pub async fn exec(&self, argv: &[String], timeout: Duration) -> Result<String, String> {
        exec::run(&in_netns(&self.spec.name, argv), timeout).await.map_err(|e| format!("{}: {e}", self.spec.name))
    }

    /// Copies a local file onto the node.
    pub fn upload(&self, from: &Path, to: &Path) -> std::io::Result<u64> {
        fs::copy(from, to)
    }

    /// Copies a file of the node to a local path.
    pub fn download(&self, from: &Path, to: &Path) -> std::io::Result<u64> {
        fs::copy(from, to)
    }

    /// Starts the daemon inside the namespace, appending its output to its log, and writes the
    /// pidfile. The first start journals how to stop it.
    pub async fn start(&self, daemon: &Daemon, journal: &Journal, grace: Duration) -> Result<u32, String> {
        let mut slot = self.daemon.lock().await;
        if slot.is_some() {
            return Err(format!("{}: the daemon is already running", self.spec.name));
        }
        let log_path = &daemon.log;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .map_err(|e| format!("{}: {e}", log_path.display()))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let first = !self.pidfile().exists();
        if first {
            let exe = daemon.argv[0].rsplit('/').next().unwrap_or(&daemon.argv[0]).to_string();
            let undo = Undo::Stop { pidfile: self.pidfile(), exe, grace_ms: grace.as_millis() as u64 };
            journal.made(&format!("{} on {}", daemon.argv[0], self.spec.name), undo).map_err(|e| e.to_string())?;
        }
        let argv = in_netns(&self.spec.name, &daemon.argv);
        let child = Command::new(&argv[0])
            .args(&argv[1..])
            .envs(daemon.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("{}: starting {}: {e}", self.spec.name, daemon.argv[0]))?;
        let pid = child.id().ok_or_else(|| format!("{}: {} exited at once", self.spec.name, daemon.argv[0]))?;
        fs::write(self.pidfile(), pid.to_string()).map_err(|e| format!("{}: {e}", self.pidfile().display()))?;
        *slot = Some(child);
        Ok(pid)
    }

    /// The daemon's pid while it runs.
    pub async fn pid(&self) -> Option<u32> {
        self.daemon.lock().await.as_ref().and_then(Child::id)
    }

    /// Sends `signal` to the daemon (no-op when it is not running).
    pub async fn signal(&self, signal: Signal) -> Result<(), String> {
        match self.pid().await {
            Some(pid) => {
                kill(Pid::from_raw(pid as i32), signal).map_err(|e| format!("{}: {signal}: {e}", self.spec.name))
            }
            None => Ok(()),
        }
    }

    /// SIGKILLs the daemon and reaps it.
    pub async fn kill(&self) -> Result<(), String> {
        let mut slot = self.daemon.lock().await;
        if let Some(mut child) = slot.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        Ok(())
    }

    /// Stops the daemon: SIGCONT (it may be paused), SIGTERM, then SIGKILL after `grace`.
    pub async fn stop(&self, grace: Duration) {
        let mut slot = self.daemon.lock().await;
        let Some(mut child) = slot.take() else { return };
        if let Some(pid) = child.id() {
            let pid = Pid::from_raw(pid as i32);
            let _ = kill(pid, Signal::SIGCONT);
            let _ = kill(pid, Signal::SIGTERM);
        }
        if tokio::time::timeout(grace, child.wait()).await.is_err() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Whether the daemon exited on its own; returns its status if so.
    pub async fn exited(&self) -> Option<String> {
        let mut slot = self.daemon.lock().await;
        let status = slot.as_mut()?.try_wait().ok()??;
        *slot = None;
        Some(status.to_string())
    }
}
