//! `faultline check` end to end: verdict lines, explanations, JSON output and exit codes, on
//! fixture histories whose verdicts are known.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures").join(path).display().to_string()
}

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("faultline runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const CAS: [&str; 6] = ["check", "--checker", "linearizable", "--model", "cas-register", "--init"];

#[test]
fn valid_history_prints_valid_and_exits_zero() {
    let good = fixture("knossos/cas-register/good/memstress3-0.edn");
    let output = faultline(&[&CAS[..], &["0", &good]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout(&output).trim(), format!("valid {good}"));
}

#[test]
fn invalid_history_is_explained_and_exits_one() {
    let good = fixture("knossos/cas-register/good/memstress3-1.edn");
    let bad = fixture("knossos/cas-register/bad/cas-failure.edn");
    let output = faultline(&[&CAS[..], &["0", &good, &bad]].concat());
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("valid {good}"));
    assert_eq!(lines[1], format!("invalid {bad}"));
    assert!(lines.len() > 2 && lines[2].starts_with("    "), "explanation indented under the verdict: {text}");
}

#[test]
fn each_anomaly_is_placed_in_its_run() {
    // A real etcd run: serializable reads, n3 isolated from 2 s to 12 s.
    let stale = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../results/tests/fixtures/etcd-stale-read.jsonl");
    let output =
        faultline(&["check", "--checker", "linearizable", "--model", "cas-register", &stale.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("    nonlinearizable: read returned "), "{text}");
    assert!(
        lines[2].starts_with("      op ") && lines[2].contains(" served by n3, during fault 1 (partition: isolate n3"),
        "{text}"
    );
    assert!(lines[2].contains("last written by op ") && lines[2].contains(" and overwritten by op "), "{text}");
}

#[test]
fn independent_flag_splits_keys() {
    let file = fixture("faultline/independent-valid.edn");
    let split = faultline(&["check", "--checker", "linearizable", "--model", "cas-register", "--independent", &file]);
    assert_eq!(split.status.code(), Some(0), "{}", stdout(&split));
    let whole = faultline(&["check", "--checker", "linearizable", "--model", "cas-register", &file]);
    assert_eq!(whole.status.code(), Some(1), "{}", stdout(&whole));
}

#[test]
fn json_format_is_one_document() {
    let bad = fixture("knossos/cas-register/bad/cas-failure.edn");
    let output = faultline(&[&CAS[..], &["0", "--format", "json", &bad]].concat());
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(doc[0]["validity"], "invalid");
    assert_eq!(doc[0]["result"]["checker"], "linearizable");
    assert!(!doc[0]["result"]["anomalies"].as_array().unwrap().is_empty());
}

#[test]
fn tiny_time_budget_never_passes_an_invalid_history() {
    let big = fixture("knossos/cas-register/bad/rethink-fail.edn");
    let args = ["check", "--checker", "linearizable", "--model", "cas-register", "--init", "nil", "--time-budget", "0"];
    let output = faultline(&[&args[..], &[&big]].concat());
    // Either the search still finds the anomaly within its first steps, or it gives up: never valid.
    assert!(matches!(output.status.code(), Some(1) | Some(2)), "{}", stdout(&output));
    assert!(!stdout(&output).starts_with("valid "));
}

#[test]
fn bad_input_exits_254_with_one_line() {
    let dir = std::env::temp_dir().join(format!("faultline-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("h.jsonl");
    std::fs::write(&file, "{\"index\":0,\"time\":1,\"type\":\"ok\",\"process\":0,\"f\":\"read\"}\n").unwrap();
    let output = faultline(&[&CAS[..], &["0", file.to_str().unwrap()]].concat());
    assert_eq!(output.status.code(), Some(254));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("line 1: completion-without-invoke"), "{err}");

    let missing = faultline(&[&CAS[..], &["0", "/nonexistent/h.edn"]].concat());
    assert_eq!(missing.status.code(), Some(254));
    assert_eq!(faultline(&["check", "--checker", "nope", "x"]).status.code(), Some(254));
    let no_model = faultline(&["check", "--checker", "linearizable", "x"]);
    assert_eq!(no_model.status.code(), Some(254));
    assert!(String::from_utf8_lossy(&no_model.stderr).contains("--model"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn transactional_and_workload_checkers_give_fixture_verdicts() {
    let paper = fixture("elle/paper-example.edn");
    let elle = faultline(&["check", "--checker", "list-append", &paper]);
    assert_eq!(elle.status.code(), Some(1), "{}", stdout(&elle));
    assert!(stdout(&elle).contains("G-single"), "{}", stdout(&elle));
    let bank = faultline(&["check", "--checker", "bank", &fixture("jepsen-checkers/bank.edn")]);
    assert_eq!(bank.status.code(), Some(0), "{}", stdout(&bank));
    let long_fork = faultline(&["check", "--checker", "long-fork", &fixture("jepsen-checkers/long-fork.edn")]);
    assert_eq!(long_fork.status.code(), Some(1), "{}", stdout(&long_fork));
}

#[test]
fn an_option_the_checker_does_not_take_is_refused_before_reading() {
    let set = fixture("jepsen-checkers/set.edn");
    let output = faultline(&["check", "--checker", "set", "--independent", &set]);
    assert_eq!(output.status.code(), Some(254));
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.trim(), "faultline check: --checker set does not take --independent; it takes no options");
    let output = faultline(&["check", "--checker", "list-append", "--model", "register", "--init", "0", &set]);
    assert_eq!(output.status.code(), Some(254));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("does not take --model, --init; it takes --consistency-model, --time-budget"), "{err}");
    let output = faultline(&["check", "--checker", "nosuch", &set]);
    assert_eq!(output.status.code(), Some(254));
    assert!(String::from_utf8_lossy(&output.stderr).contains("linearizable"), "the known checkers are listed");
}

#[test]
fn a_history_with_no_ops_for_the_checker_is_unknown() {
    let counter = fixture("jepsen-checkers/counter.edn");
    let output = faultline(&["check", "--checker", "unique-ids", &counter]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stdout(&output).contains("no ops for this checker"), "{}", stdout(&output));
}

#[test]
fn a_memory_budget_is_refused_where_the_checker_takes_none() {
    let file = fixture("faultline/independent-valid.edn");
    let refused = faultline(&["check", "--checker", "set", "--memory-budget", "64", &file]);
    assert_eq!(refused.status.code(), Some(254));
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(said.contains("does not take --memory-budget"), "{said}");
    let taken = faultline(&[
        "check",
        "--checker",
        "linearizable",
        "--model",
        "cas-register",
        "--independent",
        "--memory-budget",
        "64",
        &file,
    ]);
    assert_eq!(taken.status.code(), Some(0), "{}", stdout(&taken));
}

/// A long search ([`SimConfig::long_search`]), written as faultline JSONL into `dir`.
fn hard_history(dir: &std::path::Path) -> PathBuf {
    use checkers::history::jsonl::HistoryWriter;
    use checkers::simulate::{simulate, SimConfig};
    let history = simulate(&SimConfig::long_search());
    let path = dir.join("hard.jsonl");
    let header = history.header.clone().expect("simulated histories have a header");
    let mut writer = HistoryWriter::new(std::fs::File::create(&path).unwrap(), &header).unwrap();
    history.ops.iter().for_each(|op| writer.write(op).unwrap());
    writer.finish().unwrap();
    path
}

#[test]
fn a_budget_that_runs_out_is_unknown_naming_the_budget_and_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = hard_history(dir.path());
    let file = file.to_str().unwrap();
    let lin = ["--checker", "linearizable", "--model", "register", "--time-budget", "0"];
    let checked = faultline(&[&["check"][..], &lin, &[file]].concat());
    assert_eq!(checked.status.code(), Some(2), "{}", stdout(&checked));
    let said = stdout(&checked);
    assert!(said.starts_with("unknown "), "{said}");
    assert!(
        said.contains("the time budget of 0.000 s ran out") && said.contains("raise it with --time-budget"),
        "{said}"
    );

    let out = dir.path().join("report");
    let reported = faultline(&[&["report"][..], &lin, &["--out", out.to_str().unwrap(), file]].concat());
    assert_eq!(reported.status.code(), Some(2), "{}", stdout(&reported));
    let record = std::fs::read_to_string(out.join("results.json")).unwrap();
    assert!(record.contains("raise it with --time-budget"), "{record}");
}

#[test]
fn a_history_over_the_byte_cap_is_one_line_naming_the_file_and_the_flag() {
    let file = fixture("knossos/cas-register/bad/rethink-fail.edn");
    let capped = ["--checker", "linearizable", "--model", "cas-register", "--max-history-bytes", "1000"];
    let out = tempfile::tempdir().unwrap();
    let out = out.path().join("report");
    let runs = [
        ("check", [&["check"][..], &capped, &[&file]].concat()),
        ("report", [&["report"][..], &capped, &["--out", out.to_str().unwrap(), &file]].concat()),
    ];
    for (command, args) in runs {
        let output = faultline(&args);
        assert_eq!(output.status.code(), Some(254), "{command}: {}", stdout(&output));
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{command}: {err}");
        assert!(
            err.contains(&file) && err.contains("cap of 1000 bytes") && err.contains("--max-history-bytes"),
            "{err}"
        );
    }
    let generous = faultline(&[&CAS[..], &["nil", "--max-history-bytes", "100000000", &file]].concat());
    assert_eq!(generous.status.code(), Some(1), "{}", stdout(&generous));
}
