//! End-to-end runs of `faultline test --target own` (faultline's own Raft server, uploaded to
//! each node as faultline's own executable) in network namespaces with iptables partitions,
//! kills and pauses. Correct by default: valid on every workload under faults. Each bug switch
//! on: caught by the checker it targets within at most 5 short runs. Needs root, iproute2 and
//! iptables; ignored unless asked for (`-- --include-ignored`, as CI does as root).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use checkers::{OpType, Process};
use common::{history, leftovers, results, run_dir, schedule, scratch, test_run};
use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Every fault family with clock bumps among them: the leader 30 s ahead and then isolated, a
/// majority killed, a minority 20 s behind, the leader paused, the cluster split in halves.
const EVERY_FAULT_AND_CLOCKS: &str = "\
- {at: 1, do: clock bump leader +30}
- {at: 2, do: isolate leader}
- {at: 6, do: heal}
- {at: 8, do: kill majority}
- {at: 11, do: heal}
- {at: 12, do: clock bump minority -20}
- {at: 13, do: pause leader}
- {at: 16, do: heal}
- {at: 17, do: partition halves}
- {at: 19, do: heal}
";

/// Fails unless the own server ends valid on `workload` under every fault family (clock bumps
/// among them), with every fault healed and nothing left behind; returns the run's folder.
fn valid_under_every_fault(dir: &Path, workload: &str) -> PathBuf {
    let families = ["partition", "kill", "pause", "clock"];
    valid_under(dir, EVERY_FAULT_AND_CLOCKS, &families, &["--workload", workload, "--time-limit", "21"])
}

/// Fails unless the own server, run with `args` under the scripted `faults`, ends valid with
/// over 50 ok client ops (a lock run's workers mostly wait for the lock: about 5 ok ops a grant), each fault family in `families` injected, and nothing left behind;
/// returns the run's folder.
fn valid_under(dir: &Path, faults: &str, families: &[&str], args: &[&str]) -> PathBuf {
    let script = schedule(dir, faults);
    let fixed = ["--target", "own", "--seed", "7", "--rate", "100", "--nemesis-schedule", &script];
    let (code, out, run) = test_run(dir, &[&fixed[..], args].concat());
    assert_eq!(code, 0, "expected own to be valid with {args:?}: {out}");
    let ops = history(&run);
    for fault in families {
        let done = ops.iter().any(|o| o.process == Process::nemesis() && o.kind == OpType::Ok && o.f == *fault);
        assert!(done, "no {fault} fault was injected: {out}");
    }
    assert!(ops.iter().filter(|o| o.is_client() && o.kind == OpType::Ok).count() > 50, "too few ok ops: {out}");
    let results = results(&run);
    assert_eq!((results["target"].as_str(), results["validity"].as_str()), (Some("own"), Some("valid")), "{results}");
    assert!(run.join("nodes/n1/n1.own.log").exists(), "n1's log was not collected");
    assert_eq!(leftovers(), Vec::<String>::new());
    run
}

#[test]
#[ignore = "needs root: network namespaces and iptables"]
fn register_set_and_rw_register_end_valid_under_partitions_kills_pauses_and_clock_bumps() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-valid");
    for workload in ["register", "set", "rw-register"] {
        valid_under_every_fault(&dir, workload);
    }
}

#[test]
#[ignore = "needs root: network namespaces, iptables and libfaketime"]
fn list_append_ends_valid_under_partitions_kills_pauses_and_clock_bumps() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-append");
    valid_under_every_fault(&dir, "list-append");
}

/// Every fault family for the lock, on named nodes: a lock whose holder vanished is free only
/// a whole lease after each new leader's first request, so faults aimed at the leader (each an
/// election) would leave it held most of the run.
const LOCK_FAULTS: &str = "\
- {at: 1, do: clock bump n1 +30}
- {at: 2, do: partition halves}
- {at: 5, do: heal}
- {at: 7, do: kill n2}
- {at: 9, do: heal}
- {at: 11, do: pause n3}
- {at: 14, do: heal}
- {at: 15, do: clock bump n4 -20}
- {at: 17, do: heal}
";

#[test]
#[ignore = "needs root: network namespaces, iptables and libfaketime"]
fn bank_and_lock_end_valid_under_partitions_kills_pauses_and_clock_bumps() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-bank-lock");
    valid_under_every_fault(&dir, "bank");
    let families = ["partition", "kill", "pause", "clock"];
    let run = valid_under(&dir, LOCK_FAULTS, &families, &["--workload", "lock", "--time-limit", "21"]);
    let ops = history(&run);
    let mut tokens: Vec<i64> = ops
        .iter()
        .filter(|o| o.is_client() && o.kind == OpType::Ok && o.f == "acquire")
        .map(|o| o.value.as_object().and_then(|m| m.get("token")?.as_i64()).expect("an ok acquire has a token"))
        .collect();
    let granted = tokens.len();
    tokens.sort_unstable();
    tokens.dedup();
    eprintln!("lock: {granted} grants");
    assert!(granted > 20 && tokens.len() == granted, "{granted} grants, {} distinct tokens", tokens.len());
}

/// Fails unless `args` under the scripted `faults` end valid with no switch on (as
/// [`valid_under`] checks) and are caught with `--bug bug` on (as [`caught_within_5_runs`]
/// checks); returns the catching run.
fn valid_off_caught_on(
    dir: &Path,
    faults: &str,
    families: &[&str],
    args: &[&str],
    bug: &str,
    caught: impl Fn(&Value) -> bool,
) -> PathBuf {
    let valid = valid_under(dir, faults, families, args);
    assert_eq!(results(&valid).get("bugs"), None, "no switch was on");
    let script = schedule(dir, faults);
    let args = [args, &["--rate", "100", "--nemesis-schedule", &script]].concat();
    caught_within_5_runs(dir, bug, &args, caught)
}

/// Runs `args` with `--bug bug` until a run is invalid with an anomaly `caught` accepts (at most
/// 5 runs); fails if none is. Prints the runs and seconds it took; returns the catching run.
fn caught_within_5_runs(dir: &Path, bug: &str, args: &[&str], caught: impl Fn(&Value) -> bool) -> PathBuf {
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
            return run;
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

/// n1 and n2 paused three times for 5 s, past the lock's 2 s lease: with three workers on
/// n1-n3, the holder is on a paused node with odds 2/3 each time, and its write comes after
/// the next holder's.
const PAUSES_PAST_THE_LEASE: &str = "\
- {at: 1.5, do: pause n1}
- {at: 1.5, do: pause n2}
- {at: 6.5, do: heal}
- {at: 8, do: pause n1}
- {at: 8, do: pause n2}
- {at: 13, do: heal}
- {at: 14.5, do: pause n1}
- {at: 14.5, do: pause n2}
- {at: 19.5, do: heal}
";

#[test]
#[ignore = "needs root: network namespaces and iptables"]
fn unfenced_locks_are_caught_as_a_guarded_write_out_of_token_order() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-unfenced");
    let args = ["--workload", "lock", "--concurrency", "3", "--time-limit", "21"];
    let run = valid_off_caught_on(&dir, PAUSES_PAST_THE_LEASE, &["pause"], &args, "unfenced-locks", |a| {
        a["kind"] == "out-of-token-order"
    });
    assert_eq!(results(&run)["bugs"], serde_json::json!(["unfenced-locks"]));
    let page = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(page.contains("bug switches on (unfenced-locks)"), "the page does not say the switch was on");
}

/// The leader's clock set 30 s back while it holds its lease (so by its wall clock the lease
/// holds 30 s longer), then the leader isolated while the majority elects a leader and writes.
const LEASE_OUTLIVES_LEADERSHIP: &str = "\
- {at: 2, do: clock bump leader -30}
- {at: 3, do: isolate leader}
- {at: 10, do: heal}
";

#[test]
#[ignore = "needs root: network namespaces, iptables and libfaketime"]
fn clock_lease_reads_are_caught_as_a_stale_read_where_the_read_index_stays_valid() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-lease");
    let args = ["--time-limit", "12", "--nodes", "3", "--concurrency", "4n"];
    let families = ["clock", "partition"];
    valid_off_caught_on(&dir, LEASE_OUTLIVES_LEADERSHIP, &families, &args, "clock-lease-reads", |a| {
        a["kind"] == "nonlinearizable" && a["explanation"].as_str().unwrap().contains("read")
    });
}

/// Clock faults among the others: n1 60 s ahead (then killed and restarted, still ahead), n2
/// strobing, the leader 30 s behind, a minority 2 minutes ahead; all true again from 16 s.
const CLOCK_FAULTS: &str = "\
- {at: 2, do: clock bump n1 +60}
- {at: 3, do: clock strobe n2 +20}
- {at: 5, do: clock bump leader -30}
- {at: 7, do: kill n1}
- {at: 10, do: heal}
- {at: 11, do: clock bump minority +120}
- {at: 12, do: isolate n4}
- {at: 16, do: heal}
";

/// The own server's wall clock at `addr` (its `/status`) minus the controller's, in seconds.
fn clock_skew(addr: &str) -> Option<f64> {
    use std::io::{Read, Write};
    let mut conn =
        std::net::TcpStream::connect_timeout(&addr.parse().ok()?, std::time::Duration::from_millis(300)).ok()?;
    conn.set_read_timeout(Some(std::time::Duration::from_millis(500))).ok()?;
    conn.write_all(b"GET /status HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    conn.read_to_string(&mut response).ok()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as f64;
    let status: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1)?).ok()?;
    Some((status["wall_ms"].as_f64()? - now) / 1000.0)
}

#[test]
#[ignore = "needs root: network namespaces, iptables and libfaketime"]
fn clock_bumps_and_strobes_reach_the_server_and_it_stays_linearizable() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("own-clock");
    let script = schedule(&dir, CLOCK_FAULTS);
    let args = ["--target", "own", "--time-limit", "19", "--seed", "5", "--rate", "100", "--nemesis-schedule", &script];
    let mut child = common::faultline(&dir, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (mut n1, mut n2) = (Vec::new(), Vec::new());
    while child.try_wait().unwrap().is_none() {
        n1.extend(clock_skew("198.18.0.11:7401"));
        n2.extend(clock_skew("198.18.0.12:7401"));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    eprintln!("{out}\nn1 skews: {n1:.1?}\nn2 skews: {n2:.1?}");
    assert_eq!(output.status.code(), Some(0), "expected valid: {out}");
    let near = |skews: &[f64], want: f64| skews.iter().position(|s| (s - want).abs() < 3.0);
    let ahead = near(&n1, 60.0).expect("n1's clock was never 60 s ahead");
    assert!(near(&n1[ahead..], 0.0).is_some(), "n1's clock did not come back after the heal: {n1:.1?}");
    assert!(near(&n2, 20.0).is_some() && near(&n2, 0.0).is_some(), "n2's clock did not strobe: {n2:.1?}");
    let ops = history(&run_dir(&dir));
    let clock_faults = ops.iter().filter(|o| o.process == Process::nemesis() && o.kind == OpType::Ok && o.f == "clock");
    assert_eq!(clock_faults.count(), 4, "every clock fault was injected");
    assert_eq!(leftovers(), Vec::<String>::new());
}
