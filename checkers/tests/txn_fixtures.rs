//! Every list-append row of `../shared/fixtures/MANIFEST.tsv` gets its listed verdict, and the
//! Elle fixtures their listed anomaly types and ruled-out models.

use std::path::PathBuf;

use checkers::anomaly_kind::{AnomalyKind, CycleClass, CycleScope};
use checkers::txn::{check_list_append, ConsistencyModel, TxnOptions};
use checkers::{CheckResult, Validity};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn check(path: &str, model: ConsistencyModel) -> CheckResult {
    let history = checkers::history::load_path(&fixtures().join(path)).unwrap_or_else(|e| panic!("{e}"));
    let options = TxnOptions { consistency_model: model, ..TxnOptions::default() };
    check_list_append(&history, &options)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// Every list-append row: checked against each model its row lists, the verdicts merged.
#[test]
fn manifest_list_append_rows_get_their_verdicts() {
    let manifest = std::fs::read_to_string(fixtures().join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut rows = 0;
    for row in manifest.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.get(1) != Some(&"list-append") {
            continue;
        }
        let expected = cols[3];
        let mut merged = Validity::Valid;
        for model in cols[2].split(',') {
            let model: ConsistencyModel = model.parse().expect("a model name");
            let result = check(cols[0], model);
            merged = merged.merge(result.validity);
        }
        assert_eq!(merged.as_str(), expected, "{}", cols[0]);
        rows += 1;
    }
    assert_eq!(rows, 4);
}

#[test]
fn paper_example_is_g_single_and_explained() {
    for path in ["elle/paper-example.edn", "elle/paper-example.json"] {
        let r = check(path, ConsistencyModel::Serializable);
        assert_eq!(r.validity, Validity::Invalid);
        let types = strings(&r.stats["anomaly_types"]);
        assert!(types.contains(&"G-single".to_string()), "{path}: {types:?}");
        let g = r
            .anomalies
            .iter()
            .find(|a| a.kind == AnomalyKind::Cycle(CycleClass::GSingle, CycleScope::Data))
            .expect("a G-single anomaly");
        assert!(g.explanation.contains("G-single cycle T1 -"), "{}", g.explanation);
        let cycle = g.detail["cycle"].as_array().expect("cycle detail");
        assert_eq!(cycle.iter().filter(|e| e["edge"] == "rw").count(), 1);
        for e in cycle {
            assert!(e["why"].as_str().is_some_and(|w| w.starts_with("list-append")), "{e}");
            assert!(e["key"].is_number() && e["from_op"].is_number() && e["to_op"].is_number());
        }
        assert!(strings(&r.stats["not"]).contains(&"snapshot-isolation".to_string()));
    }
}

#[test]
fn si_without_g_single_is_exactly_g2_item() {
    let rr = check("elle/si-without-g-single.edn", ConsistencyModel::RepeatableRead);
    assert_eq!(rr.validity, Validity::Invalid);
    assert_eq!(strings(&rr.stats["anomaly_types"]), vec!["G2-item"]);
    assert!(strings(&rr.stats["also_found"]).is_empty(), "{}", rr.stats);
    assert_eq!(strings(&rr.stats["not"]), vec!["repeatable-read"]);
    assert!(strings(&rr.stats["also_not"]).contains(&"serializable".to_string()));
    assert!(strings(&rr.stats["may_satisfy"]).contains(&"snapshot-isolation".to_string()));
    let si = check("elle/si-without-g-single.edn", ConsistencyModel::SnapshotIsolation);
    assert_eq!(si.validity, Validity::Valid, "{:?}", si.anomalies);
    assert_eq!(strings(&si.stats["also_found"]), vec!["G2-item"]);
}

#[test]
fn huge_scc_is_g2_item_realtime_and_not_strong_si() {
    let r = check("elle/huge-scc.edn", ConsistencyModel::StrictSerializable);
    assert_eq!(r.validity, Validity::Invalid);
    let types = strings(&r.stats["anomaly_types"]);
    assert!(types.contains(&"G2-item-realtime".to_string()), "{types:?} {}", r.stats);
    let out: Vec<String> = strings(&r.stats["not"]).into_iter().chain(strings(&r.stats["also_not"])).collect();
    assert!(out.contains(&"strong-snapshot-isolation".to_string()), "{out:?}");
}
