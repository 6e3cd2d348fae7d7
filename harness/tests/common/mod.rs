//! What the cluster tests share: a scratch folder, `faultline test` runs, the run folder and its
//! history, and what faultline left behind (namespaces, links, rules, daemons, journals).
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use checkers::history::load_path;
use checkers::{Op, OpType, Process};

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn faultline(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultline"));
    cmd.current_dir(dir).arg("test").args(["--results-dir", "results"]).args(args);
    cmd
}

pub fn test_run(dir: &Path, args: &[&str]) -> (i32, String, PathBuf) {
    let Output { status, stdout, stderr } = faultline(dir, args).output().unwrap();
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    eprintln!("{stderr}{stdout}");
    (status.code().unwrap_or(-1), stdout + &stderr, run_dir(dir))
}

/// The newest run folder under `dir/results` (not the `latest` links).
pub fn run_dir(dir: &Path) -> PathBuf {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir.join("results"))
        .unwrap()
        .flatten()
        .flat_map(|test| std::fs::read_dir(test.path()).unwrap().flatten())
        .filter(|r| r.file_type().is_ok_and(|t| t.is_dir()))
        .map(|r| r.path())
        .collect();
    runs.sort_by_key(|r| r.file_name().map(|n| n.to_os_string()));
    runs.pop().expect("a run folder")
}

pub fn schedule(dir: &Path, text: &str) -> String {
    let path = dir.join("schedule.yaml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

pub fn sh(argv: &[&str]) -> String {
    Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

pub fn alive(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    !stat.is_empty() && !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z')
}

/// Live daemons of any faultline run (their config lives under /dev/shm/faultline/) whose
/// command line contains `needle`: pid and command line.
pub fn daemons(needle: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains("/dev/shm/faultline/") && cmdline.contains(needle) && alive(&pid) {
            out.push((pid, cmdline.trim().to_string()));
        }
    }
    out
}

/// Whatever faultline made that still exists: namespaces, the bridge, our iptables rules, live
/// daemons of the run, machine-wide journals.
pub fn leftovers() -> Vec<String> {
    let mut out = Vec::new();
    out.extend(sh(&["ip", "netns", "list"]).lines().filter(|l| l.starts_with("fl-")).map(|l| format!("netns {l}")));
    for link in std::fs::read_dir("/sys/class/net").unwrap().flatten() {
        let name = link.file_name().to_string_lossy().into_owned();
        if name == "fl-br0" || name.starts_with("flv") {
            out.push(format!("link {name}"));
        }
    }
    for chain in ["DOCKER-USER", "FORWARD"] {
        out.extend(
            sh(&["iptables", "-w", "5", "-S", chain]).lines().filter(|l| l.contains("faultline:")).map(str::to_string),
        );
    }
    out.extend(daemons("").into_iter().map(|(pid, cmdline)| format!("process {pid}: {cmdline}")));
    if let Ok(active) = std::fs::read_dir("/var/lib/faultline/active") {
        out.extend(active.flatten().map(|f| format!("journal {}", f.path().display())));
    }
    out
}

pub fn history(run: &Path) -> Vec<Op> {
    load_path(&run.join("history.jsonl")).expect("the history loads and validates").ops
}

/// A JSON file of a run (`results.json`, `effects.json`, ...), read whole.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The `results.json` of a run folder.
pub fn results(run: &Path) -> serde_json::Value {
    json(&run.join("results.json"))
}

/// Fails unless `ops` hold an injected fault of each of `families` and an ok client op.
pub fn assert_faults_of(ops: &[Op], families: &[&str]) {
    let faults: Vec<&Op> =
        ops.iter().filter(|o| o.process == Process::nemesis() && o.kind == OpType::Ok && o.f != "heal").collect();
    for family in families {
        assert!(faults.iter().any(|o| o.f == *family), "no {family} fault in {faults:?}");
    }
    assert!(ops.iter().any(|o| o.is_client() && o.kind == OpType::Ok), "no ok client op");
}

pub fn secs(op: &Op) -> f64 {
    op.time as f64 / 1e9
}
pub mod sshd;
