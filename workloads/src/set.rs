//! The set workload (Jepsen's `set`): adds of unique integers, then a final read of the whole set
//! from every node, judged by the set checker (every acknowledged add is read, nothing else is).

use std::time::Duration;

use checkers::checker::{CheckSpec, CheckerOptions};
use checkers::history::Semantics;
use checkers::Value;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::generator::{stagger, BoxGen, FromFn, Invocation};

/// One set op, as a client executes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// Add this element.
    Add(i64),
    /// Read every element.
    Read,
}

impl SetOp {
    /// Decodes an invocation; `None` if it is not a set op.
    pub fn decode(op: &Invocation) -> Option<SetOp> {
        match (op.f.as_str(), &op.value) {
            ("add", v) => v.as_i64().map(SetOp::Add),
            ("read", Value::Null) => Some(SetOp::Read),
            _ => None,
        }
    }
}

/// The invocation that reads the whole set (the final reads).
pub fn read() -> Invocation {
    Invocation::new("read", Value::Null)
}

/// Set histories are not split by key; nil reads and CAS do not occur.
pub fn semantics() -> Semantics {
    Semantics::default()
}

/// The checkers that judge a set history: the set checker (adds against the final read).
pub fn checkers() -> Vec<CheckSpec> {
    vec![CheckSpec::new("set", CheckerOptions::default())]
}

/// Adds of 0, 1, 2, ... at about one per `mean_delay`.
pub fn generator(mean_delay: Duration) -> BoxGen {
    let mut next = 0i64;
    let adds: BoxGen = Box::new(FromFn(move |_: &mut ChaCha8Rng| {
        next += 1;
        Invocation::new("add", json!(next - 1))
    }));
    stagger(mean_delay, adds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{Context, Next};
    use rand::SeedableRng;

    #[test]
    fn adds_are_unique_and_decode() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let mut g = generator(Duration::ZERO);
        let ops: Vec<SetOp> = (0..3)
            .map(|_| match g.next(&mut Context { time: Duration::ZERO, thread: 0, threads: 1, rng }) {
                Next::Op(op) => SetOp::decode(&op).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ops, [SetOp::Add(0), SetOp::Add(1), SetOp::Add(2)]);
        assert_eq!(SetOp::decode(&read()), Some(SetOp::Read));
        assert_eq!(SetOp::decode(&Invocation::new("read", json!([1, null]))), None);
    }
}
