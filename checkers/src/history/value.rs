//! [`Value`]: an op's argument or result, held compactly. Integers inline, strings and keywords
//! as shared [`Atom`]s, lists as exact-length boxed slices (a micro-op `[append 5 3]` is one
//! 72-byte allocation), a list of four or more integers as read from a file (a list-append
//! read) as `i64`s ([`IntList`]: 8 bytes an item instead of 24), and only what has no simpler
//! shape (floats, maps, integers beyond `i64`) as a boxed JSON value. 24 bytes inline, against
//! 32 for `serde_json::Value` plus an allocation per string.
//!
//! The accessors mirror `serde_json::Value`'s (`as_i64`, `as_str`, `as_array`, ...), it prints
//! and serializes as JSON, and `From<serde_json::Value>` builds one from any JSON.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use serde::de::{DeserializeSeed, Deserializer};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::atom::Atom;
use super::builder::{Builder, Interning};
use super::micro_ops::MicroOps;

/// An op's value: what the workload says (ints, nil, strings, lists, and rarely maps/floats).
/// A list is equal to (and hashes as) the same items whether held as [`Value::Array`] or
/// [`Value::Ints`].
#[derive(Clone, Default)]
pub enum Value {
    /// JSON `null`, EDN `nil`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// A string, or an EDN keyword or symbol (without its colon).
    String(Atom),
    /// A list (JSON array; EDN vector, list or set).
    Array(Box<[Value]>),
    /// A list of integers, as the readers hold one of [`IntList::MIN_LEN`] or more items.
    Ints(Box<IntList>),
    /// A transaction's micro-ops `[[f key value] ...]`, as the readers hold them when they fit
    /// [`MicroOps`]' shape.
    MicroOps(Box<MicroOps>),
    /// Anything else (floats, maps, integers beyond `i64`), as JSON.
    Other(Box<serde_json::Value>),
}

static NULL: Value = Value::Null;

/// A list of integers held as `i64`s; [`Value::as_array`] makes its items as [`Value`]s on first
/// request and keeps them, so only the checkers that need them pay for them.
#[derive(Clone, Default)]
pub struct IntList {
    ints: Box<[i64]>,
    items: OnceLock<Box<[Value]>>,
}

impl IntList {
    /// Lists shorter than this stay [`Value::Array`]s (an [`IntList`] saves nothing on them).
    pub const MIN_LEN: usize = 4;

    /// The integers.
    pub fn ints(&self) -> &[i64] {
        &self.ints
    }

    /// The integers as values, made once.
    fn items(&self) -> &[Value] {
        self.items.get_or_init(|| self.ints.iter().map(|&n| Value::Int(n)).collect())
    }

    /// The list of `ints` as a value: an [`IntList`] when it is long enough for one.
    pub fn value(ints: &[i64]) -> Value {
        if ints.len() >= IntList::MIN_LEN {
            Value::Ints(Box::new(IntList { ints: ints.into(), items: OnceLock::new() }))
        } else {
            Value::Array(ints.iter().map(|&n| Value::Int(n)).collect())
        }
    }
}

/// Kinds of value as [`Hash`] writes them: a list hashes alike however it is held.
const HASH_INT: u8 = 2;
const HASH_LIST: u8 = 4;

impl Value {
    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The integer, when this is one that fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Other(v) => v.as_i64(),
            _ => None,
        }
    }

    /// The integer, when this is a non-negative one.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(n) => u64::try_from(*n).ok(),
            Value::Other(v) => v.as_u64(),
            _ => None,
        }
    }

    /// The number as a float, when this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Other(v) => v.as_f64(),
            _ => None,
        }
    }

    /// True for a non-negative integer.
    pub fn is_u64(&self) -> bool {
        self.as_u64().is_some()
    }

    /// True for an integer that fits `i64`.
    pub fn is_i64(&self) -> bool {
        self.as_i64().is_some()
    }

    /// The boolean, when this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The text, when this is a string (or keyword).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// True for a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    /// The items, when this is a list.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            Value::Ints(list) => Some(list.items()),
            Value::MicroOps(txn) => Some(txn.items()),
            _ => None,
        }
    }

    /// The integers, when this is a list held as [`Value::Ints`] (otherwise see
    /// [`Value::as_array`]): the fast path for readers of long integer lists.
    pub fn as_ints(&self) -> Option<&[i64]> {
        match self {
            Value::Ints(list) => Some(list.ints()),
            _ => None,
        }
    }

    /// The micro-ops, when this is a transaction held as [`Value::MicroOps`] (otherwise see
    /// [`Value::as_array`]): the fast path for the transaction checkers.
    pub fn as_micro_ops(&self) -> Option<&MicroOps> {
        match self {
            Value::MicroOps(txn) => Some(txn),
            _ => None,
        }
    }

    /// The item at `i`, when this is a list that long.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.as_array().and_then(|items| items.get(i))
    }

    /// True for a list.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_) | Value::Ints(_) | Value::MicroOps(_))
    }

    /// The entries, when this is a map.
    pub fn as_object(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        match self {
            Value::Other(v) => v.as_object(),
            _ => None,
        }
    }

    /// The same value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(n) => serde_json::Value::from(*n),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Array(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
            Value::Ints(list) => serde_json::Value::Array(list.ints().iter().map(|&n| n.into()).collect()),
            // From the words, so that a page or report does not leave every transaction's
            // lists cached behind it.
            Value::MicroOps(txn) => serde_json::Value::Array(
                txn.iter()
                    .map(|(f, key, arg)| {
                        serde_json::Value::Array(vec![f.as_str().into(), key.into(), arg.to_value().to_json()])
                    })
                    .collect(),
            ),
            Value::Other(v) => (**v).clone(),
        }
    }

    /// Heap bytes this value owns beyond its inline size (shared atoms not counted).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Array(items) => items.iter().map(|v| size_of::<Value>() + v.heap_bytes()).sum(),
            Value::Ints(list) => {
                let items = list.items.get().map_or(0, |items| items.len() * size_of::<Value>());
                size_of::<IntList>() + size_of_val(list.ints()) + items
            }
            Value::MicroOps(txn) => txn.heap_bytes(),
            Value::Other(v) => size_of::<serde_json::Value>() + v.to_string().len() * 2,
            _ => 0,
        }
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;

    /// The item at `i` of a list; `null` when out of range or not a list (as serde_json).
    fn index(&self, i: usize) -> &Value {
        self.as_array().and_then(|items| items.get(i)).unwrap_or(&NULL)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Ints(a), Value::Ints(b)) => a.ints() == b.ints(),
            (Value::Ints(ints), Value::Array(items)) | (Value::Array(items), Value::Ints(ints)) => {
                ints.ints().len() == items.len()
                    && ints.ints().iter().zip(items.iter()).all(|(&n, item)| matches!(item, Value::Int(m) if *m == n))
            }
            (Value::MicroOps(a), Value::MicroOps(b)) => a.iter().eq(b.iter()),
            (Value::MicroOps(txn), list) | (list, Value::MicroOps(txn)) => {
                list.as_array().is_some_and(|items| items == txn.items())
            }
            (Value::Other(a), Value::Other(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Value::Null => state.write_u8(0),
            Value::Bool(b) => {
                state.write_u8(1);
                b.hash(state);
            }
            Value::Int(n) => {
                state.write_u8(HASH_INT);
                n.hash(state);
            }
            Value::String(s) => {
                state.write_u8(3);
                s.hash(state);
            }
            Value::Array(items) => {
                state.write_u8(HASH_LIST);
                state.write_usize(items.len());
                items.iter().for_each(|item| item.hash(state));
            }
            Value::Ints(list) => {
                state.write_u8(HASH_LIST);
                state.write_usize(list.ints().len());
                for n in list.ints() {
                    state.write_u8(HASH_INT);
                    n.hash(state);
                }
            }
            Value::MicroOps(txn) => {
                state.write_u8(HASH_LIST);
                state.write_usize(txn.len());
                txn.hash_items(state);
            }
            Value::Other(v) => {
                state.write_u8(5);
                v.to_string().hash(state);
            }
        }
    }
}

/// Writes `items` as a JSON list.
pub(crate) fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = T>) -> fmt::Result {
    f.write_str("[")?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str("]")
}

impl fmt::Display for Value {
    /// JSON text, as `serde_json::Value` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{}", serde_json::Value::String(s.to_string())),
            Value::Array(items) => write_list(f, items.iter()),
            Value::Ints(list) => write_list(f, list.ints().iter()),
            Value::MicroOps(txn) => write!(f, "{txn}"),
            Value::Other(v) => write!(f, "{v}"),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq<serde_json::Value> for Value {
    fn eq(&self, other: &serde_json::Value) -> bool {
        self.to_json() == *other
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) if n.is_i64() => Value::Int(n.as_i64().unwrap_or_default()),
            serde_json::Value::String(s) => Value::String(s.into()),
            serde_json::Value::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            other => Value::Other(Box::new(other)),
        }
    }
}

impl From<&Value> for serde_json::Value {
    fn from(v: &Value) -> serde_json::Value {
        v.to_json()
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> serde_json::Value {
        v.to_json()
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Int(n.into())
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(n.into())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        i64::try_from(n).map_or_else(|_| Value::Other(Box::new(n.into())), Value::Int)
    }
}

impl From<usize> for Value {
    fn from(n: usize) -> Value {
        Value::from(n as u64)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s.into())
    }
}

impl From<Atom> for Value {
    fn from(s: Atom) -> Value {
        Value::String(s)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl FromIterator<Value> for Value {
    fn from_iter<I: IntoIterator<Item = Value>>(items: I) -> Value {
        Value::Array(items.into_iter().collect())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(n) => serializer.serialize_i64(*n),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Ints(list) => serializer.collect_seq(list.ints()),
            Value::MicroOps(txn) => txn.serialize(serializer),
            Value::Other(v) => v.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        let mut builder = Builder::default();
        Interning(&mut builder).deserialize(deserializer)?;
        Ok(builder.pop())
    }
}
