//! `faultline report HISTORY`: check a history recorded anywhere (faultline JSONL, Jepsen
//! history.edn, a JSON array of ops) with the same options as `faultline check`, and render the
//! same HTML result bundle a run leaves in its folder. The folder gets a copy of the history,
//! `results.json` (the verdict and the checker's result) and the bundle.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use results::record::{RunRecord, RECORD};
use results::{Link, RunMeta};

use crate::check::CheckOptions;
use crate::exit;

/// Arguments of `faultline report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Which checker and how to read the history, exactly as for `faultline check`.
    #[command(flatten)]
    pub options: CheckOptions,
    /// The folder to write the bundle into (created if missing); default: `HISTORY-NAME-report`
    /// in the current folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The history: faultline JSONL, Jepsen history.edn, or a JSON array of ops.
    #[arg(value_name = "HISTORY")]
    pub history: PathBuf,
}

/// The default output folder for `history`: its file stem plus `-report`, in the current folder.
fn default_out(history: &Path) -> PathBuf {
    let stem = history.file_stem().map_or_else(|| "history".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from(format!("{stem}-report"))
}

/// Copies the history into the bundle as `out/name` (through a temporary file, never through a
/// symlink), unless it is already there.
fn copy_history(from: &Path, out: &Path, name: &str) -> Result<(), String> {
    let to = out.join(name);
    let same = |a: &Path, b: &Path| a.canonicalize().ok().zip(b.canonicalize().ok()).is_some_and(|(a, b)| a == b);
    if to.symlink_metadata().is_ok_and(|m| m.is_file()) && same(from, &to) {
        return Ok(());
    }
    let mut source = std::fs::File::open(from).map_err(|e| format!("{}: {e}", from.display()))?;
    results::fsx::write_atomic_with(out, name, |file| std::io::copy(&mut source, file).map(drop))
        .map_err(|e| e.to_string())
}

/// The test configuration rows for the page: what was checked, and how.
fn config(args: &ReportArgs, semantics: &checkers::history::Semantics) -> Vec<(String, String)> {
    let o = &args.options;
    let mut rows = vec![("history file".to_string(), args.history.display().to_string())];
    rows.push(("checker".to_string(), o.checker.clone()));
    if let Some(model) = o.model {
        rows.push(("model".to_string(), model.name().to_string()));
    }
    if let Some(init) = &o.init {
        rows.push(("initial value".to_string(), init.to_string()));
    }
    rows.push((
        "semantics (header, then flags)".to_string(),
        serde_json::to_string(semantics).unwrap_or_else(|e| e.to_string()),
    ));
    if let Some(budget) = o.time_budget {
        rows.push(("time budget".to_string(), format!("{budget} s")));
    }
    rows
}

/// Runs `faultline report`; the exit code is the verdict's, as for `check`.
pub fn run(args: ReportArgs) -> ExitCode {
    if let Err(e) = args.options.validate() {
        eprintln!("faultline report: {e}");
        return ExitCode::from(exit::BAD_INPUT);
    }
    let history = match args.options.load(&args.history) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("faultline report: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let started = Instant::now();
    let result = match args.options.run(&history) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("faultline report: {}: {e}", args.history.display());
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let checked = started.elapsed();
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.history));
    let name = args.history.file_name().map_or_else(|| "history".into(), |n| n.to_string_lossy().into_owned());
    let copied = std::fs::create_dir_all(&out)
        .map_err(|e| format!("{}: {e}", out.display()))
        .and_then(|()| copy_history(&args.history, &out, &name));
    if let Err(e) = copied {
        eprintln!("faultline report: cannot copy the history into {}: {e}", out.display());
        return ExitCode::from(exit::HARNESS_FAILED);
    }
    let mut meta = RunMeta::from_history(&history, &name);
    meta.config.extend(config(&args, &args.options.semantics(&history)));
    meta.links.push(Link::new(format!("history ({name}, a copy of {})", args.history.display()), name.clone()));
    meta.links.push(Link::new("results.json (the verdict and the checker's result)", "results.json"));
    let mut record = RunRecord::of_results(&meta.title, vec![result.clone()]);
    record.history = Some(args.history.display().to_string());
    if let Some(header) = &history.header {
        record.seed = Some(header.seed);
        record.target.clone_from(&header.target);
        record.workload.clone_from(&header.workload);
    }
    record.stats.check_s = checked.as_secs_f64();
    if let Err(e) = record.write(&out.join(RECORD)) {
        eprintln!("faultline report: {e}");
        return ExitCode::from(exit::HARNESS_FAILED);
    }
    let rendered = Instant::now();
    match results::write(&out, &history, std::slice::from_ref(&result), &meta) {
        Ok(bundle) => {
            crate::exit::say!(
                "{}: {} — wrote {} ({:.1} MB; checked in {:.2} s, rendered in {:.2} s)",
                args.history.display(),
                bundle.verdict,
                bundle.index.display(),
                bundle.index_bytes as f64 / 1e6,
                checked.as_secs_f64(),
                rendered.elapsed().as_secs_f64()
            );
            exit::for_validity(result.validity)
        }
        Err(e) => {
            eprintln!("faultline report: {e}");
            ExitCode::from(exit::HARNESS_FAILED)
        }
    }
}
