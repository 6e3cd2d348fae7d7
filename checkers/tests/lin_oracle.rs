//! The checker against a brute-force oracle on small random histories (≤ 8 ops), for every
//! model, under both failed-CAS and both nil-read semantics, with crashed ops, failed CAS
//! (`mismatch` and other errors) and nemesis noise. Valid histories come from a simulated
//! sequential object; invalid ones by mutating them (change a read, drop a write, reorder two
//! completions). Each verdict must be at least 30% of the cases, so the test cannot pass
//! vacuously.
//!
//! The oracle shares no code with the checker: it pairs ops itself, applies the semantics
//! itself, runs its own sequential specifications on JSON values, and tries every order of
//! every subset of the crashed ops that respects real time.
//!
//! Generator parameters (committed here): seed `SEED + model number`, `CASES` histories per
//! model, 2–3 processes, 3–8 ops, values 0–2, crash probability 0.2, refused-op probability
//! 0.1, mutation probability `MUTATE` (up to four
//! mutations, until the oracle rejects the history). The crash-heavy register cases aim at the
//! search's crashed-op reductions: 3 processes, values 0–1 (so crashed ops are often equal, and
//! crashed writes are often read later or never), crash probability `CRASH_HEAVY`, `CRASH_HEAVY_CASES` histories, and failed
//! CAS mismatches under `observed` semantics in half the cases. The unique CAS register cases
//! write each value once (a counter; a CAS expects one of the last two values written), so the
//! greedy linearization builder must decide most of their valid cases on its own.

use std::collections::{BTreeMap, VecDeque};

use checkers::history::{FailedCas, History, NilRead, Op, OpType, Process, Semantics};
use checkers::linearizable::{check, ModelKind, Options};
use checkers::Validity;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const SEED: u64 = 0x005e_ed0f_11ae;
const CASES: usize = 700;
/// Probability that a generated history is mutated towards an invalid one.
const MUTATE: f64 = 0.62;
/// Crash probability of the crash-heavy cases.
const CRASH_HEAVY: f64 = 0.4;
/// Histories per crash-heavy case.
const CRASH_HEAVY_CASES: usize = 3000;

// ---------------------------------------------------------------- sequential specifications

/// The oracle's own object: JSON state, one `apply` per model.
#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Register(Value),
    Map(BTreeMap<String, Value>, Value),
    Set(Vec<i64>),
    Queue(VecDeque<Value>),
    Mutex(bool),
}

/// How one op ended, for the oracle.
#[derive(Debug, Clone, PartialEq)]
enum End {
    Ok(Value),
    Mismatch,
    Crashed,
}

fn key_name(k: &Value) -> String {
    k.as_str().map_or_else(|| k.to_string(), str::to_string)
}

/// Applies `f(input)` ending as `end` to `obj`: the next state, or `None` when impossible.
fn apply(obj: &Obj, f: &str, input: &Value, end: &End, nil: NilRead) -> Option<Obj> {
    let nil_free = |v: &Value| v.is_null() && nil == NilRead::Any;
    match (obj, f) {
        (Obj::Register(v), "read") => match end {
            End::Ok(seen) if !nil_free(seen) && seen != v => None,
            _ => Some(obj.clone()),
        },
        (Obj::Register(_), "write") => Some(Obj::Register(input.clone())),
        (Obj::Register(v), "cas") => match end {
            End::Mismatch => (*v != input[0]).then(|| obj.clone()),
            _ => (*v == input[0]).then(|| Obj::Register(input[1].clone())),
        },
        (Obj::Map(map, default), "txn") => {
            let micros = match end {
                End::Ok(seen) => seen,
                _ => input,
            };
            let mut map = map.clone();
            for m in micros.as_array()? {
                let k = key_name(&m[1]);
                match m[0].as_str()? {
                    "read" => {
                        let current = map.get(&k).unwrap_or(default);
                        if matches!(end, End::Ok(_)) && !nil_free(&m[2]) && *current != m[2] {
                            return None;
                        }
                    }
                    _ => {
                        map.insert(k, m[2].clone());
                    }
                }
            }
            Some(Obj::Map(map, default.clone()))
        }
        (Obj::Set(s), "add") => {
            let mut s = s.clone();
            let v = input.as_i64()?;
            if !s.contains(&v) {
                s.push(v);
                s.sort_unstable();
            }
            Some(Obj::Set(s))
        }
        (Obj::Set(s), "read") => match end {
            End::Ok(Value::Null) if nil == NilRead::Any => Some(obj.clone()),
            End::Ok(Value::Null) => s.is_empty().then(|| obj.clone()),
            End::Ok(seen) => {
                let mut seen: Vec<i64> = seen.as_array()?.iter().filter_map(Value::as_i64).collect();
                seen.sort_unstable();
                seen.dedup();
                (seen == *s).then(|| obj.clone())
            }
            _ => Some(obj.clone()),
        },
        (Obj::Queue(q), "enqueue") => {
            let mut q = q.clone();
            q.push_back(input.clone());
            Some(Obj::Queue(q))
        }
        (Obj::Queue(q), "dequeue") => {
            let mut q = q.clone();
            match end {
                End::Ok(Value::Null) if nil == NilRead::Absent => q.is_empty().then_some(Obj::Queue(q)),
                End::Ok(Value::Null) | End::Crashed => {
                    q.pop_front();
                    Some(Obj::Queue(q))
                }
                End::Ok(seen) => (q.pop_front().as_ref() == Some(seen)).then_some(Obj::Queue(q)),
                End::Mismatch => None,
            }
        }
        (Obj::Mutex(held), "acquire") => (!held).then_some(Obj::Mutex(true)),
        (Obj::Mutex(held), "release") => held.then_some(Obj::Mutex(false)),
        _ => None,
    }
}

// ---------------------------------------------------------------- the oracle

struct OracleOp {
    f: String,
    input: Value,
    end: End,
    call: usize,
    ret: Option<usize>,
}

/// Every order of every subset of crashed ops that respects real time; true if one explains
/// every completed op.
fn oracle(ops: &[Op], init: &Obj, semantics: Semantics) -> bool {
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    let mut pairs: Vec<(usize, Option<usize>)> = Vec::new();
    for (pos, op) in ops.iter().enumerate() {
        let Process::Client(p) = op.process else { continue };
        if op.kind == OpType::Invoke {
            open.insert(p, pairs.len());
            pairs.push((pos, None));
        } else if let Some(i) = open.remove(&p) {
            pairs[i].1 = Some(pos);
        }
    }
    // Per key (independent) or all together.
    let mut groups: BTreeMap<String, Vec<OracleOp>> = BTreeMap::new();
    for (call, done) in pairs {
        let invoke = &ops[call];
        let end = match done.map(|d| &ops[d]) {
            Some(d) if d.kind == OpType::Ok => End::Ok(d.value.to_json()),
            Some(d) if d.kind == OpType::Fail => {
                let mismatch = d.error.is_none() || d.error.as_deref() == Some("mismatch");
                if semantics.failed_cas == FailedCas::Observed && mismatch && invoke.f == "cas" {
                    End::Mismatch
                } else {
                    continue;
                }
            }
            _ => End::Crashed,
        };
        let ret = if end == End::Crashed { None } else { done };
        let (key, input, end) = if semantics.independent {
            let end = match end {
                End::Ok(v) => End::Ok(v[1].clone()),
                other => other,
            };
            (invoke.value[0].to_string(), invoke.value[1].to_json(), end)
        } else {
            (String::new(), invoke.value.to_json(), end)
        };
        groups.entry(key).or_default().push(OracleOp { f: invoke.f.to_string(), input, end, call, ret });
    }
    groups.values().all(|g| explain(g, &mut vec![false; g.len()], init, semantics.nil_read))
}

fn explain(ops: &[OracleOp], placed: &mut Vec<bool>, obj: &Obj, nil: NilRead) -> bool {
    if ops.iter().zip(placed.iter()).all(|(op, &p)| p || op.ret.is_none()) {
        return true;
    }
    for i in 0..ops.len() {
        if placed[i] {
            continue;
        }
        // Every completed op that returned before this one's call must already be placed.
        let minimal = ops.iter().enumerate().all(|(j, o)| placed[j] || o.ret.is_none_or(|r| r > ops[i].call));
        if !minimal {
            continue;
        }
        if let Some(next) = apply(obj, &ops[i].f, &ops[i].input, &ops[i].end, nil) {
            placed[i] = true;
            let found = explain(ops, placed, &next, nil);
            placed[i] = false;
            if found {
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------- generator

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Register,
    CasRegister,
    IndependentCas,
    MultiRegister,
    Set,
    Queue,
    Mutex,
    CrashHeavyRegister,
    CrashHeavyCas,
    /// CAS register whose writes and CAS new values are unique (a counter), as faultline's own
    /// register workload writes them: the greedy linearization builder's case.
    UniqueCas,
}

impl Case {
    /// The register models, whose invalid cases the value-flow rules can decide.
    fn has_value_flow(self) -> bool {
        matches!(self.kind(), ModelKind::Register | ModelKind::CasRegister)
    }

    fn unique(self) -> bool {
        self == Case::UniqueCas
    }

    fn crash_heavy(self) -> bool {
        matches!(self, Case::CrashHeavyRegister | Case::CrashHeavyCas)
    }

    fn kind(self) -> ModelKind {
        match self {
            Case::Register | Case::CrashHeavyRegister => ModelKind::Register,
            Case::CasRegister | Case::IndependentCas | Case::CrashHeavyCas | Case::UniqueCas => ModelKind::CasRegister,
            Case::MultiRegister => ModelKind::MultiRegister,
            Case::Set => ModelKind::Set,
            Case::Queue => ModelKind::Queue,
            Case::Mutex => ModelKind::Mutex,
        }
    }
}

/// A random op for `case`: (f, invocation value). `fresh` is the next unique value.
fn random_op(case: Case, rng: &mut ChaCha8Rng, fresh: &mut i64) -> (&'static str, Value) {
    let values = if case.crash_heavy() { 2 } else { 3 };
    let v = |rng: &mut ChaCha8Rng| json!(rng.gen_range(0..values));
    match case {
        Case::UniqueCas => {
            *fresh += 1;
            // Expect one of the last two values written, so that about half the CASes succeed.
            let recent = json!((*fresh - 1 - rng.gen_range(0..2)).max(0));
            match rng.gen_range(0..3) {
                0 => ("read", Value::Null),
                1 => ("write", json!(*fresh)),
                _ => ("cas", json!([recent, *fresh])),
            }
        }
        Case::Register | Case::CrashHeavyRegister => match rng.gen_range(0..2) {
            0 => ("read", Value::Null),
            _ => ("write", v(rng)),
        },
        Case::CasRegister | Case::IndependentCas | Case::CrashHeavyCas => match rng.gen_range(0..3) {
            0 => ("read", Value::Null),
            1 => ("write", v(rng)),
            _ => ("cas", json!([v(rng), v(rng)])),
        },
        Case::MultiRegister => {
            let n = rng.gen_range(1..=2);
            let micros: Vec<Value> = (0..n)
                .map(|_| {
                    let k = if rng.gen_bool(0.5) { "x" } else { "y" };
                    if rng.gen_bool(0.5) {
                        json!(["read", k, null])
                    } else {
                        json!(["write", k, v(rng)])
                    }
                })
                .collect();
            ("txn", Value::Array(micros))
        }
        Case::Set => match rng.gen_range(0..3) {
            0 => ("read", Value::Null),
            _ => ("add", v(rng)),
        },
        Case::Queue => match rng.gen_range(0..2) {
            0 => ("dequeue", Value::Null),
            _ => ("enqueue", v(rng)),
        },
        Case::Mutex => match rng.gen_range(0..2) {
            0 => ("acquire", Value::Null),
            _ => ("release", Value::Null),
        },
    }
}

/// Runs `f(input)` on the real object: (next object, result value, whether it failed).
fn execute(obj: &Obj, f: &str, input: &Value) -> (Obj, Value, Option<&'static str>) {
    match (obj, f) {
        (Obj::Register(v), "read") => (obj.clone(), v.clone(), None),
        (Obj::Register(v), "cas") if *v != input[0] => (obj.clone(), input.clone(), Some("mismatch")),
        (Obj::Map(map, default), "txn") => {
            let mut map = map.clone();
            let mut out = Vec::new();
            for m in input.as_array().into_iter().flatten() {
                let k = key_name(&m[1]);
                if m[0] == "read" {
                    out.push(json!(["read", m[1], map.get(&k).unwrap_or(default)]));
                } else {
                    map.insert(k, m[2].clone());
                    out.push(m.clone());
                }
            }
            (Obj::Map(map, default.clone()), Value::Array(out), None)
        }
        (Obj::Set(s), "read") => (obj.clone(), json!(s), None),
        (Obj::Queue(q), "dequeue") => {
            let mut q = q.clone();
            let head = q.pop_front().unwrap_or(Value::Null);
            (Obj::Queue(q), head, None)
        }
        (Obj::Mutex(true), "acquire") => (obj.clone(), Value::Null, Some("held")),
        (Obj::Mutex(false), "release") => (obj.clone(), Value::Null, Some("not-held")),
        _ => {
            let next = apply(obj, f, input, &End::Crashed, NilRead::Any).unwrap_or_else(|| obj.clone());
            (next, input.clone(), None)
        }
    }
}

struct Pending {
    f: &'static str,
    input: Value,
    /// (result, error) once executed.
    done: Option<(Value, Option<&'static str>)>,
    crash: bool,
    refused: bool,
    key: usize,
}

/// A history of a linearizable object; ops take effect between invocation and completion.
fn generate(case: Case, init: &Obj, rng: &mut ChaCha8Rng) -> Vec<Op> {
    let processes = if case.crash_heavy() { 3 } else { rng.gen_range(2..=3) };
    let crash = if case.crash_heavy() { CRASH_HEAVY } else { 0.2 };
    let total = rng.gen_range(3..=8);
    // One object per key (two keys only with independent keys).
    let mut objs = vec![init.clone(); 2];
    let mut clients: Vec<(u64, Option<Pending>)> = (0..processes).map(|p| (p, None)).collect();
    let mut next_process = processes;
    let (mut invoked, mut ops) = (0, Vec::new());
    let wrap = |key: i64, v: Value| if case == Case::IndependentCas { json!([key, v]) } else { v };
    let key: usize = rng.gen_range(0..2);
    let mut fresh = 0;
    loop {
        if invoked == total && clients.iter().all(|c| c.1.is_none()) {
            return ops;
        }
        if rng.gen_bool(0.05) {
            ops.push(op(OpType::Info, Process::nemesis(), "partition", Value::Null, None));
        }
        let c = rng.gen_range(0..clients.len());
        let (process, pending) = &mut clients[c];
        let key = if case == Case::IndependentCas { rng.gen_range(0..2) } else { key };
        match pending {
            None if invoked < total => {
                let (f, input) = random_op(case, rng, &mut fresh);
                let wrapped = wrap(key as i64, input);
                ops.push(op(OpType::Invoke, Process::Client(*process), f, wrapped.clone(), None));
                let (crash, refused) = (rng.gen_bool(crash), rng.gen_bool(0.1));
                *pending = Some(Pending { f, input: wrapped, done: None, crash, refused, key });
                invoked += 1;
            }
            None => {}
            Some(p) if p.done.is_none() && !p.refused && !(p.crash && rng.gen_bool(0.5)) => {
                let input = if case == Case::IndependentCas { &p.input[1] } else { &p.input };
                let (next, result, error) = execute(&objs[p.key], p.f, input);
                objs[p.key] = next;
                p.done = Some((result, error));
            }
            Some(p) => {
                let wrapped = |v: Value| if case == Case::IndependentCas { json!([p.input[0], v]) } else { v };
                let (kind, value, error) = match &p.done {
                    _ if p.crash => (OpType::Info, p.input.clone(), None),
                    None => (OpType::Fail, p.input.clone(), Some("refused")),
                    Some((_, Some(e))) => (OpType::Fail, p.input.clone(), Some(*e)),
                    Some((v, None)) => (OpType::Ok, wrapped(v.clone()), None),
                };
                ops.push(op(kind, Process::Client(*process), p.f, value, error));
                if kind == OpType::Info {
                    *process = next_process;
                    next_process += 1;
                }
                *pending = None;
            }
        }
    }
}

fn op(kind: OpType, process: Process, f: &str, value: Value, error: Option<&str>) -> Op {
    Op { index: 0, time: 0, kind, process, f: f.into(), value: value.into(), node: None, error: error.map(Into::into) }
}

/// Change a read, drop a write, or swap two completions; `false` if the history has no spot.
fn mutate(ops: &mut Vec<Op>, rng: &mut ChaCha8Rng) -> bool {
    let completions: Vec<usize> =
        (0..ops.len()).filter(|&i| ops[i].kind != OpType::Invoke && ops[i].process.is_client()).collect();
    match rng.gen_range(0..3) {
        0 => {
            let reads: Vec<usize> = completions
                .iter()
                .copied()
                .filter(|&i| ops[i].kind == OpType::Ok && ["read", "dequeue", "txn"].contains(&ops[i].f.as_str()))
                .collect();
            let Some(&i) = reads.get(rng.gen_range(0..reads.len().max(1))) else {
                // A mutex has no reads: its result is whether it got the lock; flip a refusal.
                let refused: Vec<usize> = completions
                    .iter()
                    .copied()
                    .filter(|&i| ops[i].kind == OpType::Fail && ["acquire", "release"].contains(&ops[i].f.as_str()))
                    .collect();
                let Some(&i) = refused.get(rng.gen_range(0..refused.len().max(1))) else { return false };
                ops[i].kind = OpType::Ok;
                ops[i].error = None;
                return true;
            };
            let v = json!(rng.gen_range(0..3));
            let f = ops[i].f.clone();
            let mut json = ops[i].value.to_json();
            let value = &mut json;
            let pair = value.as_array().is_some_and(|a| a.len() == 2);
            match f.as_str() {
                "txn" => {
                    let micros = value.as_array_mut().into_iter().flatten();
                    match micros.filter(|m| m[0] == "read").last() {
                        Some(m) => m[2] = v,
                        None => return false,
                    }
                }
                "read" if value.is_array() && !pair => *value = json!([v]),
                _ if pair => value[1] = v,
                _ => *value = v,
            }
            ops[i].value = json.into();
            true
        }
        1 => {
            let writes: Vec<usize> = (0..ops.len())
                .filter(|&i| {
                    ops[i].kind == OpType::Invoke
                        && ["write", "add", "enqueue", "acquire", "release", "txn"].contains(&ops[i].f.as_str())
                })
                .collect();
            let Some(&i) = writes.get(rng.gen_range(0..writes.len().max(1))) else { return false };
            let process = ops[i].process.clone();
            let done = (i + 1..ops.len()).find(|&j| ops[j].process == process);
            if let Some(j) = done {
                ops.remove(j);
            }
            ops.remove(i);
            true
        }
        _ => {
            // Swap completions at a < b when b's invocation precedes a.
            for _ in 0..10 {
                let (a, b) = (rng.gen_range(0..completions.len().max(1)), rng.gen_range(0..completions.len().max(1)));
                let (Some(&a), Some(&b)) = (completions.get(a.min(b)), completions.get(a.max(b))) else { return false };
                let invoke_b =
                    (0..b).rev().find(|&j| ops[j].process == ops[b].process && ops[j].kind == OpType::Invoke);
                if a < b && invoke_b.is_some_and(|j| j < a) {
                    ops.swap(a, b);
                    return true;
                }
            }
            false
        }
    }
}

/// Whether two crashed ops have the same function and value (the search's symmetry case).
fn has_equal_crashed_ops(ops: &[Op]) -> bool {
    let crashed: Vec<(&str, &checkers::Value)> = ops
        .iter()
        .filter(|o| o.kind == OpType::Info && o.process.is_client())
        .map(|o| (o.f.as_str(), &o.value))
        .collect();
    crashed.iter().enumerate().any(|(i, a)| crashed[i + 1..].contains(a))
}

fn run(case: Case, number: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + number);
    let (mut valid, mut invalid, mut equal_crashed, mut dropped, mut refuted, mut witnessed) = (0, 0, 0, 0, 0, 0);
    for n in 0..if case.crash_heavy() { CRASH_HEAVY_CASES } else { CASES } {
        let semantics = Semantics {
            nil_read: if rng.gen_bool(0.5) { NilRead::Absent } else { NilRead::Any },
            failed_cas: if rng.gen_bool(0.5) { FailedCas::Observed } else { FailedCas::Ignored },
            independent: case == Case::IndependentCas,
        };
        let init_value = match case {
            Case::MultiRegister => {
                if rng.gen_bool(0.5) {
                    json!({"x": 0, "y": 0})
                } else {
                    Value::Null
                }
            }
            Case::Register | Case::CasRegister | Case::CrashHeavyRegister | Case::CrashHeavyCas | Case::UniqueCas
                if rng.gen_bool(0.5) =>
            {
                json!(0)
            }
            _ => Value::Null,
        };
        let init = match case {
            Case::Register
            | Case::CasRegister
            | Case::IndependentCas
            | Case::CrashHeavyRegister
            | Case::CrashHeavyCas
            | Case::UniqueCas => Obj::Register(init_value.clone()),
            Case::MultiRegister => {
                let map = init_value.as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
                Obj::Map(map.unwrap_or_default(), Value::Null)
            }
            Case::Set => Obj::Set(Vec::new()),
            Case::Queue => Obj::Queue(VecDeque::new()),
            Case::Mutex => Obj::Mutex(false),
        };
        let mut ops = generate(case, &init, &mut rng);
        if rng.gen_bool(MUTATE) {
            // Up to four mutations, stopping at the first the oracle rejects.
            for _ in 0..4 {
                if mutate(&mut ops, &mut rng) && !oracle(&ops, &init, semantics) {
                    break;
                }
            }
        }
        for (i, op) in ops.iter_mut().enumerate() {
            op.index = i as u64;
            op.time = i as u64 * 1000;
        }
        // An empty history is unknown ("no ops"), not a case for the oracle.
        if ops.is_empty() || !checkers::history::validate::violations(&ops).is_empty() {
            continue;
        }
        let expected = oracle(&ops, &init, semantics);
        let history = History::from_ops(None, ops.clone());
        let options = Options { semantics, init: Some(init_value).filter(|v| !v.is_null()), ..Options::default() };
        let result = check(&history, case.kind(), &options);
        let want = if expected { Validity::Valid } else { Validity::Invalid };
        assert_eq!(
            result.validity,
            want,
            "{case:?} case {n}, {semantics:?}, init {:?}:\n{}\n{result:?}",
            options.init,
            ops.iter().map(|o| serde_json::to_string(o).unwrap()).collect::<Vec<_>>().join("\n")
        );
        if expected {
            valid += 1;
        } else {
            invalid += 1;
        }
        if has_equal_crashed_ops(&ops) {
            equal_crashed += 1;
        }
        if result.stats["crashed_dropped"].as_u64().unwrap_or(0) > 0 {
            dropped += 1;
        }
        let witness = result.stats["witnessed"].as_u64().unwrap_or(0);
        if result.stats["decided_without_search"].as_u64().unwrap_or(0) > witness {
            refuted += 1;
        }
        if witness > 0 {
            witnessed += 1;
        }
    }
    let total = valid + invalid;
    eprintln!(
        "{case:?}: {valid} valid, {invalid} invalid, {equal_crashed} with equal crashed ops, {dropped} with unneeded \
         crashed ops dropped, {refuted} invalid by value flow alone, {witnessed} valid by a greedy linearization"
    );
    if case.unique() {
        // With unique values the greedy builder decides most valid cases without the search, and
        // every such verdict agreed with the oracle.
        assert!(witnessed * 10 >= valid * 6, "{case:?}: only {witnessed} of {valid} valid decided by the builder");
    }
    if case.has_value_flow() {
        // The value-flow rules (stale reads, reads of values never written) decide a fair share
        // of the invalid cases on their own, and every such verdict agreed with the oracle.
        assert!(refuted * 10 >= invalid * 3, "{case:?}: only {refuted} of {invalid} invalid decided by value flow");
    }
    if case.crash_heavy() {
        assert!(equal_crashed * 4 >= total, "{case:?}: only {equal_crashed} of {total} have equal crashed ops");
        assert!(dropped * 10 >= total, "{case:?}: only {dropped} of {total} drop unneeded crashed ops");
    }
    assert!(valid * 10 >= total * 3 && invalid * 10 >= total * 3, "{case:?}: {valid} valid, {invalid} invalid");
}

#[test]
fn register_agrees_with_the_oracle() {
    run(Case::Register, 1);
}

#[test]
fn cas_register_agrees_with_the_oracle() {
    run(Case::CasRegister, 2);
}

#[test]
fn independent_cas_register_agrees_with_the_oracle() {
    run(Case::IndependentCas, 3);
}

#[test]
fn multi_register_agrees_with_the_oracle() {
    run(Case::MultiRegister, 4);
}

#[test]
fn set_agrees_with_the_oracle() {
    run(Case::Set, 5);
}

#[test]
fn queue_agrees_with_the_oracle() {
    run(Case::Queue, 6);
}

#[test]
fn mutex_agrees_with_the_oracle() {
    run(Case::Mutex, 7);
}

#[test]
fn crash_heavy_register_agrees_with_the_oracle() {
    run(Case::CrashHeavyRegister, 8);
}

#[test]
fn crash_heavy_cas_register_agrees_with_the_oracle() {
    run(Case::CrashHeavyCas, 9);
}

#[test]
fn unique_cas_register_agrees_with_the_oracle() {
    run(Case::UniqueCas, 10);
}
