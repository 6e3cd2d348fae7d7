//! The files in `examples/` parse and validate with the code `faultline test -f` and
//! `faultline campaign -f` use, so they cannot rot: every test file becomes a [`Plan`], every
//! schedule a scripted schedule over the default nodes, every campaign its whole matrix of
//! runs, and the CI workflow runs a campaign file that exists and publishes its junit.xml.

use std::path::{Path, PathBuf};

use crate::run::config::{Fields, Plan, Schedule, TestArgs};

/// `examples/<folder>`'s files ending in `ext`, sorted.
fn files(folder: &str, ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .{ext} files in {}", dir.display());
    files
}

fn schedule_plan(file: Option<PathBuf>, schedule: &Path) -> Result<Plan, String> {
    let fields = Fields { nemesis_schedule: Some(schedule.to_path_buf()), ..Fields::default() };
    Plan::new(TestArgs { file, fields })
}

#[test]
fn every_example_test_file_is_a_valid_test() {
    for path in files("tests", "yaml") {
        let plan = Plan::new(TestArgs { file: Some(path.clone()), fields: Fields::default() })
            .unwrap_or_else(|e| panic!("{e}"));
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert_eq!(plan.name, stem, "{}: name the test after its file", path.display());
    }
    // The stale-reads example goes with its schedule (3 nodes).
    let stale = files("tests", "yaml").into_iter().find(|p| p.ends_with("etcd-register-stale-reads.yaml")).unwrap();
    let schedule = files("schedules", "yaml").into_iter().find(|p| p.ends_with("isolate-n3.yaml")).unwrap();
    let plan = schedule_plan(Some(stale), &schedule).unwrap_or_else(|e| panic!("{e}"));
    assert!(plan.fields.serializable && plan.nodes.len() == 3);
}

#[test]
fn the_chaos_example_binds_its_experiments_to_the_labelled_nodes() {
    let path = files("tests", "yaml").into_iter().find(|p| p.ends_with("etcd-register-chaos.yaml")).unwrap();
    let plan = Plan::new(TestArgs { file: Some(path), fields: Fields::default() }).unwrap_or_else(|e| panic!("{e}"));
    let Schedule::Chaos { plan: chaos, at } = &plan.schedule else { panic!("not a chaos schedule") };
    let steps: Vec<String> = chaos.schedule(*at, 1).steps().iter().map(|s| s.intent.to_string()).collect();
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(steps[0].starts_with("partition n") && steps[0].ends_with(" -> n4 n5"), "{steps:?}");
    assert_eq!(steps[1], format!("heal {}", steps[0]));
    for path in files("chaos", "yaml") {
        let text = std::fs::read_to_string(&path).unwrap();
        nemesis::chaos_mesh::ChaosFile::parse(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn every_example_schedule_is_a_valid_scripted_schedule() {
    for path in files("schedules", "yaml") {
        let plan = schedule_plan(None, &path).unwrap_or_else(|e| panic!("{e}"));
        let Schedule::Scripted(s) = &plan.schedule else { panic!("{}: not scripted", path.display()) };
        assert!(s.steps().len() >= 2, "{}: a fault and its heal", path.display());
    }
}

#[test]
fn every_example_campaign_expands_into_valid_runs() {
    for path in files("campaigns", "yaml") {
        let campaign = crate::campaign::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(campaign.runs.len() >= 10, "{}: {} runs", path.display(), campaign.runs.len());
    }
}

#[test]
fn the_ci_workflow_runs_an_example_campaign_and_keeps_what_it_left() {
    for path in files("github-actions", "yml") {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(doc["on"]["schedule"][0]["cron"].is_string(), "{}: runs nightly", path.display());
        let steps = doc["jobs"]["campaign"]["steps"].as_array().expect("a campaign job with steps");
        let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
        let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
        let campaign = runs
            .iter()
            .find_map(|r| r.split("campaign -f ").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .expect("a step runs faultline campaign -f FILE");
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(campaign);
        let name = crate::campaign::load(&file).unwrap_or_else(|e| panic!("{e}")).name;
        let junit = format!("store/campaigns/{name}/latest/junit.xml");
        assert!(text.contains(&junit), "{}: publishes {junit}", path.display());
        assert!(uses.iter().any(|u| u.starts_with("actions/upload-artifact")), "keeps the store");
        assert!(runs.iter().any(|r| r.contains("scripts/install-deps")), "installs what faultline needs");
    }
}
