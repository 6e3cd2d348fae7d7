//! `faultline test` refuses what its target cannot run in validation, before any node is
//! touched: exit 254, one message naming what is supported. No root needed (validation comes
//! before the root check); as root the results folder shows that nothing started.

use std::process::{Command, Output};

fn refused(args: &[&str]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let output: Output = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .current_dir(dir.path())
        .args(["test", "--time-limit", "1", "--results-dir", "store"])
        .args(args)
        .output()
        .expect("faultline runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(254), "{args:?}: {stderr}");
    assert!(!dir.path().join("store").exists(), "{args:?} started a run: {stderr}");
    (stderr, dir)
}

#[test]
fn an_unknown_target_is_refused_naming_the_known_ones() {
    let (stderr, _dir) = refused(&["--target", "nosuch"]);
    assert!(stderr.contains("unknown target \"nosuch\"") && stderr.contains("etcd"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn a_workload_the_target_does_not_run_is_refused_naming_the_supported_ones() {
    let (stderr, _dir) = refused(&["--target", "etcd", "--workload", "NOT-SUPPORTED"]);
    assert!(stderr.contains("NOT-SUPPORTED"), "{stderr}");
    for workload in ["register", "set", "rw-register"] {
        assert!(stderr.contains(workload), "{workload} not named: {stderr}");
    }
}

#[test]
fn a_test_file_naming_an_unknown_target_is_refused_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.yaml");
    std::fs::write(&file, "target: cockroach\nworkload: set\n").unwrap();
    let (stderr, _dir) = refused(&["-f", &file.to_string_lossy()]);
    assert!(stderr.contains("t.yaml: target:") && stderr.contains("cockroach") && stderr.contains("etcd"), "{stderr}");
}

/// Clock faults cannot move etcd's clock (a Go program reads it without libc, so libfaketime
/// has no effect): asked for, randomly or in a script, they are refused with that reason.
#[test]
fn clock_faults_on_etcd_are_refused_with_the_reason() {
    let (stderr, _dir) = refused(&["--target", "etcd", "--nemesis", "clock"]);
    assert!(stderr.contains("clock") && stderr.contains("Go") && stderr.contains("libfaketime"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("clock.yaml");
    std::fs::write(&script, "- {at: 1, do: clock bump n1 +30}\n").unwrap();
    let (stderr, _dir) = refused(&["--target", "etcd", "--nemesis-schedule", &script.to_string_lossy()]);
    assert!(stderr.contains("clock.yaml") && stderr.contains("libfaketime"), "{stderr}");
}
