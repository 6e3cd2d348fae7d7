//! The abort guard of a chaos experiment (`abort-if: {availability: "< 0.5", for-s: 10}`):
//! from the first fault on, every 100 ms it measures availability over the last second of
//! completions (a second with none completed counts as unavailable); once that figure has been
//! beyond the limit for `for-s` seconds without a break, it journals why, stops the nemesis and
//! heals every fault at once. The run goes on to its end, its final reads and its checks.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use results::hypothesis::{Abort, Bound};

use super::context::Run;

const TICK: Duration = Duration::from_millis(100);
const WINDOW: Duration = Duration::from_secs(1);

/// (when, completions, answered) as the counters stood.
type Sample = (Duration, u64, u64);

/// Availability over the samples of the last [`WINDOW`]; none until a window has passed.
fn availability(samples: &VecDeque<Sample>) -> Option<f64> {
    let (now, completed, answered) = *samples.back()?;
    let (_, c0, a0) = *samples.iter().rev().find(|(t, _, _)| now.saturating_sub(*t) >= WINDOW)?;
    let done = completed - c0;
    Some(if done == 0 { 0.0 } else { (answered - a0) as f64 / done as f64 })
}

/// Watches the run until the guard fires (then heals) or the workload ends.
pub async fn watch(run: Arc<Run>, limit: Bound, hold: Duration) {
    let mut samples: VecDeque<Sample> = VecDeque::new();
    let mut beyond_since: Option<Duration> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = run.cancel.cancelled() => return,
        }
        if run.counts.faults.load(Ordering::Relaxed) == 0 {
            continue;
        }
        let c = &run.counts;
        let completed = c.ok.load(Ordering::Relaxed) + c.fail.load(Ordering::Relaxed) + c.info.load(Ordering::Relaxed);
        let now = run.seq.elapsed();
        samples.push_back((now, completed, c.answered.load(Ordering::Relaxed)));
        while samples.len() > 2 && now.saturating_sub(samples[1].0) >= WINDOW {
            samples.pop_front();
        }
        let Some(share) = availability(&samples) else { continue };
        if !limit.holds(share, None) {
            beyond_since = None;
            continue;
        }
        let since = *beyond_since.get_or_insert(now);
        if now.saturating_sub(since) >= hold {
            let why = format!(
                "availability {share:.2} {limit} for {} s (every second from {:.1} s to {:.1} s)",
                hold.as_secs_f64(),
                since.as_secs_f64(),
                now.as_secs_f64()
            );
            abort(&run, now, why).await;
            return;
        }
    }
}

/// Journals the abort, stops the nemesis and heals every fault in force.
async fn abort(run: &Run, now: Duration, why: String) {
    tracing::warn!("abort guard: {why}; healing every fault and injecting nothing more");
    eprintln!("faultline: abort guard fired at {:.1} s: {why}; healing now", now.as_secs_f64());
    if let Err(e) = run.journal.aborted(now.as_millis() as u64, &why) {
        tracing::error!("writing the fault journal: {e}");
    }
    *run.aborted.lock().unwrap_or_else(|e| e.into_inner()) = Some(Abort { at_s: now.as_secs_f64(), why });
    for failure in run.active.heal(run).await {
        tracing::error!("healing after the abort: {failure}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_is_measured_over_the_last_second_and_nothing_done_is_none_answered() {
        let s = |ms: u64, c: u64, a: u64| (Duration::from_millis(ms), c, a);
        let mut samples: VecDeque<Sample> = [s(0, 0, 0), s(500, 10, 10)].into();
        assert_eq!(availability(&samples), None, "no whole second yet");
        samples.push_back(s(1000, 20, 15));
        assert_eq!(availability(&samples), Some(0.75));
        samples.push_back(s(2000, 20, 15));
        assert_eq!(availability(&samples), Some(0.0), "a second with nothing completed is unavailable");
    }
}
