//! Writing a run's result bundle into its folder: `index.html` (self-contained: inline CSS,
//! SVG plots and script, no network), the plots as `plots/*.svg`, and `effects.json` (fault
//! effects and unexplained drops, for machines). The checkers' results file is the caller's
//! (the runner's `results.json`), as are links to it, the history and the logs.

use std::path::{Path, PathBuf};

use checkers::{CheckResult, History};
use serde_json::json;

use crate::analysis::Analysis;
use crate::effects::Recovery;
use crate::fsx::{self, FsxError};
use crate::page::{self, Link, RunMeta};
use crate::plots::{self, PlotContext, PlotError};

/// Why a bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file or folder could not be written (or a symlink was in the way).
    #[error(transparent)]
    Write(#[from] FsxError),
    /// A plot failed.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// The page template failed.
    #[error("cannot render index.html: {0}")]
    Render(#[from] askama::Error),
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// The run page.
    pub index: PathBuf,
    /// Its size in bytes.
    pub index_bytes: u64,
    /// The overall verdict word (`valid`, `invalid`, `unknown`, `unchecked`).
    pub verdict: &'static str,
}

/// Renders the bundle of `history` judged by `results` into `dir` (created if missing).
/// `meta.links` come first in the page's files list; links to the plots and `effects.json` are
/// added after them.
pub fn write(dir: &Path, history: &History, results: &[CheckResult], meta: &RunMeta) -> Result<Bundle, BundleError> {
    std::fs::create_dir_all(dir).map_err(|source| FsxError::Io { path: dir.to_path_buf(), source })?;
    let analysis = Analysis::of(history);
    let drops: Vec<(u64, u64)> = analysis.drops.iter().map(|d| (d.from, d.to)).collect();
    let ctx = PlotContext { faults: &analysis.periods, drops: &drops, end: analysis.end };
    let plots = vec![
        ("latency", plots::latency_scatter(history, &analysis.spans, &ctx)?),
        ("quantiles", plots::latency_quantiles(&analysis.windows, analysis.width, &ctx)?),
        ("throughput", plots::throughput(&analysis.windows, analysis.width, &ctx)?),
        ("availability", plots::availability(&analysis.windows, analysis.width, &ctx)?),
    ];
    let mut meta = meta.clone();
    for (id, svg) in &plots {
        fsx::write_atomic(dir, &format!("plots/{id}.svg"), svg.as_bytes())?;
        meta.links.push(Link::new(format!("plots/{id}.svg"), format!("plots/{id}.svg")));
    }
    fsx::write_atomic(dir, "effects.json", effects_json(&analysis).as_bytes())?;
    meta.links.push(Link::new("effects.json (fault effects and unexplained drops)", "effects.json"));
    let verdict = page::verdict_word(results);
    let html = page::render(history, results, &meta, &analysis, plots)?;
    fsx::write_atomic(dir, "index.html", html.as_bytes())?;
    Ok(Bundle { index: dir.join("index.html"), index_bytes: html.len() as u64, verdict })
}

/// Fault effects and unexplained drops for machines; times in ns.
fn effects_json(a: &Analysis) -> String {
    let faults: Vec<_> = a
        .effects
        .iter()
        .map(|e| {
            json!({
                "f": e.period.f,
                "nodes": e.period.nodes,
                "description": e.period.description,
                "start_ns": e.period.start,
                "healed_ns": e.period.healed,
                "heal_f": e.period.heal_f,
                "availability": [e.before.availability, e.during.availability, e.after.availability],
                "p99_ns": [e.before.p99, e.during.p99, e.after.p99],
                "recovery_ns": match e.recovery { Recovery::After(ns) => Some(ns), _ => None },
                "recovery": format!("{:?}", e.recovery),
            })
        })
        .collect();
    let drops: Vec<_> = a
        .drops
        .iter()
        .map(|d| json!({"from_ns": d.from, "to_ns": d.to, "min_availability": d.min_availability, "max_p99_ns": d.max_p99}))
        .collect();
    let doc = json!({
        "faults": faults,
        "unexplained_drops": drops,
        "window_ns": a.width,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
