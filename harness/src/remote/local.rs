//! The remote of a node on this machine: the controller itself, or one network namespace on it
//! (commands and daemons run under `ip netns exec`). A daemon it started is its child and is
//! reaped; one it did not start (a crashed run's, found by `faultline heal`) is found by its
//! pidfile, its executable checked against `/proc` before any signal.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nemesis::{Daemon, DaemonRef, Signal};
use nix::sys::signal::{kill, Signal as NixSignal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use super::exec::{self, argv};
use super::{BoxFuture, Reach, Remote, RemoteError, RemoteResult};

/// A node on this machine.
pub struct LocalRemote {
    node: String,
    netns: Option<String>,
    /// Daemons this remote started and has not reaped, by pidfile.
    children: Mutex<HashMap<PathBuf, Child>>,
}

fn nix_signal(signal: Signal) -> NixSignal {
    match signal {
        Signal::Sigstop => NixSignal::SIGSTOP,
        Signal::Sigcont => NixSignal::SIGCONT,
        Signal::Sigterm => NixSignal::SIGTERM,
        Signal::Sigkill => NixSignal::SIGKILL,
    }
}

/// The pid in `daemon`'s pidfile, if that process runs `daemon.exe` (pids get reused).
fn pid_of(daemon: &DaemonRef) -> Option<Pid> {
    let pid: i32 = fs::read_to_string(&daemon.pidfile).ok()?.trim().parse().ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let argv0 = cmdline.split(|b| *b == 0).next()?;
    String::from_utf8_lossy(argv0).ends_with(&daemon.exe).then(|| Pid::from_raw(pid))
}

/// Sends `signal` to the process group that `pid` leads (every daemon started here leads its
/// own), or to `pid` alone when it leads none (a daemon an older faultline started).
fn kill_group(pid: Pid, signal: NixSignal) -> nix::Result<()> {
    kill(Pid::from_raw(-pid.as_raw()), signal).or_else(|_| kill(pid, signal))
}

/// How long a process may take to be gone after SIGKILL (one stuck in the kernel can take a while).
const KILL_WAIT: Duration = Duration::from_secs(10);

/// Whether `pid` runs (a zombie does not).
fn running(pid: Pid) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(false)
}

impl LocalRemote {
    /// The controller itself, named `node` in the journal.
    pub fn host(node: &str) -> LocalRemote {
        LocalRemote { node: node.to_string(), netns: None, children: Mutex::default() }
    }

    /// Node `node` in network namespace `netns`.
    pub fn netns(node: &str, netns: &str) -> LocalRemote {
        LocalRemote { node: node.to_string(), netns: Some(netns.to_string()), children: Mutex::default() }
    }

    fn error(&self, message: impl std::fmt::Display) -> RemoteError {
        RemoteError { node: self.node.clone(), message: message.to_string() }
    }

    /// `cmd` as run on this node.
    fn wrap(&self, cmd: &[String]) -> Vec<String> {
        match &self.netns {
            Some(ns) => {
                let mut out = argv(&["ip", "netns", "exec", ns]);
                out.extend(cmd.iter().cloned());
                out
            }
            None => cmd.to_vec(),
        }
    }

    fn copy(&self, from: &Path, to: &Path) -> RemoteResult<()> {
        fs::copy(from, to)
            .map(drop)
            .map_err(|e| self.error(format!("copying {} to {}: {e}", from.display(), to.display())))
    }

    /// `daemon`'s argv as run on this node, as its user (`setpriv` drops root after the
    /// namespace is entered, and execs: the pid is the daemon's).
    fn daemon_argv(&self, daemon: &Daemon) -> Vec<String> {
        let mut cmd = Vec::new();
        if let Some(user) = &daemon.user {
            cmd = argv(&["setpriv", &format!("--reuid={user}"), &format!("--regid={user}"), "--init-groups", "--"]);
        }
        cmd.extend(daemon.argv.iter().cloned());
        self.wrap(&cmd)
    }

    async fn spawn(&self, daemon: &Daemon) -> RemoteResult<u32> {
        let mut children = self.children.lock().await;
        if let Some(child) = children.get_mut(&daemon.pidfile) {
            if child.try_wait().ok().flatten().is_none() {
                return Err(self.error(format!("{} is already running", daemon.argv.join(" "))));
            }
        }
        let open = || OpenOptions::new().create(true).append(true).open(&daemon.log);
        let (out, err) = open()
            .and_then(|log| Ok((log.try_clone()?, log)))
            .map_err(|e| self.error(format!("{}: {e}", daemon.log.display())))?;
        let argv = self.daemon_argv(daemon);
        // Its own process group: a signal reaches the processes it forks too (a PostgreSQL
        // server's backends), so a kill leaves no orphans and a pause freezes them all.
        let child = Command::new(&argv[0])
            .args(&argv[1..])
            .process_group(0)
            .envs(daemon.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| self.error(format!("starting {}: {e}", daemon.argv[0])))?;
        let pid = child.id().ok_or_else(|| self.error(format!("{} exited at once", daemon.argv[0])))?;
        results::fsx::write_file(&daemon.pidfile, pid.to_string().as_bytes()).map_err(|e| self.error(e))?;
        children.insert(daemon.pidfile.clone(), child);
        Ok(pid)
    }

    /// The daemon's pid: our child's, else the pidfile's (checked).
    async fn pid(&self, daemon: &DaemonRef) -> Option<Pid> {
        match self.children.lock().await.get(&daemon.pidfile) {
            Some(child) => child.id().map(|pid| Pid::from_raw(pid as i32)),
            None => pid_of(daemon),
        }
    }

    async fn send(&self, daemon: &DaemonRef, signal: Signal) -> RemoteResult<()> {
        let Some(pid) = self.pid(daemon).await else { return Ok(()) };
        kill_group(pid, nix_signal(signal)).map_err(|e| self.error(format!("{signal:?} to {}: {e}", daemon.exe)))?;
        if signal == Signal::Sigkill {
            if let Some(mut child) = self.children.lock().await.remove(&daemon.pidfile) {
                let _ = child.wait().await;
            }
        }
        Ok(())
    }

    async fn halt(&self, daemon: &DaemonRef, grace: Duration) -> RemoteResult<()> {
        let child = self.children.lock().await.remove(&daemon.pidfile);
        let Some(mut child) = child else { return self.halt_by_pidfile(daemon, grace).await };
        let pid = child.id().map(|pid| Pid::from_raw(pid as i32));
        if let Some(pid) = pid {
            let _ = kill_group(pid, NixSignal::SIGCONT);
            let _ = kill_group(pid, NixSignal::SIGTERM);
        }
        if tokio::time::timeout(grace, child.wait()).await.is_err() {
            match pid {
                Some(pid) => drop(kill_group(pid, NixSignal::SIGKILL)),
                None => drop(child.start_kill()),
            }
            let _ = child.wait().await;
        }
        Ok(())
    }

    async fn halt_by_pidfile(&self, daemon: &DaemonRef, grace: Duration) -> RemoteResult<()> {
        let Some(pid) = pid_of(daemon) else { return Ok(()) };
        let _ = kill_group(pid, NixSignal::SIGCONT);
        let _ = kill_group(pid, NixSignal::SIGTERM);
        let deadline = Instant::now() + grace;
        while running(pid) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if running(pid) {
            kill_group(pid, NixSignal::SIGKILL).map_err(|e| self.error(format!("SIGKILL to {}: {e}", daemon.exe)))?;
        }
        // Return only once it is gone (`faultline heal` promises nothing is left running).
        let deadline = Instant::now() + KILL_WAIT;
        while running(pid) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if running(pid) {
            return Err(self.error(format!("{} (pid {pid}) still runs {KILL_WAIT:?} after SIGKILL", daemon.exe)));
        }
        Ok(())
    }

    async fn is_alive(&self, daemon: &DaemonRef) -> RemoteResult<bool> {
        let mut children = self.children.lock().await;
        match children.get_mut(&daemon.pidfile) {
            Some(child) => match child.try_wait() {
                Ok(None) => Ok(true),
                Ok(Some(_)) => {
                    children.remove(&daemon.pidfile);
                    Ok(false)
                }
                Err(e) => Err(self.error(format!("{}: {e}", daemon.exe))),
            },
            None => Ok(pid_of(daemon).is_some_and(running)),
        }
    }
}

impl Remote for LocalRemote {
    fn node(&self) -> &str {
        &self.node
    }

    fn reach(&self) -> Reach {
        match &self.netns {
            Some(netns) => Reach::Netns { netns: netns.clone() },
            None => Reach::Local,
        }
    }

    fn exec<'a>(&'a self, cmd: &'a [String], timeout: Duration) -> BoxFuture<'a, RemoteResult<String>> {
        Box::pin(async move { exec::run(&self.wrap(cmd), timeout).await.map_err(|e| self.error(e)) })
    }

    fn upload<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(async move { self.copy(from, to) })
    }

    fn download<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(async move { self.copy(from, to) })
    }

    fn start<'a>(&'a self, daemon: &'a Daemon) -> BoxFuture<'a, RemoteResult<u32>> {
        Box::pin(self.spawn(daemon))
    }

    fn signal<'a>(&'a self, daemon: &'a DaemonRef, signal: Signal) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(self.send(daemon, signal))
    }

    fn stop<'a>(&'a self, daemon: &'a DaemonRef, grace: Duration) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(self.halt(daemon, grace))
    }

    fn alive<'a>(&'a self, daemon: &'a DaemonRef) -> BoxFuture<'a, RemoteResult<bool>> {
        Box::pin(self.is_alive(daemon))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A daemon on the controller (no namespace, no root): started, found alive, paused and
    /// resumed, stopped; then, as `faultline heal` finds it, stopped by its pidfile alone.
    #[tokio::test]
    async fn daemons_start_signal_and_stop_as_child_or_by_pidfile() {
        let dir = tempfile::tempdir().unwrap();
        let daemon = Daemon {
            user: None,
            argv: argv(&["sleep", "30"]),
            env: Vec::new(),
            log: dir.path().join("sleep.log"),
            pidfile: dir.path().join("sleep.pid"),
        };
        let d = daemon.reference();
        let remote = LocalRemote::host("c");
        assert_eq!(remote.exec(&argv(&["echo", "hi"]), Duration::from_secs(5)).await.unwrap(), "hi\n");
        let err = remote.exec(&argv(&["false"]), Duration::from_secs(5)).await.unwrap_err().to_string();
        assert!(err.starts_with("c: `false` failed"), "{err}");
        let pid = remote.start(&daemon).await.unwrap();
        assert_eq!(fs::read_to_string(&daemon.pidfile).unwrap(), pid.to_string());
        assert!(remote.start(&daemon).await.is_err(), "a second start of a running daemon");
        assert!(remote.alive(&d).await.unwrap());
        remote.signal(&d, Signal::Sigstop).await.unwrap();
        remote.stop(&d, Duration::from_secs(5)).await.unwrap();
        assert!(!remote.alive(&d).await.unwrap());
        remote.start(&daemon).await.unwrap();
        let stranger = LocalRemote::host("c");
        // Until the child has exec'd, /proc shows the test binary, not `sleep`.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !stranger.alive(&d).await.unwrap() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(stranger.alive(&d).await.unwrap(), "found by its pidfile");
        stranger.stop(&d, Duration::from_millis(200)).await.unwrap();
        assert!(!remote.alive(&d).await.unwrap());
        let other = DaemonRef { exe: "etcd".into(), ..d };
        assert!(!stranger.alive(&other).await.unwrap(), "a pidfile naming another program is not ours");
    }

    /// As `faultline heal` stops a daemon that ignores SIGTERM: by its pidfile, SIGKILL after the
    /// grace, and it is gone when the stop returns.
    #[tokio::test]
    async fn a_stop_by_pidfile_returns_only_once_the_process_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let daemon = Daemon {
            user: None,
            argv: argv(&["sh", "-c", "trap '' TERM; exec sleep 30"]),
            env: Vec::new(),
            log: dir.path().join("stubborn.log"),
            pidfile: dir.path().join("stubborn.pid"),
        };
        let d = DaemonRef { exe: "sleep".into(), ..daemon.reference() };
        let owner = LocalRemote::host("c");
        let pid = Pid::from_raw(owner.start(&daemon).await.unwrap() as i32);
        let healer = LocalRemote::host("c");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !healer.alive(&d).await.unwrap() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        healer.stop(&d, Duration::from_millis(100)).await.unwrap();
        assert!(!running(pid), "still running when the stop returned");
    }
}
