//! The rw-register checker against a brute-force oracle. Register version orders are only
//! partly inferable (unique writes, the initial state, order within a transaction), so the
//! checker is sound but not complete: whenever it says invalid, no serial order of the
//! committed transactions explains the reads; histories from a serial execution are always
//! valid; and it must catch a fair share of the invalid ones.
//!
//! Generator parameters: 2..=8 transactions of 1..=4 micro-ops over 1..=3 keys, reads half
//! the time, each value written once; 75% of histories get one mutation (a read changed to
//! another value of its key or nil, or a write dropped). Fixed seed; each oracle verdict must
//! be at least 30% of the cases.

use checkers::history::{History, Op, OpType, Process};
use checkers::txn::{check_rw_register, ConsistencyModel, TxnOptions};
use checkers::Validity;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const CASES: usize = 1000;

/// A micro-op: (write?, key, value; 0 is nil).
type Mop = (bool, u8, u32);

fn generate(rng: &mut ChaCha8Rng) -> Vec<Vec<Mop>> {
    let keys = rng.gen_range(1..=3u8);
    let mut state = [0u32; 3];
    let mut next = 1;
    (0..rng.gen_range(2..=8))
        .map(|_| {
            (0..rng.gen_range(1..=4))
                .map(|_| {
                    let k = rng.gen_range(0..keys);
                    if rng.gen_bool(0.5) {
                        (false, k, state[k as usize])
                    } else {
                        state[k as usize] = next;
                        next += 1;
                        (true, k, next - 1)
                    }
                })
                .collect()
        })
        .collect()
}

fn mutate(rng: &mut ChaCha8Rng, txns: &mut [Vec<Mop>]) {
    let all: Vec<(usize, usize)> = (0..txns.len()).flat_map(|t| (0..txns[t].len()).map(move |m| (t, m))).collect();
    let (t, m) = all[rng.gen_range(0..all.len())];
    let (write, k, _) = txns[t][m];
    if write && txns[t].len() > 1 {
        txns[t].remove(m);
    } else if !write {
        let current = txns[t][m].2;
        let values: Vec<u32> = txns
            .iter()
            .flatten()
            .filter(|&&(w, k2, v)| w && k2 == k && v != current)
            .map(|&(_, _, v)| v)
            .chain([0].into_iter().filter(|_| current != 0))
            .collect();
        if !values.is_empty() {
            txns[t][m].2 = values[rng.gen_range(0..values.len())];
        }
    }
}

/// All transactions concurrent (no real-time order), each on its own process.
fn history(txns: &[Vec<Mop>]) -> History {
    let json = |t: &[Mop], reads: bool| {
        Value::Array(
            t.iter()
                .map(|&(w, k, v)| match (w, reads && v != 0) {
                    (true, _) => json!(["w", k, v]),
                    (false, true) => json!(["r", k, v]),
                    (false, false) => json!(["r", k, null]),
                })
                .collect(),
        )
    };
    let n = txns.len();
    let ops = (0..2 * n)
        .map(|i| {
            let (t, invoke) = (i % n, i < n);
            let kind = if invoke { OpType::Invoke } else { OpType::Ok };
            let value = json(&txns[t], !invoke);
            Op {
                index: i as u64,
                time: i as u64,
                kind,
                process: Process::Client(t as u64),
                f: "txn".into(),
                value: value.into(),
                node: None,
                error: None,
            }
        })
        .collect();
    History::from_ops(None, ops)
}

fn serializable(txns: &[Vec<Mop>], placed: u32, state: &mut [u32; 3]) -> bool {
    if placed.count_ones() as usize == txns.len() {
        return true;
    }
    for (i, t) in txns.iter().enumerate() {
        if placed & 1 << i != 0 {
            continue;
        }
        let saved = *state;
        let fits = t.iter().all(|&(w, k, v)| {
            if w {
                state[k as usize] = v;
                true
            } else {
                state[k as usize] == v
            }
        });
        if fits && serializable(txns, placed | 1 << i, state) {
            return true;
        }
        *state = saved;
    }
    false
}

#[test]
fn rw_register_is_sound_against_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let options = TxnOptions { consistency_model: ConsistencyModel::Serializable, cycle_budget: None };
    let (mut valid, mut invalid, mut caught) = (0, 0, 0);
    for case in 0..CASES {
        let mut txns = generate(&mut rng);
        let mutated = rng.gen_bool(0.75);
        if mutated {
            mutate(&mut rng, &mut txns);
        }
        let expected = serializable(&txns, 0, &mut [0; 3]);
        assert!(mutated || expected, "case {case}: serial executions are serializable");
        let r = check_rw_register(&history(&txns), &options);
        assert_ne!(r.validity, Validity::Unknown, "case {case}: {:?}", r.unknown_reason);
        if expected {
            valid += 1;
            assert_eq!(r.validity, Validity::Valid, "case {case}: {txns:?}\n{:#?}", r.anomalies);
        } else {
            invalid += 1;
            caught += usize::from(r.validity == Validity::Invalid);
        }
    }
    println!("{valid} valid, {invalid} invalid, {caught} of those caught");
    assert!(valid * 10 >= CASES * 3 && invalid * 10 >= CASES * 3, "{valid} valid, {invalid} invalid");
    assert!(caught * 10 >= invalid * 7, "only {caught} of {invalid} invalid histories caught");
}
