//! `faultline serve [--bind 127.0.0.1:8080] [--results-dir store]`: browse a store of runs and
//! campaigns over HTTP. `/` lists them (read from disk on every request, see
//! [`results::listing`]); every other path is a file of the store (run pages, plots, histories,
//! logs, JUnit XML). Loopback by default; Ctrl-C or SIGTERM stops it with exit code 0.

mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio_util::sync::CancellationToken;

use crate::exit;

/// How long open connections get to finish once a stop is asked for.
const GRACE: Duration = Duration::from_secs(5);

/// Arguments of `faultline serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one). Any address but
    /// loopback shows the results to that network.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The store to browse: the folder `faultline test` and `faultline campaign` write into.
    #[arg(long, value_name = "DIR", default_value = "store")]
    pub results_dir: PathBuf,
    /// Rows per page in each table of the listing.
    #[arg(long, value_name = "N", default_value_t = results::listing::PER_PAGE)]
    pub per_page: usize,
}

/// Runs `faultline serve` until Ctrl-C or SIGTERM: 0 then, 254 when the store folder does not
/// exist, 255 when the address cannot be listened on.
pub fn run(args: ServeArgs) -> ExitCode {
    if !args.results_dir.is_dir() {
        eprintln!("faultline serve: {}", results::store::StoreError::Missing(args.results_dir));
        return ExitCode::from(exit::BAD_INPUT);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("faultline serve: cannot start the async runtime: {e}");
            return ExitCode::from(exit::HARNESS_FAILED);
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faultline serve: {e}");
            ExitCode::from(exit::HARNESS_FAILED)
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let listener = TcpListener::bind(&args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}; pass another address or port with --bind", args.bind))?;
    let addr = listener.local_addr().map_err(|e| format!("cannot tell the address listened on: {e}"))?;
    let signals = StopSignals::catch()?;
    warn_if_exposed(addr);
    crate::exit::say!("faultline serve: http://{addr}/ (store {})", args.results_dir.display());
    let app = routes::router(args.results_dir, args.per_page);
    let stop = CancellationToken::new();
    let server = axum::serve(listener, app).with_graceful_shutdown(stop.clone().cancelled_owned());
    tokio::select! {
        served = server => served.map_err(|e| format!("serving on {addr} failed: {e}")),
        () = async {
            signals.wait().await;
            stop.cancel();
            tokio::time::sleep(GRACE).await;
        } => Ok(()),
    }
}

/// Says on stderr that the results are visible beyond this machine when `addr` is not loopback.
fn warn_if_exposed(addr: SocketAddr) {
    if !addr.ip().is_loopback() {
        eprintln!(
            "faultline serve: warning: listening on {}, so every network that reaches it can read these results \
             (bind 127.0.0.1 to keep them on this machine)",
            addr.ip()
        );
    }
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from the moment this is made.
struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
}

impl StopSignals {
    fn catch() -> Result<StopSignals, String> {
        let catch = |kind: SignalKind| signal(kind).map_err(|e| format!("cannot catch Ctrl-C and SIGTERM: {e}"));
        Ok(StopSignals { interrupt: catch(SignalKind::interrupt())?, terminate: catch(SignalKind::terminate())? })
    }

    /// Waits for either.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
