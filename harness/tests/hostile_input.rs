//! What a hostile or careless user can hand the real binary: numbers that would overflow or
//! panic, duplicate and unknown node names, huge campaigns, symlinks where faultline writes or
//! walks, and a stdout closed under it. Each is refused with exit 254 and one line before any
//! node is touched, or handled quietly; none panics (exit 101), hangs or writes through a link.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use checkers::CheckResult;

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("faultline runs")
}

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures").join(path).display().to_string()
}

/// Asserts `output` is a refusal: exit 254, stderr one line containing `message`, no panic.
fn refused(what: &str, output: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(254), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(stderr.contains(message), "{what}: expected {message:?} in {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{what}: one line: {stderr}");
}

#[test]
fn test_numbers_and_node_names_past_their_bounds_are_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let schedule = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let far = schedule("far.yaml", "- {at: 1e300, do: kill n1}\n");
    let stranger = schedule("stranger.yaml", "- {at: 1, do: isolate n9}\n- {at: 2, do: heal}\n");
    let test_file = schedule("test.yaml", "time-limit: 1e300\n");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--time-limit", "1e300"], "time-limit = 1e300"),
        (vec!["--time-limit=-1"], "time-limit = -1"),
        (vec!["--time-limit", "nan"], "time-limit = NaN"),
        (vec!["--nemesis-interval", "1e300"], "nemesis-interval = 1e300"),
        (vec!["--nemesis-interval", "inf"], "nemesis-interval = inf"),
        (vec!["--rate", "1e-20"], "rate = 1e-20"),
        (vec!["--concurrency", "9223372036854775807n", "--nodes", "3"], "at most 1000 client workers"),
        (vec!["--concurrency", "1000000"], "at most 1000 client workers"),
        (vec!["--nodes", "n1,n1"], "\"n1\" is listed twice"),
        (vec!["--nemesis-schedule", &far], "at = 1e300"),
        (vec!["--nodes", "3", "--nemesis-schedule", &stranger], "names node n9, which is not one of the nodes"),
        (vec!["-f", &test_file], "time-limit = 1e300"),
        (vec!["--test-count", "4000000000"], "from 1 to 10000 tests"),
    ];
    let store_flag = store.display().to_string();
    for (flags, message) in cases {
        let args = [&["test", "--results-dir", &store_flag][..], &flags].concat();
        refused(&flags.join(" "), &faultline(&args), message);
    }
    assert!(!store.exists(), "nothing was started, not even the store");
}

#[test]
fn time_budgets_and_huge_campaigns_are_refused() {
    let history = fixture("knossos/cas-register/good/memstress3-0.edn");
    for budget in ["-1", "nan", "inf", "1e300"] {
        let flag = format!("--time-budget={budget}");
        let args = ["check", "--checker", "linearizable", "--model", "cas-register", &flag, &history];
        let output = faultline(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(254), "{budget}: {stderr}");
        assert!(stderr.contains("a week") && !stderr.contains("panicked"), "{budget}: {stderr}");
    }
    let tmp = tempfile::tempdir().unwrap();
    for (text, message) in [
        ("name: c\nseed-count: 4000000000\nrepetitions: 4000000000\n", "line 2: seed-count: 4000000000"),
        ("name: c\nseed-count: 10000\nrepetitions: 4000000000\n", "more than 10000 runs"),
        ("name: c\ntest: {rate: 1e-20}\nseeds: [1]\n", "rate = 1e-20"),
        ("name: c\ntest: {nodes: 'n1,n2,n1'}\nseeds: [1]\n", "listed twice"),
    ] {
        let file = tmp.path().join("campaign.yaml");
        std::fs::write(&file, text).unwrap();
        let started = Instant::now();
        let output = faultline(&["campaign", "-f", &file.display().to_string()]);
        refused(text, &output, message);
        assert!(started.elapsed() < Duration::from_secs(30), "{text}: refused without building the product");
    }
}

#[test]
fn a_closed_stdout_ends_check_quietly_with_its_verdict() {
    let good = fixture("knossos/cas-register/good/memstress3-0.edn");
    let files = vec![good.as_str(); 50];
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([&["check", "--checker", "linearizable", "--model", "cas-register", "--init", "0"][..], &files].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // as `| head -0` would: every line meets a closed pipe
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "the verdict's exit code, no panic: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
}

/// A run folder as `faultline test` leaves it, in `dir`.
fn run_folder(dir: &Path) {
    results::sample::run_folder(dir, "etcd-register", 7, &[CheckResult::valid("linearizable")]).unwrap();
}

/// Runs faultline with a deadline: a hang fails the test instead of stalling it.
fn bounded(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("faultline {} did not end within {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A scratch folder with `secret.txt` ("precious") in it, which no write may reach.
fn with_secret() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, "precious").unwrap();
    (tmp, secret)
}

/// Asserts `output` refused to write `file` (a symlink to `secret`) and `secret` is unchanged.
fn refused_link(output: &Output, file: &str, secret: &Path) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && output.status.code() != Some(101), "{stderr}");
    let said = format!("{file}: is a symlink");
    assert!(stderr.contains(&said) && stderr.trim_end().lines().count() == 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(secret).unwrap(), "precious");
}

#[test]
fn analyze_refuses_a_symlinked_effects_json_and_walks_node_links_boundedly() {
    let (tmp, secret) = with_secret();
    let run = tmp.path().join("run");
    run_folder(&run);
    let nodes = run.join("nodes/n1");
    std::fs::create_dir_all(&nodes).unwrap();
    std::fs::write(nodes.join("etcd.log"), "log\n").unwrap();
    std::os::unix::fs::symlink(".", nodes.join("self")).unwrap();
    std::os::unix::fs::symlink("..", nodes.join("up")).unwrap();
    std::os::unix::fs::symlink("/", nodes.join("root")).unwrap();
    let output = bounded(&["analyze", &run.display().to_string()], Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let page = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(page.contains("nodes/n1/etcd.log"), "the real log is linked");
    assert!(!page.contains("nodes/n1/self") && !page.contains("nodes/n1/root"), "links are not followed");

    std::fs::remove_file(run.join("effects.json")).unwrap();
    std::os::unix::fs::symlink(&secret, run.join("effects.json")).unwrap();
    let output = bounded(&["analyze", &run.display().to_string()], Duration::from_secs(60));
    refused_link(&output, "effects.json", &secret);
}

#[test]
fn report_refuses_to_write_through_a_symlinked_results_json() {
    let (tmp, secret) = with_secret();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&secret, out.join("results.json")).unwrap();
    let history = fixture("jepsen-checkers/set.edn");
    let output = faultline(&["report", "--checker", "set", "--out", &out.display().to_string(), &history]);
    refused_link(&output, "results.json", &secret);
    assert!(
        out.join("results.json").symlink_metadata().unwrap().file_type().is_symlink(),
        "the link is left as it was"
    );
}
