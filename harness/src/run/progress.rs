//! The progress line on a terminal: time, ops by outcome, and the fault in force.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::context::Run;

/// Shows progress until the run's workload ends (the task is aborted then); nothing when
/// stderr is not a terminal.
pub async fn show(run: Arc<Run>, limit: Duration) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let bar = ProgressBar::new(limit.as_secs().max(1));
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos:>3}/{len} s  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    loop {
        let c = &run.counts;
        let fault = run.fault_now.lock().unwrap_or_else(|e| e.into_inner()).clone();
        bar.set_position(run.seq.elapsed().as_secs().min(limit.as_secs()));
        bar.set_message(format!(
            "ok {} fail {} info {}  {}",
            c.ok.load(Ordering::Relaxed),
            c.fail.load(Ordering::Relaxed),
            c.info.load(Ordering::Relaxed),
            if fault.is_empty() { "no fault".to_string() } else { fault }
        ));
        if run.seq.elapsed() >= limit || run.cancel.is_cancelled() {
            bar.finish_and_clear();
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
