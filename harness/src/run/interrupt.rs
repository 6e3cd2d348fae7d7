//! Ctrl-C and SIGTERM for a whole session of runs: the first cancels the run in progress (which
//! heals every fault, stops every process and still checks what was recorded) and marks the
//! session interrupted, so no further run starts; a second quits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

/// Whether the session was interrupted, and the token of the run in progress.
#[derive(Default)]
pub struct Interrupt {
    fired: AtomicBool,
    current: Mutex<CancellationToken>,
}

impl Interrupt {
    /// A token for the next run, already cancelled when the session was interrupted.
    pub fn token(&self) -> CancellationToken {
        let token = CancellationToken::new();
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = token.clone();
        if self.fired() {
            token.cancel();
        }
        token
    }

    /// True once Ctrl-C or SIGTERM arrived.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        self.current.lock().unwrap_or_else(|e| e.into_inner()).cancel();
    }
}

/// Waits for signals for as long as the runtime lives (spawn it once per session).
pub async fn watch(interrupt: Arc<Interrupt>) {
    let Ok(mut term) = signal(SignalKind::terminate()) else { return };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::warn!("interrupted: healing every fault and stopping every process");
    eprintln!("faultline: interrupted; healing every fault and stopping every process (interrupt again to quit now)");
    interrupt.fire();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    eprintln!("faultline: interrupted twice; quitting now. If anything is left, `faultline heal` undoes it");
    std::process::exit(130);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firing_cancels_the_run_in_progress_and_every_later_one() {
        let interrupt = Interrupt::default();
        let first = interrupt.token();
        assert!(!first.is_cancelled() && !interrupt.fired());
        interrupt.fire();
        assert!(first.is_cancelled() && interrupt.fired());
        assert!(interrupt.token().is_cancelled(), "a run started after the interrupt stops at once");
    }
}
