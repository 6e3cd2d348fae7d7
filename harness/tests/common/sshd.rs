//! Five SSH machines on this one: network namespaces `fl-ssh-n1`… on their own bridge in
//! 198.18.0.0/24 (n1 is 198.18.0.11), each running a real Debian `sshd` with per-test host keys
//! and one authorized ed25519 key. Faultline reaches them only over SSH. Everything is removed
//! when the [`SshNodes`] is dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BRIDGE: &str = "fl-sshbr";
const COMMENT: &str = "faultline-test-sshd";

/// The running set of SSH machines.
pub struct SshNodes {
    /// Host keys, the client key, known_hosts, sshd configs and logs.
    pub dir: PathBuf,
    /// The names of the machines (n1…).
    pub names: Vec<String>,
    sshds: Vec<Child>,
    forward: Option<&'static str>,
}

fn run(argv: &[&str]) {
    let out = Command::new(argv[0]).args(&argv[1..]).output().unwrap();
    assert!(out.status.success(), "{}: {}", argv.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// The rule that lets traffic cross the test's bridge in `chain`, inserted (`-I`) or deleted
/// (`-D`); its comment is not faultline's, so the runs' own leftover checks do not count it.
fn accept_bridged<'a>(op: &'a str, chain: &'a str) -> [&'a str; 15] {
    [
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
        COMMENT,
        "-j",
        "ACCEPT",
    ]
}

fn keygen(path: &Path, kind: &str) {
    let _ = std::fs::remove_file(path);
    run(&["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "faultline-test", "-f", path.to_str().unwrap()]);
}

/// The address of machine `i` (1-based).
pub fn addr(i: usize) -> String {
    format!("198.18.0.{}", 10 + i)
}

impl SshNodes {
    /// Starts `n` machines (at most 9) under `dir`.
    pub fn start(dir: &Path, n: usize) -> SshNodes {
        let started = Instant::now();
        let dir = dir.join("ssh");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        keygen(&dir.join("id_ed25519"), "ed25519");
        std::fs::copy(dir.join("id_ed25519.pub"), dir.join("authorized_keys")).unwrap();
        let mut nodes = SshNodes {
            dir: dir.clone(),
            names: (1..=n).map(|i| format!("n{i}")).collect(),
            sshds: Vec::new(),
            forward: None,
        };
        run(&["ip", "link", "add", BRIDGE, "type", "bridge"]);
        run(&["ip", "addr", "add", "198.18.0.1/24", "dev", BRIDGE]);
        run(&["ip", "link", "set", BRIDGE, "up"]);
        let has_docker_user = nemesis::iptables::has_docker_user();
        let docker = Command::new(&has_docker_user[0]).args(&has_docker_user[1..]).output().unwrap().status.success();
        let chain = if docker { "DOCKER-USER" } else { "FORWARD" };
        run(&accept_bridged("-I", chain));
        nodes.forward = Some(chain);
        let mut known = String::new();
        for i in 1..=n {
            let (ns, veth, addr) = (format!("fl-ssh-n{i}"), format!("flsv{i}"), addr(i));
            run(&["ip", "netns", "add", &ns]);
            run(&["ip", "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns]);
            run(&["ip", "link", "set", &veth, "master", BRIDGE, "up"]);
            run(&["ip", "-n", &ns, "addr", "add", &format!("{addr}/24"), "dev", "eth0"]);
            run(&["ip", "-n", &ns, "link", "set", "eth0", "up"]);
            run(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
            let host_key = dir.join(format!("n{i}_host_ed25519"));
            keygen(&host_key, "ed25519");
            let public = std::fs::read_to_string(host_key.with_extension("pub")).unwrap();
            let public: Vec<&str> = public.split_whitespace().take(2).collect();
            known.push_str(&format!("{addr} {}\n", public.join(" ")));
            let config = dir.join(format!("n{i}_sshd_config"));
            std::fs::write(
                &config,
                format!(
                    "ListenAddress {addr}\nPort 22\nHostKey {}\nAuthorizedKeysFile {}\nPasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n\
                     PidFile none\nMaxStartups 100\nMaxSessions 100\nSubsystem sftp internal-sftp\n",
                    host_key.display(),
                    dir.join("authorized_keys").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.join(format!("n{i}_sshd.log"))).unwrap();
            let sshd = Command::new("ip")
                .args(["netns", "exec", &ns, "/usr/sbin/sshd", "-D", "-e", "-f", config.to_str().unwrap()])
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            nodes.sshds.push(sshd);
        }
        std::fs::write(dir.join("known_hosts"), known).unwrap();
        for i in 1..=n {
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect_timeout(
                &format!("{}:22", addr(i)).parse().unwrap(),
                Duration::from_millis(200),
            )
            .is_err()
            {
                assert!(Instant::now() < deadline, "sshd on n{i} did not listen within 10 s");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        eprintln!("{n} SSH machines up in {:.2} s", started.elapsed().as_secs_f64());
        nodes
    }

    /// The client's private key.
    pub fn key(&self) -> String {
        self.dir.join("id_ed25519").to_string_lossy().into_owned()
    }

    /// The known_hosts file listing every machine's host key.
    pub fn known_hosts(&self) -> String {
        self.dir.join("known_hosts").to_string_lossy().into_owned()
    }

    /// `--nodes` for these machines: n1=198.18.0.11,…
    pub fn nodes_arg(&self) -> String {
        self.names.iter().enumerate().map(|(i, n)| format!("{n}={}", addr(i + 1))).collect::<Vec<_>>().join(",")
    }

    /// The flags of a `faultline test` over SSH to these machines.
    pub fn args(&self) -> Vec<String> {
        [
            "--provisioner",
            "ssh",
            "--nodes",
            &self.nodes_arg(),
            "--ssh-key",
            &self.key(),
            "--ssh-known-hosts",
            &self.known_hosts(),
        ]
        .map(String::from)
        .to_vec()
    }

    /// What a run left on the machines: faultline's iptables rules or chain in any of them.
    pub fn leftovers(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in 1..=self.names.len() {
            let rules = super::sh(&["ip", "netns", "exec", &format!("fl-ssh-n{i}"), "iptables", "-w", "5", "-S"]);
            out.extend(rules.lines().filter(|l| l.contains("FAULTLINE")).map(|l| format!("n{i}: {l}")));
        }
        out
    }
}

impl Drop for SshNodes {
    fn drop(&mut self) {
        for sshd in &mut self.sshds {
            let _ = sshd.kill();
            let _ = sshd.wait();
        }
        for i in 1..=self.names.len() {
            let ns = format!("fl-ssh-n{i}");
            // Whatever still runs in the namespace is this test's (sshd's sessions, a daemon).
            for pid in super::sh(&["ip", "netns", "pids", &ns]).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
            let _ = Command::new("ip").args(["link", "del", &format!("flsv{i}")]).status();
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        }
        if let Some(chain) = self.forward {
            let argv = accept_bridged("-D", chain);
            let _ = Command::new(argv[0]).args(&argv[1..]).status();
        }
        let _ = Command::new("ip").args(["link", "del", BRIDGE]).status();
    }
}
