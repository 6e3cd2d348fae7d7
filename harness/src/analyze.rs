//! `faultline analyze RUN_DIR`: (re)render the HTML result bundle of a run folder from what the
//! run left there (see `results::run_page`). It does not check again (for other checker
//! options, `faultline report RUN_DIR/history.jsonl --out DIR`).

use std::path::PathBuf;
use std::process::ExitCode;

use checkers::Validity;
use clap::Args;
use results::run_page::{render_folder, RenderError};

use crate::exit;

/// Arguments of `faultline analyze`.
#[derive(Args)]
pub struct AnalyzeArgs {
    /// A run's folder, e.g. `results/etcd-register/20261123T095753Z`.
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
}

/// Runs `faultline analyze`; the exit code is the merged verdict of the recorded results, as
/// for `check` (254 when there are none).
pub fn run(args: AnalyzeArgs) -> ExitCode {
    let dir = &args.run_dir;
    match render_folder(dir) {
        Ok((bundle, record)) => {
            crate::exit::say!(
                "{}: {} — wrote {} ({:.1} MB)",
                dir.display(),
                bundle.verdict,
                bundle.index.display(),
                bundle.index_bytes as f64 / 1e6
            );
            let validity = record.results.iter().map(|r| r.validity).reduce(Validity::merge);
            validity.map_or(ExitCode::from(exit::BAD_INPUT), exit::for_validity)
        }
        Err(RenderError::Input(e)) => {
            eprintln!("faultline analyze: {e}");
            ExitCode::from(exit::BAD_INPUT)
        }
        Err(RenderError::Write(e)) => {
            eprintln!("faultline analyze: {e}");
            ExitCode::from(exit::HARNESS_FAILED)
        }
    }
}
