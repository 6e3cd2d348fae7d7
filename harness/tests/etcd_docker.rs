//! `faultline test --provisioner docker`: five containers on a Docker network faultline makes
//! (198.19.0.0/24), from a node image built on this machine and cached. The etcd register test
//! under a partition, a kill and a pause ends valid; an isolated node's serializable reads end
//! invalid (the faults really land inside the containers); the second run reuses the image;
//! no container or network of a run is left; `faultline doctor` then finds the engine and the
//! image. Needs root, a Docker engine and debootstrap; ignored unless asked for. Tests run one at
//! a time (they share the containers' names).

mod common;

use std::sync::Mutex;

use common::{assert_faults_of, history, leftovers, results, schedule, scratch, sh, test_run};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Containers and networks of faultline's (named fl-dk...), and anything else faultline left.
fn assert_clean() {
    let containers = sh(&["docker", "ps", "-a", "--format", "{{.Names}}"]);
    let networks = sh(&["docker", "network", "ls", "--format", "{{.Name}}"]);
    let ours: Vec<&str> = containers.lines().chain(networks.lines()).filter(|n| n.starts_with("fl-dk")).collect();
    assert_eq!(ours, Vec::<&str>::new(), "containers or networks left");
    assert_eq!(leftovers(), Vec::<String>::new(), "left by faultline");
}

#[test]
#[ignore = "needs root and a Docker engine"]
fn etcd_in_containers_ends_valid_under_faults_and_invalid_with_stale_reads_and_reuses_the_image() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("docker");
    let script = schedule(
        &dir,
        "- {at: 1, do: isolate n1}\n- {at: 3, do: heal}\n- {at: 4, do: kill n2}\n- {at: 6, do: heal}\n\
         - {at: 7, do: pause n3}\n- {at: 9, do: heal}\n",
    );
    let args = ["--provisioner", "docker", "--time-limit", "12", "--nemesis-schedule", &script, "--rate", "100"];
    let (code, out, run) = test_run(&dir, &args);
    assert_eq!(code, 0, "expected valid: {out}");
    assert!(out.contains("faultline: node image faultline-node:") || out.contains("built node image"), "{out}");
    assert_faults_of(&history(&run), &["partition", "kill", "pause"]);
    eprintln!("etcd in containers: {} ops/s", results(&run)["stats"]["ops_per_s"]);
    assert!(run.join("nodes/n1/n1.etcd.log").exists(), "n1's log was not downloaded");
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"via\":\"docker\"") && journal.contains("container fl-dk-n5"), "{journal}");
    assert_clean();

    let script = schedule(&dir, "- {at: 2, do: isolate n3}\n- {at: 10, do: heal}\n");
    let args = [
        "--provisioner",
        "docker",
        "--time-limit",
        "12",
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
    let (code, out, _) = test_run(&dir, &args);
    assert!(out.contains("(cached)") && !out.contains("built node image"), "the second run rebuilt the image: {out}");
    assert_eq!(code, 1, "expected invalid with serializable reads: {out}");
    assert!(out.contains("served by n3, during fault 1 (partition: isolate n3"), "{out}");
    assert_clean();

    let doctor = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["doctor", "--provisioner", "docker"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(0), "{table}");
    let image = table.lines().find(|l| l.contains("node image")).unwrap_or_default();
    assert!(image.contains(" ok ") && image.contains("faultline-node:") && image.ends_with("present"), "{table}");
}
