//! The rw-register workload (Elle's): transactions of reads and writes over a rolling window of
//! keys, each value written at most once per key so a read names its writer. Within one
//! transaction a key is never read after it was written (a store's own-write visibility is not
//! what this workload tests), nor written twice (etcd refuses duplicate keys in a txn). Judged by the rw-register transactional checker.

use std::time::Duration;

use checkers::checker::CheckSpec;
use checkers::history::Semantics;
use checkers::txn::ConsistencyModel;
use checkers::Value;
use rand::Rng;
use serde_json::json;

use crate::generator::{stagger, BoxGen, Context, Generator, Invocation, Next};
use crate::keys::KeyWindow;

/// One micro-op of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mop {
    /// Read key `k`.
    Read(u64),
    /// Write `v` to key `k`.
    Write(u64, i64),
}

/// Decodes a `txn` invocation into its micro-ops; `None` if it is not one.
pub fn decode(op: &Invocation) -> Option<Vec<Mop>> {
    if op.f != "txn" {
        return None;
    }
    op.value
        .as_array()?
        .iter()
        .map(|mop| {
            let parts = mop.as_array()?;
            let key = parts.get(1)?.as_u64()?;
            match parts.first()?.as_str()? {
                "r" => Some(Mop::Read(key)),
                "w" => Some(Mop::Write(key, parts.get(2)?.as_i64()?)),
                _ => None,
            }
        })
        .collect()
}

/// The completed value of a transaction: each read with the value it saw.
pub fn completed(mops: &[Mop], reads: &[Option<i64>]) -> Value {
    let mut reads = reads.iter();
    Value::Array(
        mops.iter()
            .map(|m| match *m {
                Mop::Read(k) => checkers::value!(["r", k, reads.next().copied().flatten()]),
                Mop::Write(k, v) => checkers::value!(["w", k, v]),
            })
            .collect(),
    )
}

/// Transaction histories are never split by key.
pub fn semantics() -> Semantics {
    Semantics::default()
}

/// The checkers that judge an rw-register history: Elle's rw-register checker against `model`
/// (the target's promise, e.g. strict serializability for etcd, unless the test names one).
pub fn checkers(model: ConsistencyModel) -> Vec<CheckSpec> {
    crate::transactional("rw-register", model)
}

/// Generates transactions over a rolling window of live keys.
struct Txns {
    keys: KeyWindow,
}

impl Generator for Txns {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let len = ctx.rng.gen_range(1..=4);
        let mut mops = Vec::with_capacity(len);
        let mut written = Vec::new();
        for _ in 0..len {
            let key = self.keys.pick(ctx.rng);
            if ctx.rng.gen_bool(0.5) {
                if !written.contains(&key) {
                    mops.push(json!(["r", key, null]));
                }
                continue;
            }
            if written.contains(&key) {
                continue;
            }
            written.push(key);
            mops.push(json!(["w", key, self.keys.write(key)]));
        }
        if mops.is_empty() {
            mops.push(json!(["r", self.keys.first(), null]));
        }
        Next::Op(Invocation::new("txn", serde_json::Value::Array(mops)))
    }
}

/// Transactions of 1–4 micro-ops over 8 live keys, at about one per `mean_delay`.
pub fn generator(mean_delay: Duration) -> BoxGen {
    stagger(mean_delay, Box::new(Txns { keys: KeyWindow::new(8, 64) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn values_are_unique_per_key_and_reads_never_follow_own_writes() {
        let rng = &mut ChaCha8Rng::seed_from_u64(3);
        let mut g = generator(Duration::ZERO);
        let mut seen = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for _ in 0..2000 {
            let Next::Op(op) = g.next(&mut Context { time: Duration::ZERO, thread: 0, threads: 1, rng }) else {
                panic!("rw-register generator ran dry")
            };
            let mops = decode(&op).expect("decodes");
            let mut written = Vec::new();
            for m in mops {
                match m {
                    Mop::Write(k, v) => {
                        assert!(seen.insert((k, v)), "value {v} written twice to key {k}");
                        assert!(!written.contains(&k), "key {k} written twice in one txn");
                        written.push(k);
                        keys.insert(k);
                    }
                    Mop::Read(k) => assert!(!written.contains(&k), "read of {k} after writing it"),
                }
            }
        }
        assert!(keys.len() > 8, "keys never rolled over");
        let value = completed(&[Mop::Read(1), Mop::Write(1, 2), Mop::Read(3)], &[Some(5), None]);
        assert_eq!(value, json!([["r", 1, 5], ["w", 1, 2], ["r", 3, null]]));
    }
}
