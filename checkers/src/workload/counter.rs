//! The counter checker (Jepsen's `counter`): every successful read must lie between the sum of
//! increments that certainly happened before it and the sum of those that may have.

use serde_json::json;

use super::{pairs, secs, Report};
use crate::anomaly_kind::AnomalyKind;
use crate::history::{History, OpType};
use crate::verdict::{CheckResult, Validity};

/// Checks reads (`f = read`, value an integer) against increments (`f = add`, value an
/// integer, possibly negative). An ok add completed before the read began counts for sure; an
/// ok add concurrent with the read, or an info add invoked before the read ended, may count.
pub fn counter(history: &History) -> CheckResult {
    let mut report = Report::new("counter");
    let all = pairs(history, None);
    // Events in history order: (position-ordered by time) adds and reads.
    let mut adds: Vec<(u64, u64, i64, OpType)> = Vec::new(); // (invoke time, end time, amount, outcome)
    for p in all.iter().filter(|p| p.invoke.f == "add") {
        let v = p.done.filter(|d| d.kind == OpType::Ok).map_or(&p.invoke.value, |d| &d.value);
        match v.as_i64() {
            Some(n) => adds.push((p.invoke.time, p.end(), n, p.outcome())),
            None => report.add(
                Validity::Unknown,
                AnomalyKind::Malformed,
                vec![p.invoke.index],
                format!("add op {} has value {v}, not an integer", p.invoke.index),
            ),
        }
    }
    // Certain: ok, completed before the read began (keyed by completion time). Possible: not
    // failed, invoked before the read ended (keyed by invocation time).
    let sums = |sign: i64, certain: bool| {
        let chosen = adds.iter().filter(|a| a.2.signum() == sign && (!certain || a.3 == OpType::Ok));
        Sums::new(chosen.filter(|a| a.3 != OpType::Fail).map(|a| (if certain { a.1 } else { a.0 }, a.2)).collect())
    };
    let (certain_pos, certain_neg) = (sums(1, true), sums(-1, true));
    let (possible_pos, possible_neg) = (sums(1, false), sums(-1, false));
    let mut reads = 0;
    let mut worst: Option<(i64, i64, i64)> = None;
    for p in all.iter().filter(|p| p.invoke.f == "read") {
        let Some(done) = p.done.filter(|d| d.kind == OpType::Ok) else { continue };
        let Some(value) = done.value.as_i64() else {
            report.add(
                Validity::Unknown,
                AnomalyKind::Malformed,
                vec![done.index],
                format!("read op {} returned {}, not an integer", done.index, done.value),
            );
            continue;
        };
        reads += 1;
        let (start, end) = (p.invoke.time, done.time);
        let lower = certain_pos.sum_before(start) + possible_neg.sum_through(end);
        let upper = possible_pos.sum_through(end) + certain_neg.sum_before(start);
        if value < lower || value > upper {
            report.add(
                Validity::Invalid,
                AnomalyKind::OutOfBounds,
                vec![done.index],
                format!(
                    "read op {} at {} returned {value}, but the increments that may have happened by then sum to between {lower} and {upper}",
                    done.index,
                    secs(done.time)
                ),
            );
            worst.get_or_insert((value, lower, upper));
        }
    }
    report.finish(json!({"reads": reads, "adds": adds.len(), "first_error": worst.map(|(v, l, u)| json!({"value": v, "lower": l, "upper": u}))}))
}

/// Amounts sorted by time with prefix sums, to sum those before a time in O(log n).
struct Sums {
    times: Vec<u64>,
    prefix: Vec<i64>,
}

impl Sums {
    fn new(mut items: Vec<(u64, i64)>) -> Sums {
        items.sort_unstable();
        let mut prefix = vec![0];
        for &(_, n) in &items {
            prefix.push(prefix[prefix.len() - 1] + n);
        }
        Sums { times: items.into_iter().map(|(t, _)| t).collect(), prefix }
    }

    /// The sum of amounts with time strictly before `t`.
    fn sum_before(&self, t: u64) -> i64 {
        self.prefix[self.times.partition_point(|&x| x < t)]
    }

    /// The sum of amounts with time at or before `t`.
    fn sum_through(&self, t: u64) -> i64 {
        self.prefix[self.times.partition_point(|&x| x <= t)]
    }
}
