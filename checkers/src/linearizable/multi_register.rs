//! The `multi-register` model: a key-value map read and written by transactions (`f "txn"`,
//! value a list of micro-ops `["read" key value]` / `["write" key value]`), as in Knossos.
//!
//! The initial value is a map (`{"x": 0, "y": 0}`), a single value every key starts with, or
//! `null` (every key absent). Transactions over disjoint sets of keys are checked separately.

use crate::history::Value;
use rustc_hash::FxHashMap;

use super::model::{Call, Interner, Model, Outcome, Val};
use crate::history::NilRead;

/// A map of registers updated atomically by transactions.
#[derive(Debug, Clone)]
pub struct MultiRegister {
    nil_read: NilRead,
    init: Value,
}

impl MultiRegister {
    /// A map whose keys start as `init` says (a map per key, one value for all, or `null`).
    pub fn new(nil_read: NilRead, init: Value) -> MultiRegister {
        MultiRegister { nil_read, init }
    }
}

/// One micro-op of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Micro {
    /// Read `key` and see this value (`None`: the result constrains nothing).
    Read(Val, Option<Val>),
    /// Write this value to `key`.
    Write(Val, Val),
}

/// A transaction's micro-ops with their results, and the initial value of each key it
/// touches (so states only record keys that were written).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Txn {
    /// The micro-ops in order.
    pub micros: Vec<Micro>,
    /// `(key, initial value)` for every key the transaction touches.
    pub inits: Vec<(Val, Val)>,
}

/// The keys that have been written, sorted by key, with their values.
pub type KvState = Vec<(Val, Val)>;

fn lookup(state: &KvState, inits: &[(Val, Val)], key: Val) -> Val {
    match state.binary_search_by_key(&key, |(k, _)| *k) {
        Ok(i) => state[i].1,
        Err(_) => inits.iter().find(|(k, _)| *k == key).map_or(Val::NIL, |(_, v)| *v),
    }
}

fn set(state: &mut KvState, key: Val, value: Val) {
    match state.binary_search_by_key(&key, |(k, _)| *k) {
        Ok(i) => state[i].1 = value,
        Err(i) => state.insert(i, (key, value)),
    }
}

impl MultiRegister {
    fn init_of(&self, key: &Value, values: &mut Interner) -> Val {
        match &self.init {
            Value::Other(init) if init.is_object() => {
                let name = match key {
                    Value::String(s) => s.to_string(),
                    other => other.to_string(),
                };
                init.get(&name).map_or(Val::NIL, |v| values.intern(&Value::from(v.clone())))
            }
            other => values.intern(other),
        }
    }
}

impl Model for MultiRegister {
    type State = KvState;
    type Input = Txn;
    type Output = ();

    fn name(&self) -> &'static str {
        "multi-register"
    }

    fn init(&self, _values: &mut Interner) -> KvState {
        Vec::new()
    }

    fn decode(&self, call: Call<'_>, values: &mut Interner) -> Result<Option<(Txn, Option<()>)>, String> {
        if call.f != "txn" {
            return Err(format!("the multi-register model has no function {:?}; it knows txn", call.f));
        }
        let (list, known) = match call.outcome {
            Outcome::Ok(seen) => (seen, true),
            Outcome::Unknown => (call.input, false),
            Outcome::Mismatch => return Ok(None),
        };
        let items = list.as_array().ok_or_else(|| format!("a txn value must be a list of micro-ops, found {list}"))?;
        let mut txn = Txn { micros: Vec::with_capacity(items.len()), inits: Vec::new() };
        let mut constrains = false;
        for item in items {
            let (f, key, value) = match item.as_array() {
                Some([Value::String(f), key, value]) => (&**f, key, value),
                _ => return Err(format!("a micro-op must be [\"read\"|\"write\" key value], found {item}")),
            };
            let k = values.intern(key);
            if !txn.inits.iter().any(|(known_key, _)| *known_key == k) {
                let init = self.init_of(key, values);
                txn.inits.push((k, init));
            }
            match f {
                "read" => {
                    let seen =
                        (known && !(value.is_null() && self.nil_read == NilRead::Any)).then(|| values.intern(value));
                    constrains |= seen.is_some();
                    txn.micros.push(Micro::Read(k, seen));
                }
                "write" => {
                    constrains = true;
                    txn.micros.push(Micro::Write(k, values.intern(value)));
                }
                other => return Err(format!("unknown micro-op {other:?}; a micro-op is read or write")),
            }
        }
        Ok(constrains.then_some((txn, Some(()))))
    }

    fn step(&self, state: &KvState, txn: &Txn, _output: Option<&()>) -> Option<KvState> {
        let mut next: Option<KvState> = None;
        for micro in &txn.micros {
            let current = next.as_ref().unwrap_or(state);
            match *micro {
                Micro::Read(key, Some(seen)) if lookup(current, &txn.inits, key) != seen => return None,
                Micro::Read(..) => {}
                Micro::Write(key, value) => set(next.get_or_insert_with(|| state.clone()), key, value),
            }
        }
        Some(next.unwrap_or_else(|| state.clone()))
    }

    fn partition(&self, inputs: &[Txn]) -> Vec<Vec<usize>> {
        // Union-find over keys: transactions sharing a key (transitively) stay together.
        let mut parent: FxHashMap<Val, Val> = FxHashMap::default();
        fn find(parent: &mut FxHashMap<Val, Val>, k: Val) -> Val {
            let p = *parent.entry(k).or_insert(k);
            if p == k {
                return k;
            }
            let root = find(parent, p);
            parent.insert(k, root);
            root
        }
        for txn in inputs {
            let mut keys = txn.inits.iter().map(|(k, _)| *k);
            if let Some(first) = keys.next() {
                let a = find(&mut parent, first);
                for k in keys {
                    let b = find(&mut parent, k);
                    parent.insert(b, a);
                }
            }
        }
        let mut groups: FxHashMap<Val, Vec<usize>> = FxHashMap::default();
        let mut order = Vec::new();
        for (i, txn) in inputs.iter().enumerate() {
            let root = txn.inits.first().map_or(Val::NIL, |(k, _)| find(&mut parent, *k));
            groups
                .entry(root)
                .or_insert_with(|| {
                    order.push(root);
                    Vec::new()
                })
                .push(i);
        }
        order.into_iter().filter_map(|root| groups.remove(&root)).collect()
    }

    fn is_read_only(&self, txn: &Txn) -> bool {
        txn.micros.iter().all(|m| matches!(m, Micro::Read(..)))
    }

    fn describe_op(&self, txn: &Txn, _output: Option<&()>, values: &Interner) -> String {
        let micros: Vec<String> = txn
            .micros
            .iter()
            .map(|m| match m {
                Micro::Read(k, Some(v)) => format!("read {} = {}", values.show(*k), values.show(*v)),
                Micro::Read(k, None) => format!("read {}", values.show(*k)),
                Micro::Write(k, v) => format!("write {} = {}", values.show(*k), values.show(*v)),
            })
            .collect();
        format!("txn [{}]", micros.join(", "))
    }

    fn describe_state(&self, state: &KvState, values: &Interner) -> String {
        if state.is_empty() {
            return "all keys at their initial values".to_string();
        }
        let parts: Vec<String> =
            state.iter().map(|(k, v)| format!("{}={}", values.show(*k), values.show(*v))).collect();
        parts.join(" ")
    }

    fn heap_bytes(&self, state: &KvState) -> usize {
        state.capacity() * std::mem::size_of::<(Val, Val)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_init_then_writes_and_partitions_follow_shared_keys() {
        let m = MultiRegister::new(NilRead::Any, crate::value!({"x": 0, "y": 0}));
        let mut values = Interner::default();
        let mut txn = |v: Value| {
            m.decode(Call { f: "txn", input: &v, outcome: Outcome::Ok(&v) }, &mut values).unwrap().unwrap().0
        };
        let read_x0 = txn(crate::value!([["read", "x", 0]]));
        let write_x1 = txn(crate::value!([["write", "x", 1], ["read", "x", 1]]));
        let read_z = txn(crate::value!([["read", "z", 5]]));
        let s0 = m.init(&mut Interner::default());
        assert_eq!(m.step(&s0, &read_x0, None), Some(s0.clone()));
        let s1 = m.step(&s0, &write_x1, None).unwrap();
        assert_eq!(m.step(&s1, &read_x0, None), None);
        assert_eq!(m.step(&s0, &read_z, None), None);
        let parts = m.partition(&[read_x0, read_z, write_x1]);
        assert_eq!(parts, vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn crashed_txn_keeps_only_writes() {
        let m = MultiRegister::new(NilRead::Any, crate::value!(0));
        let mut values = Interner::default();
        let reads = crate::value!([["read", "x", null]]);
        assert_eq!(m.decode(Call { f: "txn", input: &reads, outcome: Outcome::Unknown }, &mut values), Ok(None));
        let bad = crate::value!([["incr", "x", 1]]);
        assert!(m.decode(Call { f: "txn", input: &bad, outcome: Outcome::Unknown }, &mut values).is_err());
    }
}
