//! The `kv` model: a map of string values read with `get`, set with `put` and extended with
//! `append`, as Porcupine's key-value model and its `test_data/kv` histories have it. Every key
//! starts as the empty string and keys are checked separately.
//!
//! Values are `[key value]` pairs; an EDN op's `:key` field becomes that pair when the history
//! is read, so Porcupine's files (`{:f :append, :key "4", :value "x 0 1 y"}`) check as they are.
//! A `get` returns the key's whole string (`nil` reads as the empty string); a crashed `get`
//! constrains nothing, a crashed `put` or `append` may take effect at any point or never.

use rustc_hash::FxHashMap;

use super::model::{Call, Interner, Model, Outcome, Val};
use crate::history::Value;

/// Porcupine's key-value model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kv;

/// What a kv op asked for, with its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KvInput {
    /// The key.
    pub key: Val,
    /// What it does to the key.
    pub op: KvOp,
}

/// A kv op without its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// Read the key's string (the string seen is the output).
    Get,
    /// Set the key's string.
    Put(String),
    /// Extend the key's string.
    Append(String),
}

/// The string a value holds (`nil`: the empty string).
fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.to_string()),
        other => Err(format!("a kv value must be a string, found {other}")),
    }
}

impl Model for Kv {
    type State = String;
    type Input = KvInput;
    type Output = String;

    fn name(&self) -> &'static str {
        "kv"
    }

    fn init(&self, _values: &mut Interner) -> String {
        String::new()
    }

    fn decode(&self, call: Call<'_>, values: &mut Interner) -> Result<Option<(KvInput, Option<String>)>, String> {
        let (key, input) = match call.input.as_array() {
            Some([key, input]) => (values.intern(key), input),
            _ => return Err(format!("a kv value must be [key value] (an EDN :key field), found {}", call.input)),
        };
        let op = match call.f {
            "get" => {
                return Ok(match call.outcome {
                    Outcome::Ok(seen) => {
                        let seen = seen.as_array().and_then(|pair| pair.get(1)).unwrap_or(seen);
                        Some((KvInput { key, op: KvOp::Get }, Some(text(seen)?)))
                    }
                    _ => None,
                })
            }
            "put" => KvOp::Put(text(input)?),
            "append" => KvOp::Append(text(input)?),
            f => return Err(format!("the kv model has no function {f:?}; it knows get, put, append")),
        };
        Ok(match call.outcome {
            Outcome::Mismatch => None,
            _ => Some((KvInput { key, op }, None)),
        })
    }

    fn step(&self, state: &String, input: &KvInput, output: Option<&String>) -> Option<String> {
        match &input.op {
            KvOp::Get => output.is_none_or(|seen| seen == state).then(|| state.clone()),
            KvOp::Put(v) => Some(v.clone()),
            KvOp::Append(v) => Some(format!("{state}{v}")),
        }
    }

    fn partition(&self, inputs: &[KvInput]) -> Vec<Vec<usize>> {
        let mut groups: FxHashMap<Val, Vec<usize>> = FxHashMap::default();
        for (i, input) in inputs.iter().enumerate() {
            groups.entry(input.key).or_default().push(i);
        }
        let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
        groups.sort_unstable();
        groups
    }

    fn describe_op(&self, input: &KvInput, output: Option<&String>, values: &Interner) -> String {
        let key = values.show(input.key);
        match (&input.op, output) {
            (KvOp::Get, Some(seen)) => format!("get {key} returned {seen:?}"),
            (KvOp::Get, None) => format!("get {key}"),
            (KvOp::Put(v), _) => format!("put {key} {v:?}"),
            (KvOp::Append(v), _) => format!("append {key} {v:?}"),
        }
    }

    fn describe_state(&self, state: &String, _values: &Interner) -> String {
        format!("{state:?}")
    }

    fn is_blind_write(&self, input: &KvInput) -> bool {
        matches!(input.op, KvOp::Put(_))
    }

    fn is_read_only(&self, input: &KvInput) -> bool {
        input.op == KvOp::Get
    }

    fn heap_bytes(&self, state: &String) -> usize {
        state.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(op: KvOp) -> KvInput {
        KvInput { key: Val(1), op }
    }

    #[test]
    fn appends_extend_and_gets_must_see_the_whole_string() {
        let kv = Kv;
        let state = kv.step(&String::new(), &input(KvOp::Append("x 0 0 y".into())), None).unwrap();
        let state = kv.step(&state, &input(KvOp::Append("x 1 0 y".into())), None).unwrap();
        assert_eq!(state, "x 0 0 yx 1 0 y");
        assert!(kv.step(&state, &input(KvOp::Get), Some(&"x 0 0 y".to_string())).is_none());
        assert_eq!(kv.step(&state, &input(KvOp::Put("z".into())), None).as_deref(), Some("z"));
    }

    #[test]
    fn decoding_needs_a_key_and_known_functions() {
        let mut values = Interner::default();
        let pair = crate::value!(["4", "x 0 1 y"]);
        let call = |f, outcome| Call { f, input: &pair, outcome };
        let (append, _) = Kv.decode(call("append", Outcome::Unknown), &mut values).unwrap().unwrap();
        assert_eq!(append.op, KvOp::Append("x 0 1 y".into()));
        assert_eq!(Kv.decode(call("get", Outcome::Unknown), &mut values).unwrap(), None);
        assert!(Kv.decode(call("cas", Outcome::Unknown), &mut values).is_err());
        let bare = crate::value!("x");
        assert!(Kv.decode(Call { f: "put", input: &bare, outcome: Outcome::Unknown }, &mut values).is_err());
    }
}
