//! What changed between two campaigns of the same name, run by run (runs are matched by id):
//! new failures, fixes, runs still failing, and runs whose ok ops got much slower.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::RunRow;

/// A p99 latency regression needs the p99 of ok ops to grow by more than this factor...
pub const REGRESSION_FACTOR: f64 = 1.5;
/// ...and by more than this many milliseconds (short runs jitter by a few ms).
pub const REGRESSION_MIN_MS: f64 = 5.0;

/// A run whose p99 latency of ok ops regressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyRegression {
    /// The run's id.
    pub id: String,
    /// p99 of ok ops in the previous campaign, ms.
    pub before_p99_ms: f64,
    /// p99 of ok ops now, ms.
    pub after_p99_ms: f64,
}

/// The comparison of a campaign with the previous one; each list in run order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Comparison {
    /// Failing now (invalid, unknown or crashed), and valid or absent before.
    pub new_failures: Vec<String>,
    /// Failing before, valid now.
    pub fixed: Vec<String>,
    /// Failing before and now.
    pub still_failing: Vec<String>,
    /// Present in both with a p99 of ok ops up by more than [`REGRESSION_FACTOR`] and
    /// [`REGRESSION_MIN_MS`].
    pub latency_regressions: Vec<LatencyRegression>,
}

/// Compares the runs of a campaign (`after`) with those of the previous one (`before`).
pub fn compare(before: &[RunRow], after: &[RunRow]) -> Comparison {
    let earlier: HashMap<&str, &RunRow> = before.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut c = Comparison::default();
    for run in after {
        let was = earlier.get(run.id.as_str());
        let failed_before = was.is_some_and(|w| w.figures.verdict.failing());
        match (failed_before, run.figures.verdict.failing()) {
            (false, true) => c.new_failures.push(run.id.clone()),
            (true, true) => c.still_failing.push(run.id.clone()),
            (true, false) => c.fixed.push(run.id.clone()),
            (false, false) => {}
        }
        if let (Some(before_p99_ms), Some(after_p99_ms)) = (was.and_then(|w| w.figures.p99_ms), run.figures.p99_ms) {
            if after_p99_ms > before_p99_ms * REGRESSION_FACTOR && after_p99_ms - before_p99_ms > REGRESSION_MIN_MS {
                c.latency_regressions.push(LatencyRegression { id: run.id.clone(), before_p99_ms, after_p99_ms });
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::tests::row;
    use crate::campaign::Verdict::*;

    #[test]
    fn failures_are_new_fixed_or_still_there_by_run_id() {
        let before = [
            row("a-s1-r1", Valid, None),
            row("b-s1-r1", Invalid, None),
            row("c-s1-r1", Unknown, None),
            row("d-s1-r1", Crashed, None),
            row("gone-s1-r1", Invalid, None),
        ];
        let after = [
            row("a-s1-r1", Invalid, None),
            row("b-s1-r1", Valid, None),
            row("c-s1-r1", Invalid, None),
            row("d-s1-r1", Crashed, None),
            row("new-s1-r1", Unknown, None),
            row("ok-s1-r1", Valid, None),
        ];
        let c = compare(&before, &after);
        assert_eq!(c.new_failures, ["a-s1-r1", "new-s1-r1"]);
        assert_eq!(c.fixed, ["b-s1-r1"]);
        assert_eq!(c.still_failing, ["c-s1-r1", "d-s1-r1"]);
        assert!(c.latency_regressions.is_empty());
        assert_eq!(compare(&after, &after).new_failures, Vec::<String>::new());
    }

    #[test]
    fn a_latency_regression_needs_both_the_factor_and_the_milliseconds() {
        let before = [
            row("doubled-s1-r1", Valid, Some(20.0)),
            row("tiny-s1-r1", Valid, Some(2.0)),
            row("slight-s1-r1", Valid, Some(100.0)),
            row("none-before-s1-r1", Valid, None),
            row("faster-s1-r1", Valid, Some(50.0)),
        ];
        let after = [
            row("doubled-s1-r1", Valid, Some(40.0)),
            row("tiny-s1-r1", Valid, Some(6.5)),
            row("slight-s1-r1", Valid, Some(140.0)),
            row("none-before-s1-r1", Valid, Some(500.0)),
            row("faster-s1-r1", Valid, Some(10.0)),
        ];
        let c = compare(&before, &after);
        assert_eq!(
            c.latency_regressions,
            [LatencyRegression { id: "doubled-s1-r1".into(), before_p99_ms: 20.0, after_p99_ms: 40.0 }]
        );
    }
}
