//! The run page in a real browser: headless Chromium (Debian's `chromium`) loads a generated
//! page offline, runs its script, and the DOM it leaves has the verdict, the four plots, a drawn
//! timeline and the counterexample, with nothing on the console. Where Chromium is missing the
//! test says so and passes, except under CI (`CI` set), where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use checkers::history::load_path;
use checkers::linearizable::{check, ModelKind, Options};
use checkers::{Anomaly, CheckResult, Validity};
use results::sample::register_history;
use results::{write, RunMeta};
use serde_json::json;
use tempfile::tempdir;

/// The browser's command; these tests are ignored unless asked for, and then chromium must exist.
fn chromium() -> &'static str {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("chromium is not installed: scripts/install-deps installs it (apt-get install chromium)")
}

/// Loads `page` (with an optional `#fragment`) offline and returns (DOM after scripts ran,
/// console lines).
fn load(browser: &str, page: &Path, fragment: &str) -> (String, Vec<String>) {
    let profile = page.with_file_name("chromium-profile");
    // `timeout` keeps a hung browser from hanging the test run.
    let out = Command::new("timeout")
        .args(["120", browser])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1280,2000",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&profile);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console = stderr.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

fn drawn_boxes(dom: &str) -> u64 {
    let at = dom.find("id=\"timeline\"").expect("timeline element");
    let tag_end = at + dom[at..].find('>').unwrap();
    let tag = &dom[dom[..at].rfind('<').unwrap()..tag_end];
    let v = tag.split("data-drawn=\"").nth(1).expect("data-drawn attribute");
    v[..v.find('"').unwrap()].parse().unwrap()
}

#[test]
#[ignore = "needs chromium (scripts/install-deps installs it)"]
fn run_page_renders_in_chromium_without_console_errors() {
    let browser = chromium();
    let history = register_history(4_000, 5, 25, 11);
    let result = CheckResult {
        checker: "stand-in <b>checker</b>".to_string(),
        validity: Validity::Invalid,
        unknown_reason: None,
        anomalies: vec![Anomaly {
            kind: "G1c".into(),
            ops: vec![10, 20],
            explanation: "a made-up cycle, to draw".to_string(),
            detail: json!({"cycle": [
                {"from_op": 10, "to_op": 20, "edge": "wr", "key": "x", "value": 1, "why": "T20 read x=1, which T10 wrote"},
                {"from_op": 20, "to_op": 10, "edge": "rw", "key": "y", "value": 2, "why": "T20 read y before T10 wrote y=2"}]}),
        }],
        stats: json!(null),
    };
    let dir = tempdir().unwrap();
    let bundle = write(dir.path(), &history, &[result], &RunMeta::from_history(&history, "sample run")).unwrap();
    let (dom, console) = load(browser, &bundle.index, "#fault-1");
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(dom.contains("data-verdict=\"invalid\""), "verdict");
    assert!(dom.contains("<div class=\"word\">INVALID</div>"));
    for plot in ["latency", "quantiles", "throughput", "availability"] {
        let at = dom.find(&format!("id=\"plot-{plot}\"")).unwrap_or_else(|| panic!("plot {plot}"));
        assert!(
            dom[at..].trim_start_matches(|c| c != '>').get(1..12).is_some_and(|s| s.starts_with("<svg")),
            "{plot} svg"
        );
    }
    assert!(drawn_boxes(&dom) > 100, "the timeline drew {} boxes", drawn_boxes(&dom));
    // The link from the second fault's row shows that fault in the timeline.
    assert!(dom.contains("href=\"#fault-1\""));
    assert!(dom.contains("data-fault=\"1\""), "fault 1 shown in the timeline");
    assert!(dom.contains("<svg class=\"diagram cycle\""));
    assert!(dom.contains("stand-in &lt;b&gt;checker&lt;/b&gt;"), "escaped checker name");
}

#[test]
#[ignore = "needs chromium (scripts/install-deps installs it)"]
fn counterexample_page_of_an_imported_history_renders_in_chromium() {
    let browser = chromium();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    let history = load_path(&fixtures.join("knossos/cas-register/bad/rethink-fail-smaller.edn")).unwrap();
    let result = check(&history, ModelKind::CasRegister, &Options { init: Some(json!(0)), ..Options::default() });
    assert_eq!(result.validity, Validity::Invalid);
    let dir = tempdir().unwrap();
    let stuck = result.anomalies[0].ops[0];
    let bundle = write(dir.path(), &history, &[result], &RunMeta::from_history(&history, "rethink")).unwrap();
    let (dom, console) = load(browser, &bundle.index, &format!("#op-{stuck}"));
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(dom.contains("data-verdict=\"invalid\""));
    assert!(dom.contains("<svg class=\"diagram lin\""));
    assert!(drawn_boxes(&dom) > 3, "the timeline (zoomed to the op) drew {} boxes", drawn_boxes(&dom));
    // The link to the op that cannot be placed selects it in the timeline.
    assert!(dom.contains(&format!("href=\"#op-{stuck}\"")));
    assert!(dom.contains(&format!("data-selected=\"{stuck}\"")), "op {stuck} selected in the timeline");
}

#[test]
#[ignore = "needs chromium (scripts/install-deps installs it)"]
fn an_invalid_etcd_run_page_explains_its_anomalies_in_chromium() {
    use checkers::history::{Semantics, SemanticsOverride};
    let browser = chromium();
    // A real run: 3 etcd nodes, serializable reads, n3 isolated from 2 s to 12 s.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/etcd-stale-read.jsonl");
    let history = load_path(&path).unwrap();
    let semantics = Semantics::resolve(history.header.as_ref(), SemanticsOverride::default());
    let result = check(&history, ModelKind::CasRegister, &Options { semantics, ..Options::default() });
    assert_eq!(result.validity, Validity::Invalid);
    let read = result.anomalies[0].ops[0];
    let dir = tempdir().unwrap();
    let bundle = write(dir.path(), &history, &[result], &RunMeta::from_history(&history, "stale")).unwrap();
    let (dom, console) = load(browser, &bundle.index, &format!("#op-{read}"));
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(dom.contains("data-verdict=\"invalid\""));
    // What a person reads first: the anomaly, the node, the isolation (linked to its row) and
    // the write it should have seen.
    let verdict = &dom[dom.find("id=\"verdict\"").unwrap()..dom.find("id=\"checkers\"").unwrap()];
    assert!(
        verdict.contains("served by n3, during <a href=\"#fault-row-0\">fault 1 (partition: isolate n3"),
        "{verdict}"
    );
    assert!(
        verdict.contains("returned 4, last written by op ") && verdict.contains("and overwritten by op "),
        "{verdict}"
    );
    assert!(dom.contains("<tr id=\"fault-row-0\">"));
    assert!(dom.matches("<svg class=\"diagram lin\"").count() >= 3, "a drawing per anomaly");
    assert!(dom.contains("1171 client ops (+ 36 final reads)"), "one op count");
    assert!(drawn_boxes(&dom) > 3, "the timeline (zoomed to the read) drew {} boxes", drawn_boxes(&dom));
    assert!(dom.contains(&format!("data-selected=\"{read}\"")), "op {read} selected in the timeline");
}
