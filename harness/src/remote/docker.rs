//! The remote of a Docker container on this machine, driven through the `docker` CLI: commands
//! through `docker exec` (under the container's own `timeout`, so a command that overruns dies
//! inside the container too), files streamed through `docker exec`, and daemons detached inside the
//! container by the same pidfile scripts as an SSH node ([`super::ssh::shell`]): the harness is
//! never their parent, so a killed harness leaves nothing that `faultline heal` cannot find.

use std::path::Path;
use std::time::Duration;

use nemesis::{Daemon, DaemonRef, Signal};

use super::exec::{self, argv};
use super::ssh::shell;
use super::{BoxFuture, Reach, Remote, RemoteError, RemoteResult};

/// Extra time the `docker` client gets beyond a command's own timeout before it is killed.
const SLACK: Duration = Duration::from_secs(5);
/// How long copying one file in or out may take.
const COPY_LIMIT: Duration = Duration::from_secs(60);

/// A node that is a container on this machine.
pub struct DockerRemote {
    node: String,
    container: String,
}

impl DockerRemote {
    /// Node `node` in container `container`.
    pub fn new(node: &str, container: &str) -> DockerRemote {
        DockerRemote { node: node.to_string(), container: container.to_string() }
    }

    fn error(&self, message: impl std::fmt::Display) -> RemoteError {
        RemoteError { node: self.node.clone(), message: message.to_string() }
    }

    /// Runs `cmd` in the container within `timeout`; its stdout on success.
    async fn run(&self, cmd: &[String], timeout: Duration) -> RemoteResult<String> {
        let secs = timeout.as_secs().max(1).to_string();
        let mut line = argv(&["docker", "exec", &self.container, "timeout", "-k", "2", &secs]);
        line.extend(cmd.iter().cloned());
        exec::run(&line, timeout + SLACK).await.map_err(|e| self.error(e))
    }

    /// Runs shell `script` in the container within `timeout`.
    async fn script(&self, script: String, timeout: Duration) -> RemoteResult<String> {
        self.run(&argv(&["sh", "-c", &script]), timeout).await
    }

    /// Streams the controller's file `from` into the container's `to` (`docker cp` cannot
    /// reach the container's tmpfs mounts, where the target's data lives).
    async fn put(&self, from: &Path, to: &Path) -> RemoteResult<()> {
        let file = std::fs::File::open(from).map_err(|e| self.error(format!("{}: {e}", from.display())))?;
        let to = to.to_string_lossy();
        let line = argv(&["docker", "exec", "-i", &self.container, "sh", "-c", "cat > \"$1\"", "sh", &to]);
        exec::output(&line, file.into(), COPY_LIMIT).await.map(drop).map_err(|e| self.error(e))
    }

    /// Copies the container's file `from` to the controller's `to`.
    async fn get(&self, from: &Path, to: &Path) -> RemoteResult<()> {
        let line = argv(&["docker", "exec", &self.container, "cat", &from.to_string_lossy()]);
        let bytes = exec::output(&line, std::process::Stdio::null(), COPY_LIMIT).await.map_err(|e| self.error(e))?;
        results::fsx::write_file(to, &bytes).map_err(|e| self.error(e))
    }
}

impl Remote for DockerRemote {
    fn node(&self) -> &str {
        &self.node
    }

    fn reach(&self) -> Reach {
        Reach::Docker { container: self.container.clone() }
    }

    fn exec<'a>(&'a self, cmd: &'a [String], timeout: Duration) -> BoxFuture<'a, RemoteResult<String>> {
        Box::pin(self.run(cmd, timeout))
    }

    fn upload<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(self.put(from, to))
    }

    fn download<'a>(&'a self, from: &'a Path, to: &'a Path) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(self.get(from, to))
    }

    fn start<'a>(&'a self, daemon: &'a Daemon) -> BoxFuture<'a, RemoteResult<u32>> {
        Box::pin(async move {
            let out = self.script(shell::start(daemon), Duration::from_secs(30)).await?;
            out.trim()
                .parse()
                .map_err(|_| self.error(format!("start {}: no pid in its pidfile ({out:?})", daemon.argv[0])))
        })
    }

    fn signal<'a>(&'a self, daemon: &'a DaemonRef, signal: Signal) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(async move { self.script(shell::signal(daemon, signal), Duration::from_secs(10)).await.map(drop) })
    }

    fn stop<'a>(&'a self, daemon: &'a DaemonRef, grace: Duration) -> BoxFuture<'a, RemoteResult<()>> {
        Box::pin(
            async move { self.script(shell::stop(daemon, grace), grace + Duration::from_secs(15)).await.map(drop) },
        )
    }

    fn alive<'a>(&'a self, daemon: &'a DaemonRef) -> BoxFuture<'a, RemoteResult<bool>> {
        Box::pin(async move { Ok(self.script(shell::alive(daemon), Duration::from_secs(10)).await?.trim() == "yes") })
    }
}
