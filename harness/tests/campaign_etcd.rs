//! `faultline campaign` end to end: four short runs of a real 3-node etcd cluster in network
//! namespaces, twice. Cells: random partitions and kills (valid), and a scripted isolation of
//! n3 with serializable reads (stale reads: invalid), each with two seeds. Needs root,
//! iproute2, iptables and etcd-server; skips with a message when not root. Real runs cannot
//! overlap: one test at a time here, and faultline's machine lock across test binaries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const CAMPAIGN: &str = "\
name: etcd-ci
test: {time-limit: 10, nodes: 3, rate: 100, nemesis-interval: 3}
matrix:
  nemesis:
    - partition,kill
    - {name: isolate-serializable, nemesis-schedule: isolate-n3.yaml, serializable: true}
seeds: [11, 12]
";

/// Isolated from 2 s to 8 s: long enough for the majority to move on while n3 serves its own
/// stale state to serializable reads.
const ISOLATE_N3: &str = "- {at: 2, do: isolate n3}\n- {at: 8, do: heal}\n";

const VALID: [&str; 2] = ["partition-kill-s11-r1", "partition-kill-s12-r1"];
const INVALID: [&str; 2] = ["isolate-serializable-s11-r1", "isolate-serializable-s12-r1"];

fn root() -> bool {
    if nix::unistd::Uid::effective().is_root() {
        return true;
    }
    eprintln!("skipped: needs root (network namespaces, iptables, etcd)");
    false
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-it-campaign-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("conf")).unwrap();
    std::fs::write(dir.join("conf/campaign.yaml"), CAMPAIGN).unwrap();
    std::fs::write(dir.join("conf/isolate-n3.yaml"), ISOLATE_N3).unwrap();
    dir
}

/// Runs the campaign from `dir` (the schedule is found next to the campaign file, not in the
/// current folder); returns the exit code, the output and the campaign's folder.
fn campaign(dir: &Path) -> (i32, String, PathBuf) {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .current_dir(dir)
        .args(["campaign", "-f", "conf/campaign.yaml", "--results-dir", "store"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&stdout).into_owned() + &String::from_utf8_lossy(&stderr);
    eprintln!("{out}");
    let latest = dir.join("store/campaigns/etcd-ci/latest");
    (status.code().unwrap_or(-1), out, std::fs::canonicalize(latest).expect("campaigns/etcd-ci/latest"))
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

/// The `<testcase>` elements of a JUnit file, as (name, the element's text).
fn testcases(junit: &str) -> Vec<(String, String)> {
    junit
        .split("<testcase ")
        .skip(1)
        .map(|case| {
            let name = case.split(" name=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
            (name, case.to_string())
        })
        .collect()
}

/// What every campaign of this file must show: the verdicts, the files, the page, JUnit.
fn check_campaign(dir: &Path, code: i32, out: &str) -> Value {
    assert_eq!(code, 1, "some runs are invalid, none crashed or unknown: {out}");
    let record = json(&dir.join("campaign.json"));
    assert_eq!((record["format"].as_str(), record["version"].as_u64()), (Some("faultline-campaign"), Some(1)));
    assert_eq!((record["verdict"].as_str(), record["exit_code"].as_u64()), (Some("invalid"), Some(1)));
    let totals = &record["totals"];
    assert_eq!(
        [&totals["runs"], &totals["valid"], &totals["invalid"], &totals["unknown"], &totals["crashed"]]
            .map(|v| v.as_u64()),
        [Some(4), Some(2), Some(2), Some(0), Some(0)],
        "{record:#}"
    );
    let runs = record["runs"].as_array().unwrap();
    for run in runs {
        let id = run["id"].as_str().unwrap();
        let expected = if INVALID.contains(&id) { "invalid" } else { "valid" };
        assert_eq!(run["verdict"].as_str(), Some(expected), "{id}: {run:#}");
        assert_eq!(run["dir"].as_str().unwrap(), format!("runs/{id}"));
        assert!(dir.join(format!("runs/{id}/index.html")).exists(), "{id} has its own run page");
        assert!(dir.join(format!("runs/{id}/results.json")).exists());
        assert!(run["ops"].as_u64().unwrap() > 300, "{id}: about 100 ops/s for 10 s: {run:#}");
        assert!(run["p99_ms"].as_f64().unwrap() > 0.0);
        if expected == "invalid" {
            assert!(!run["anomalies"].as_array().unwrap().is_empty(), "{run:#}");
            assert!(run["why"].as_str().unwrap().contains("read"), "{run:#}");
        } else {
            assert!(run["why"].is_null(), "{run:#}");
            assert!(run["faults"].as_u64().unwrap() >= 1, "random faults were injected: {run:#}");
        }
    }
    let mut all: Vec<&str> = runs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    all.sort();
    assert_eq!(all, [INVALID[0], INVALID[1], VALID[0], VALID[1]]);
    assert!(std::fs::read_to_string(dir.join("campaign.yaml")).unwrap().contains("name: etcd-ci"), "the file's copy");

    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(page.find("id=\"verdict\"").unwrap() < page.find("id=\"runs\"").unwrap(), "the verdict comes first");
    assert!(page.contains("data-verdict=\"invalid\"") && page.contains("4 runs: 2 valid, 2 invalid"));
    for id in INVALID {
        assert!(page.contains(&format!("class=\"run failing\" data-run=\"{id}\" data-verdict=\"invalid\"")), "{id}");
        assert!(page.contains(&format!("<a href=\"runs/{id}/index.html\">{id}</a>")));
    }
    for id in VALID {
        assert!(page.contains(&format!("class=\"run\" data-run=\"{id}\" data-verdict=\"valid\"")), "{id}");
    }

    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"etcd-ci\" tests=\"4\" failures=\"2\" errors=\"0\""), "{junit}");
    let cases = testcases(&junit);
    assert_eq!(cases.len(), 4);
    for (name, case) in cases {
        let failed = case.contains("<failure type=\"invalid\"");
        assert_eq!(failed, INVALID.contains(&name.as_str()), "{name}: {case}");
        assert!(!case.contains("<error"), "{case}");
    }
    assert!(out.contains(&format!("page {}", dir.join("index.html").display())) || out.contains("index.html"));
    record
}

#[test]
fn a_campaign_judges_every_run_and_the_next_one_compares_with_it() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    let dir = scratch();
    let started = Instant::now();
    let (code, out, first_dir) = campaign(&dir);
    let first = check_campaign(&first_dir, code, &out);
    assert!(first["previous"].is_null());
    assert!(std::fs::read_to_string(first_dir.join("index.html")).unwrap().contains("First campaign of this name"));
    assert_eq!(out.lines().filter(|l| l.starts_with("campaign [")).count(), 4, "one line per run: {out}");
    let first_s = started.elapsed().as_secs_f64();

    let (code, out, second_dir) = campaign(&dir);
    assert_ne!(first_dir, second_dir, "latest moved to the new campaign");
    let second = check_campaign(&second_dir, code, &out);
    let first_stamp = first["stamp"].as_str().unwrap();
    assert_eq!(second["previous"].as_str(), Some(first_stamp));
    let comparison = &second["comparison"];
    assert_eq!(ids(&comparison["still_failing"]), INVALID);
    assert_eq!(ids(&comparison["new_failures"]), Vec::<String>::new());
    assert_eq!(ids(&comparison["fixed"]), Vec::<String>::new());
    let page = std::fs::read_to_string(second_dir.join("index.html")).unwrap();
    assert!(page.contains(&format!("data-previous=\"{first_stamp}\"")));
    let still = &page[page.find("id=\"still\"").expect("a still-failing list")..];
    for id in INVALID {
        assert!(still.contains(&format!("<li class=\"still\"><a href=\"#run-{id}\">{id}</a></li>")), "{id}");
    }
    assert!(out.contains(&format!("since {first_stamp}: 0 new failures, 0 fixed, 2 still failing")), "{out}");
    eprintln!("campaigns took {first_s:.0} s and {:.0} s", started.elapsed().as_secs_f64() - first_s);
    std::fs::remove_dir_all(&dir).unwrap();
}
