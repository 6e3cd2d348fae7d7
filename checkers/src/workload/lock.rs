//! The lock checker: a lock service with leases and fencing tokens, judged on two separate
//! counts (Kleppmann's and Jepsen's point: a lease lock is no mutex, fencing is what keeps the
//! resource safe).
//!
//! Ops (values are maps): `acquire` (ok value `{token, lease, ttl, key}`), `write` of the
//! guarded register (`{token, value}`; `fail` with error `fenced` when the register refused a
//! token lower than its own), `read` of it (`{token}`; ok value adds `register: {token, value}`
//! or null), `release` (`{token, lease, key}`).
//!
//! - **Overlapping holds** (`overlapping-holds`): a holder definitely believed it held from its
//!   acquire's ok until it last invoked an op under its token (its release, normally); two such
//!   windows of different tokens that overlap mean two clients held the lock at once. Leases
//!   permit this (a paused holder outlives its lease), so it is reported but leaves the verdict
//!   as it is. Only certain times count: an `info` acquire opens no window, and an op's
//!   invocation is when the client acted as holder whatever became of the op.
//! - **Writes out of token order** (`out-of-token-order`): a write of a lower token accepted
//!   after one of a higher token had been accepted; unsafe whatever the lease did: invalid.
//!   Token `b` is known accepted by the completion of its ok write or of an ok read that saw it;
//!   token `a < b` is known accepted after time `t` when an ok write of `a` was invoked at `t`,
//!   or an ok read invoked at `t` saw the register hold `a`.

use rustc_hash::FxHashMap;
use serde_json::json;

use super::{pairs, secs, Pair, Report};
use crate::anomaly_kind::AnomalyKind;
use crate::history::{History, Op, OpType};
use crate::verdict::{CheckResult, Validity};

/// The checker's name in the registry and in results.
pub const CHECKER: &str = "lock";

/// The functions the lock workload records.
pub const FUNCTIONS: [&str; 4] = ["acquire", "write", "read", "release"];

/// A token's hold, as far as the history makes it certain.
#[derive(Debug, Clone, Copy)]
struct Hold<'h> {
    token: i64,
    /// The acquire's completion (ok).
    granted: &'h Op,
    /// The latest invocation of an op under the token (the grant itself when there is none).
    last: &'h Op,
}

/// An op that proves something about when a token was accepted by the register.
#[derive(Debug, Clone, Copy)]
struct Evidence<'h> {
    time: u64,
    op: &'h Op,
    /// `write` or `read`.
    by_read: bool,
}

fn token_of(value: &crate::history::Value) -> Option<i64> {
    value.as_object()?.get("token")?.as_i64()
}

fn register_token(done: &Op) -> Result<Option<i64>, ()> {
    let map = done.value.as_object().ok_or(())?;
    match map.get("register") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(reg) => reg.get("token").and_then(serde_json::Value::as_i64).map(Some).ok_or(()),
    }
}

fn who(op: &Op) -> String {
    match &op.node {
        Some(node) => format!("process {} on {node}", op.process),
        None => format!("process {}", op.process),
    }
}

/// Checks a lock history: overlapping holds (reported) and guarded writes out of token order
/// (invalid).
pub fn lock(history: &History) -> CheckResult {
    let mut report = Report::new(CHECKER);
    let mut holds: FxHashMap<i64, Hold> = FxHashMap::default();
    let mut accepted: FxHashMap<i64, Evidence> = FxHashMap::default();
    let mut late: FxHashMap<i64, Evidence> = FxHashMap::default();
    let (mut granted, mut writes_ok, mut fenced) = (0, 0, 0);
    let all: Vec<Pair> = pairs(history, None).into_iter().filter(|p| FUNCTIONS.contains(&&*p.invoke.f)).collect();
    for p in &all {
        let ok = p.done.filter(|d| d.kind == OpType::Ok);
        if &*p.invoke.f == "acquire" {
            let Some(done) = ok else { continue };
            let Some(token) = token_of(&done.value) else {
                report.add(Validity::Unknown, AnomalyKind::Malformed, vec![done.index], malformed(done));
                continue;
            };
            granted += 1;
            if let Some(first) = holds.insert(token, Hold { token, granted: done, last: done }) {
                report.add(
                    Validity::Invalid,
                    AnomalyKind::OutOfTokenOrder,
                    vec![first.granted.index, done.index],
                    format!(
                        "token {token} was granted twice (ops {} and {}): two holders with one token defeat fencing",
                        first.granted.index, done.index
                    ),
                );
            }
        }
    }
    for p in &all {
        let f = &*p.invoke.f;
        if f == "acquire" {
            continue;
        }
        let Some(token) = token_of(&p.invoke.value) else {
            report.add(Validity::Unknown, AnomalyKind::Malformed, vec![p.invoke.index], malformed(p.invoke));
            continue;
        };
        if let Some(hold) = holds.get_mut(&token) {
            if p.invoke.time > hold.last.time {
                hold.last = p.invoke;
            }
        }
        let Some(done) = p.done.filter(|d| d.kind == OpType::Ok) else {
            fenced += usize::from(f == "write" && p.done.is_some_and(|d| d.error.as_deref() == Some("fenced")));
            continue;
        };
        let (seen, by_read) = match f {
            "write" => {
                writes_ok += 1;
                (token, false)
            }
            "read" => match register_token(done) {
                Ok(Some(seen)) => (seen, true),
                Ok(None) => continue,
                Err(()) => {
                    report.add(Validity::Unknown, AnomalyKind::Malformed, vec![done.index], malformed(done));
                    continue;
                }
            },
            _ => continue,
        };
        let known = Evidence { time: done.time, op: done, by_read };
        accepted.entry(seen).and_modify(|e| *e = if known.time < e.time { known } else { *e }).or_insert(known);
        let after = Evidence { time: p.invoke.time, op: p.invoke, by_read };
        late.entry(seen).and_modify(|e| *e = if after.time > e.time { after } else { *e }).or_insert(after);
    }
    let overlaps = overlapping_holds(&holds, &mut report);
    out_of_token_order(&accepted, &late, &mut report);
    report.finish(json!({
        "granted": granted,
        "writes_accepted": writes_ok,
        "writes_fenced": fenced,
        "overlapping_holds": overlaps,
    }))
}

fn malformed(op: &Op) -> String {
    format!("op {} ({} {}) has no token where the lock workload puts one", op.index, op.f, op.value)
}

/// Reports, for each hold that outlived the grant of others, the holds granted while it still
/// held (one anomaly per outliving hold); returns how many holds were granted while another
/// held. Reported with validity `valid`: leases permit it.
fn overlapping_holds(holds: &FxHashMap<i64, Hold>, report: &mut Report) -> usize {
    let mut by_start: Vec<&Hold> = holds.values().collect();
    by_start.sort_by_key(|h| (h.granted.time, h.granted.index));
    let mut longest: Option<&Hold> = None;
    let mut groups: Vec<(&Hold, Vec<&Hold>)> = Vec::new();
    for hold in by_start {
        if let Some(earlier) = longest.filter(|e| hold.granted.time < e.last.time) {
            match groups.last_mut() {
                Some((e, later)) if e.token == earlier.token => later.push(hold),
                _ => groups.push((earlier, vec![hold])),
            }
        }
        if longest.is_none_or(|e| hold.last.time > e.last.time) {
            longest = Some(hold);
        }
    }
    let count = groups.iter().map(|(_, later)| later.len()).sum();
    for (earlier, later) in groups {
        let first = later[0];
        let tokens: Vec<String> = later.iter().map(|h| h.token.to_string()).collect();
        let mut ops = vec![earlier.granted.index, earlier.last.index];
        ops.extend(later.iter().map(|h| h.granted.index));
        report.add(
            Validity::Valid,
            AnomalyKind::OverlappingHolds,
            ops,
            format!(
                "mutual exclusion broken: token {} ({}) held the lock from {} (op {}) and still acted as holder at \
                 {} (op {} {}), yet the lock was granted to token{} {} meanwhile, first to {} at {} (op {}): two \
                 holders at once (a lease lock permits this when a holder outlives its lease; fencing keeps the \
                 register safe)",
                earlier.token,
                who(earlier.granted),
                secs(earlier.granted.time),
                earlier.granted.index,
                secs(earlier.last.time),
                earlier.last.index,
                earlier.last.f,
                if later.len() > 1 { "s" } else { "" },
                tokens.join(", "),
                who(first.granted),
                secs(first.granted.time),
                first.granted.index,
            ),
        );
    }
    count
}

/// Reports each token accepted after a higher token had been: invalid.
fn out_of_token_order(accepted: &FxHashMap<i64, Evidence>, late: &FxHashMap<i64, Evidence>, report: &mut Report) {
    let mut tokens: Vec<i64> = accepted.keys().copied().collect();
    tokens.sort_unstable();
    // The earliest acceptance among tokens above each position.
    let mut earliest_above: Vec<Option<(i64, Evidence)>> = vec![None; tokens.len()];
    let mut best: Option<(i64, Evidence)> = None;
    for (i, token) in tokens.iter().enumerate().rev() {
        earliest_above[i] = best;
        let e = accepted[token];
        if best.is_none_or(|(_, b)| e.time < b.time) {
            best = Some((*token, e));
        }
    }
    for (i, low) in tokens.iter().enumerate() {
        let (Some((high, known)), Some(after)) = (earliest_above[i], late.get(low)) else { continue };
        if known.time >= after.time {
            continue;
        }
        let how_high = if known.by_read { "read from the register by" } else { "accepted by write" };
        let how_low = if after.by_read {
            format!("op {} read the register holding token {low}, invoked", after.op.index)
        } else {
            format!("write op {} of token {low} was accepted, invoked", after.op.index)
        };
        report.add(
            Validity::Invalid,
            AnomalyKind::OutOfTokenOrder,
            vec![known.op.index, after.op.index],
            format!(
                "guarded write out of token order: token {high} was {how_high} op {} by {}, yet {how_low} at {} \
                 ({}): a lower token was accepted after a higher one",
                known.op.index,
                secs(known.time),
                secs(after.time),
                who(after.op),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Process;
    use serde_json::Value as J;

    /// A history builder: ops appended in time order, one ms apart unless told.
    #[derive(Default)]
    struct H(Vec<Op>);

    impl H {
        fn op(&mut self, at: u64, process: u64, kind: OpType, f: &str, value: J, error: Option<&str>) -> &mut H {
            let index = self.0.len() as u64;
            self.0.push(Op {
                index,
                time: at * 1_000_000,
                kind,
                process: Process::Client(process),
                f: f.into(),
                value: value.into(),
                node: Some(format!("n{}", process % 5 + 1).as_str().into()),
                error: error.map(Into::into),
            });
            self
        }
        fn history(&self) -> History {
            History::from_ops(None, self.0.clone())
        }
    }

    fn acquire(h: &mut H, p: u64, from: u64, to: u64, token: i64) {
        h.op(from, p, OpType::Invoke, "acquire", json!({"ttl": 2}), None);
        h.op(to, p, OpType::Ok, "acquire", json!({"ttl": 2, "token": token, "lease": 7, "key": "k"}), None);
    }

    fn write(h: &mut H, p: u64, from: u64, to: u64, token: i64, outcome: OpType) {
        let v = json!({"token": token, "value": token * 10});
        let error = match outcome {
            OpType::Fail => Some("fenced"),
            OpType::Info => Some("timeout"),
            _ => None,
        };
        h.op(from, p, OpType::Invoke, "write", v.clone(), None);
        h.op(to, p, outcome, "write", v, error);
    }

    fn read(h: &mut H, p: u64, from: u64, to: u64, token: i64, saw: Option<i64>) {
        h.op(from, p, OpType::Invoke, "read", json!({"token": token}), None);
        let register = saw.map(|t| json!({"token": t, "value": t * 10}));
        h.op(to, p, OpType::Ok, "read", json!({"token": token, "register": register}), None);
    }

    fn release(h: &mut H, p: u64, at: u64, token: i64) {
        let v = json!({"token": token, "lease": 7, "key": "k"});
        h.op(at, p, OpType::Invoke, "release", v.clone(), None);
        h.op(at + 1, p, OpType::Ok, "release", v, None);
    }

    fn kinds(r: &CheckResult) -> Vec<String> {
        r.anomalies.iter().map(|a| a.kind.to_string()).collect()
    }

    /// Ops built out of time order get their indices from their times.
    fn sorted(h: &H) -> History {
        let mut ops = h.0.clone();
        ops.sort_by_key(|o| o.time);
        for (i, op) in ops.iter_mut().enumerate() {
            op.index = i as u64;
        }
        History::from_ops(None, ops)
    }

    #[test]
    fn sequential_holds_are_valid_and_a_grant_during_a_hold_overlaps() {
        let mut h = H::default();
        acquire(&mut h, 0, 0, 1, 10);
        write(&mut h, 0, 2, 3, 10, OpType::Ok);
        read(&mut h, 0, 3, 4, 10, Some(10));
        release(&mut h, 0, 5, 10);
        acquire(&mut h, 1, 5, 7, 12);
        let r = lock(&h.history());
        assert_eq!((r.validity, kinds(&r)), (Validity::Valid, vec![]), "{r:?}");
        assert_eq!((r.stats["granted"].as_u64(), r.stats["writes_accepted"].as_u64()), (Some(2), Some(1)));
        // Token 12's holder stalls: its write is invoked at 20 ms and times out, its release is
        // invoked at 61 ms; 13 and 14 are granted meanwhile, and 13's write is accepted.
        write(&mut h, 1, 20, 60, 12, OpType::Info);
        release(&mut h, 4, 61, 12);
        acquire(&mut h, 2, 30, 31, 13);
        write(&mut h, 2, 32, 33, 13, OpType::Ok);
        release(&mut h, 2, 34, 13);
        acquire(&mut h, 3, 35, 36, 14);
        let r = lock(&sorted(&h));
        assert_eq!(r.validity, Validity::Valid, "overlaps alone leave the verdict: {r:?}");
        assert_eq!((kinds(&r), r.stats["overlapping_holds"].as_u64()), (vec!["overlapping-holds".into()], Some(2)));
        let text = &r.anomalies[0].explanation;
        assert!(text.contains("token 12") && text.contains("tokens 13, 14") && text.contains("0.061 s"), "{text}");
    }

    #[test]
    fn an_info_acquire_opens_no_hold_and_touching_windows_do_not_overlap() {
        let mut h = H::default();
        h.op(0, 0, OpType::Invoke, "acquire", json!({"ttl": 2}), None);
        h.op(50, 0, OpType::Info, "acquire", json!({"ttl": 2}), Some("timeout"));
        acquire(&mut h, 1, 1, 2, 20);
        release(&mut h, 1, 5, 20);
        acquire(&mut h, 2, 3, 5, 21);
        let r = lock(&sorted(&h));
        assert_eq!((r.validity, kinds(&r)), (Validity::Valid, vec![]), "{r:?}");
    }

    #[test]
    fn a_lower_token_accepted_after_a_higher_one_is_invalid() {
        // Token 5's write is accepted (by 3 ms); token 4's write, invoked at 10 ms, is too.
        let mut h = H::default();
        write(&mut h, 0, 1, 3, 5, OpType::Ok);
        write(&mut h, 1, 10, 11, 4, OpType::Ok);
        let r = lock(&sorted(&h));
        assert_eq!((r.validity, kinds(&r)), (Validity::Invalid, vec!["out-of-token-order".into()]), "{r:?}");
        assert!(r.anomalies[0].explanation.contains("token 5 was accepted by write"), "{r:?}");
        // Concurrent writes may have landed in either order: nothing is certain.
        let mut h = H::default();
        write(&mut h, 0, 1, 10, 5, OpType::Ok);
        write(&mut h, 1, 2, 11, 4, OpType::Ok);
        assert_eq!(lock(&sorted(&h)).validity, Validity::Valid);
        // A fenced (failed) lower write and an indeterminate one prove nothing.
        let mut h = H::default();
        write(&mut h, 0, 1, 3, 5, OpType::Ok);
        write(&mut h, 1, 10, 11, 4, OpType::Fail);
        write(&mut h, 2, 12, 13, 3, OpType::Info);
        let r = lock(&sorted(&h));
        assert_eq!((r.validity, r.stats["writes_fenced"].as_u64()), (Validity::Valid, Some(1)), "{r:?}");
    }

    #[test]
    fn reads_prove_acceptance_of_writes_whose_ack_was_lost() {
        // Token 9's write is indeterminate, but a read sees it; a later read sees token 8.
        let mut h = H::default();
        write(&mut h, 0, 1, 50, 9, OpType::Info);
        read(&mut h, 1, 2, 3, 7, Some(9));
        read(&mut h, 2, 5, 6, 7, Some(8));
        let r = lock(&sorted(&h));
        assert_eq!((r.validity, kinds(&r)), (Validity::Invalid, vec!["out-of-token-order".into()]), "{r:?}");
        assert!(r.anomalies[0].explanation.contains("read the register holding token 8"), "{r:?}");
        // Reads of one token, or rising tokens, are fine.
        let mut h = H::default();
        read(&mut h, 1, 2, 3, 7, Some(8));
        read(&mut h, 2, 5, 6, 7, Some(9));
        read(&mut h, 3, 7, 8, 7, None);
        assert_eq!(lock(&sorted(&h)).validity, Validity::Valid);
    }

    #[test]
    fn tokens_granted_twice_and_ops_without_tokens_are_reported() {
        let mut h = H::default();
        acquire(&mut h, 0, 0, 1, 3);
        release(&mut h, 0, 2, 3);
        acquire(&mut h, 1, 4, 5, 3);
        let r = lock(&h.history());
        assert_eq!((r.validity, kinds(&r)), (Validity::Invalid, vec!["out-of-token-order".into()]), "{r:?}");
        let mut h = H::default();
        h.op(0, 0, OpType::Invoke, "write", json!({"value": 1}), None);
        h.op(1, 0, OpType::Ok, "write", json!({"value": 1}), None);
        let r = lock(&h.history());
        assert_eq!((r.validity, kinds(&r)), (Validity::Unknown, vec!["malformed".into()]), "{r:?}");
    }
}
