use std::path::Path;

use checkers::{Anomaly, CheckResult, Validity};
use serde_json::json;

use super::*;
use crate::campaign::{Campaign, RunFigures, RunRow, Totals, Verdict};
use crate::sample::run_folder;

fn invalid(kinds: &[&str]) -> CheckResult {
    let mut result = CheckResult::valid("linearizable");
    result.validity = Validity::Invalid;
    result.anomalies = kinds
        .iter()
        .map(|k| Anomaly { kind: (*k).into(), ops: vec![3], explanation: "read saw 4".into(), detail: json!(null) })
        .collect();
    result
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn campaign_json(name: &str, stamp: &str) -> serde_json::Value {
    json!({
        "format": "faultline-campaign", "name": name, "stamp": stamp, "verdict": "invalid", "exit_code": 1,
        "totals": {"runs": 2, "valid": 1, "invalid": 1, "unknown": 0, "crashed": 0},
        "runs": [
            {"id": "r1", "dir": "runs/r1", "verdict": "valid", "anomalies": []},
            {"id": "r2", "dir": "runs/r2", "verdict": "invalid", "anomalies": ["G-single", "G-single", "lost"]}
        ],
        "comparison": {"new_failures": ["r2"], "fixed": [], "still_failing": ["a", "b"], "latency_regressions": []}
    })
}

/// A store with two runs of one test (and its `latest` link), a crashed run, a run with a
/// broken results.json, a run still going, and a campaign with one run of its own.
fn sample_store(root: &Path) {
    run_folder(&root.join("etcd-register/20261123T095753Z"), "etcd-register", 7, &[CheckResult::valid("linearizable")])
        .unwrap();
    let newest = root.join("etcd-register/20261124T100000Z");
    run_folder(&newest, "etcd-register", 8, &[invalid(&["nonlinearizable", "stale-read", "nonlinearizable"])]).unwrap();
    std::os::unix::fs::symlink("20261124T100000Z", root.join("etcd-register/latest")).unwrap();
    write(
        &root.join("crashy/20261121T000000Z/results.json"),
        &json!({"test": "crashy", "seed": 3, "validity": "valid", "exit_code": 255,
                "harness_errors": ["etcd on n2 never became ready"], "results": []})
        .to_string(),
    );
    write(&root.join("broken/20261122T000000Z/results.json"), "{\"test\": \"broken\", \"validity\":");
    write(&root.join("going/20261126T000000Z/history.jsonl"), "");
    let campaign = root.join("campaigns/nightly/20261125T000000Z");
    write(&campaign.join("campaign.json"), &campaign_json("nightly", "20261125T000000Z").to_string());
    write(&campaign.join("index.html"), "<html></html>");
    write(&campaign.join("junit.xml"), "<testsuites/>");
    run_folder(&campaign.join("runs/r1"), "nightly-etcd", 9, &[CheckResult::valid("linearizable")]).unwrap();
    std::os::unix::fs::symlink("20261125T000000Z", root.join("campaigns/nightly/latest")).unwrap();
}

fn run<'a>(store: &'a Store, folder: &str) -> &'a RunSummary {
    store.runs.iter().find(|r| r.folder == folder).unwrap_or_else(|| panic!("no run {folder} in {store:#?}"))
}

fn hrefs(links: &[Link]) -> Vec<&str> {
    links.iter().map(|l| l.href.as_str()).collect()
}

#[test]
fn scan_finds_every_run_and_campaign_once_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    sample_store(dir.path());
    let store = scan(dir.path()).unwrap();
    let folders: Vec<&str> = store.runs.iter().map(|r| r.folder.as_str()).collect();
    assert_eq!(
        folders,
        [
            "going/20261126T000000Z",
            "campaigns/nightly/20261125T000000Z/runs/r1",
            "etcd-register/20261124T100000Z",
            "etcd-register/20261123T095753Z",
            "broken/20261122T000000Z",
            "crashy/20261121T000000Z",
        ],
        "latest links are not followed, campaign runs are listed with the campaign's time"
    );
    assert_eq!(store.campaigns.len(), 1, "{:#?}", store.campaigns);
}

#[test]
fn runs_carry_their_verdict_anomalies_and_links() {
    let dir = tempfile::tempdir().unwrap();
    sample_store(dir.path());
    let store = scan(dir.path()).unwrap();

    let bad = run(&store, "etcd-register/20261124T100000Z");
    assert_eq!((bad.test.as_str(), bad.verdict, bad.seed), ("etcd-register", Some(Verdict::Invalid), Some(8)));
    assert_eq!(bad.anomalies, ["nonlinearizable", "stale-read"], "kinds are listed once each");
    assert_eq!((bad.target.as_deref(), bad.workload.as_deref()), (Some("etcd"), Some("register")));
    assert!(bad.ops.is_some_and(|n| n > 100), "{:?}", bad.ops);
    assert_eq!(
        hrefs(&bad.links),
        [
            "etcd-register/20261124T100000Z/index.html",
            "etcd-register/20261124T100000Z/history.jsonl",
            "etcd-register/20261124T100000Z/harness.log"
        ]
    );
    assert_eq!(run(&store, "etcd-register/20261123T095753Z").verdict, Some(Verdict::Valid));

    let crashed = run(&store, "crashy/20261121T000000Z");
    assert_eq!(crashed.verdict, Some(Verdict::Crashed), "exit code 255 is a crash whatever the validity says");
    assert_eq!(crashed.note.as_deref(), Some("etcd on n2 never became ready"));
    assert_eq!(hrefs(&crashed.links), ["crashy/20261121T000000Z/results.json"], "no page: link results.json");

    let broken = run(&store, "broken/20261122T000000Z");
    assert_eq!((broken.test.as_str(), broken.verdict), ("broken", None));
    assert!(broken.note.as_deref().is_some_and(|n| n.contains("results.json: not valid JSON")), "{broken:?}");

    let going = run(&store, "going/20261126T000000Z");
    assert_eq!(going.verdict, None);
    assert!(going.note.as_deref().is_some_and(|n| n.starts_with("no results.json yet")), "{going:?}");
}

#[test]
fn campaigns_carry_totals_comparison_and_their_runs() {
    let dir = tempfile::tempdir().unwrap();
    sample_store(dir.path());
    let store = scan(dir.path()).unwrap();
    let c = &store.campaigns[0];
    assert_eq!((c.name.as_str(), c.stamp.as_str(), c.verdict), ("nightly", "20261125T000000Z", Some(Verdict::Invalid)));
    assert_eq!(c.totals, Some(Totals { runs: 2, valid: 1, invalid: 1, unknown: 0, crashed: 0, hypothesis_failed: 0 }));
    assert_eq!(
        c.comparison,
        Some(ComparisonCounts { new_failures: 1, fixed: 0, still_failing: 2, latency_regressions: 0 })
    );
    assert_eq!(c.anomalies, ["G-single", "lost"]);
    let base = "campaigns/nightly/20261125T000000Z";
    assert_eq!(hrefs(&c.links), [format!("{base}/index.html"), format!("{base}/junit.xml")]);

    let r1 = run(&store, &format!("{base}/runs/r1"));
    assert_eq!((r1.test.as_str(), r1.stamp.as_str()), ("nightly-etcd", "20261125T000000Z"));
    let campaign = r1.campaign.as_ref().expect("a campaign's run names its campaign");
    assert_eq!(campaign.name, "nightly");
    assert_eq!(campaign.link.as_ref().map(|l| l.href.clone()), Some(format!("{base}/index.html")));
    assert!(store.runs.iter().filter(|r| r.folder != r1.folder).all(|r| r.campaign.is_none()));
}

#[test]
fn malformed_campaign_files_are_unreadable_rows() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut foreign = campaign_json("other", "20261101T000000Z");
    foreign["format"] = json!("something-else");
    write(&root.join("campaigns/other/20261101T000000Z/campaign.json"), &foreign.to_string());
    write(&root.join("campaigns/cut/20261102T000000Z/campaign.json"), "{\"name\": ");
    write(&root.join("campaigns/odd/20261103T000000Z/campaign.json"), "{\"verdict\": \"splendid\"}");
    let store = scan(root).unwrap();
    let rows: Vec<(&str, Option<Verdict>)> = store.campaigns.iter().map(|c| (c.name.as_str(), c.verdict)).collect();
    assert_eq!(rows, [("odd", None), ("cut", None), ("other", None)]);
    let notes: Vec<&str> = store.campaigns.iter().map(|c| c.note.as_deref().unwrap_or("")).collect();
    assert!(notes[0].contains("`verdict`"), "{notes:?}");
    assert!(notes[1].contains("campaign.json is not valid JSON"), "{notes:?}");
    assert!(notes[2].contains("`format` is \"something-else\""), "{notes:?}");
    assert_eq!(hrefs(&store.campaigns[1].links), ["campaigns/cut/20261102T000000Z/campaign.json"]);
}

#[test]
fn odd_names_are_linked_encoded_and_the_walk_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("a b<c>#?/20261101T000000Z/results.json"), "[]");
    let deep = root.join("1/2/3/4/5/6/7/20261101T000000Z/results.json");
    write(&deep, "{}");
    write(&root.join(".hidden/20261101T000000Z/results.json"), "{}");
    let store = scan(root).unwrap();
    assert_eq!(store.runs.len(), 1, "too deep and hidden folders are not runs: {:#?}", store.runs);
    let odd = &store.runs[0];
    assert_eq!(odd.test, "a b<c>#?");
    assert_eq!(odd.note.as_deref(), Some("results.json: not a JSON object"));
    assert_eq!(hrefs(&odd.links), ["a%20b%3Cc%3E%23%3F/20261101T000000Z/results.json"]);
}

#[test]
fn a_missing_store_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let err = scan(&missing).unwrap_err().to_string();
    assert!(err.contains(&missing.display().to_string()) && err.contains("--results-dir"), "{err}");
}

#[test]
fn stamps_read_as_times() {
    assert_eq!(readable_time("20261123T095753Z"), "2026-11-23 09:57:53 UTC");
    assert_eq!(readable_time("20261123T095753Z-2"), "2026-11-23 09:57:53 UTC · 2");
    assert_eq!(readable_time("yesterday"), "yesterday");
    assert_eq!(readable_time("2026112xT095753Z"), "2026112xT095753Z");
}

#[test]
fn a_record_written_by_faultline_campaign_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("campaigns/etcd-nightly/20261201T000000Z");
    std::fs::create_dir_all(&folder).unwrap();
    let row = RunRow {
        id: "register-isolate-s1-r1".into(),
        cell: "register-isolate".into(),
        seed: 1,
        repetition: 1,
        dir: "runs/register-isolate-s1-r1".into(),
        figures: RunFigures {
            verdict: Verdict::Crashed,
            anomalies: vec!["nonlinearizable".into()],
            ops: 10,
            ops_per_s: 1.0,
            p50_ms: None,
            p99_ms: None,
            faults: 0,
            why: Some("n2 never ready".into()),
            explanations: Vec::new(),
        },
        duration_s: 1.0,
    };
    let record = Campaign::new("etcd-nightly", "20261201T000000Z", 12.0, vec![row], None);
    record.write(&folder.join(crate::campaign::RECORD)).unwrap();
    let store = scan(dir.path()).unwrap();
    let c = &store.campaigns[0];
    assert_eq!((c.name.as_str(), c.verdict, c.note.as_deref()), ("etcd-nightly", Some(Verdict::Crashed), None));
    assert_eq!(c.totals, Some(Totals { runs: 1, valid: 0, invalid: 0, unknown: 0, crashed: 1, hypothesis_failed: 0 }));
    assert_eq!(c.comparison, None, "the first campaign of its name compares with nothing");
    assert_eq!(c.anomalies, ["nonlinearizable"]);
}

#[test]
fn a_cached_scan_lists_what_a_fresh_one_does_and_sees_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    sample_store(root);
    let cache = ScanCache::default();
    let fresh = scan(root).unwrap();
    let first = scan_cached(root, &cache).unwrap();
    let again = scan_cached(root, &cache).unwrap();
    assert_eq!((first.runs.clone(), first.campaigns.clone()), (fresh.runs.clone(), fresh.campaigns.clone()));
    assert_eq!((again.runs, again.campaigns), (fresh.runs, fresh.campaigns));

    // Rewritten in place (no rename, so the folder's time stays): its own time tells.
    let crashy = root.join("crashy/20261121T000000Z/results.json");
    std::fs::write(&crashy, json!({"test": "crashy", "validity": "invalid", "results": []}).to_string()).unwrap();
    // Replaced through a rename, as faultline writes: the folder's time tells.
    let broken = root.join("broken/20261122T000000Z");
    crate::fsx::write_atomic(
        &broken,
        "results.json",
        json!({"test": "broken", "validity": "valid"}).to_string().as_bytes(),
    )
    .unwrap();
    std::fs::remove_dir_all(root.join("going")).unwrap();
    let changed = scan_cached(root, &cache).unwrap();
    assert_eq!(changed.runs, scan(root).unwrap().runs);
    assert_eq!(run(&changed, "crashy/20261121T000000Z").verdict, Some(Verdict::Invalid));
    assert_eq!(run(&changed, "broken/20261122T000000Z").verdict, Some(Verdict::Valid));
    assert!(changed.runs.iter().all(|r| !r.folder.starts_with("going")), "a deleted run is gone");
    assert_eq!(cache.runs.lock().unwrap().len(), changed.runs.len(), "the cache keeps only runs that exist");
}
