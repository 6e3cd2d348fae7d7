//! `faultline report` end to end: the binary checks an imported history with `check`'s options
//! and writes a bundle whose page carries the verdict, the counterexample and the history.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::tempdir;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn faultline(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).current_dir(cwd).output().expect("faultline runs")
}

fn page(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("index.html")).expect("index.html written")
}

#[test]
fn invalid_knossos_history_gets_a_page_with_its_counterexample() {
    let history = fixtures().join("knossos/cas-register/bad/rethink-fail-smaller.edn");
    let out = tempdir().unwrap();
    let o = faultline(
        &[
            "report",
            history.to_str().unwrap(),
            "--checker",
            "linearizable",
            "--model",
            "cas-register",
            "--init",
            "0",
            "--out",
            out.path().to_str().unwrap(),
        ],
        &std::env::temp_dir(),
    );
    assert_eq!(o.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("invalid — wrote"));
    let html = page(out.path());
    assert!(html.contains("data-verdict=\"invalid\""));
    assert!(html.contains("<svg class=\"diagram lin\""));
    assert!(html.contains("<th>model</th><td>cas-register</td>"));
    assert!(html.contains("href=\"rethink-fail-smaller.edn\""));
    assert!(out.path().join("rethink-fail-smaller.edn").exists() && out.path().join("results.json").exists());
}

#[test]
fn semantics_flags_mean_what_they_mean_for_check() {
    let history = fixtures().join("faultline/independent-stale-read.edn");
    let args = |independent: bool, out: &Path| {
        let mut a = vec![
            "report".to_string(),
            history.display().to_string(),
            "--checker=linearizable".into(),
            "--model=register".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        if independent {
            a.push("--independent".into());
        }
        a
    };
    let run = |independent: bool| {
        let out = tempdir().unwrap();
        let a = args(independent, out.path());
        let o = faultline(&a.iter().map(String::as_str).collect::<Vec<_>>(), &std::env::temp_dir());
        let check = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(["check", "--checker=linearizable", "--model=register"])
            .args(independent.then_some("--independent"))
            .arg(&history)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), check.status.code(), "report and check agree (independent: {independent})");
        (o.status.code(), page(out.path()))
    };
    let (code, html) = run(true);
    assert_eq!(code, Some(1));
    assert!(html.contains("&#34;independent&#34;:true"), "resolved semantics shown");
    let (_, html) = run(false);
    assert!(html.contains("&#34;independent&#34;:false"));
}

#[test]
fn default_out_folder_and_bad_input() {
    let cwd = tempdir().unwrap();
    let history = fixtures().join("knossos/cas-register/good/memstress3-0.edn");
    let o = faultline(
        &["report", history.to_str().unwrap(), "--checker", "linearizable", "--model", "cas-register", "--init", "0"],
        cwd.path(),
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    assert!(page(&cwd.path().join("memstress3-0-report")).contains("data-verdict=\"valid\""));
    // Missing --model: refused before reading anything, like check.
    let o = faultline(&["report", history.to_str().unwrap(), "--checker", "linearizable"], cwd.path());
    assert_eq!(o.status.code(), Some(254));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--model"));
    // A file that is not a history.
    std::fs::write(cwd.path().join("junk.txt"), "not a history").unwrap();
    let o = faultline(&["report", "junk.txt", "--checker", "linearizable", "--model", "register"], cwd.path());
    assert_eq!(o.status.code(), Some(254));
    assert!(!cwd.path().join("junk-report").exists());
}
