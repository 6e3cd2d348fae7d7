//! The list-append checker against a brute-force oracle: on random histories of at most 8
//! transactions, the checker says invalid exactly when no serial order of the committed
//! transactions (respecting real time, for strict serializability) explains every read.
//!
//! Generator parameters (committed with the test): 2..=8 transactions, 1..=4 micro-ops each
//! over 1..=3 keys, reads half the time, one extra failed transaction 1 time in 8; each
//! history comes from a serial execution given overlapping time intervals around its
//! linearization points; 60% of the histories (75% for strict serializability) are then mutated once (change a read, drop an
//! append, or, for strict serializability, swap two completion times). Seeds are fixed; each oracle verdict must be at
//! least 30% of the cases, and unmutated histories must always be valid.

use checkers::history::{History, Op, OpType, Process};
use checkers::txn::{check_list_append, ConsistencyModel, TxnOptions};
use checkers::Validity;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const CASES: usize = 1000;

#[derive(Clone, Debug)]
struct Mop {
    append: bool,
    key: u8,
    /// The appended value, or the list read.
    values: Vec<u32>,
}

#[derive(Clone, Debug)]
struct Txn {
    mops: Vec<Mop>,
    start: u64,
    end: u64,
    ok: bool,
}

/// A serial execution laid out in time: txn i's interval contains its linearization point.
fn generate(rng: &mut ChaCha8Rng) -> Vec<Txn> {
    let n = rng.gen_range(2..=8);
    let keys = rng.gen_range(1..=3u8);
    let mut state: Vec<Vec<u32>> = vec![Vec::new(); keys as usize];
    let mut next = 1u32;
    let mut txns = Vec::new();
    for i in 0..n {
        let mut mops = Vec::new();
        for _ in 0..rng.gen_range(1..=4) {
            let key = rng.gen_range(0..keys);
            if rng.gen_bool(0.5) {
                mops.push(Mop { append: false, key, values: state[key as usize].clone() });
            } else {
                state[key as usize].push(next);
                mops.push(Mop { append: true, key, values: vec![next] });
                next += 1;
            }
        }
        let point = 300 + 100 * i as u64;
        let (start, end) = (point - rng.gen_range(1..250), point + rng.gen_range(1..250));
        txns.push(Txn { mops, start, end, ok: true });
    }
    if rng.gen_range(0..8) == 0 {
        let key = rng.gen_range(0..keys);
        let start = rng.gen_range(0..100 * n as u64);
        txns.push(Txn { mops: vec![Mop { append: true, key, values: vec![next] }], start, end: start + 50, ok: false });
    }
    txns
}

/// One mutation: change a read, drop an append, or (when real time matters) swap two
/// completion times.
fn mutate(rng: &mut ChaCha8Rng, txns: &mut [Txn], realtime: bool) {
    let n = txns.len();
    match rng.gen_range(0..if realtime { 3 } else { 2 }) {
        0 => {
            let all_values: Vec<u32> =
                txns.iter().flat_map(|t| t.mops.iter().filter(|m| m.append)).map(|m| m.values[0]).collect();
            let reads: Vec<(usize, usize)> = (0..n)
                .flat_map(|t| (0..txns[t].mops.len()).map(move |m| (t, m)))
                .filter(|&(t, m)| !txns[t].mops[m].append && txns[t].ok)
                .collect();
            if let Some(&(t, m)) = reads.get(rng.gen_range(0..reads.len().max(1))) {
                let list = &mut txns[t].mops[m].values;
                match rng.gen_range(0..3) {
                    0 if !list.is_empty() => {
                        list.pop();
                    }
                    1 if !all_values.is_empty() => list.push(all_values[rng.gen_range(0..all_values.len())]),
                    _ if list.len() >= 2 => list.swap(0, 1),
                    _ => list.clear(),
                }
            }
        }
        1 => {
            let appends: Vec<(usize, usize)> = (0..n)
                .flat_map(|t| (0..txns[t].mops.len()).map(move |m| (t, m)))
                .filter(|&(t, m)| txns[t].mops[m].append && txns[t].mops.len() > 1)
                .collect();
            if let Some(&(t, m)) = appends.get(rng.gen_range(0..appends.len().max(1))) {
                txns[t].mops.remove(m);
            }
        }
        _ => {
            let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
            let (ea, eb) = (txns[a].end, txns[b].end);
            if eb > txns[a].start && ea > txns[b].start {
                txns[a].end = eb;
                txns[b].end = ea;
            }
        }
    }
}

fn mops_json(t: &Txn, with_reads: bool) -> Value {
    Value::Array(
        t.mops
            .iter()
            .map(|m| match (m.append, with_reads) {
                (true, _) => json!(["append", m.key, m.values[0]]),
                (false, true) => json!(["r", m.key, m.values]),
                (false, false) => json!(["r", m.key, null]),
            })
            .collect(),
    )
}

/// The history; ties in time are broken by transaction number (invocations last).
fn history(txns: &[Txn]) -> History {
    let mut events: Vec<(u64, bool, usize)> = Vec::new();
    for (i, t) in txns.iter().enumerate() {
        events.push((t.start, true, i));
        events.push((t.end, false, i));
    }
    events.sort();
    let ops = events
        .iter()
        .enumerate()
        .map(|(index, &(time, invoke, i))| {
            let t = &txns[i];
            let (kind, value) = match (invoke, t.ok) {
                (true, _) => (OpType::Invoke, mops_json(t, false)),
                (false, true) => (OpType::Ok, mops_json(t, true)),
                (false, false) => (OpType::Fail, mops_json(t, false)),
            };
            Op {
                index: index as u64,
                time,
                kind,
                process: Process::Client(i as u64),
                f: "txn".into(),
                value: value.into(),
                node: None,
                error: None,
            }
        })
        .collect();
    History::from_ops(None, ops)
}

/// Brute force: is there a serial order of the committed txns (respecting real time when
/// `realtime`) in which every read sees exactly the appends before it?
fn serializable(txns: &[Txn], realtime: bool) -> bool {
    let committed: Vec<&Txn> = txns.iter().filter(|t| t.ok).collect();
    // Real-time precedence in history order: a completed before b was invoked.
    let before = |a: &Txn, b: &Txn| (a.end, false) < (b.start, true);
    let preds: Vec<u32> = committed
        .iter()
        .map(|b| (0..committed.len()).filter(|&a| realtime && before(committed[a], b)).fold(0, |m, a| m | 1 << a))
        .collect();
    let mut state: Vec<Vec<u32>> = vec![Vec::new(); 3];
    search(&committed, &preds, 0, &mut state)
}

fn search(txns: &[&Txn], preds: &[u32], placed: u32, state: &mut Vec<Vec<u32>>) -> bool {
    if placed.count_ones() as usize == txns.len() {
        return true;
    }
    for i in 0..txns.len() {
        if placed & 1 << i != 0 || preds[i] & !placed != 0 {
            continue;
        }
        let saved = state.clone();
        let fits = txns[i].mops.iter().all(|m| {
            let list = &mut state[m.key as usize];
            if m.append {
                list.push(m.values[0]);
                true
            } else {
                *list == m.values
            }
        });
        if fits && search(txns, preds, placed | 1 << i, state) {
            return true;
        }
        *state = saved;
    }
    false
}

fn run(model: ConsistencyModel, seed: u64) {
    let realtime = model == ConsistencyModel::StrictSerializable;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let options = TxnOptions { consistency_model: model, cycle_budget: None };
    let (mut valid, mut invalid) = (0, 0);
    for case in 0..CASES {
        let mut txns = generate(&mut rng);
        let mutated = rng.gen_bool(if realtime { 0.75 } else { 0.6 });
        if mutated {
            mutate(&mut rng, &mut txns, realtime);
        }
        let expected = serializable(&txns, realtime);
        assert!(mutated || expected, "case {case}: a serial execution must be serializable: {txns:?}");
        let h = history(&txns);
        let r = check_list_append(&h, &options);
        let got = r.validity;
        let want = if expected { Validity::Valid } else { Validity::Invalid };
        assert_eq!(got, want, "case {case} ({model}): {txns:#?}\n{:#?}\n{}", r.anomalies, r.stats);
        if expected {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    println!("{model}: {valid} valid, {invalid} invalid");
    assert!(valid * 10 >= CASES * 3 && invalid * 10 >= CASES * 3, "{model}: {valid} valid, {invalid} invalid");
}

#[test]
fn serializable_matches_brute_force() {
    run(ConsistencyModel::Serializable, 7);
}

#[test]
fn strict_serializable_matches_brute_force() {
    run(ConsistencyModel::StrictSerializable, 11);
}
