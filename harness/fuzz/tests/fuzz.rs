//! The fuzz targets on stable Rust, where cargo-fuzz (nightly) cannot run: each target gets
//! mutations of its seed corpus (the shared fixtures and `seeds/`) and random bytes, generated
//! by proptest, for `FAULTLINE_FUZZ_SECONDS` seconds (default 2) each. A panic fails the test
//! with the smallest input proptest finds; a stack overflow or abort fails the whole run.
//! Prints each target's executions and executions per second.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Bits of text that steer parsers into their corners.
const TOKENS: [&str; 16] = [
    "[",
    "]",
    "{",
    "}",
    "{\"",
    "\"",
    ":",
    ",",
    "\n",
    "1e300",
    "-1",
    "nan",
    "99999999999999999999",
    "2n",
    "n1,n1",
    "- {at: ",
];

/// The seed corpus of `target`: shared fixtures for the history readers, `seeds/` for all.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let prefix = target.split('_').next().unwrap_or(target);
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(here.join("seeds")).map(|dir| dir.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)));
    if prefix == "history" {
        walk(&here.join("../../../shared/fixtures"), &mut files);
    }
    let mut out: Vec<Vec<u8>> = files
        .iter()
        .filter_map(|f| std::fs::read(f).ok())
        .map(|mut bytes| {
            bytes.truncate(64 << 10);
            bytes
        })
        .collect();
    out.push(Vec::new());
    out
}

/// Every `.edn`, `.json` and `.jsonl` file under `dir`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "edn" || e == "json" || e == "jsonl") {
            out.push(path);
        }
    }
}

/// Inputs per proptest run.
const BATCH: u32 = 256;

/// One edit of an input: what, where, with which byte, how long.
type Edit = (u8, usize, u8, usize);

/// `seed` with `edits` applied: flip, insert, delete, duplicate, or insert a token.
fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for &(kind, at, byte, len) in edits {
        let at = if out.is_empty() { 0 } else { at % (out.len() + 1) };
        let end = (at + len).min(out.len());
        match kind % 5 {
            0 if at < out.len() => out[at] ^= 1 << (byte % 8),
            1 => out.insert(at, byte),
            2 => drop(out.drain(at..end)),
            3 => {
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            _ => {
                let token = TOKENS[byte as usize % TOKENS.len()].as_bytes();
                out.splice(at..at, token.iter().copied());
            }
        }
    }
    out
}

fn inputs(seeds: Arc<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    let edits = proptest::collection::vec((any::<u8>(), any::<usize>(), any::<u8>(), 0usize..64), 0..16);
    prop_oneof![
        4 => (0..seeds.len(), edits).prop_map(move |(i, edits)| mutate(&seeds[i], &edits)),
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ]
}

#[test]
fn every_target_survives_mutated_and_random_inputs() {
    let seconds: f64 = std::env::var("FAULTLINE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    for (name, target) in faultline_fuzz::TARGETS {
        let corpus = Arc::new(seeds(name));
        assert!(corpus.len() > 1, "{name}: no seeds found");
        let strategy = inputs(corpus.clone());
        let config = Config { cases: BATCH, failure_persistence: None, ..Config::default() };
        let started = Instant::now();
        let mut executions = 0u64;
        while started.elapsed() < Duration::from_secs_f64(seconds) {
            // A runner runs its cases once: a fresh one (with fresh randomness) per batch.
            TestRunner::new(config.clone())
                .run(&strategy, |input| {
                    target(&input);
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("fuzz target {name} failed: {e}"));
            executions += u64::from(BATCH);
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "fuzz {name}: {executions} executions in {elapsed:.1} s ({:.0}/s), {} seeds",
            executions as f64 / elapsed,
            corpus.len()
        );
    }
}
