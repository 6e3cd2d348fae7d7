//! The listing benchmark: a store of RUNS run folders (copies of one sample run: its
//! `results.json`, `history.jsonl` and `index.html`, in ten tests), listed as `faultline serve`
//! answers `/` (scan, then render the first page): once reading every record (the uncached
//! scan), and with a warm [`ScanCache`] (nothing changed). Prints the median and p90 of each.
//! `cargo run --release -p results --example listing_bench -- [RUNS]`

use std::time::{Duration, Instant};

use checkers::CheckResult;
use results::listing::{self, PageRequest, PER_PAGE};
use results::store::{self, ScanCache, Store, StoreError};

/// Median and p90 of `rounds` listings made by `list`, in milliseconds.
fn measure(rounds: usize, mut list: impl FnMut() -> Result<Store, StoreError>, label: &str) -> (f64, f64) {
    let request = PageRequest { runs: 1, campaigns: 1, per_page: PER_PAGE };
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            let store = list().expect("the store scans");
            let html = listing::render(&store, label, &request).expect("the listing renders");
            assert!(html.contains("<table"));
            started.elapsed()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(times[rounds / 2]), ms(times[rounds * 9 / 10]))
}

fn main() {
    let runs: usize = std::env::args().nth(1).map_or(500, |a| a.parse().expect("RUNS is a number"));
    let tmp = tempfile::tempdir().expect("a scratch folder");
    let sample = tmp.path().join("sample");
    let mut result = CheckResult::valid("linearizable");
    result.stats = serde_json::json!({"keys": 20, "states": 123456});
    results::sample::run_folder(&sample, "etcd-register", 7, &[result]).expect("the sample run");
    let root = tmp.path().join("store");
    for i in 0..runs {
        let dir = root.join(format!("etcd-test-{}", i % 10)).join(format!("20261123T{:06}Z", i));
        std::fs::create_dir_all(&dir).expect("a run folder");
        for file in ["results.json", "history.jsonl", "index.html"] {
            std::fs::copy(sample.join(file), dir.join(file)).expect("a copy");
        }
    }
    let label = root.display().to_string();
    let (p50, p90) = measure(20, || store::scan(&root), &label);
    println!("{runs} runs, every record read (uncached): p50 {p50:.2} ms, p90 {p90:.2} ms");
    let cache = ScanCache::default();
    let (p50, p90) = measure(200, || store::scan_cached(&root, &cache), &label);
    println!("{runs} runs, cached by modification time:    p50 {p50:.2} ms, p90 {p90:.2} ms");
    let scanned = store::scan(&root).expect("the store scans");
    let (p50, p90) = measure(200, || Ok(scanned.clone()), &label);
    println!("{runs} runs, rendering the first page alone:  p50 {p50:.2} ms, p90 {p90:.2} ms");
}
