//! The register workload: reads, writes and compare-and-sets over many independent keys, each
//! key checked on its own with the linearizability checker (model `cas-register`).
//!
//! Values follow the independent-keys convention of the history: read `[k null]` (the result
//! `[k v]`, `v` null when the key is absent), write `[k v]`, cas `[k [old new]]`.

use std::time::Duration;

use checkers::checker::{CheckSpec, CheckerOptions};
use checkers::history::{FailedCas, NilRead, Semantics};
use checkers::linearizable::ModelKind;
use checkers::Value;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::generator::{independent, limit, stagger, BoxGen, FromFn, Invocation};

/// One register op, as a client executes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOp {
    /// Read key `k`.
    Read(u64),
    /// Write `v` to key `k`.
    Write(u64, i64),
    /// Set key `k` to `new` if it holds `old`.
    Cas(u64, i64, i64),
}

impl RegisterOp {
    /// Decodes an invocation; `None` if it is not a register op.
    pub fn decode(op: &Invocation) -> Option<RegisterOp> {
        let key = op.value.get(0)?.as_u64()?;
        let arg = op.value.get(1)?;
        match op.f.as_str() {
            "read" => Some(RegisterOp::Read(key)),
            "write" => Some(RegisterOp::Write(key, arg.as_i64()?)),
            "cas" => Some(RegisterOp::Cas(key, arg.get(0)?.as_i64()?, arg.get(1)?.as_i64()?)),
            _ => None,
        }
    }

    /// The key.
    pub fn key(&self) -> u64 {
        match *self {
            RegisterOp::Read(k) | RegisterOp::Write(k, _) | RegisterOp::Cas(k, _, _) => k,
        }
    }
}

/// The invocation that reads `key` (used by the final reads too).
pub fn read(key: u64) -> Invocation {
    Invocation::new("read", json!([key, null]))
}

/// The semantics of every register client faultline ships: a nil read means the key is absent,
/// a failed CAS with error `mismatch` was evaluated, and keys are independent.
pub fn semantics() -> Semantics {
    Semantics { nil_read: NilRead::Absent, failed_cas: FailedCas::Observed, independent: true }
}

/// The checkers that judge a register history: linearizability per key against the
/// cas-register model (semantics from the history's header), with the default budgets.
pub fn checkers() -> Vec<CheckSpec> {
    let options = CheckerOptions { model: Some(ModelKind::CasRegister), ..CheckerOptions::default() };
    vec![CheckSpec::new(checkers::linearizable::CHECKER, options).with_default_budgets()]
}

/// The register generator: per key at most `ops_per_key` ops (reads, writes and CAS in equal
/// parts), `threads_per_key` threads per key, about one op per `mean_delay`. Every value written
/// to a key is new for that key (1, 2, 3, ...), as DESIGN.md promises: a read then names the op
/// whose value it saw, which lets the checker build a linearization without searching. A CAS
/// expects one of the last two values issued for its key, so about half of them can succeed.
pub fn generator(ops_per_key: usize, threads_per_key: usize, mean_delay: Duration) -> BoxGen {
    let ops = independent(threads_per_key, move |_key| {
        let mut issued: i64 = 0;
        let op: BoxGen = Box::new(FromFn(move |rng: &mut ChaCha8Rng| match rng.gen_range(0..3) {
            0 => Invocation::new("read", Value::Null),
            1 => {
                issued += 1;
                Invocation::new("write", json!(issued))
            }
            _ => {
                let expected = (issued - rng.gen_range(0..2)).max(0);
                issued += 1;
                Invocation::new("cas", json!([expected, issued]))
            }
        }));
        limit(ops_per_key, op)
    });
    stagger(mean_delay, ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{Context, Next};
    use rand::SeedableRng;

    #[test]
    fn ops_decode_and_keys_roll_over() {
        let rng = &mut ChaCha8Rng::seed_from_u64(9);
        let mut g = generator(4, 2, Duration::ZERO);
        let mut seen = Vec::new();
        for _ in 0..12 {
            let Next::Op(op) = g.next(&mut Context { time: Duration::ZERO, thread: 0, threads: 2, rng }) else {
                panic!("register generator ran dry")
            };
            seen.push(RegisterOp::decode(&op).expect("decodes"));
        }
        assert_eq!(seen.iter().filter(|op| op.key() == 0).count(), 4);
        assert_eq!(seen.last().unwrap().key(), 2);
        assert!(seen.iter().any(|op| matches!(op, RegisterOp::Cas(..))));
        assert_eq!(RegisterOp::decode(&read(7)), Some(RegisterOp::Read(7)));
    }

    #[test]
    fn values_are_unique_per_key() {
        let rng = &mut ChaCha8Rng::seed_from_u64(3);
        let mut g = generator(60, 1, Duration::ZERO);
        let mut written: std::collections::HashSet<(u64, i64)> = std::collections::HashSet::new();
        let (mut writes, mut cases) = (0, 0);
        for _ in 0..300 {
            let Next::Op(op) = g.next(&mut Context { time: Duration::ZERO, thread: 0, threads: 1, rng }) else {
                panic!("register generator ran dry")
            };
            let (key, new) = match RegisterOp::decode(&op).expect("decodes") {
                RegisterOp::Write(k, v) => (k, v),
                RegisterOp::Cas(k, _, v) => {
                    cases += 1;
                    (k, v)
                }
                RegisterOp::Read(_) => continue,
            };
            writes += 1;
            assert!(written.insert((key, new)), "value {new} written twice to key {key}");
        }
        assert!(writes > 150 && cases > 50, "{writes} writes, {cases} CASes");
    }
}
