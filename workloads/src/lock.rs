//! The lock workload: each worker acquires one shared lock (with a lease of `ttl` seconds and a
//! fencing token), reads the guarded register, writes it carrying the token, reads it again,
//! releases, and starts again (a read-modify-write under the lock: a holder stalled before its
//! write, by a pause of its node, writes after a later holder did, which fencing must refuse). Judged by the `lock` checker: holds that overlapped (reported; leases permit
//! it) and guarded writes accepted out of token order (invalid).
//!
//! Values are maps so a history reads on its own: `acquire` `{ttl}` (ok: `{ttl, token, lease,
//! key}`), `write` `{token, value}` (`fail` with error `fenced` when the register holds a higher
//! token), `read` `{token}` (ok adds `register`: `{token, value}` or null), `release` `{token,
//! lease, key}`. A client keeps no state between ops: each op carries what it needs.

use std::collections::BTreeMap;
use std::time::Duration;

use checkers::checker::{CheckSpec, CheckerOptions};
use checkers::history::Semantics;
use checkers::{OpType, Value};
use serde_json::json;

use crate::generator::{Context, Event, Generator, Invocation, Next};

/// How long a client waits for a lock-workload request: an acquire may wait for the holders
/// before it, and a guarded write stalled by a pause of its node must be able to land late,
/// which is what fencing is for (the holder believes it holds all the while, so its hold
/// outlives its lease).
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// What a holder knows of its hold: everything its later ops carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The fencing token (etcd: the lock key's create revision).
    pub token: i64,
    /// The lease that keeps the lock.
    pub lease: i64,
    /// The lock's key, as the service names the holder (what release gives back).
    pub key: String,
}

impl Hold {
    /// The hold an acquire's ok value describes.
    pub fn from_value(value: &Value) -> Option<Hold> {
        let map = value.as_object()?;
        Some(Hold {
            token: map.get("token")?.as_i64()?,
            lease: map.get("lease")?.as_i64()?,
            key: map.get("key")?.as_str()?.to_string(),
        })
    }

    /// An acquire's ok value: the request's TTL and this hold.
    pub fn acquired(&self, ttl: u64) -> serde_json::Value {
        json!({ "ttl": ttl, "token": self.token, "lease": self.lease, "key": self.key })
    }
}

/// One lock op, as a client executes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockOp {
    /// Take the lock with a lease of this many seconds.
    Acquire {
        /// The lease's time to live, seconds.
        ttl: u64,
    },
    /// Write `value` to the guarded register under `token`.
    Write {
        /// The writer's fencing token.
        token: i64,
        /// The value to write.
        value: i64,
    },
    /// Read the guarded register, holding `token`.
    Read {
        /// The reader's token.
        token: i64,
    },
    /// Give the lock back.
    Release(Hold),
}

impl LockOp {
    /// Decodes an invocation; `None` if it is not a lock op.
    pub fn decode(op: &Invocation) -> Option<LockOp> {
        let map = op.value.as_object()?;
        let int = |name: &str| map.get(name).and_then(serde_json::Value::as_i64);
        match op.f.as_str() {
            "acquire" => Some(LockOp::Acquire { ttl: map.get("ttl")?.as_u64()? }),
            "write" => Some(LockOp::Write { token: int("token")?, value: int("value")? }),
            "read" => Some(LockOp::Read { token: int("token")? }),
            "release" => Hold::from_value(&op.value).map(LockOp::Release),
            _ => None,
        }
    }

    /// The invocation of this op.
    pub fn invocation(&self) -> Invocation {
        match self {
            LockOp::Acquire { ttl } => Invocation::new("acquire", json!({ "ttl": ttl })),
            LockOp::Write { token, value } => Invocation::new("write", json!({ "token": token, "value": value })),
            LockOp::Read { token } => Invocation::new("read", json!({ "token": token })),
            LockOp::Release(h) => {
                Invocation::new("release", json!({ "token": h.token, "lease": h.lease, "key": h.key }))
            }
        }
    }

    /// Whether it only reads (cut short, it changed nothing).
    pub fn only_reads(&self) -> bool {
        matches!(self, LockOp::Read { .. })
    }
}

/// The ok value of a read: the token read under and what the register held.
pub fn read_value(token: i64, register: Option<(i64, i64)>) -> serde_json::Value {
    let register = register.map(|(t, v)| json!({ "token": t, "value": v }));
    json!({ "token": token, "register": register })
}

/// Lock histories are not split by key; nil reads and CAS do not occur.
pub fn semantics() -> Semantics {
    Semantics::default()
}

/// The checkers that judge a lock history: the `lock` checker.
pub fn checkers() -> Vec<CheckSpec> {
    vec![CheckSpec::new(checkers::workload::lock::CHECKER, CheckerOptions::default())]
}

/// Where one worker is in its acquire, write, read, release cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// An op is in flight.
    Waiting,
    /// Next: this op (an acquire when `None`), not before `at`.
    Next(Option<LockOp>, Duration),
}

/// The lock generator: every worker cycles acquire, write, read, release on one lock.
pub struct LockGen {
    ttl: u64,
    hold_for: Duration,
    backoff: Duration,
    next_value: i64,
    steps: BTreeMap<usize, Step>,
    /// Each holder's hold and whether it has written under it yet.
    holds: BTreeMap<usize, (Hold, bool)>,
}

/// Every worker cycles acquire (a lease of `ttl` seconds), read, write, read, release; it keeps
/// the lock `hold_for` between its acquire and its first read (work done under the lock, the
/// window a pause hits), waits `backoff` after an acquire that did not succeed, and twice that
/// after its release (so a worker retrying a lock service that does not queue gets its turn).
pub fn generator(ttl: u64, hold_for: Duration, backoff: Duration) -> LockGen {
    LockGen { ttl, hold_for, backoff, next_value: 0, steps: BTreeMap::new(), holds: BTreeMap::new() }
}

impl Generator for LockGen {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let step = self.steps.entry(ctx.thread).or_insert(Step::Next(None, Duration::ZERO));
        match step {
            Step::Waiting => Next::Pending(None),
            Step::Next(_, at) if ctx.time < *at => Next::Pending(Some(*at)),
            Step::Next(op, _) => {
                let op = op.take().unwrap_or(LockOp::Acquire { ttl: self.ttl });
                *step = Step::Waiting;
                Next::Op(op.invocation())
            }
        }
    }

    fn update(&mut self, event: &Event) {
        if event.kind == OpType::Invoke {
            return;
        }
        let (t, now) = (event.thread, event.time);
        let acquired = (event.f == "acquire" && event.kind == OpType::Ok).then(|| Hold::from_value(&event.value));
        let next = match (event.f.as_str(), acquired.flatten(), self.holds.get_mut(&t)) {
            ("acquire", Some(hold), _) => {
                let read = LockOp::Read { token: hold.token };
                self.holds.insert(t, (hold, false));
                Step::Next(Some(read), now + self.hold_for)
            }
            ("acquire", None, _) => Step::Next(None, now + self.backoff),
            ("read", _, Some((hold, false))) => {
                self.next_value += 1;
                Step::Next(Some(LockOp::Write { token: hold.token, value: self.next_value }), now)
            }
            ("write", _, Some((hold, written))) => {
                *written = true;
                Step::Next(Some(LockOp::Read { token: hold.token }), now)
            }
            ("read", _, Some((hold, true))) => Step::Next(Some(LockOp::Release(hold.clone())), now),
            ("release", _, _) => {
                self.holds.remove(&t);
                Step::Next(None, now + 2 * self.backoff)
            }
            _ => {
                self.holds.remove(&t);
                Step::Next(None, now)
            }
        };
        self.steps.insert(t, next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn ask(g: &mut LockGen, rng: &mut ChaCha8Rng, ms: u64, thread: usize) -> Next {
        g.next(&mut Context { time: Duration::from_millis(ms), thread, threads: 2, rng })
    }

    fn done(g: &mut LockGen, ms: u64, thread: usize, kind: OpType, f: &str, value: impl Into<Value>) {
        let time = Duration::from_millis(ms);
        g.update(&Event { time, thread, kind, f: f.into(), value: value.into() });
    }

    #[test]
    fn a_worker_cycles_acquire_read_write_read_release_carrying_its_hold() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let mut g = generator(2, Duration::from_millis(50), Duration::from_millis(20));
        let Next::Op(acquire) = ask(&mut g, rng, 0, 0) else { panic!() };
        assert_eq!(LockOp::decode(&acquire), Some(LockOp::Acquire { ttl: 2 }));
        assert_eq!(ask(&mut g, rng, 1, 0), Next::Pending(None), "one op at a time per worker");
        assert!(matches!(ask(&mut g, rng, 1, 1), Next::Op(_)), "other workers contend");
        done(&mut g, 5, 1, OpType::Info, "acquire", json!({"ttl": 2}));
        assert_eq!(ask(&mut g, rng, 6, 1), Next::Pending(Some(Duration::from_millis(25))), "backoff");
        let hold = Hold { token: 41, lease: 9, key: "l/9".into() };
        done(&mut g, 10, 0, OpType::Ok, "acquire", hold.acquired(2));
        assert_eq!(ask(&mut g, rng, 20, 0), Next::Pending(Some(Duration::from_millis(60))), "held a while");
        let Next::Op(first_read) = ask(&mut g, rng, 60, 0) else { panic!() };
        assert_eq!(LockOp::decode(&first_read), Some(LockOp::Read { token: 41 }));
        assert!(LockOp::decode(&first_read).unwrap().only_reads());
        done(&mut g, 61, 0, OpType::Fail, "read", first_read.value.clone());
        let Next::Op(write) = ask(&mut g, rng, 61, 0) else { panic!() };
        assert_eq!(LockOp::decode(&write), Some(LockOp::Write { token: 41, value: 1 }));
        done(&mut g, 62, 0, OpType::Fail, "write", write.value.clone());
        let Next::Op(read) = ask(&mut g, rng, 62, 0) else { panic!() };
        assert_eq!(LockOp::decode(&read), Some(LockOp::Read { token: 41 }));
        done(&mut g, 63, 0, OpType::Ok, "read", read_value(41, Some((41, 1))));
        let Next::Op(release) = ask(&mut g, rng, 63, 0) else { panic!() };
        assert_eq!(LockOp::decode(&release), Some(LockOp::Release(hold)));
        done(&mut g, 64, 0, OpType::Info, "release", release.value.clone());
        assert_eq!(ask(&mut g, rng, 64, 0), Next::Pending(Some(Duration::from_millis(104))), "the others' turn");
        let Next::Op(again) = ask(&mut g, rng, 104, 0) else { panic!() };
        assert_eq!(again.f, "acquire");
    }
}
