//! Anomalies explained in their run, on a real etcd history: 3 nodes, serializable reads, n3
//! isolated by a scripted schedule from 2 s to 12 s (`faultline test --nodes 3 --serializable
//! --nemesis-schedule` with `- {at: 2, do: isolate n3}` / `- {at: 12, do: heal}`, seed 11,
//! `--concurrency 4n --rate 100 --time-limit 15`); the history is kept as it was recorded.

use std::path::PathBuf;

use checkers::history::{load_path, Semantics, SemanticsOverride};
use checkers::linearizable::{check, ModelKind, Options};
use checkers::Validity;
use results::campaign::figures::RunFigures;
use results::context::{Context, Part};
use results::faults::fault_periods;
use results::record::RunRecord;
use results::{write, RunMeta};
use tempfile::tempdir;

fn fixture() -> checkers::History {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/etcd-stale-read.jsonl");
    load_path(&path).expect("the fixture loads")
}

#[test]
fn a_stale_read_on_isolated_n3_names_the_node_the_isolation_and_the_overwritten_write() {
    let history = fixture();
    let semantics = Semantics::resolve(history.header.as_ref(), SemanticsOverride::default());
    let result = check(&history, ModelKind::CasRegister, &Options { semantics, ..Options::default() });
    assert_eq!(result.validity, Validity::Invalid);
    let periods = fault_periods(&history);
    let cx = Context::new(&history, &periods);
    let lines = cx.explain(&result.anomalies[0]);
    let texts: Vec<String> = lines.iter().map(ToString::to_string).collect();
    eprintln!("{}\n  {}", result.anomalies[0].explanation, texts.join("\n  "));
    assert_eq!(texts.len(), 3, "{texts:#?}");
    // The checker refuted the read by value flow: its detail names the write read and the overwrite.
    let detail = &result.anomalies[0].detail;
    let read = detail["cannot_place"][0]["index"].as_u64().unwrap();
    let (writer, over) = (detail["write"].as_u64().unwrap(), detail["overwritten_by"].as_u64().unwrap());
    // The first line: the node, the isolation, the write that was overwritten and by what.
    let served =
        format!("op {read} served by n3, during fault 1 (partition: isolate n3, 2.001 s to 12.070 s), returned ");
    assert!(texts[0].starts_with(&served), "{}", texts[0]);
    let named = format!("last written by op {writer} and overwritten by op {over}");
    assert!(texts[0].contains(&named) && texts[0].ends_with("before the read began"), "{}", texts[0]);
    assert!(lines[0].parts.iter().any(|p| matches!(p, Part::Fault(0, _))), "the fault is linked: {:?}", lines[0].parts);
    let acked = |line: &str, op: u64| line.starts_with(&format!("op {op} (")) && line.contains("acknowledged by n");
    assert!(acked(&texts[1], writer) && texts[1].contains(" (write "), "{}", texts[1]);
    assert!(acked(&texts[2], over), "{}", texts[2]);

    // The campaign's row (and so its JUnit failure) carries the same lines.
    let record = RunRecord::of_results("stale", vec![result.clone()]);
    let figures = RunFigures::of(&record, Some(&history), 1);
    assert!(figures.explanations[0].starts_with("nonlinearizable: read returned "), "{:?}", figures.explanations);
    assert_eq!(figures.explanations[1], format!("  {}", texts[0]));

    // The page's verdict box says the same under the first anomaly, linking the fault's row.
    let dir = tempdir().unwrap();
    let bundle = write(dir.path(), &history, &[result], &RunMeta::from_history(&history, "stale")).unwrap();
    let page = std::fs::read_to_string(bundle.index).unwrap();
    let verdict = &page[page.find("id=\"verdict\"").unwrap()..page.find("id=\"checkers\"").unwrap()];
    assert!(verdict.contains(&format!("op {read} served by n3")), "{verdict}");
    assert!(verdict.contains("<a href=\"#fault-row-0\">fault 1 (partition: isolate n3"), "{verdict}");
    assert!(verdict.contains(&named));
    assert!(page.contains("<tr id=\"fault-row-0\">"));
}
