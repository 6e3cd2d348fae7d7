//! The render benchmark: a made-up 100k-op register history (10 workers, 60 s, a partition
//! every 10 s) rendered into a bundle; prints the render time and the page's size.
//! `cargo run --release -p results --example render_bench -- [OPS] [OUT_DIR]`

use std::time::Instant;

use checkers::CheckResult;
use results::sample::register_history;
use results::{write, RunMeta};

fn main() {
    let mut args = std::env::args().skip(1);
    let ops: usize = args.next().map_or(100_000, |a| a.parse().expect("OPS is a number"));
    let out = args.next().map_or_else(|| std::env::temp_dir().join("faultline-render-bench"), Into::into);
    let history = register_history(ops, 10, 60, 42);
    let results = [CheckResult::valid("linearizable")];
    let meta = RunMeta::from_history(&history, "render benchmark");
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let bundle = write(&out, &history, &results, &meta).expect("bundle written");
        best = best.min(started.elapsed().as_secs_f64());
        bytes = bundle.index_bytes;
    }
    let total: u64 = walk(&out);
    println!(
        "{ops} client ops ({} history lines): render {best:.3} s (best of 3), index.html {:.2} MB, bundle {:.2} MB, in {}",
        history.ops.len(),
        bytes as f64 / 1e6,
        total as f64 / 1e6,
        out.display()
    );
}

fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => walk(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
