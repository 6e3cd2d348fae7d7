//! Every fixture in `../shared/fixtures/MANIFEST.tsv` loads and passes validation.

use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

#[test]
fn every_manifest_fixture_loads_and_validates() {
    let manifest = std::fs::read_to_string(fixtures().join("MANIFEST.tsv")).expect("MANIFEST.tsv beside the project");
    let mut loaded = 0;
    for row in manifest.lines().skip(1) {
        let path = row.split('\t').next().unwrap();
        let history = checkers::history::load_path(&fixtures().join(path)).unwrap_or_else(|e| panic!("{e}"));
        assert!(!history.ops.is_empty(), "{path} has no ops");
        loaded += 1;
    }
    assert!(loaded > 100, "only {loaded} fixtures listed");
}
