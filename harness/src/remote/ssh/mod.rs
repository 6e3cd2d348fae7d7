//! The remote of a machine reached over SSH (the `ssh2` crate). One session per node, opened
//! on first use and reopened (with a short backoff) when it drops; its blocking calls run in
//! `spawn_blocking`, one at a time per node. Commands get a remote `timeout` and a session
//! timeout; files go up and down over SFTP; daemons are detached with `setsid` and a pidfile and
//! signalled with `kill` (see [`shell`]); everything runs through `sudo -n` when the user is
//! not root.

pub mod session;
pub mod shell;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nemesis::{Daemon, DaemonRef, Signal};
use ssh2::Session;

pub use session::{Login, UnknownHostKey};

use super::{BoxFuture, Reach, Remote, RemoteError, RemoteResult};

/// The waits before each new connection after a dropped one (the first retry is at once).
const RECONNECT_BACKOFF: [Duration; 3] = [Duration::ZERO, Duration::from_millis(500), Duration::from_secs(2)];

/// Extra time the session allows beyond a command's own timeout before it gives up on it.
const SLACK: Duration = Duration::from_secs(5);

/// A node reached over SSH.
pub struct SshRemote {
    inner: Arc<Inner>,
}

struct Inner {
    node: String,
    login: Login,
    unknown: UnknownHostKey,
    session: Mutex<Option<Session>>,
}

/// What a command said: its exit status, stdout and stderr.
struct Output {
    status: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Inner {
    fn error(&self, message: impl std::fmt::Display) -> RemoteError {
        RemoteError { node: self.node.clone(), message: message.to_string() }
    }

    fn sudo(&self) -> bool {
        self.login.uses_sudo()
    }

    /// Runs `f` on the open session, opening it first; a transport failure drops the session
    /// and `f` is tried once more on a new one, reconnecting with a backoff
    /// ([`RECONNECT_BACKOFF`]). The first connection is not retried: the pre-run check reports
    /// an unreachable node at once.
    fn with_session<T>(&self, f: impl Fn(&Session) -> std::io::Result<T>) -> Result<T, String> {
        let mut slot = self.session.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(self.login.open(self.unknown)?);
        }
        let first = f(slot.as_ref().expect("opened above"));
        let dropped = match first {
            Ok(t) => return Ok(t),
            Err(e) => e.to_string(),
        };
        *slot = None;
        *slot = Some(self.reconnect().map_err(|e| format!("{e} (after the connection dropped: {dropped})"))?);
        f(slot.as_ref().expect("reconnected above")).map_err(|e| {
            *slot = None;
            format!("{}: ssh: {e}", self.login.target())
        })
    }

    /// A new session after a dropped one: tried after each wait of [`RECONNECT_BACKOFF`] while
    /// the node does not answer; a refused host key or login ends it at once.
    fn reconnect(&self) -> Result<Session, String> {
        let mut last = String::new();
        for wait in RECONNECT_BACKOFF {
            std::thread::sleep(wait);
            match self.login.open(self.unknown) {
                Ok(session) => return Ok(session),
                Err(e) if e.contains("no connection within") || e.contains("handshake failed") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Runs command line `line` (through `sudo -n` when needed) within `timeout`.
    fn run(&self, script: &str, timeout: Duration) -> Result<Output, String> {
        let line = shell::command(script, self.sudo(), timeout);
        let began = std::time::Instant::now();
        let _log = Slow { node: &self.node, what: script, began };
        self.with_session(|session| {
            session.set_timeout((timeout + SLACK).as_millis() as u32);
            let mut channel = session.channel_session()?;
            channel.exec(&line)?;
            let mut stdout = Vec::new();
            channel.read_to_end(&mut stdout)?;
            let mut stderr = String::new();
            channel.stderr().read_to_string(&mut stderr)?;
            channel.wait_close()?;
            Ok(Output { status: channel.exit_status()?, stdout, stderr })
        })
    }

    /// Runs command line `script`; its stdout on success, else one line saying what ran and what it said.
    fn check(&self, script: &str, what: &str, timeout: Duration) -> RemoteResult<String> {
        let out = self.run(script, timeout).map_err(|e| self.error(e))?;
        match out.status {
            0 => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            124 | 137 => Err(self.error(format!("`{what}` did not finish within {timeout:?}"))),
            1 if self.sudo() && out.stderr.contains("sudo:") => Err(self.error(format!(
                "{}: sudo needs a password; allow NOPASSWD for {} in sudoers or connect as root",
                self.login.target(),
                self.login.user
            ))),
            127 if self.sudo() && out.stderr.contains("sudo") => Err(self.error(format!(
                "{}: {} is not root and sudo is not installed; install sudo with NOPASSWD for it or connect as root",
                self.login.target(),
                self.login.user
            ))),
            status => Err(self.error(format!("`{what}` failed (exit status {status}): {}", out.stderr.trim()))),
        }
    }

    fn put(&self, from: &Path, to: &Path) -> RemoteResult<()> {
        let bytes = std::fs::read(from).map_err(|e| self.error(format!("{}: {e}", from.display())))?;
        let staged = if self.sudo() {
            Path::new("/tmp").join(format!("faultline-up-{}", rand::random::<u64>()))
        } else {
            to.to_path_buf()
        };
        self.with_session(|session| {
            session.set_timeout(60_000);
            let mut file = session.sftp()?.create(&staged)?;
            file.write_all(&bytes)
        })
        .map_err(|e| self.error(format!("uploading {} to {}: {e}", from.display(), staged.display())))?;
        if self.sudo() {
            let mv = shell::join(&["mv".into(), staged.display().to_string(), to.display().to_string()]);
            self.check(&mv, &mv, Duration::from_secs(30))?;
        }
        Ok(())
    }

    fn get(&self, from: &Path, to: &Path) -> RemoteResult<()> {
        let bytes = if self.sudo() {
            let cat = shell::join(&["cat".into(), from.display().to_string()]);
            let out = self.run(&cat, Duration::from_secs(60)).map_err(|e| self.error(e))?;
            if out.status != 0 {
                return Err(self.error(format!("downloading {}: {}", from.display(), out.stderr.trim())));
            }
            out.stdout
        } else {
            self.with_session(|session| {
                session.set_timeout(60_000);
                let mut bytes = Vec::new();
                session.sftp()?.open(from)?.read_to_end(&mut bytes)?;
                Ok(bytes)
            })
            .map_err(|e| self.error(format!("downloading {}: {e}", from.display())))?
        };
        results::fsx::write_file(to, &bytes).map_err(|e| self.error(e))
    }
}

/// Logs a command that took more than a second (or never returned) when it goes out of scope.
struct Slow<'a> {
    node: &'a str,
    what: &'a str,
    began: std::time::Instant,
}

impl Drop for Slow<'_> {
    fn drop(&mut self) {
        let took = self.began.elapsed();
        if took > Duration::from_secs(1) {
            let what: String = self.what.chars().take(120).collect();
            tracing::info!("{}: `{what}` took {:.2} s over ssh", self.node, took.as_secs_f64());
        }
    }
}

impl SshRemote {
    /// Node `node` at `login`; nothing is opened until the first call.
    pub fn new(node: &str, login: Login, unknown: UnknownHostKey) -> SshRemote {
        SshRemote { inner: Arc::new(Inner { node: node.to_string(), login, unknown, session: Mutex::new(None) }) }
    }

    /// Runs `f` on the node's connection off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner) -> RemoteResult<T> + Send + 'static,
    ) -> RemoteResult<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .unwrap_or_else(|e| Err(self.inner.error(format!("ssh task failed: {e}"))))
    }

    /// Connects and checks that commands can run as root (directly or through `sudo -n`): the
    /// pre-run check, before anything is changed.
    pub async fn check_access(&self) -> RemoteResult<()> {
        self.blocking(|inner| inner.check("id -u", "id -u", Duration::from_secs(10)).map(drop)).await
    }
}

impl Remote for SshRemote {
    fn node(&self) -> &str {
        &self.inner.node
    }

    fn reach(&self) -> Reach {
        Reach::Ssh(Box::new(self.inner.login.clone()))
    }

    fn exec<'a>(&'a self, argv: &'a [String], timeout: Duration) -> BoxFuture<'a, RemoteResult<String>> {
        let line = shell::join(argv);
        Box::pin(self.blocking(move |inner| inner.check(&line, &line, timeout)))
    }

    fn upload<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>> {
        let (from, to) = (from.to_path_buf(), to.to_path_buf());
        Box::pin(self.blocking(move |inner| inner.put(&from, &to)))
    }

    fn download<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>> {
        let (from, to) = (from.to_path_buf(), to.to_path_buf());
        Box::pin(self.blocking(move |inner| inner.get(&from, &to)))
    }

    fn start<'a>(&'a self, daemon: &'a Daemon) -> BoxFuture<'a, RemoteResult<u32>> {
        let (script, what) = (shell::script(&shell::start(daemon)), format!("start {}", daemon.argv.join(" ")));
        Box::pin(self.blocking(move |inner| {
            let out = inner.check(&script, &what, Duration::from_secs(30))?;
            out.trim().parse().map_err(|_| inner.error(format!("{what}: no pid in its pidfile ({out:?})")))
        }))
    }

    fn signal<'a>(&'a self, daemon: &'a DaemonRef, signal: Signal) -> BoxFuture<'a, RemoteResult<()>> {
        let (script, what) = (shell::script(&shell::signal(daemon, signal)), format!("{signal:?} to {}", daemon.exe));
        Box::pin(self.blocking(move |inner| inner.check(&script, &what, Duration::from_secs(10)).map(drop)))
    }

    fn stop<'a>(&'a self, daemon: &'a DaemonRef, grace: Duration) -> BoxFuture<'a, RemoteResult<()>> {
        let (script, what) = (shell::script(&shell::stop(daemon, grace)), format!("stop {}", daemon.exe));
        let limit = grace + Duration::from_secs(15);
        Box::pin(self.blocking(move |inner| inner.check(&script, &what, limit).map(drop)))
    }

    fn alive<'a>(&'a self, daemon: &'a DaemonRef) -> BoxFuture<'a, RemoteResult<bool>> {
        let (script, what) = (shell::script(&shell::alive(daemon)), format!("is {} alive", daemon.exe));
        Box::pin(self.blocking(move |inner| Ok(inner.check(&script, &what, Duration::from_secs(10))?.trim() == "yes")))
    }
}
