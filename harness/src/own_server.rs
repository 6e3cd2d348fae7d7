//! `faultline own-server` (hidden): runs the project's own Raft server on a node. The `own`
//! target uploads this very executable to each node and starts it with this subcommand, so the
//! server needs no package and is always the build that tests it.

use std::process::ExitCode;

use targets::own::server::{self, ServerArgs};
use tracing_subscriber::EnvFilter;

/// Runs the server until it is stopped; logs go to stderr (the daemon's log file).
pub fn run(args: ServerArgs) -> ExitCode {
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(EnvFilter::new("warn,targets=info")).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("faultline own-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faultline own-server: {e}");
            ExitCode::FAILURE
        }
    }
}
