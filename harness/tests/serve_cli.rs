//! `faultline serve` end to end: the real binary on a free loopback port over a store laid out
//! as `faultline test` and `faultline campaign` leave it, asked over plain HTTP/1.1.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use checkers::{Anomaly, CheckResult, Validity};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::json;

/// A running `faultline serve`, killed when dropped.
struct Server {
    child: Child,
    /// `host:port` it listens on, from its first line.
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Stops it with SIGINT (as Ctrl-C does): its exit status and everything it wrote to stderr.
    fn interrupt(mut self) -> (ExitStatus, String) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGINT).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "faultline serve did not stop within 10 s of SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (status, stderr)
    }
}

fn faultline_serve(store: &Path, bind: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_faultline"));
    command.args(["serve", "--bind", bind, "--per-page", "3", "--results-dir"]).arg(store);
    command
}

/// Starts the server and reads the address from its first line.
fn start(store: &Path, bind: &str) -> Server {
    let mut child = faultline_serve(store, bind).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).expect("faultline serve prints its address within 20 s");
    let mut server = Server { child, addr: String::new() };
    server.addr = line
        .strip_prefix("faultline serve: http://")
        .and_then(|rest| rest.split_once("/ (store "))
        .map(|(addr, _)| addr.to_string())
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
    assert!(line.trim_end().ends_with(&format!("(store {})", store.display())), "{line:?}");
    server
}

/// A response: status, headers (names lowercase), body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }
}

/// GET `target` exactly as written (no client-side normalisation of `..`).
fn get(addr: &str, target: &str) -> Response {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end in {raw:?}"));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response { status, headers, body: body.to_string() }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Five runs (one of a campaign, one crashed, one unreadable) and a campaign, plus a secret
/// beside the store that must never be served.
fn sample_store(tmp: &Path) -> std::path::PathBuf {
    let store = tmp.join("store");
    let valid = [CheckResult::valid("linearizable")];
    let mut invalid = CheckResult::valid("linearizable");
    invalid.validity = Validity::Invalid;
    invalid.anomalies.push(Anomaly {
        kind: "nonlinearizable".into(),
        ops: vec![3],
        explanation: "read of 3, but the register was then 4".into(),
        detail: json!(null),
    });
    results::sample::run_folder(&store.join("etcd-register/20261123T095753Z"), "etcd-register", 7, &valid).unwrap();
    results::sample::run_folder(&store.join("etcd-register/20261124T100000Z"), "etcd-register", 8, &[invalid]).unwrap();
    std::os::unix::fs::symlink("20261124T100000Z", store.join("etcd-register/latest")).unwrap();
    write(
        &store.join("crashy/20261121T000000Z/results.json"),
        &json!({"test": "crashy", "validity": "valid", "exit_code": 255, "harness_errors": ["n2 never ready"]})
            .to_string(),
    );
    write(&store.join("broken/20261120T000000Z/results.json"), "{\"test\": ");
    let campaign = store.join("campaigns/nightly/20261125T000000Z");
    let doc = json!({
        "format": "faultline-campaign", "name": "nightly", "stamp": "20261125T000000Z", "verdict": "invalid",
        "exit_code": 1, "totals": {"runs": 1, "valid": 0, "invalid": 1, "unknown": 0, "crashed": 0},
        "runs": [{"id": "r1", "dir": "runs/r1", "verdict": "invalid", "anomalies": ["G-single"]}]
    });
    write(&campaign.join("campaign.json"), &doc.to_string());
    write(&campaign.join("junit.xml"), "<testsuites><testsuite name=\"nightly\"/></testsuites>");
    results::sample::run_folder(&campaign.join("runs/r1"), "nightly-etcd", 9, &valid).unwrap();
    write(&tmp.join("secret.txt"), "TOP-SECRET");
    std::os::unix::fs::symlink(tmp.join("secret.txt"), store.join("etcd-register/leak.txt")).unwrap();
    std::os::unix::fs::symlink(tmp, store.join("etcd-register/up")).unwrap();
    store
}

#[test]
fn serve_lists_runs_and_campaigns_page_by_page() {
    let tmp = tempfile::tempdir().unwrap();
    let store = sample_store(tmp.path());
    let server = start(&store, "127.0.0.1:0");

    let first = get(&server.addr, "/");
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.header("content-type").starts_with("text/html"), "{:?}", first.headers);
    let html = &first.body;
    assert!(html.contains("<td>nightly</td>") && html.contains("1 run: 1 invalid"), "{html}");
    assert!(html.contains("nightly (2026-11-25 00:00:00 UTC)"), "a campaign's run names its campaign: {html}");
    assert!(html.contains("<td>etcd-register</td>") && html.contains("nonlinearizable"), "{html}");
    assert!(html.contains(r#"<span class="badge invalid">"#) && html.contains(r#"<span class="badge valid">"#));
    assert!(html.contains("Page 1 of 2 (5 in all)"), "{html}");
    assert!(!html.contains("crashy") && !html.contains("broken"), "older runs are on page 2: {html}");
    assert_eq!(html.matches("<td>etcd-register</td>").count(), 2, "the latest link does not list a run twice");

    let second = get(&server.addr, "/?page=2");
    assert_eq!(second.status, 200);
    let html = &second.body;
    assert!(html.contains("Page 2 of 2 (5 in all)"), "{html}");
    assert!(html.contains("<td>crashy</td>") && html.contains(r#"<span class="badge crashed">"#), "{html}");
    assert!(html.contains("n2 never ready"), "a crashed run shows its harness error: {html}");
    assert!(html.contains("<td>broken</td>") && html.contains(r#"<span class="badge unreadable">"#), "{html}");
    assert!(html.contains("results.json: not valid JSON"), "{html}");
    assert!(!html.contains("<td>etcd-register</td>"), "{html}");

    let (status, stderr) = server.interrupt();
    assert_eq!(status.code(), Some(0), "Ctrl-C stops it cleanly; stderr: {stderr}");
}

#[test]
fn serve_serves_the_store_files_with_their_types_and_nothing_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let store = sample_store(tmp.path());
    let server = start(&store, "127.0.0.1:0");
    let run = "/etcd-register/20261123T095753Z";
    for (path, content_type, body) in [
        (format!("{run}/index.html"), "text/html", "<html"),
        (format!("{run}/plots/latency.svg"), "image/svg+xml", "<svg"),
        (format!("{run}/history.jsonl"), "text/plain", "faultline"),
        (format!("{run}/results.json"), "application/json", "\"seed\""),
        ("/etcd-register/latest/index.html".to_string(), "text/html", "<html"),
        ("/campaigns/nightly/20261125T000000Z/junit.xml".to_string(), "xml", "<testsuites>"),
    ] {
        let response = get(&server.addr, &path);
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        assert!(response.header("content-type").contains(content_type), "{path}: {:?}", response.headers);
        assert!(response.body.contains(body), "{path}: {}", &response.body[..response.body.len().min(300)]);
        assert_eq!(response.header("x-content-type-options"), "nosniff");
    }
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/etcd-register/..%2f..%2fsecret.txt",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/etcd-register/leak.txt",
        "/etcd-register/up/secret.txt",
        "/etcd-register/%75p/secret.txt",
        "/nothing-here.html",
    ] {
        let response = get(&server.addr, path);
        assert!(matches!(response.status, 400 | 404), "{path} gave {}: {}", response.status, response.body);
        assert!(!response.body.contains("TOP-SECRET") && !response.body.contains("root:"), "{path} escaped");
    }
}

#[test]
fn serve_refuses_a_missing_store_and_a_taken_address() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-store-here");
    let out = faultline_serve(&missing, "127.0.0.1:0").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&missing.display().to_string()) && stderr.contains("--results-dir"), "{stderr}");
    assert!(out.stdout.is_empty());

    let store = tmp.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let server = start(&store, "127.0.0.1:0");
    let empty = get(&server.addr, "/");
    assert!(empty.body.contains("No runs here yet: make one with <code>faultline test"), "{}", empty.body);
    let out = faultline_serve(&store, &server.addr).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("cannot listen on {}", server.addr)) && stderr.contains("--bind"), "{stderr}");
}

#[test]
fn serve_warns_when_the_results_leave_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let loopback = start(tmp.path(), "127.0.0.1:0");
    let (_, stderr) = loopback.interrupt();
    assert!(stderr.is_empty(), "no warning on loopback: {stderr}");
    let open = start(tmp.path(), "0.0.0.0:0");
    let (status, stderr) = open.interrupt();
    assert_eq!(status.code(), Some(0));
    assert!(stderr.contains("warning: listening on 0.0.0.0") && stderr.lines().count() == 1, "{stderr}");
}

#[test]
fn serve_never_hands_out_a_file_outside_the_store_through_a_folder_index_or_a_swapped_link() {
    let tmp = tempfile::tempdir().unwrap();
    let store = sample_store(tmp.path());
    let run = store.join("etcd-register/20261123T095753Z");
    let hostile = store.join("hostile/20261101T000000Z");
    std::fs::create_dir_all(&hostile).unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), hostile.join("index.html")).unwrap();
    nix::unistd::mkfifo(&store.join("etcd-register/pipe.log"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let server = start(&store, "127.0.0.1:0");

    for path in ["/hostile/20261101T000000Z/", "/hostile/20261101T000000Z/index.html", "/etcd-register/pipe.log"] {
        let response = get(&server.addr, path);
        assert_eq!(response.status, 404, "{path}: {}", response.body);
        assert!(!response.body.contains("TOP-SECRET"), "{path} leaked");
    }
    let index = get(&server.addr, "/etcd-register/20261123T095753Z/");
    assert_eq!(index.status, 200, "a run folder's own index.html is its page");
    assert!(index.header("content-type").starts_with("text/html") && index.body.contains("<html"));
    let bare = get(&server.addr, "/etcd-register/20261123T095753Z");
    assert_eq!((bare.status, bare.header("location")), (307, "/etcd-register/20261123T095753Z/"));

    // A link swapped between a file of the store and the secret while it is being asked for:
    // what is opened is checked, so the secret never comes out.
    let swapped = run.join("swapped.txt");
    std::fs::write(run.join("inside.txt"), "inside").unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swapper = {
        let (stop, swapped, secret, inside) =
            (stop.clone(), swapped.clone(), tmp.path().join("secret.txt"), run.join("inside.txt"));
        std::thread::spawn(move || {
            let staging = swapped.with_extension("staging");
            let mut flips = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::remove_file(&staging);
                std::os::unix::fs::symlink(if flips.is_multiple_of(2) { &secret } else { &inside }, &staging).unwrap();
                std::fs::rename(&staging, &swapped).unwrap();
                flips += 1;
            }
            flips
        })
    };
    let mut served = 0;
    for _ in 0..300 {
        let response = get(&server.addr, "/etcd-register/20261123T095753Z/swapped.txt");
        assert!(!response.body.contains("TOP-SECRET"), "a swapped link leaked the secret");
        served += usize::from(response.status == 200 && response.body == "inside");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(swapper.join().unwrap() >= 10, "the link was swapped while it was asked for");
    assert!(served > 0, "the file inside was served when the link pointed at it");
}

#[test]
fn half_sent_requests_neither_pin_the_server_nor_stay_open() {
    let tmp = tempfile::tempdir().unwrap();
    let store = sample_store(tmp.path());
    let server = start(&store, "127.0.0.1:0");
    let mut half_sent: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut stream = TcpStream::connect(&server.addr).unwrap();
            write!(stream, "GET / HTTP/1.1\r\nHost: {}\r\nX-Slow: ", server.addr).unwrap();
            stream
        })
        .collect();
    let started = Instant::now();
    let listing = get(&server.addr, "/");
    assert_eq!(listing.status, 200, "served beside 300 half-sent requests");
    assert!(started.elapsed() < Duration::from_secs(5), "answered at once: {:?}", started.elapsed());
    // Each is disconnected once its headers are late (10 s); 25 s is loose.
    let deadline = Instant::now() + Duration::from_secs(25);
    for stream in &mut half_sent {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
        stream.set_read_timeout(Some(left)).unwrap();
        let mut byte = [0u8; 512];
        let read = stream.read(&mut byte);
        let still_open = matches!(&read, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
        assert!(!still_open, "a half-sent request was still open after 25 s");
    }
    let (status, stderr) = server.interrupt();
    assert_eq!(status.code(), Some(0), "{stderr}");
}
