//! The checks `faultline test --provisioner ssh` makes before it changes anything: a key the
//! machine does not accept, a host key known_hosts does not list (and recording it with
//! `--accept-new-host-keys`), a changed host key, a machine that does not answer, a user that
//! is not root and has no passwordless sudo. Each exits 254 with one line naming the node, what
//! was attempted and what to check, and leaves no run folder, journal or rule. Needs root,
//! iproute2 and openssh-server; ignored unless asked for.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::scratch;
use common::sshd::SshNodes;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A user with no sudo that sshd lets in (its password field is `*`, not locked); removed on drop.
struct Unprivileged(&'static str);

impl Unprivileged {
    fn create() -> Unprivileged {
        let name = "fl-nosudo";
        let _ = Command::new("userdel").arg(name).output();
        let made =
            Command::new("useradd").args(["-M", "-d", "/nonexistent", "-s", "/bin/sh", "-p", "*", name]).status();
        assert!(made.unwrap().success(), "useradd {name}");
        Unprivileged(name)
    }
}

impl Drop for Unprivileged {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(self.0).output();
    }
}

/// Runs `faultline test` over SSH with `args` replacing the defaults of the same flag; returns
/// the exit code and stderr.
fn refused(dir: &Path, nodes: &SshNodes, args: &[&str]) -> (i32, String) {
    let mut all = nodes.args();
    for pair in args.chunks(2) {
        match all.iter().position(|a| a == pair[0]) {
            Some(i) if pair.len() == 2 => all[i + 1] = pair[1].to_string(),
            _ => all.extend(pair.iter().map(|a| a.to_string())),
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .current_dir(dir)
        .args(["test", "--results-dir", "results", "--time-limit", "5"])
        .args(&all)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("{stderr}");
    assert!(!dir.join("results").exists(), "a run folder was made before the checks passed");
    assert_eq!(nodes.leftovers(), Vec::<String>::new());
    (out.status.code().unwrap_or(-1), stderr)
}

fn one_line(stderr: &str, wanted: &[&str]) {
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{w:?} missing from {stderr}");
    }
}

#[test]
#[ignore = "needs root: network namespaces and sshd"]
fn bad_keys_host_keys_unreachable_nodes_and_missing_sudo_exit_254_before_any_change() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("ssh-checks");
    let nodes = SshNodes::start(&dir, 5);

    let stranger = nodes.dir.join("stranger");
    Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&stranger).status().unwrap();
    let (code, err) = refused(&dir, &nodes, &["--ssh-key", stranger.to_str().unwrap()]);
    assert_eq!(code, 254);
    one_line(&err, &["n1", "root@198.18.0.11:22", "permission denied (publickey)", "stranger", "authorized_keys"]);

    let empty = nodes.dir.join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let (code, err) = refused(&dir, &nodes, &["--ssh-known-hosts", empty.to_str().unwrap()]);
    assert_eq!(code, 254);
    one_line(&err, &["198.18.0.11", "host key unknown", "--accept-new-host-keys"]);

    // Recorded with the flag (the run then stops at the user that cannot reach root).
    let user = Unprivileged::create();
    let args = ["--ssh-known-hosts", empty.to_str().unwrap(), "--accept-new-host-keys", "--ssh-user", user.0];
    let (code, err) = refused(&dir, &nodes, &args);
    assert_eq!(code, 254);
    one_line(&err, &["n1", "fl-nosudo@198.18.0.11", "not root", "sudo", "connect as root"]);
    let recorded = std::fs::read_to_string(&empty).unwrap();
    // Checked node by node: n1's key was recorded before its user was refused.
    assert!(recorded.starts_with("198.18.0.11 ssh-ed25519 ") && recorded.lines().count() == 1, "{recorded}");

    // n3's key changed: the line that names it gets another machine's key.
    let known = std::fs::read_to_string(nodes.known_hosts()).unwrap();
    let n1_key = known.lines().next().unwrap().split_once(' ').unwrap().1.to_string();
    let changed: String = known
        .lines()
        .map(|l| if l.starts_with("198.18.0.13 ") { format!("198.18.0.13 {n1_key}\n") } else { format!("{l}\n") })
        .collect();
    let changed_file = nodes.dir.join("changed_known_hosts");
    std::fs::write(&changed_file, changed).unwrap();
    let args = ["--ssh-known-hosts", changed_file.to_str().unwrap(), "--accept-new-host-keys"];
    let (code, err) = refused(&dir, &nodes, &args);
    assert_eq!(code, 254);
    one_line(&err, &["n3", "198.18.0.13", "host key changed", "line 3", "ssh-keygen -R"]);

    let began = Instant::now();
    let unreachable = "n1=198.18.0.11,n2=198.18.0.12,n3=198.18.0.13,n4=198.18.0.14,n5=198.18.0.19";
    let (code, err) = refused(&dir, &nodes, &["--nodes", unreachable]);
    assert_eq!(code, 254);
    one_line(&err, &["n5", "198.18.0.19:22", "no connection within 5 s"]);
    assert!(began.elapsed() < Duration::from_secs(10), "took {:?}", began.elapsed());
}

/// `faultline doctor` with `args`: exit code and stdout (the table).
fn doctor(dir: &Path, args: &[String]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline")).current_dir(dir).arg("doctor").args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{}{stdout}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), stdout)
}

/// The table's row of `node` and `check`, split into its status and detail.
fn row<'a>(table: &'a str, node: &str, check: &str) -> (&'a str, &'a str) {
    let line = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(node) && l[node.len()..].trim_start().starts_with(check))
        .unwrap_or_else(|| panic!("no row for {node} {check} in\n{table}"));
    let rest = line[node.len()..].trim_start()[check.len()..].trim_start();
    rest.split_once(' ').map(|(s, d)| (s, d.trim())).unwrap_or((rest, ""))
}

#[test]
#[ignore = "needs root: network namespaces and sshd"]
fn doctor_passes_a_healthy_node_set_and_names_the_fix_for_a_key_a_machine_does_not_accept() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("ssh-doctor");
    let nodes = SshNodes::start(&dir, 5);
    let (code, table) = doctor(&dir, &nodes.args());
    assert_eq!(code, 0, "{table}");
    assert!(table.contains("doctor: a run can start (provisioner ssh, target etcd, 5 node(s))"), "{table}");
    for node in &nodes.names {
        for check in ["reachable", "host key", "authenticated", "root", "commands", "iptables", "clock", "target"] {
            assert_eq!(row(&table, node, check).0, "ok", "{node} {check}: {table}");
        }
    }
    assert!(row(&table, "n4", "clock").1.ends_with("s from the controller's"), "{table}");
    assert_eq!(row(&table, "n2", "target").1, "etcd installed");

    // An inventory whose n2 logs in with a key n2 does not list in its authorized_keys.
    let stranger = nodes.dir.join("stranger");
    Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&stranger).status().unwrap();
    let test = dir.join("inventory.yaml");
    std::fs::write(
        &test,
        format!(
            "provisioner: ssh\nssh-key: {}\nssh-known-hosts: {}\ninventory:\n  - {{name: n1, host: 198.18.0.11}}\n  \
             - {{name: n2, host: 198.18.0.12, key: {}}}\n  - {{name: n3, host: 198.18.0.13, user: root, port: 22}}\n",
            nodes.key(),
            nodes.known_hosts(),
            stranger.display()
        ),
    )
    .unwrap();
    let (code, table) = doctor(&dir, &["-f".into(), test.to_string_lossy().into_owned()]);
    assert_eq!(code, 1, "{table}");
    let (status, fix) = row(&table, "n2", "authenticated");
    assert_eq!(status, "FAIL", "{table}");
    assert!(fix.contains("permission denied (publickey)") && fix.contains("stranger"), "{fix}");
    assert!(fix.contains("authorized_keys"), "the fix is named: {fix}");
    assert_eq!(row(&table, "n2", "root").0, "skipped", "{table}");
    assert_eq!((row(&table, "n1", "root").0, row(&table, "n3", "target").0), ("ok", "ok"), "{table}");
    assert!(table.contains("doctor: 1 check(s) failed"), "{table}");
    assert_eq!(nodes.leftovers(), Vec::<String>::new(), "doctor changed nothing");
}
