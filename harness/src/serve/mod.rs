//! `faultline serve [--bind 127.0.0.1:8080] [--results-dir store]`: browse a store of runs and
//! campaigns over HTTP. `/` lists them (from disk, each run read again only when its folder
//! changed, see [`results::store::scan_cached`] and [`results::listing`]); every other path is a
//! file of the store (run pages, plots, histories, logs, JUnit XML). Loopback by default; Ctrl-C
//! or SIGTERM stops it with exit code 0.
//!
//! A client that does not send a request's headers within [`HEADER_TIMEOUT`] is disconnected,
//! and at most [`MAX_CONNECTIONS`] connections are served at once (the rest wait to be
//! accepted), so half-sent requests cannot pin the server.

mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use clap::Args;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::exit;

/// How long open connections get to finish once a stop is asked for.
const GRACE: Duration = Duration::from_secs(5);
/// How long a client has to send a request's headers (the next request's too, on a kept-alive
/// connection) before it is disconnected.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The most connections served at once; more wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 512;

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
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::select! {
        () = accept(&listener, &app, &slots, &stop) => {}
        () = signals.wait() => {}
    }
    stop.cancel();
    // Every connection gives its slot back when it ends; wait for them all, or the grace.
    let _ = tokio::time::timeout(GRACE, slots.acquire_many(MAX_CONNECTIONS as u32)).await;
    Ok(())
}

/// Accepts connections for ever, each once a slot is free, and serves each on its own task.
async fn accept(listener: &TcpListener, app: &Router, slots: &Arc<Semaphore>, stop: &CancellationToken) {
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, app.clone(), slot, stop.clone()));
            }
            // Out of file descriptors, or the client left before being accepted: go on.
            Err(e) => {
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Serves one connection (HTTP/1.1, headers within [`HEADER_TIMEOUT`]) until it ends or a stop
/// is asked for, then frees its slot.
async fn connection(stream: TcpStream, app: Router, slot: OwnedSemaphorePermit, stop: CancellationToken) {
    let service = TowerToHyperService::new(app);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
    drop(slot);
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
