//! `faultline campaign` end to end: three short runs of a real 3-node etcd cluster in network
//! namespaces, once whole and once as three shards run one after another and merged. Cells:
//! random partitions and kills (valid), a scripted kill of n1 (valid), and a scripted isolation
//! of n3 with serializable reads (stale reads: invalid), one seed each. Needs root,
//! iproute2, iptables and etcd-server; ignored unless asked for (`-- --include-ignored`, as CI does as root). Real runs cannot
//! overlap: one test at a time here, and faultline's machine lock across test binaries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const CAMPAIGN: &str = "\
name: etcd-ci
test: {time-limit: 10, nodes: 3, rate: 100, nemesis-interval: 3}
matrix:
  nemesis:
    - partition,kill
    - {name: isolate-serializable, nemesis-schedule: isolate-n3.yaml, serializable: true, time-limit: 14, concurrency: 4n}
    - {name: kill-n1, nemesis-schedule: kill-n1.yaml, time-limit: 8}
seeds: [11]
";

/// Kills n1 at 1 s and restarts it at 3 s: a scripted, valid cell.
const KILL_N1: &str = "- {at: 1, do: kill n1}\n- {at: 3, do: heal}\n";

/// Isolated from 2 s to 12 s: the majority moves on while n3 serves its own stale state to
/// serializable reads. Writes to n3 time out meanwhile, so its 4 workers read only about once
/// a second between them (6 s with 2 workers once gave a single read and no stale one).
const ISOLATE_N3: &str = "- {at: 2, do: isolate n3}\n- {at: 12, do: heal}\n";

const VALID: [&str; 2] = ["kill-n1-s11-r1", "partition-kill-s11-r1"];
const INVALID: [&str; 1] = ["isolate-serializable-s11-r1"];

fn scratch(name: &str, campaign: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-it-campaign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("conf")).unwrap();
    std::fs::write(dir.join("conf/campaign.yaml"), campaign).unwrap();
    std::fs::write(dir.join("conf/isolate-n3.yaml"), ISOLATE_N3).unwrap();
    std::fs::write(dir.join("conf/kill-n1.yaml"), KILL_N1).unwrap();
    dir
}

fn faultline_campaign(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultline"));
    cmd.current_dir(dir).args(["campaign", "-f", "conf/campaign.yaml", "--results-dir", "store"]);
    cmd
}

/// `faultline campaign ARGS` in `dir`: the exit code and what it printed (stdout, stderr).
fn faultline(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let Output { status, stdout, stderr } =
        Command::new(env!("CARGO_BIN_EXE_faultline")).current_dir(dir).arg("campaign").args(args).output().unwrap();
    let (stdout, stderr) =
        (String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned());
    eprintln!("{stderr}{stdout}");
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// The campaign as three shards, each its own process into its own folder (as three machines
/// would), then merged into `store`; returns what `campaign()` returns and the shards' folders.
fn sharded_campaign(dir: &Path) -> (i32, String, PathBuf, Vec<PathBuf>) {
    let (code, plan, _) = faultline(dir, &["plan", "-f", "conf/campaign.yaml", "--shards", "3"]);
    assert_eq!(code, 0);
    let plan: Value = serde_json::from_str(&plan).unwrap();
    let planned: Vec<usize> =
        plan["shards"].as_array().unwrap().iter().map(|s| s["runs"].as_array().unwrap().len()).collect();
    assert_eq!(planned.iter().sum::<usize>(), 3, "{plan:#}");
    let mut shards = Vec::new();
    for i in 0..3 {
        let out = format!("machine{i}");
        let (code, _, err) =
            faultline(dir, &["run", "-f", "conf/campaign.yaml", "--shard", &format!("{i}/3"), "--results-dir", &out]);
        assert!(code == 0 || code == 1, "shard {i}: {err}");
        let parent = dir.join(&out).join("shards/etcd-ci");
        let shard = std::fs::read_dir(&parent).unwrap().flatten().find(|e| e.file_name() != "latest").unwrap().path();
        assert_eq!(json(&shard.join("shard.json"))["shard"].as_str(), Some(format!("{i}/3").as_str()));
        shards.push(shard);
    }
    let (code, stdout, stderr) =
        faultline(dir, &["merge", "machine0", "machine1", "machine2", "--results-dir", "store"]);
    let latest = std::fs::canonicalize(dir.join("store/campaigns/etcd-ci/latest")).unwrap();
    (code, stdout + &stderr, latest, shards)
}

/// Runs the campaign from `dir` (the schedule is found next to the campaign file, not in the
/// current folder); returns the exit code, the output and the campaign's folder.
fn campaign(dir: &Path) -> (i32, String, PathBuf) {
    let Output { status, stdout, stderr } = faultline_campaign(dir).output().unwrap();
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
        [Some(3), Some(2), Some(1), Some(0), Some(0)],
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
    let mut expected: Vec<&str> = INVALID.iter().chain(&VALID).copied().collect();
    expected.sort();
    assert_eq!(all, expected);
    assert!(std::fs::read_to_string(dir.join("campaign.yaml")).unwrap().contains("name: etcd-ci"), "the file's copy");

    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(page.find("id=\"verdict\"").unwrap() < page.find("id=\"runs\"").unwrap(), "the verdict comes first");
    assert!(page.contains("data-verdict=\"invalid\"") && page.contains("3 runs: 2 valid, 1 invalid"));
    for id in INVALID {
        assert!(page.contains(&format!("class=\"run failing\" data-run=\"{id}\" data-verdict=\"invalid\"")), "{id}");
        assert!(page.contains(&format!("<a href=\"runs/{id}/index.html\">{id}</a>")));
    }
    for id in VALID {
        assert!(page.contains(&format!("class=\"run\" data-run=\"{id}\" data-verdict=\"valid\"")), "{id}");
    }

    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite name=\"etcd-ci\" tests=\"3\" failures=\"1\" errors=\"0\""), "{junit}");
    let cases = testcases(&junit);
    assert_eq!(cases.len(), 3);
    for (name, case) in cases {
        let failed = case.contains("<failure type=\"invalid\"");
        assert_eq!(failed, INVALID.contains(&name.as_str()), "{name}: {case}");
        assert!(!case.contains("<error"), "{case}");
    }
    assert!(out.contains(&format!("page {}", dir.join("index.html").display())) || out.contains("index.html"));
    record
}

#[test]
#[ignore = "needs root: network namespaces, iptables and etcd-server"]
fn a_campaign_judges_every_run_and_the_same_campaign_in_shards_merges_into_one_that_compares_with_it() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("twice", CAMPAIGN);
    let started = Instant::now();
    let (code, out, first_dir) = campaign(&dir);
    let first = check_campaign(&first_dir, code, &out);
    assert!(first["previous"].is_null());
    assert!(std::fs::read_to_string(first_dir.join("index.html")).unwrap().contains("First campaign of this name"));
    assert_eq!(out.lines().filter(|l| l.starts_with("campaign [")).count(), 3, "one line per run: {out}");
    let first_s = started.elapsed().as_secs_f64();

    let (code, out, second_dir, shards) = sharded_campaign(&dir);
    let sharded_s = started.elapsed().as_secs_f64() - first_s;
    assert_ne!(first_dir, second_dir, "latest moved to the merged campaign");
    let second = check_campaign(&second_dir, code, &out);
    let first_stamp = first["stamp"].as_str().unwrap();
    assert_eq!(second["previous"].as_str(), Some(first_stamp));
    let comparison = &second["comparison"];
    assert_eq!(ids(&comparison["still_failing"]), INVALID);
    assert_eq!(ids(&comparison["new_failures"]), Vec::<String>::new());
    assert_eq!(ids(&comparison["fixed"]), Vec::<String>::new());
    let junit = |d: &Path| {
        testcases(&std::fs::read_to_string(d.join("junit.xml")).unwrap())
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>()
    };
    assert_eq!(junit(&first_dir), junit(&second_dir), "the same JUnit test cases, in the same order");
    let page = std::fs::read_to_string(second_dir.join("index.html")).unwrap();
    assert!(page.contains(&format!("data-previous=\"{first_stamp}\"")));
    let still = &page[page.find("id=\"still\"").expect("a still-failing list")..];
    for id in INVALID {
        assert!(still.contains(&format!("<li class=\"still\"><a href=\"#run-{id}\">{id}</a></li>")), "{id}");
    }
    assert!(out.contains(&format!("since {first_stamp}: 0 new failures, 0 fixed, 1 still failing")), "{out}");
    eprintln!("the campaign took {first_s:.0} s whole and {sharded_s:.0} s as three shards one after another");

    // A shard missing: what it planned did not run, so the merge is at best unknown.
    let (code, stdout, _) = faultline(&dir, &["merge", "machine0", "machine1", "--results-dir", "partial"]);
    let partial =
        json(&std::fs::canonicalize(dir.join("partial/campaigns/etcd-ci/latest")).unwrap().join("campaign.json"));
    let missing = json(&shards[2].join("shard.json"))["shard_runs"].clone();
    assert_eq!(ids(&partial["not_run"]), ids(&missing), "{partial:#}");
    assert_eq!(partial["planned"].as_u64(), Some(3));
    assert_ne!(partial["verdict"].as_str(), Some("valid"));
    assert_eq!(code as u64, partial["exit_code"].as_u64().unwrap(), "{stdout}");

    // A shard of another campaign file is refused.
    let other = json(&shards[1].join("shard.json"));
    let mut edited = other.clone();
    edited["file_sha256"] = Value::from("0".repeat(64));
    std::fs::write(shards[1].join("shard.json"), edited.to_string()).unwrap();
    let (code, _, err) = faultline(&dir, &["merge", "machine0", "machine1", "--results-dir", "refused"]);
    assert_eq!(code, 254, "{err}");
    assert!(err.contains("shards of different campaign files"), "{err}");
    assert!(!dir.join("refused/campaigns").exists(), "nothing is written for a refused merge");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
#[ignore = "needs root: network namespaces, iptables and etcd-server"]
fn ctrl_c_ends_the_current_run_and_the_campaign_with_its_record_and_page_for_what_ran() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let file = "name: etcd-stop\ntest: {time-limit: 30, nodes: 3, rate: 50, nemesis: partition, nemesis-interval: 3}\nseeds: [21, 22, 23]\n";
    let dir = scratch("stop", file);
    let log = std::fs::File::create(dir.join("out.log")).unwrap();
    let mut child = faultline_campaign(&dir)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("faultline campaign starts");
    let parent = dir.join("store/campaigns/etcd-stop");
    let history = || {
        let stamp = std::fs::read_dir(&parent).ok()?.flatten().find(|e| e.file_name() != "latest")?.path();
        Some(stamp.join("runs/test-s21-r1/history.jsonl")).filter(|h| h.exists())
    };
    let waited = Instant::now();
    while history().is_none() && waited.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(history().is_some(), "the first run's workload never started");
    std::thread::sleep(Duration::from_secs(4));
    let sent = Instant::now();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    let out = std::fs::read_to_string(dir.join("out.log")).unwrap();
    eprintln!("{out}");
    assert!(sent.elapsed() < Duration::from_secs(30), "the campaign took {:?} to stop", sent.elapsed());
    assert!(out.contains("interrupted; stopping after 1 of 3 runs"), "{out}");
    let campaign_dir = std::fs::canonicalize(parent.join("latest")).expect("latest points at the stopped campaign");
    let record = json(&campaign_dir.join("campaign.json"));
    assert_eq!(record["totals"]["runs"].as_u64(), Some(1), "{record:#}");
    assert_eq!(record["runs"][0]["id"].as_str(), Some("test-s21-r1"));
    assert_eq!(record["planned"].as_u64(), Some(3), "{record:#}");
    assert_ne!(record["verdict"].as_str(), Some("valid"), "a campaign cut short passes nothing: {record:#}");
    assert_eq!(status.code(), record["exit_code"].as_u64().map(|c| c as i32), "the exit code is the record's");
    assert_ne!(status.code(), Some(0), "a campaign cut short must not pass CI");
    assert!(!campaign_dir.join("runs/test-s22-r1").exists(), "no run starts after the interrupt");
    let page = std::fs::read_to_string(campaign_dir.join("index.html")).unwrap();
    assert!(page.contains("data-run=\"test-s21-r1\""));
    assert!(page.contains("2 of 3 planned runs did not run"), "the page says the campaign was cut short");
    assert!(std::fs::read_to_string(campaign_dir.join("junit.xml")).unwrap().contains("tests=\"1\""));
    assert_eq!(json(&campaign_dir.join("runs/test-s21-r1/results.json"))["interrupted"], true);
    std::fs::remove_dir_all(&dir).unwrap();
}
