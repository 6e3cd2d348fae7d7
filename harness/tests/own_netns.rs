//! End-to-end runs of `faultline test --target own` (faultline's own Raft server, uploaded to
//! each node as faultline's own executable) in network namespaces with iptables partitions,
//! kills and pauses. Correct by default: valid on every workload under faults. Each bug switch
//! on: caught by the checker it targets within at most 5 short runs. Needs root, iproute2 and
//! iptables; ignored unless asked for (`-- --include-ignored`, as CI does as root).

mod common;

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use checkers::{OpType, Process};
use common::{history, leftovers, schedule, scratch, test_run};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Every fault family in 20 s: the leader isolated, a majority killed, the leader paused,
/// the cluster split in halves; each healed before the next.
const EVERY_FAULT: &str = "\
- {at: 2, do: isolate leader}
- {at: 6, do: heal}
- {at: 8, do: kill majority}
- {at: 11, do: heal}
- {at: 13, do: pause leader}
- {at: 16, do: heal}
- {at: 17, do: partition halves}
- {at: 19, do: heal}
";

fn results(run: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(run.join("results.json")).unwrap()).unwrap()
}

/// Fails unless the own server ends valid on `workload` under every fault family, with ok and
/// indeterminate client ops, every fault healed and nothing left behind.
fn valid_under_every_fault(dir: &Path, workload: &str, time_limit: &str) {
    let script = schedule(dir, EVERY_FAULT);
    let args = ["--target", "own", "--workload", workload, "--time-limit", time_limit, "--seed", "7"];
    let (code, out, run) = test_run(dir, &[&args[..], &["--nemesis-schedule", &script, "--rate", "100"]].concat());
    assert_eq!(code, 0, "expected {workload} on own to be valid: {out}");
    let ops = history(&run);
    for fault in ["partition", "kill", "pause"] {
        let done = ops.iter().any(|o| o.process == Process::nemesis() && o.kind == OpType::Ok && o.f == fault);
        assert!(done, "no {fault} fault was injected: {out}");
    }
    assert!(ops.iter().filter(|o| o.is_client() && o.kind == OpType::Ok).count() > 100, "too few ok ops: {out}");
    let results = results(&run);
    assert_eq!((results["target"].as_str(), results["validity"].as_str()), (Some("own"), Some("valid")), "{results}");
    assert!(run.join("nodes/n1/n1.own.log").exists(), "n1's log was not collected");
    assert_eq!(leftovers(), Vec::<String>::new());
}

#[test]
#[ignore = "needs root: network namespaces and iptables"]
fn register_set_and_rw_register_end_valid_under_partitions_kills_and_pauses() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-valid");
    valid_under_every_fault(&dir, "register", "20");
    valid_under_every_fault(&dir, "set", "20");
    valid_under_every_fault(&dir, "rw-register", "20");
}

/// Runs `args` with `--bug bug` until a run is invalid with an anomaly `caught` accepts (at most
/// 5 runs); fails if none is. Prints the runs and seconds it took.
fn caught_within_5_runs(dir: &Path, bug: &str, args: &[&str], caught: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    for attempt in 1..=5 {
        let seed = attempt.to_string();
        let (code, out, run) = test_run(dir, &[&["--target", "own", "--bug", bug, "--seed", &seed], args].concat());
        assert!(matches!(code, 0..=2), "the run itself failed: {out}");
        let results = results(&run);
        let anomalies = results["results"].as_array().unwrap().iter().flat_map(|r| r["anomalies"].as_array().unwrap());
        if code == 1 && anomalies.into_iter().any(&caught) {
            eprintln!("{bug}: caught on run {attempt} after {:.1} s", started.elapsed().as_secs_f64());
            assert_eq!(leftovers(), Vec::<String>::new());
            return;
        }
    }
    panic!("{bug} was not caught in 5 runs");
}

#[test]
#[ignore = "needs root: network namespaces and iptables"]
fn stale_reads_are_caught_as_a_nonlinearizable_read() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-stale");
    // Isolated n3 answers reads from its own state while the majority moves on.
    let script = schedule(&dir, "- {at: 2, do: isolate n3}\n- {at: 10, do: heal}\n");
    let args = ["--time-limit", "12", "--nodes", "3", "--concurrency", "4n", "--rate", "100"];
    caught_within_5_runs(&dir, "stale-reads", &[&args[..], &["--nemesis-schedule", &script]].concat(), |a| {
        a["kind"] == "nonlinearizable" && a["explanation"].as_str().unwrap().contains("read")
    });
}

#[test]
#[ignore = "needs root: network namespaces and iptables"]
fn ack_before_commit_is_caught_as_lost_adds() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-ack");
    // The isolated leader acknowledges adds it can never commit; the new leader's log wins.
    let script = schedule(&dir, "- {at: 3, do: isolate leader}\n- {at: 8, do: heal}\n");
    let args = ["--workload", "set", "--time-limit", "11", "--nodes", "3", "--rate", "100"];
    caught_within_5_runs(&dir, "ack-before-commit", &[&args[..], &["--nemesis-schedule", &script]].concat(), |a| {
        a["kind"] == "lost"
    });
}

#[test]
#[ignore = "needs root: network namespaces and iptables"]
fn lazy_fsync_is_caught_as_lost_adds_after_every_node_is_killed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-fsync");
    // kill -9 of every member while adds stream in: each loses its unflushed buffer.
    let script = schedule(&dir, "- {at: 4, do: kill all}\n- {at: 6, do: heal}\n");
    let args = ["--workload", "set", "--time-limit", "9", "--nodes", "3", "--rate", "200"];
    caught_within_5_runs(&dir, "lazy-fsync", &[&args[..], &["--nemesis-schedule", &script]].concat(), |a| {
        a["kind"] == "lost"
    });
}
