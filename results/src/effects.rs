//! What each fault did, and drops no fault explains.
//!
//! For a fault lasting `d` (at least 1 s), *before* is `[start − d, start)`, *during* is
//! `[start, heal)` and *after* is `[heal, heal + d)`, all by completion time. Recovery time is
//! the time from the heal to the first moment `t` (stepping by a quarter of the report's
//! window width) from which the system serves `ok` ops at 80% of the rate seen *before*: the
//! window at `t` holds 80% of it, so does the mean over the hold (`d`, at most 5 s, from `t`),
//! and no window within the hold stalls below 20% of it. A heal that causes an election (a
//! partitioned etcd node rejoining with a higher term) recovers only after it. The windows are
//! wide enough to expect 20 `ok` ops at the earlier rate (at most 2 s, at least the report's
//! width), so a slow workload's chance gaps are not read as a slow recovery.
//!
//! A window is a drop when it completed fewer than 20% of the median window's completions (a
//! stall; the median being at least [`MIN_OPS`]), or when (with at least [`MIN_OPS`]
//! completions) its availability falls below 80% of the median window's, or its p99 latency
//! exceeds 3× the median window's p99 and the median by 1 ms. The last window, cut short by the
//! end of the history, is not judged. A drop is explained when it overlaps a fault period extended by its
//! recovery time (or by `d` when it did not recover); the others are listed as unexplained.

use crate::faults::FaultPeriod;
use crate::metrics::{stretch, Stretch, Window};
use crate::spans::{Outcome, Span};

/// Fewest completions a window needs to count as a drop.
pub const MIN_OPS: u64 = 10;
const SEC: u64 = 1_000_000_000;

/// When the system served `ok` ops at its earlier rate again after a heal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// This many ns after the heal.
    After(u64),
    /// Not by the end of the history.
    NotRecovered,
    /// No `ok` ops before the fault to compare with.
    NoBaseline,
    /// The fault was never healed.
    NotHealed,
}

/// One row of the faults table.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultEffect {
    /// The fault.
    pub period: FaultPeriod,
    /// Before the fault.
    pub before: Stretch,
    /// While it lasted.
    pub during: Stretch,
    /// After the heal (empty when never healed).
    pub after: Stretch,
    /// Time to recover.
    pub recovery: Recovery,
}

/// A stretch of windows where availability or latency dropped and no fault explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Drop {
    /// Start, ns.
    pub from: u64,
    /// End, ns.
    pub to: u64,
    /// The lowest availability in the stretch.
    pub min_availability: Option<f64>,
    /// The highest p99 latency, ns.
    pub max_p99: Option<u64>,
    /// The usual (median window) availability and p99 it is compared with.
    pub usual_availability: f64,
    /// The usual p99 latency, ns.
    pub usual_p99: u64,
    /// The fewest completions in one window of the stretch.
    pub min_completed: u64,
    /// The usual (median window's) completions per window.
    pub usual_completed: u64,
}

/// Completed spans sorted by completion time, the input [`stretch`] needs.
pub fn by_end(spans: &[Span]) -> Vec<&Span> {
    let mut v: Vec<&Span> = spans.iter().filter(|s| s.completion.is_some()).collect();
    v.sort_by_key(|s| s.end);
    v
}

/// The effect of every fault; `width` is the window width used for recovery.
pub fn fault_effects(periods: &[FaultPeriod], spans: &[Span], end: u64, width: u64) -> Vec<FaultEffect> {
    let sorted = by_end(spans);
    let ok_ends: Vec<u64> = sorted.iter().filter(|s| s.outcome == Outcome::Ok).map(|s| s.end).collect();
    periods
        .iter()
        .map(|p| {
            let heal = p.end_or(end);
            let d = (heal - p.start).max(SEC);
            let before = stretch(&sorted, p.start.saturating_sub(d), p.start);
            let during = stretch(&sorted, p.start, heal.max(p.start + 1));
            let (after, recovery) = match p.healed {
                None => (stretch(&sorted, end + 1, end + 1), Recovery::NotHealed),
                Some(h) => {
                    let baseline = count_in(&ok_ends, p.start.saturating_sub(d), p.start) as f64
                        / (p.start - p.start.saturating_sub(d)).max(1) as f64;
                    (stretch(&sorted, h, h + d), recovery(&ok_ends, h, end, width, baseline, d.min(HOLD_MAX)))
                }
            };
            FaultEffect { period: p.clone(), before, during, after, recovery }
        })
        .collect()
}

fn count_in(sorted: &[u64], from: u64, to: u64) -> usize {
    sorted.partition_point(|&t| t < to).saturating_sub(sorted.partition_point(|&t| t < from))
}

/// How long the rate must hold after a heal to count as recovered: as long as the fault
/// lasted, at most this.
const HOLD_MAX: u64 = 5 * SEC;

/// How many `ok` ops a recovery window should expect at the earlier rate.
const RECOVERY_OPS: f64 = 20.0;
/// The widest a recovery window grows to expect [`RECOVERY_OPS`].
const RECOVERY_WIDTH_MAX: u64 = 2 * SEC;

/// See the module documentation; `baseline` is `ok` completions per ns, `hold` how long the
/// rate must last.
fn recovery(ok_ends: &[u64], heal: u64, end: u64, width: u64, baseline: f64, hold: u64) -> Recovery {
    if baseline <= 0.0 {
        return Recovery::NoBaseline;
    }
    let w = width.max(((RECOVERY_OPS / baseline) as u64).min(RECOVERY_WIDTH_MAX));
    let rate = |from: u64, to: u64| count_in(ok_ends, from, to) as f64 / (to - from).max(1) as f64;
    let step = (width / 4).max(1);
    // Windows must fit before the end: the last one, cut short, proves nothing.
    let last = end.saturating_sub(w);
    let recovered_at = |t: u64| {
        let hold_end = (t + hold.max(w)).min(end);
        rate(t, t + w) >= 0.8 * baseline
            && rate(t, hold_end) >= 0.8 * baseline
            && (t..=hold_end.saturating_sub(w).max(t)).step_by(step as usize).all(|u| rate(u, u + w) >= 0.2 * baseline)
    };
    let mut t = heal;
    while t <= last {
        if recovered_at(t) {
            return Recovery::After(t - heal);
        }
        t += step;
    }
    Recovery::NotRecovered
}

fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> Option<T> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v.get(v.len() / 2).copied()
}

/// Drops in `windows` (of `width` ns) that no fault in `effects` explains.
pub fn unexplained_drops(windows: &[Window], width: u64, effects: &[FaultEffect], end: u64) -> Vec<Drop> {
    // The last window is cut short by the end of the history: no throughput is judged there.
    let whole = &windows[..windows.len().saturating_sub(1)];
    let busy: Vec<&Window> = whole.iter().filter(|w| w.completed() >= MIN_OPS).collect();
    let (Some(usual_availability), Some(usual_p99), Some(usual_completed)) = (
        median(busy.iter().filter_map(|w| w.availability()).collect()),
        median(busy.iter().filter_map(|w| w.latency.map(|q| q.p99)).collect()),
        median(whole.iter().map(|w| w.completed()).collect()),
    ) else {
        return Vec::new();
    };
    let excused: Vec<(u64, u64)> = effects
        .iter()
        .map(|e| {
            let heal = e.period.end_or(end);
            let grace = match e.recovery {
                Recovery::After(r) => r + width,
                _ => (heal - e.period.start).max(SEC),
            };
            (e.period.start, heal + grace)
        })
        .collect();
    let mut drops: Vec<Drop> = Vec::new();
    for w in whole {
        let judged = w.completed() >= MIN_OPS;
        let avail = w.availability().filter(|_| judged);
        let p99 = w.latency.map(|q| q.p99).filter(|_| judged);
        let low = avail.is_some_and(|a| a < 0.8 * usual_availability);
        let slow = p99.is_some_and(|p| p > 3 * usual_p99 && p > usual_p99 + 1_000_000);
        let stalled = usual_completed >= MIN_OPS && (w.completed() as f64) < 0.2 * usual_completed as f64;
        let to = w.start + width;
        if !(low || slow || stalled) || excused.iter().any(|&(a, b)| w.start < b && to > a) {
            continue;
        }
        match drops.last_mut() {
            Some(d) if d.to == w.start => {
                d.to = to;
                d.min_availability = min_opt(d.min_availability, avail);
                d.max_p99 = d.max_p99.max(p99);
                d.min_completed = d.min_completed.min(w.completed());
            }
            _ => drops.push(Drop {
                from: w.start,
                to,
                min_availability: avail,
                max_p99: p99,
                min_completed: w.completed(),
                usual_availability,
                usual_p99,
                usual_completed,
            }),
        }
    }
    drops
}

fn min_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::fault_periods;
    use crate::metrics::{window_width, windows};
    use crate::sample::register_history;
    use crate::spans::{client_spans, history_end};

    #[test]
    fn sample_faults_hurt_availability_and_recover() {
        let h = register_history(20_000, 5, 30, 3);
        let spans = client_spans(&h);
        let end = history_end(&h);
        let width = window_width(end, 100);
        let effects = fault_effects(&fault_periods(&h), &spans, end, width);
        assert!(!effects.is_empty());
        let e = &effects[0];
        assert!(e.before.availability.unwrap() > 0.99, "{e:?}");
        assert!(e.during.availability.unwrap() < 0.9, "{e:?}");
        assert!(e.during.p99 > e.before.p99);
        assert!(matches!(e.recovery, Recovery::After(r) if r < 2 * SEC), "{:?}", e.recovery);
        let w = windows(&spans, end, width);
        assert!(unexplained_drops(&w, width, &effects, end).is_empty());
        // Without the faults to explain them, the drops are flagged.
        let drops = unexplained_drops(&w, width, &[], end);
        assert!(!drops.is_empty());
        assert!(drops.iter().all(|d| d.from >= 4 * SEC), "{drops:?}");
    }

    #[test]
    fn a_stall_with_nothing_completed_is_a_drop() {
        // 20 windows of 100 ns with 10 ok ops each, except windows 8..12 with none.
        let spans: Vec<Span> = (0..200u64)
            .filter(|i| !(80..120).contains(i))
            .map(|i| Span {
                invoke: 0,
                completion: Some(0),
                outcome: Outcome::Ok,
                start: i * 10,
                end: i * 10 + 5,
                answered: true,
            })
            .collect();
        let w = crate::metrics::windows(&spans, 2_000, 100);
        let drops = unexplained_drops(&w, 100, &[], 2_000);
        assert_eq!(drops.len(), 1, "{drops:?}");
        assert_eq!((drops[0].from, drops[0].to, drops[0].min_completed, drops[0].usual_completed), (800, 1_200, 0, 10));
    }

    #[test]
    fn no_ops_no_drops_and_no_baseline() {
        assert!(unexplained_drops(&[], 1, &[], 0).is_empty());
        assert_eq!(recovery(&[], 10, 100, 10, 0.0, 10), Recovery::NoBaseline);
        assert_eq!(recovery(&[5, 200], 10, 100, 10, 0.5, 10), Recovery::NotRecovered);
        let steady: Vec<u64> = (10..100).collect();
        assert_eq!(recovery(&steady, 10, 100, 10, 0.3, 10), Recovery::After(0));
    }

    #[test]
    fn recovery_waits_until_the_rate_holds() {
        // One ok op per ns after the heal at 100, except a stall in [130, 160) (the heal made
        // an election): a burst right after the heal is not recovery yet.
        let ends: Vec<u64> = (100..400).filter(|t| !(130..160).contains(t)).collect();
        assert_eq!(recovery(&ends, 100, 400, 20, 1.0, 50), Recovery::After(60));
        assert_eq!(recovery(&ends, 100, 400, 20, 1.0, 0), Recovery::After(0), "with no hold, the burst counts");
    }

    #[test]
    fn a_slow_steady_workload_recovers_at_once_despite_chance_gaps() {
        // 37 ok ops/s arriving at random (exponential gaps) before and after a 3 s fault that
        // stopped nothing: 200 ms windows hold ~7 ops and often fall below 80% by chance, so
        // only windows wide enough to expect 20 ops judge the rate fairly.
        let mut seed = 42u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut ends = Vec::new();
        let mut t = 0.0;
        while t < 20.0 {
            t += -(1.0 - next()).ln() / 37.0;
            ends.push((t * SEC as f64) as u64);
        }
        let baseline = count_in(&ends, 2 * SEC, 5 * SEC) as f64 / (3 * SEC) as f64;
        match recovery(&ends, 8 * SEC, 20 * SEC, SEC / 5, baseline, 3 * SEC) {
            Recovery::After(r) => assert!(r < SEC, "{r} ns"),
            other => panic!("{other:?}"),
        }
    }
}
