//! The render benchmark: a made-up 100k-op register history (10 workers, 60 s, a partition
//! every 10 s) saved as `history.jsonl`, loaded back as `faultline report` would, and rendered
//! into a bundle; prints the load and render times and the page's size.
//! `cargo run --release -p results --example render_bench -- [OPS] [OUT_DIR]`

use std::time::Instant;

use checkers::history::jsonl::HistoryWriter;
use checkers::history::{load_path, Header, Semantics};
use checkers::CheckResult;
use results::sample::register_history;
use results::{write, Link, RunMeta};

fn main() {
    let mut args = std::env::args().skip(1);
    let ops: usize = args.next().map_or(100_000, |a| a.parse().expect("OPS is a number"));
    let out = args.next().map_or_else(|| std::env::temp_dir().join("faultline-render-bench"), Into::into);
    std::fs::create_dir_all(&out).expect("output folder");
    let made = register_history(ops, 10, 60, 42);
    let path = out.join("history.jsonl");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).expect("history file"));
    let mut writer = HistoryWriter::new(file, &Header::new("render benchmark", 42, Semantics::default())).unwrap();
    made.ops.iter().for_each(|op| writer.write(op).expect("history written"));
    writer.finish().expect("history flushed");

    let started = Instant::now();
    let history = load_path(&path).expect("history loads");
    let loaded = started.elapsed().as_secs_f64();
    let results = [CheckResult::valid("linearizable")];
    let mut meta = RunMeta::from_history(&history, "render benchmark");
    meta.links.push(Link::new("history.jsonl", "history.jsonl"));
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let bundle = write(&out, &history, &results, &meta).expect("bundle written");
        best = best.min(started.elapsed().as_secs_f64());
        bytes = bundle.index_bytes;
    }
    println!(
        "{ops} client ops ({} history lines): load {loaded:.3} s, render {best:.3} s (best of 3), index.html {:.2} MB; in {}",
        history.ops.len(),
        bytes as f64 / 1e6,
        out.display()
    );
}
