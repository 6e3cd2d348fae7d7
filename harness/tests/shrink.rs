//! `faultline shrink` on a failed run: etcd with serializable reads under a scripted schedule of
//! four faults (a pause, the isolation that makes n3's reads stale, a kill, another pause) ends
//! with a schedule of at most two of those faults that still fails, written into the run's folder
//! and linked from its page. Which faults survive is the system's business: a lone pause of the
//! leader also lets a follower serve stale serializable reads, and shrink may find that instead. Needs root, iptables and etcd-server, like the other cluster tests.

mod common;

use std::process::Command;
use std::time::Instant;

use common::{leftovers, schedule, scratch, test_run};

#[test]
#[ignore = "needs root: network namespaces, iptables and etcd-server"]
fn shrinking_a_stale_read_run_ends_with_at_most_two_faults_that_still_fail() {
    let dir = scratch("shrink");
    let script = schedule(
        &dir,
        "- {at: 1, do: pause n1}\n- {at: 1.8, do: heal}\n- {at: 2, do: isolate n3}\n- {at: 10, do: heal}\n\
         - {at: 10.5, do: kill n2}\n- {at: 11.5, do: heal}\n- {at: 12, do: pause n2}\n- {at: 13, do: heal}\n",
    );
    let args = ["--nodes", "3", "--time-limit", "14", "--nemesis-schedule", &script, "--rate", "100"];
    let (code, out, run) =
        test_run(&dir, &[&args[..], &["--seed", "11", "--concurrency", "4n", "--serializable"]].concat());
    assert_eq!(code, 1, "the four-fault run should be invalid (stale reads on n3): {out}");

    let started = Instant::now();
    let shrink = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["shrink", &run.to_string_lossy(), "--attempts", "6", "--time-budget", "400"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&shrink.stderr).into_owned() + &String::from_utf8_lossy(&shrink.stdout);
    eprintln!("{said}");
    assert_eq!(shrink.status.code(), Some(0), "{said}");
    let yaml = std::fs::read_to_string(run.join("shrunk-schedule.yaml")).unwrap();
    let faults: Vec<&str> = yaml.lines().filter(|l| l.starts_with("- ") && !l.contains("do: \"heal")).collect();
    assert!((1..=2).contains(&faults.len()), "at most two faults: {yaml}");
    let original = |f: &&str| ["pause n1", "-> n3", "kill n2", "pause n2"].iter().any(|o| f.contains(o));
    assert!(faults.iter().all(original), "only faults of the original schedule remain: {yaml}");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(run.join("shrink.json")).unwrap()).unwrap();
    assert_eq!(summary["faults_before"], 4, "{summary}");
    assert!(summary["confirmed_by"].as_u64().unwrap() >= 1, "{summary}");
    let attempts = summary["attempts"].as_u64().unwrap();
    assert!((1..=6).contains(&attempts), "{summary}");
    let page = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(page.contains("href=\"shrunk-schedule.yaml\""), "the page links the shrunk schedule");
    eprintln!(
        "shrink: 4 faults -> {}, {attempts} attempts in {:.1} min, confirmed by {}",
        faults.len(),
        started.elapsed().as_secs_f64() / 60.0,
        summary["confirmed_by"]
    );
    assert_eq!(leftovers(), Vec::<String>::new());
}
