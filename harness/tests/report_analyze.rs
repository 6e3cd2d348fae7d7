//! `faultline analyze RUN_DIR` end to end on a run folder laid out as `faultline test` leaves it:
//! the page is rendered from the stored history and results, with the run's configuration, its
//! notes next to the verdict, and links to every log.

use std::path::Path;
use std::process::{Command, Output};

use checkers::history::jsonl::HistoryWriter;
use checkers::history::{Header, Semantics};
use checkers::{Anomaly, CheckResult, Validity};
use serde_json::json;
use tempfile::tempdir;

fn analyze(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).arg("analyze").arg(dir).output().expect("faultline runs")
}

/// A run folder: history with a header, results.json as the runner writes it, test.json, logs.
fn run_folder(dir: &Path, validity: Validity) {
    let history = results::sample::register_history(600, 3, 12, 9);
    let file = std::fs::File::create(dir.join("history.jsonl")).unwrap();
    let mut writer = HistoryWriter::new(file, &Header::new("etcd-register", 7, Semantics::default())).unwrap();
    history.ops.iter().for_each(|op| writer.write(op).unwrap());
    writer.finish().unwrap();
    let mut result = CheckResult::valid("linearizable");
    result.validity = validity;
    if validity == Validity::Invalid {
        result.anomalies.push(Anomaly {
            kind: "nonlinearizable".into(),
            ops: vec![10],
            explanation: "read of 3 at 1.2 s, but the register was then 4".into(),
            detail: json!(null),
        });
    }
    let results = json!({
        "test": "etcd-register", "run_id": "20261123T095753Z-42", "seed": 7, "validity": validity,
        "interrupted": false, "harness_errors": ["teardown: n3 did not stop"],
        "unanswered_final_reads": ["n3"], "results": [result],
    });
    std::fs::write(dir.join("results.json"), results.to_string()).unwrap();
    std::fs::write(dir.join("test.json"), json!({"name": "etcd-register", "nemesis": "partition,kill"}).to_string())
        .unwrap();
    std::fs::write(dir.join("harness.log"), "log\n").unwrap();
    std::fs::create_dir_all(dir.join("nodes/n1")).unwrap();
    std::fs::write(dir.join("nodes/n1/n1.etcd.log"), "etcd log\n").unwrap();
}

#[test]
fn run_folder_gets_its_page_from_what_the_run_left() {
    let dir = tempdir().unwrap();
    run_folder(dir.path(), Validity::Invalid);
    let o = analyze(dir.path());
    assert_eq!(o.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(html.contains("data-verdict=\"invalid\""));
    assert!(html.contains("read of 3 at 1.2 s, but the register was then 4"));
    assert!(html.contains("<li>Harness error: teardown: n3 did not stop</li>"));
    assert!(html.contains("<li>Final reads never answered from: n3</li>"));
    assert!(html.contains("<th>nemesis</th><td>partition,kill</td>"), "test.json's configuration");
    assert!(html.contains("<th>run_id</th><td>20261123T095753Z-42</td>"), "results.json's fields");
    assert!(html.contains("<th>seed</th><td>7</td>"));
    for link in ["history.jsonl", "results.json", "test.json", "harness.log", "nodes/n1/n1.etcd.log"] {
        assert!(html.contains(&format!("href=\"{link}\"")), "link to {link}");
    }
    // The runner's results.json is left as it was.
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap()).unwrap();
    assert_eq!(kept["run_id"], "20261123T095753Z-42");
}

#[test]
fn valid_run_exits_zero_and_missing_results_are_refused() {
    let dir = tempdir().unwrap();
    run_folder(dir.path(), Validity::Valid);
    assert_eq!(analyze(dir.path()).status.code(), Some(0));
    std::fs::write(dir.path().join("results.json"), "{\"test\": \"x\"}").unwrap();
    let o = analyze(dir.path());
    assert_eq!(o.status.code(), Some(254));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing field `validity`"));
    let empty = tempdir().unwrap();
    let o = analyze(empty.path());
    assert_eq!(o.status.code(), Some(254));
    assert!(String::from_utf8_lossy(&o.stderr).contains("history.jsonl"));
}
