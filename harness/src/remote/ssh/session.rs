//! Opening an SSH session to a node (blocking; callers run it off the async runtime): a TCP
//! connection within [`CONNECT_LIMIT`], the host key checked strictly against a known_hosts
//! file (an unknown key recorded only when asked, a changed key always refused), then the user
//! authenticated with a key file (OpenSSH ed25519 or RSA) or, with no key file, ssh-agent.
//! Every failure is one line naming what was attempted and what to check.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ssh2::{CheckResult, KnownHostFileKind, KnownHostKeyFormat, Session};

/// How long a node may take to accept the TCP connection and finish the handshake.
pub const CONNECT_LIMIT: Duration = Duration::from_secs(5);

/// Where and as whom to log in (never a secret: the key is named by its path).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Login {
    /// Host name or address.
    pub host: String,
    /// sshd's port.
    pub port: u16,
    /// The user to log in as (`sudo -n` is used when it is not root).
    pub user: String,
    /// The private key file; `None` asks ssh-agent.
    pub key: Option<PathBuf>,
    /// The known_hosts file host keys are checked against.
    pub known_hosts: PathBuf,
    /// Whether commands go through `sudo -n`.
    #[serde(default)]
    pub sudo: bool,
}

/// What to do with a host key the known_hosts file does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownHostKey {
    /// Refuse to connect (the default).
    Refuse,
    /// Record it in the known_hosts file (`--accept-new-host-keys`).
    Record,
}

impl Login {
    /// Whether commands go through `sudo -n`: when asked, and always for a user who is not root.
    pub fn uses_sudo(&self) -> bool {
        self.sudo || self.user != "root"
    }

    /// `user@host:port`, as messages name it.
    pub fn target(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }

    /// How known_hosts names this host (`[host]:port` off port 22).
    fn known_name(&self) -> String {
        if self.port == 22 {
            self.host.clone()
        } else {
            format!("[{}]:{}", self.host, self.port)
        }
    }

    /// Connects, checks the host key and authenticates.
    pub fn open(&self, unknown: UnknownHostKey) -> Result<Session, String> {
        let session = self.handshake(self.dial()?)?;
        self.check_host_key(&session, unknown)?;
        self.authenticate(&session)?;
        session.set_keepalive(true, 5);
        Ok(session)
    }

    /// The SSH handshake over `tcp` (the host key is not checked yet).
    pub fn handshake(&self, tcp: TcpStream) -> Result<Session, String> {
        let mut session = Session::new().map_err(|e| format!("{}: ssh: {e}", self.target()))?;
        session.set_tcp_stream(tcp);
        session.set_timeout(CONNECT_LIMIT.as_millis() as u32);
        session.handshake().map_err(|e| format!("{}: ssh handshake failed: {e}", self.target()))?;
        Ok(session)
    }

    /// A TCP connection to sshd within [`CONNECT_LIMIT`].
    pub fn dial(&self) -> Result<TcpStream, String> {
        let addrs: Vec<_> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("{}: cannot resolve {}: {e}; check the host name", self.target(), self.host))?
            .collect();
        let mut last = String::from("no address");
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_LIMIT) {
                Ok(tcp) => {
                    // Small packets at once: with Nagle's algorithm every command waits on a delayed ACK.
                    let _ = tcp.set_nodelay(true);
                    return Ok(tcp);
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!(
            "{}: no connection within {} s ({last}); check that the machine is up, sshd listens on port {} and no firewall drops it",
            self.target(),
            CONNECT_LIMIT.as_secs(),
            self.port
        ))
    }

    /// Checks the host key the server sent against known_hosts (recording an unknown one only
    /// with [`UnknownHostKey::Record`]); says which it did.
    pub fn check_host_key(&self, session: &Session, unknown: UnknownHostKey) -> Result<&'static str, String> {
        let file = self.known_hosts.display();
        let (key, kind) =
            session.host_key().ok_or_else(|| format!("{}: the server sent no host key", self.target()))?;
        let mut known = session.known_hosts().map_err(|e| format!("{}: known_hosts: {e}", self.target()))?;
        if self.known_hosts.exists() {
            known
                .read_file(&self.known_hosts, KnownHostFileKind::OpenSSH)
                .map_err(|e| format!("{}: cannot read known_hosts {file}: {e}", self.target()))?;
        }
        match known.check_port(&self.host, self.port, key) {
            CheckResult::Match => Ok("matches known_hosts"),
            CheckResult::Mismatch => Err(format!(
                "{}: host key changed (known_hosts {file}{}); if the machine was rebuilt, remove it with `ssh-keygen -R '{}' -f {file}`",
                self.target(),
                line_of(&self.known_hosts, &self.known_name()).map(|n| format!(" line {n}")).unwrap_or_default(),
                self.known_name()
            )),
            CheckResult::NotFound if unknown == UnknownHostKey::Refuse => Err(format!(
                "{}: host key unknown (not in known_hosts {file}); check its fingerprint and rerun with --accept-new-host-keys to record it",
                self.target()
            )),
            CheckResult::NotFound => {
                let format = match kind {
                    ssh2::HostKeyType::Rsa => KnownHostKeyFormat::SshRsa,
                    ssh2::HostKeyType::Dss => KnownHostKeyFormat::SshDss,
                    ssh2::HostKeyType::Ecdsa256 => KnownHostKeyFormat::Ecdsa256,
                    ssh2::HostKeyType::Ecdsa384 => KnownHostKeyFormat::Ecdsa384,
                    ssh2::HostKeyType::Ecdsa521 => KnownHostKeyFormat::Ecdsa521,
                    ssh2::HostKeyType::Ed25519 => KnownHostKeyFormat::Ed25519,
                    ssh2::HostKeyType::Unknown => KnownHostKeyFormat::Unknown,
                };
                known
                    .add(&self.known_name(), key, "added by faultline --accept-new-host-keys", format)
                    .and_then(|()| known.write_file(&self.known_hosts, KnownHostFileKind::OpenSSH))
                    .map(|()| "unknown; recorded in known_hosts (--accept-new-host-keys)")
                    .map_err(|e| format!("{}: cannot record its host key in {file}: {e}", self.target()))
            }
            CheckResult::Failure => Err(format!("{}: cannot check the host key against {file}", self.target())),
        }
    }

    /// Authenticates the user with the key file, or with ssh-agent when there is none.
    pub fn authenticate(&self, session: &Session) -> Result<(), String> {
        let how = match &self.key {
            Some(key) => {
                if !key.exists() {
                    return Err(format!(
                        "{}: key file {} does not exist; check --ssh-key",
                        self.target(),
                        key.display()
                    ));
                }
                session
                    .userauth_pubkey_file(&self.user, None, key, None)
                    .err()
                    .map(|e| (format!("key {}", key.display()), e))
            }
            None => session.userauth_agent(&self.user).err().map(|e| ("ssh-agent's keys".to_string(), e)),
        };
        match how {
            None if session.authenticated() => Ok(()),
            None => Err(format!("{}: not authenticated; check the user and key", self.target())),
            Some((what, e)) => Err(format!(
                "{}: permission denied (publickey): {what} not accepted ({}); add its public key to ~{}/.ssh/authorized_keys there or pass --ssh-key",
                self.target(),
                e.message(),
                self.user
            )),
        }
    }
}

/// The 1-based line of `file` that names `host` (plain, not hashed), if any.
fn line_of(file: &Path, host: &str) -> Option<usize> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .position(|l| l.split_whitespace().next().is_some_and(|h| h.split(',').any(|h| h == host)))
        .map(|i| i + 1)
}
