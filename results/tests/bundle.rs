//! Bundles rendered from odd, hostile and imported histories: files are written, nothing
//! panics, and every value from the history or the results reaches the page escaped.

use std::path::{Path, PathBuf};

use checkers::history::{load_path, Value};
use checkers::{Anomaly, CheckResult, History, Op, OpType, Process, Validity};
use results::sample::{nemesis_op, op};
use results::{write, Link, RunMeta};
use serde_json::json;
use tempfile::tempdir;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn read(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("index.html")).unwrap()
}

const HOSTILE: &str = "<script>alert(\"x\")</script>' & \"q\" ünïcödé 🚀 \u{2028}end";

fn hostile_history() -> History {
    let mut ops: Vec<Op> = vec![
        nemesis_op(0, 1_000_000, OpType::Invoke, "<img src=x onerror=alert(1)>", json!({"nodes": [HOSTILE]})),
        op(1, 2_000_000, OpType::Invoke, 0, HOSTILE),
        op(2, 3_000_000, OpType::Ok, 0, HOSTILE),
        op(3, 4_000_000, OpType::Invoke, 1, "write"),
        op(4, 5_000_000, OpType::Info, 1, "write"),
        nemesis_op(5, 6_000_000, OpType::Invoke, "heal", Value::Null),
        op(6, 7_000_000, OpType::Invoke, 2, "read"),
    ];
    ops[1].value = json!(HOSTILE).into();
    ops[2].value = json!({HOSTILE: [HOSTILE]}).into();
    ops[3].value = json!("</script><script>alert(2)</script>").into();
    ops[4].error = Some(HOSTILE.into());
    History::from_ops(None, ops)
}

fn hostile_result() -> CheckResult {
    CheckResult {
        checker: format!("lin{HOSTILE}"),
        validity: Validity::Invalid,
        unknown_reason: None,
        anomalies: vec![
            Anomaly {
                kind: HOSTILE.into(),
                ops: vec![1, 2],
                explanation: format!("read saw {HOSTILE}"),
                detail: json!({"model": HOSTILE, "key": HOSTILE, "prefix": [1], "prefix_tail": [{"index": 1, "op": HOSTILE}],
                    "state_after_prefix": HOSTILE, "cannot_place": [{"index": 3, "op": HOSTILE}],
                    "states_before": [HOSTILE], "concurrent": [6]}),
            },
            Anomaly {
                kind: "G1c".into(),
                ops: vec![1, 3],
                explanation: "cycle".to_string(),
                detail: json!({"cycle": [
                    {"from_op": 1, "to_op": 3, "edge": HOSTILE, "key": HOSTILE, "value": HOSTILE, "why": HOSTILE},
                    {"from_op": 3, "to_op": 1, "edge": "rw", "key": "k", "value": 1, "why": "because"}]}),
            },
        ],
        stats: json!({"note": HOSTILE}),
    }
}

#[test]
fn hostile_values_appear_escaped() {
    let dir = tempdir().unwrap();
    let mut meta = RunMeta::from_history(&hostile_history(), HOSTILE);
    meta.config.push((HOSTILE.to_string(), HOSTILE.to_string()));
    meta.links.push(Link::new(HOSTILE, "javascript:alert(3)"));
    meta.notes.push(format!("note {HOSTILE}"));
    let bundle = write(dir.path(), &hostile_history(), &[hostile_result()], &meta).unwrap();
    assert_eq!(bundle.verdict, "invalid");
    let html = read(dir.path());
    assert!(html.contains("<svg class=\"diagram lin\"") && html.contains("<svg class=\"diagram cycle\""));
    // Exactly the page's own two script elements, and no markup from the history.
    assert_eq!(html.matches("<script").count(), 2, "{html}");
    assert_eq!(html.matches("</script>").count(), 2);
    for bad in ["<img", "alert(\"x\")</", "href=\"javascript:", "onerror=alert(1)>"] {
        assert!(!html.contains(bad), "unescaped {bad:?}");
    }
    // Escaped in HTML text and attributes (askama writes &#60; &#34; &#39; &#38;) ...
    assert!(html.contains("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#39; &#38;"));
    assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;"));
    assert!(html.contains("<li>note &#60;script&#62;"));
    // ... escaped in the timeline's JSON ...
    assert!(html.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(2)"));
    // ... and unicode kept as it is.
    assert!(html.contains("ünïcödé 🚀"));
    // The plots escape their own text (the fault's name).
    let svg = std::fs::read_to_string(dir.path().join("plots/latency.svg")).unwrap();
    assert!(svg.contains("&lt;img src=x") && !svg.contains("<img"));
    // effects.json carries the values untouched.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("effects.json")).unwrap()).unwrap();
    assert_eq!(json["faults"][0]["nodes"][0], HOSTILE);
}

#[test]
fn odd_histories_render_without_panics() {
    let only_invokes =
        History::from_ops(None, vec![op(0, 0, OpType::Invoke, 0, "read"), op(1, 5, OpType::Invoke, 1, "write")]);
    let only_nemesis = History::from_ops(None, vec![nemesis_op(0, 0, OpType::Info, "kill", json!(["n1"]))]);
    let named = History::from_ops(
        None,
        vec![Op { process: Process::Named("checker".into()), ..op(0, 0, OpType::Invoke, 0, "x") }],
    );
    for (name, h) in
        [("empty", History::default()), ("invokes", only_invokes), ("nemesis", only_nemesis), ("named", named)]
    {
        let dir = tempdir().unwrap();
        let b = write(dir.path(), &h, &[], &RunMeta::from_history(&h, name)).unwrap();
        assert_eq!(b.verdict, "unchecked");
        let html = read(dir.path());
        assert!(html.contains("UNCHECKED") && html.contains("id=\"timeline\""), "{name}");
        for plot in ["latency", "quantiles", "throughput", "availability"] {
            assert!(dir.path().join(format!("plots/{plot}.svg")).exists());
        }
    }
}

#[test]
fn jepsen_etcd_history_shows_its_faults() {
    let h = load_path(&fixtures().join("knossos/mutex/bad/etcd.edn")).unwrap();
    let dir = tempdir().unwrap();
    let b = write(dir.path(), &h, &[CheckResult::valid("stand-in")], &RunMeta::from_history(&h, "etcd.edn")).unwrap();
    assert_eq!(b.verdict, "valid");
    let html = read(dir.path());
    assert!(html.contains("<title>etcd.edn — valid</title>"));
    // Jepsen's classic nemesis: :info :start / :stop pairs, each a fault row.
    let rows = html.matches("</td><td><b>start</b>").count();
    assert!(rows >= 2, "{rows} fault rows");
    assert!(!html.contains("<td class=\"num\">not healed</td>"));
}

#[test]
fn nemesis_descriptions_and_nodes_reach_the_faults_table() {
    let h = load_path(&fixtures().join("knossos/cas-register/bad/cas-failure.edn")).unwrap();
    let dir = tempdir().unwrap();
    write(dir.path(), &h, &[], &RunMeta::from_history(&h, "cas-failure.edn")).unwrap();
    let html = read(dir.path());
    assert_eq!(html.matches("</td><td><b>start</b>").count(), 2);
    assert!(html.contains("Cut off [:n3 #[:n4 :n5 :n1]"));
    assert!(html.contains("stop: fully connected"));
}

#[test]
fn linearizability_counterexample_from_the_checker_is_drawn() {
    use checkers::linearizable::{check, ModelKind, Options};
    let h = load_path(&fixtures().join("knossos/cas-register/bad/rethink-fail-minimal.edn")).unwrap();
    let result = check(&h, ModelKind::CasRegister, &Options { init: Some(json!(0)), ..Options::default() });
    assert_eq!(result.validity, Validity::Invalid);
    let refuted_by_flow = result.anomalies[0].detail.get("rule").is_some();
    let dir = tempdir().unwrap();
    write(dir.path(), &h, &[result], &RunMeta::from_history(&h, "rethink-fail-minimal.edn")).unwrap();
    let html = read(dir.path());
    assert!(html.contains("<svg class=\"diagram lin\""), "no counterexample drawing");
    assert!(html.contains("<g class=\"stuck"), "the op that cannot be placed is drawn");
    // The prefix, unless value flow alone refuted the read (3 was never written: no prefix).
    assert!(refuted_by_flow || html.contains("<g class=\"linearized"), "the prefix is drawn");
    assert!(html.contains("4 client ops (no times in the file: ops in file order) · 0 faults"));
}

#[test]
fn elle_cycle_from_the_checker_is_drawn() {
    use checkers::txn::{check_list_append, TxnOptions};
    let h = load_path(&fixtures().join("elle/paper-example.edn")).unwrap();
    let result = check_list_append(&h, &TxnOptions::default());
    assert_eq!(result.validity, Validity::Invalid);
    let dir = tempdir().unwrap();
    write(dir.path(), &h, &[result], &RunMeta::from_history(&h, "paper-example.edn")).unwrap();
    let html = read(dir.path());
    assert!(html.contains("<svg class=\"diagram cycle\""), "no cycle drawing");
    assert!(html.contains("<th>inferred from</th>"));
    assert!(html.contains("text-anchor=\"middle\">T1</text>"));
}
