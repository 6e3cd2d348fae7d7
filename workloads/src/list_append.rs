//! The list-append workload (Elle's): transactions of reads and appends over a rolling window
//! of keys, each key holding a list; every value is appended at most once per key, so a read's
//! list names the order of the appends it saw. A read after an append of the same transaction
//! sees it (internal consistency is part of what the checker judges). Judged by the list-append
//! transactional checker.

use std::time::Duration;

use checkers::checker::CheckSpec;
use checkers::history::Semantics;
use checkers::txn::ConsistencyModel;
use checkers::Value;
use rand::Rng;
use serde_json::json;

use crate::generator::{stagger, BoxGen, Context, Generator, Invocation, Next};
use crate::keys::KeyWindow;

/// One micro-op of a list-append transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mop {
    /// Read the list at key `k`.
    Read(u64),
    /// Append `v` to the list at key `k`.
    Append(u64, i64),
}

impl Mop {
    /// The key it touches.
    pub fn key(&self) -> u64 {
        match *self {
            Mop::Read(k) | Mop::Append(k, _) => k,
        }
    }
}

/// Decodes a list-append `txn` invocation into its micro-ops; `None` if it is not one.
pub fn decode(op: &Invocation) -> Option<Vec<Mop>> {
    if op.f != "txn" {
        return None;
    }
    let mops = op.value.as_array()?;
    let decoded: Option<Vec<Mop>> = mops
        .iter()
        .map(|mop| {
            let parts = mop.as_array()?;
            let key = parts.get(1)?.as_u64()?;
            match parts.first()?.as_str()? {
                "r" => Some(Mop::Read(key)),
                "append" => Some(Mop::Append(key, parts.get(2)?.as_i64()?)),
                _ => None,
            }
        })
        .collect();
    // A transaction of reads only is the same in both transactional workloads; one with an
    // append is list-append's.
    decoded.filter(|m| !m.is_empty())
}

/// The keys `mops` touch, each once, in order of first appearance.
pub fn keys(mops: &[Mop]) -> Vec<u64> {
    let mut keys = Vec::new();
    for m in mops {
        if !keys.contains(&m.key()) {
            keys.push(m.key());
        }
    }
    keys
}

/// Runs `mops` over the lists `before` (one per key of [`keys`], in that order): the completed
/// transaction's value (each read with the list it saw, own appends included) and each key's
/// list after it.
pub fn apply(mops: &[Mop], before: &[Vec<i64>]) -> (Value, Vec<Vec<i64>>) {
    let order = keys(mops);
    let mut lists = before.to_vec();
    lists.resize(order.len(), Vec::new());
    let done = mops
        .iter()
        .map(|m| {
            let slot = order.iter().position(|k| *k == m.key()).unwrap_or(0);
            match *m {
                Mop::Read(k) => checkers::value!(["r", k, lists[slot].clone()]),
                Mop::Append(k, v) => {
                    lists[slot].push(v);
                    checkers::value!(["append", k, v])
                }
            }
        })
        .collect();
    (Value::Array(done), lists)
}

/// The completed value of a transaction a store ran: each read with the list it saw (`reads`,
/// one per read in order; a missing one reads as empty).
pub fn completed(mops: &[Mop], reads: &[Vec<i64>]) -> Value {
    let mut reads = reads.iter();
    let done = mops
        .iter()
        .map(|m| match *m {
            Mop::Read(k) => checkers::value!(["r", k, reads.next().cloned().unwrap_or_default()]),
            Mop::Append(k, v) => checkers::value!(["append", k, v]),
        })
        .collect();
    Value::Array(done)
}

/// Transaction histories are never split by key.
pub fn semantics() -> Semantics {
    crate::rw_register::semantics()
}

/// The checkers that judge a list-append history: Elle's list-append checker against `model`.
pub fn checkers(model: ConsistencyModel) -> Vec<CheckSpec> {
    crate::transactional("list-append", model)
}

/// Generates list-append transactions over a rolling window of live keys.
struct Appends {
    keys: KeyWindow,
}

impl Generator for Appends {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let len = ctx.rng.gen_range(1..=4);
        let mops: Vec<serde_json::Value> = (0..len)
            .map(|_| {
                let key = self.keys.pick(ctx.rng);
                if ctx.rng.gen_bool(0.5) {
                    json!(["r", key, null])
                } else {
                    json!(["append", key, self.keys.write(key)])
                }
            })
            .collect();
        Next::Op(Invocation::new("txn", serde_json::Value::Array(mops)))
    }
}

/// Transactions of 1–4 reads and appends over `live` keys (each retired after 32 appends), at
/// about one per `mean_delay`. Few keys make transactions conflict, which is what shows
/// anomalies.
pub fn generator(live: u64, mean_delay: Duration) -> BoxGen {
    stagger(mean_delay, Box::new(Appends { keys: KeyWindow::new(live, 32) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn appends_are_unique_per_key_and_keys_roll_over() {
        let rng = &mut ChaCha8Rng::seed_from_u64(5);
        let mut g = generator(4, Duration::ZERO);
        let mut seen = std::collections::HashSet::new();
        let mut reads = 0;
        for _ in 0..1000 {
            let Next::Op(op) = g.next(&mut Context { time: Duration::ZERO, thread: 0, threads: 1, rng }) else {
                panic!("list-append generator ran dry")
            };
            let mops = decode(&op).expect("decodes");
            assert!((1..=4).contains(&mops.len()));
            for m in mops {
                match m {
                    Mop::Append(k, v) => assert!(seen.insert((k, v)), "{v} appended twice to key {k}"),
                    Mop::Read(_) => reads += 1,
                }
            }
        }
        assert!(seen.iter().any(|(k, _)| *k >= 4), "keys never rolled over");
        assert!(reads > 300 && seen.len() > 300, "{reads} reads, {} appends", seen.len());
    }

    #[test]
    fn reads_see_the_lists_before_and_own_appends() {
        let mops = [Mop::Read(1), Mop::Append(1, 5), Mop::Read(1), Mop::Append(2, 7)];
        assert_eq!(keys(&mops), [1, 2]);
        let (value, after) = apply(&mops, &[vec![3]]);
        assert_eq!(value, json!([["r", 1, [3]], ["append", 1, 5], ["r", 1, [3, 5]], ["append", 2, 7]]));
        assert_eq!(after, [vec![3, 5], vec![7]]);
        assert_eq!(decode(&Invocation::new("txn", json!([["w", 1, 2]]))), None);
        assert_eq!(decode(&Invocation::new("txn", json!([]))), None);
    }
}
