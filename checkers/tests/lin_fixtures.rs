//! Every `linearizable` row of `../shared/fixtures/MANIFEST.tsv` gets its listed verdict with
//! its listed options, and invalid verdicts come with a counterexample a person can read.

use std::path::PathBuf;
use std::time::Instant;

use checkers::history::{load_path, Semantics};
use checkers::linearizable::{check, ModelKind, Options};
use checkers::Validity;
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

struct Row {
    path: String,
    model: ModelKind,
    options: Options,
    expected: Validity,
}

/// Reads the manifest's options column: `<model> [init 0] [(rethink-* init nil)]`,
/// `multi-register {x 0, y 0}`, `cas-register --independent`.
fn rows() -> Vec<Row> {
    let manifest = std::fs::read_to_string(fixtures().join("MANIFEST.tsv")).expect("MANIFEST.tsv beside the project");
    let mut rows = Vec::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.get(1) != Some(&"linearizable") {
            continue;
        }
        let (path, spec, expected) = (cols[0], cols[2], cols[3]);
        let model: ModelKind = spec.split_whitespace().next().unwrap().parse().unwrap();
        let independent = spec.contains("--independent");
        let init = if spec.contains("{x 0, y 0}") {
            Some(json!({"x": 0, "y": 0}))
        } else if spec.contains("init 0") && !path.contains("/rethink-") {
            Some(json!(0))
        } else {
            None
        };
        let expected = match expected {
            "valid" => Validity::Valid,
            "invalid" => Validity::Invalid,
            other => panic!("{path}: unexpected verdict {other}"),
        };
        let semantics = Semantics { independent, ..Semantics::default() };
        rows.push(Row {
            path: path.to_string(),
            model,
            options: Options { semantics, init, ..Options::default() },
            expected,
        });
    }
    rows
}

#[test]
fn every_linearizable_fixture_gets_its_manifest_verdict() {
    let rows = rows();
    assert!(rows.len() >= 100, "only {} linearizable rows", rows.len());
    let started = Instant::now();
    let mut wrong = Vec::new();
    for row in &rows {
        let history = load_path(&fixtures().join(&row.path)).unwrap_or_else(|e| panic!("{e}"));
        let result = check(&history, row.model, &row.options);
        if result.validity != row.expected {
            wrong.push(format!("{}: expected {}, got {} ({:?})", row.path, row.expected, result.validity, result));
        }
        if result.validity == Validity::Invalid {
            let anomaly = &result.anomalies[0];
            assert_eq!(anomaly.kind, "nonlinearizable");
            assert!(!anomaly.ops.is_empty() && anomaly.explanation.contains(", but "), "{}: {anomaly:?}", row.path);
            // A search counterexample has the linearizable prefix; a value-flow refutation its rule.
            assert!(anomaly.detail["prefix"].is_array() || anomaly.detail["rule"].is_string(), "{anomaly:?}");
            assert!(anomaly.detail["cannot_place"].is_array());
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    eprintln!("{} fixtures checked in {:?}", rows.len(), started.elapsed());
}

fn check_file(path: &str, model: ModelKind, options: &Options) -> checkers::CheckResult {
    let history = load_path(&fixtures().join(path)).unwrap_or_else(|e| panic!("{e}"));
    check(&history, model, options)
}

#[test]
fn independent_keys_are_split_only_when_told() {
    let split = Options { semantics: Semantics { independent: true, ..Semantics::default() }, ..Options::default() };
    let whole = Options::default();
    let valid = "faultline/independent-valid.edn";
    assert_eq!(check_file(valid, ModelKind::CasRegister, &split).validity, Validity::Valid);
    assert_eq!(check_file(valid, ModelKind::CasRegister, &whole).validity, Validity::Invalid);

    let stale = check_file("faultline/independent-stale-read.edn", ModelKind::CasRegister, &split);
    assert_eq!(stale.validity, Validity::Invalid);
    assert_eq!(stale.anomalies.len(), 1, "only key 2 is wrong: {stale:?}");
    assert_eq!(stale.anomalies[0].detail["key"], json!(2));
    assert!(stale.anomalies[0].explanation.contains("on key 2"), "{}", stale.anomalies[0].explanation);
}

#[test]
fn counterexample_names_the_read_and_the_values_it_could_see() {
    let options = Options { init: Some(json!(0)), ..Options::default() };
    let result = check_file("knossos/cas-register/bad/rethink-fail-minimal.edn", ModelKind::CasRegister, &options);
    assert_eq!(result.validity, Validity::Invalid);
    let anomaly = &result.anomalies[0];
    // Value 0, then a concurrent write of 4 and a read of 3, which nothing wrote: decided by
    // value flow before any search.
    assert!(anomaly.explanation.starts_with("read returned 3 (op "), "{}", anomaly.explanation);
    assert!(
        anomaly.explanation.ends_with("no op wrote 3 and the cas-register did not start with it"),
        "{}",
        anomaly.explanation
    );
    assert_eq!(anomaly.detail["rule"], json!("never-written"));
}

#[test]
fn times_are_seconds_when_the_history_has_them() {
    let result = check_file("knossos/mutex/bad/etcd.edn", ModelKind::Mutex, &Options::default());
    assert_eq!(result.validity, Validity::Invalid);
    let explanation = &result.anomalies[0].explanation;
    assert!(explanation.contains(" s, but "), "{explanation}");
}

#[test]
fn model_names_parse_and_unknown_names_list_the_choices() {
    for name in ["register", "cas-register", "multi-register", "set", "queue", "mutex"] {
        assert_eq!(name.parse::<ModelKind>().unwrap().name(), name);
    }
    let err = "casregister".parse::<ModelKind>().unwrap_err().to_string();
    assert!(err.contains("\"casregister\"") && err.contains("cas-register, multi-register"), "{err}");
}

#[test]
fn malformed_values_give_unknown_with_the_op_not_a_panic() {
    let history = load_path(&fixtures().join("knossos/cas-register/bad/cas-failure.edn")).unwrap();
    let result = check(&history, ModelKind::Register, &Options { init: Some(json!(0)), ..Options::default() });
    assert_eq!(result.validity, Validity::Unknown);
    let reason = result.unknown_reason.unwrap();
    assert!(reason.contains("op ") && reason.contains("cas-register"), "{reason}");
    let independent =
        Options { semantics: Semantics { independent: true, ..Semantics::default() }, ..Options::default() };
    let result = check(&history, ModelKind::CasRegister, &independent);
    assert_eq!(result.validity, Validity::Unknown);
    assert!(result.unknown_reason.unwrap().contains("[key value]"));
    let _: Value = serde_json::to_value(&result.stats).unwrap();
}

#[test]
fn a_stale_read_names_the_write_it_read_and_the_write_that_overwrote_it() {
    let split = Options { semantics: Semantics { independent: true, ..Semantics::default() }, ..Options::default() };
    let stale = check_file("faultline/independent-stale-read.edn", ModelKind::CasRegister, &split);
    let anomaly = &stale.anomalies[0];
    assert_eq!(anomaly.detail["rule"], json!("overwritten"), "{anomaly:?}");
    assert!(anomaly.detail["write"].is_u64() && anomaly.detail["overwritten_by"].is_u64(), "{anomaly:?}");
    assert!(anomaly.explanation.contains("overwritten before the read began"), "{}", anomaly.explanation);
}
