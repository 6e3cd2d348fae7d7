//! `faultline test --provisioner ssh` against five machines that are reached only over SSH:
//! network namespaces each running a real Debian sshd (tests/common/sshd.rs). The etcd register
//! test under a partition, a kill and a pause ends valid; an isolated node's serializable reads
//! end invalid (the faults really land over SSH). Needs root, iproute2, iptables, openssh-server
//! and etcd-server; ignored unless asked for. Tests run one at a time (they share the machines'
//! names and addresses).

mod common;

use std::sync::Mutex;

use common::sshd::SshNodes;
use common::{assert_faults_of, daemons, history, leftovers, results, schedule, scratch, test_run};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run_over_ssh(dir: &std::path::Path, nodes: &SshNodes, args: &[&str]) -> (i32, String, std::path::PathBuf) {
    let mut all = nodes.args();
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    test_run(dir, &all)
}

fn assert_clean(nodes: &SshNodes) {
    assert_eq!(nodes.leftovers(), Vec::<String>::new(), "rules left on the machines");
    assert_eq!(daemons("etcd"), Vec::new(), "etcd left running");
    let others: Vec<String> = leftovers().into_iter().filter(|l| !l.contains("fl-ssh-")).collect();
    assert_eq!(others, Vec::<String>::new(), "left by faultline (the machines' own namespaces aside)");
}

#[test]
#[ignore = "needs root: network namespaces, sshd, iptables and etcd-server"]
fn partition_kill_and_pause_over_ssh_end_valid_and_leave_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("ssh-valid");
    let nodes = SshNodes::start(&dir, 5);
    let script = schedule(
        &dir,
        "- {at: 1, do: isolate n1}\n- {at: 4, do: heal}\n- {at: 7, do: kill n2}\n- {at: 10, do: heal}\n\
         - {at: 13, do: pause n3}\n- {at: 16, do: heal}\n",
    );
    let (code, out, run) =
        run_over_ssh(&dir, &nodes, &["--time-limit", "20", "--nemesis-schedule", &script, "--rate", "100"]);
    assert_eq!(code, 0, "expected valid: {out}");
    assert_faults_of(&history(&run), &["partition", "kill", "pause"]);
    eprintln!("etcd over SSH: {} ops/s", results(&run)["stats"]["ops_per_s"]);
    for node in 1..=5 {
        assert!(run.join(format!("nodes/n{node}/n{node}.etcd.log")).exists(), "n{node}'s log was not downloaded");
    }
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"via\":\"ssh\"") && !journal.contains("PRIVATE KEY"), "{journal}");
    assert_clean(&nodes);
}

#[test]
#[ignore = "needs root: network namespaces, sshd, iptables and etcd-server"]
fn an_isolated_node_over_ssh_serves_stale_serializable_reads() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("ssh-stale");
    let nodes = SshNodes::start(&dir, 5);
    let script = schedule(&dir, "- {at: 2, do: isolate n3}\n- {at: 12, do: heal}\n");
    let args = [
        "--time-limit",
        "15",
        "--nemesis-schedule",
        &script,
        "--rate",
        "100",
        "--seed",
        "11",
        "--concurrency",
        "4n",
        "--serializable",
    ];
    let (code, out, _) = run_over_ssh(&dir, &nodes, &args);
    assert_eq!(code, 1, "expected invalid with serializable reads: {out}");
    assert!(out.contains("served by n3, during fault 1 (partition: isolate n3"), "{out}");
    assert_clean(&nodes);
}

#[test]
#[ignore = "needs root: network namespaces, sshd, iptables and etcd-server"]
fn after_kill_9_of_an_ssh_run_faultline_heal_reaches_the_machines_and_leaves_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("ssh-kill9");
    let nodes = SshNodes::start(&dir, 5);
    let script = schedule(&dir, "- {at: 1, do: isolate n1}\n- {at: 2, do: pause n2}\n- {at: 100, do: heal}\n");
    let mut args = nodes.args();
    args.extend(["--time-limit", "60", "--nemesis-schedule", &script].map(String::from));
    let mut child = common::faultline(&dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let journal = || match dir.join("results").exists() {
        true => std::fs::read_to_string(common::run_dir(&dir).join("journal.jsonl")).unwrap_or_default(),
        false => String::new(),
    };
    while !journal().contains("\"what\":\"pause n2\"") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!nodes.leftovers().is_empty(), "kill -9 mid-partition should leave rules on the machines");
    assert!(!daemons("etcd").is_empty(), "kill -9 should leave etcd running on the machines");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline")).arg("heal").output().unwrap();
    assert!(out.status.success(), "heal failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_clean(&nodes);
}
