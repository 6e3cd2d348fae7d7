//! [`Builder`]: how the readers (JSONL through serde, EDN by hand) make [`Value`]s. A reader
//! pushes scalars and closes lists onto one stack, so each list is allocated once, at its exact
//! length, and in its most compact form: integer lists as [`Value::Ints`], a transaction's
//! `[[f key value] ...]` as [`Value::MicroOps`] (see [`super::micro_ops`]). Until the list
//! around them closes, integer lists and micro-ops wait on the stack unmade, their integers in
//! one shared scratch array, so the compact forms cost no allocation beyond their own.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::atom::Atoms;
use super::micro_ops::{MicroOp, MicroOps, MopFn, Span};
use super::value::{IntList, Value};

/// What a reader builds values with: its [`Atoms`], the stack of values read but not yet
/// closed into their list, and the integers of the lists among them (as 32-bit words, see
/// [`super::micro_ops::Ints`]).
#[derive(Default)]
pub(crate) struct Builder {
    /// The load's atoms.
    pub(crate) atoms: Atoms,
    stack: Vec<Item>,
    words: Vec<u32>,
    /// The integers of the list being closed.
    ints: Vec<i64>,
    /// The micro-ops of the transaction being closed.
    mops: Vec<MicroOp>,
}

/// A value on the stack.
enum Item {
    /// Made.
    Value(Value),
    /// A list of integers, in [`Builder::words`].
    Ints(Span),
    /// `[f key value]`, its list (if any) in [`Builder::words`].
    Mop(MicroOp),
    /// A string that names a micro-op function (`r`, `append`, `w`), not yet an atom: in a
    /// micro-op it never becomes one.
    Fn(MopFn),
}

/// Where a list being read starts, on the stack and in the integers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    stack: usize,
    words: usize,
}

impl Builder {
    /// Opens a list: its items are what is pushed until [`Builder::close`].
    pub(crate) fn open(&self) -> Mark {
        Mark { stack: self.stack.len(), words: self.words.len() }
    }

    /// Pushes a value that is not a list still being read.
    pub(crate) fn push(&mut self, value: Value) {
        self.stack.push(Item::Value(value));
    }

    /// Pushes a string (or keyword), interned.
    pub(crate) fn push_str(&mut self, text: &str) {
        let item = match MopFn::parse(text) {
            Some(f) => Item::Fn(f),
            None => Item::Value(Value::String(self.atoms.get(text))),
        };
        self.stack.push(item);
    }

    /// Closes the list opened at `mark`: its items become one item on the stack.
    pub(crate) fn close(&mut self, mark: Mark) {
        let items = &self.stack[mark.stack..];
        let item = if items.iter().all(|item| matches!(item, Item::Value(Value::Int(_)))) {
            self.ints.clear();
            self.ints.extend(items.iter().map(|item| match item {
                Item::Value(Value::Int(n)) => *n,
                _ => unreachable!("checked above: every item is an integer"),
            }));
            Item::Ints(Span::write(&self.ints, &mut self.words))
        } else if let Some(mop) = micro_op(items) {
            Item::Mop(mop)
        } else if let Some(txn) = self.micro_ops(mark) {
            Item::Value(Value::MicroOps(Box::new(txn)))
        } else {
            let values = self.stack.drain(mark.stack..).map(|item| made(item, &self.words, &mut self.atoms)).collect();
            Item::Value(Value::Array(values))
        };
        self.stack.truncate(mark.stack);
        if !matches!(item, Item::Ints(_) | Item::Mop(_)) {
            self.words.truncate(mark.words);
        }
        self.stack.push(item);
    }

    /// The list opened at `mark` as a transaction held flat, when its items are all micro-ops.
    fn micro_ops(&mut self, mark: Mark) -> Option<MicroOps> {
        self.mops.clear();
        for item in &self.stack[mark.stack..] {
            let Item::Mop(mop) = item else { return None };
            self.mops.push(mop.shifted(mark.words));
        }
        MicroOps::new(&self.mops, &self.words[mark.words..])
    }

    /// Takes the last item off the stack, made into a value (`null` when there is none).
    pub(crate) fn pop(&mut self) -> Value {
        let Some(item) = self.stack.pop() else { return Value::Null };
        let span = match &item {
            Item::Ints(span) => Some(*span),
            Item::Mop(mop) => mop.span(),
            Item::Value(_) | Item::Fn(_) => None,
        };
        let value = made(item, &self.words, &mut self.atoms);
        if let Some(span) = span {
            self.words.truncate(span.start());
        }
        value
    }
}

/// The item as a value.
fn made(item: Item, words: &[u32], atoms: &mut Atoms) -> Value {
    match item {
        Item::Value(value) => value,
        Item::Ints(span) => IntList::value(&span.read(words).iter().collect::<Vec<_>>()),
        Item::Mop(mop) => mop.to_value(words),
        Item::Fn(f) => Value::String(atoms.get(f.as_str())),
    }
}

/// The micro-op the three items `[f key value]` spell, if they do.
fn micro_op(items: &[Item]) -> Option<MicroOp> {
    let [Item::Fn(f), Item::Value(Value::Int(key)), value] = items else { return None };
    let f = *f;
    match value {
        Item::Value(Value::Null) => Some(MicroOp::scalar(f, *key, None)),
        Item::Value(Value::Int(n)) => Some(MicroOp::scalar(f, *key, Some(*n))),
        Item::Ints(span) => MicroOp::list(f, *key, *span),
        _ => None,
    }
}

/// Deserializes a value onto a [`Builder`]'s stack, interning its strings (take it off with
/// [`Builder::pop`]).
pub(crate) struct Interning<'a>(pub(crate) &'a mut Builder);

impl<'de> DeserializeSeed<'de> for Interning<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Interning<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.push(Value::Null);
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        self.0.push(Value::Null);
        Ok(())
    }

    fn visit_bool<E>(self, b: bool) -> Result<(), E> {
        self.0.push(Value::Bool(b));
        Ok(())
    }

    fn visit_i64<E>(self, n: i64) -> Result<(), E> {
        self.0.push(Value::Int(n));
        Ok(())
    }

    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        self.0.push(Value::from(n));
        Ok(())
    }

    fn visit_f64<E>(self, x: f64) -> Result<(), E> {
        let number = serde_json::Number::from_f64(x);
        self.0.push(number.map_or(Value::Null, |n| Value::Other(Box::new(n.into()))));
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.0.push_str(s);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mark = self.0.open();
        while seq.next_element_seed(Interning(self.0))?.is_some() {}
        self.0.close(mark);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let map = serde_json::Map::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.0.push(Value::Other(Box::new(serde_json::Value::Object(map))));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Value {
        let mut builder = Builder::default();
        Interning(&mut builder).deserialize(&mut serde_json::Deserializer::from_str(json)).unwrap();
        let value = builder.pop();
        assert!(builder.stack.is_empty() && builder.words.is_empty(), "{json} left items behind");
        value
    }

    #[test]
    fn transactions_are_held_flat_and_read_back_unchanged() {
        for json in [r#"[["append",1,2],["r",3,null],["r",4,[1,2,3,4,5]],["r",5,[]],["w",6,7]]"#, r#"[["r",3,[1,2]]]"#]
        {
            let value = read(json);
            assert!(matches!(value, Value::MicroOps(_)), "{json} is flat");
            assert_eq!(value.to_string(), json);
            assert_eq!(value, Value::from(serde_json::from_str::<serde_json::Value>(json).unwrap()));
        }
    }

    #[test]
    fn lists_that_are_not_transactions_stay_lists() {
        for json in [
            r#"[["append",1,2],5]"#,
            r#"[["append","k",2]]"#,
            r#"[["cas",1,[2,3]]]"#,
            r#"[["r",1,[2,"x"]]]"#,
            r#"[["append",1,2,3]]"#,
            r#"[[1,2,3,4],[5,6,7,8],{"a":[1,2,3,4]}]"#,
            r#"["r",1,[1,2,3,4]]"#,
            r#"["r","append",["w"]]"#,
            r#""append""#,
            "[]",
            "[1,2,3]",
        ] {
            let value = read(json);
            assert!(!matches!(value, Value::MicroOps(_)), "{json} is not a transaction");
            assert_eq!(value.to_string(), json);
        }
        assert!(matches!(read("[1,2,3,4]"), Value::Ints(_)));
        assert_eq!(read(r#""w""#).as_str(), Some("w"), "a function name alone is a string");
    }
}
