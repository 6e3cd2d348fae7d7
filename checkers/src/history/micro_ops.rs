//! [`MicroOps`]: a transaction's value `[[f key value] ...]` held flat. Jepsen's transactional
//! workloads (list-append, rw-register) write every transaction as micro-ops whose function is
//! `r`, `append` or `w`, whose key is an integer and whose value is nil, an integer or (a
//! list-append read) a list of integers. The readers hold such a list as one array of 32-bit
//! words (each micro-op in three words when its key and value fit one each, as a rule, else
//! five; then the read lists' integers), instead of a boxed list of boxed lists of values: two
//! allocations a transaction instead of one per micro-op and read.
//!
//! [`Value::as_array`] still sees `[f key value]` lists (made once, on first request), so code
//! that does not know this form reads it as any other list; the transaction checkers read it
//! through [`MicroOps::iter`].

use std::fmt;
use std::hash::Hash;

use once_cell::race::OnceBox;

use serde::ser::{Serialize, SerializeTuple, Serializer};

use super::value::{write_list, IntList, Value};

/// The function of a micro-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MopFn {
    /// `r`: a read.
    Read = 0,
    /// `append`: appends the value to the key's list.
    Append = 1,
    /// `w`: writes the value.
    Write = 2,
}

impl MopFn {
    /// The function named `name` as Jepsen writes it.
    pub fn parse(name: &str) -> Option<MopFn> {
        match name {
            "r" => Some(MopFn::Read),
            "append" => Some(MopFn::Append),
            "w" => Some(MopFn::Write),
            _ => None,
        }
    }

    /// The name as Jepsen writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MopFn::Read => "r",
            MopFn::Append => "append",
            MopFn::Write => "w",
        }
    }
}

/// A micro-op's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MopArg<'a> {
    /// nil: a write's missing value, or a read that saw nothing (or has not completed).
    Null,
    /// An integer.
    Int(i64),
    /// A list of integers (a list-append read).
    Ints(Ints<'a>),
}

impl MopArg<'_> {
    /// The same value as a [`Value`] (a list as [`Value::Ints`] once it is long enough for one).
    pub fn to_value(self) -> Value {
        match self {
            MopArg::Null => Value::Null,
            MopArg::Int(n) => Value::Int(n),
            MopArg::Ints(ints) => IntList::value(&ints.iter().collect::<Vec<_>>()),
        }
    }
}

/// A list of integers in an array of 32-bit words: one word an item when every item fits
/// `u32` (list-append reads, as a rule), else two (low word first).
#[derive(Clone, Copy)]
pub struct Ints<'a> {
    words: &'a [u32],
    wide: bool,
}

impl<'a> Ints<'a> {
    /// How many integers.
    pub fn len(&self) -> usize {
        if self.wide {
            self.words.len() / 2
        } else {
            self.words.len()
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words, when each integer takes one (the integer is the word).
    pub(crate) fn narrow_words(&self) -> Option<&'a [u32]> {
        (!self.wide).then_some(self.words)
    }

    /// The integers, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + 'a {
        let Ints { words, wide } = *self;
        (0..self.len()).map(move |i| match wide {
            true => join(words[2 * i], words[2 * i + 1]),
            false => i64::from(words[i]),
        })
    }
}

impl PartialEq for Ints<'_> {
    fn eq(&self, other: &Ints<'_>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Ints<'_> {}

impl fmt::Debug for Ints<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// An integer as two words, low word first.
fn split(n: i64) -> [u32; 2] {
    [n as u32, ((n as u64) >> 32) as u32]
}

/// The integer [`split`] made the words `lo` and `hi` of.
fn join(lo: u32, hi: u32) -> i64 {
    (u64::from(lo) | u64::from(hi) << 32) as i64
}

/// Where a list of integers sits in an array of words (see [`Ints`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    len: usize,
    wide: bool,
}

impl Span {
    /// Appends `ints` to `words`, narrow when they all fit, and says where they went.
    pub(crate) fn write(ints: &[i64], words: &mut Vec<u32>) -> Span {
        let start = words.len();
        let wide = !ints.iter().all(|&n| u32::try_from(n).is_ok());
        if wide {
            words.extend(ints.iter().flat_map(|&n| split(n)));
        } else {
            words.extend(ints.iter().map(|&n| n as u32));
        }
        Span { start, len: ints.len(), wide }
    }

    /// The first word.
    pub(crate) fn start(&self) -> usize {
        self.start
    }

    /// The integers, from `words`.
    pub(crate) fn read(self, words: &[u32]) -> Ints<'_> {
        let width = if self.wide { 2 } else { 1 };
        Ints { words: &words[self.start..self.start + width * self.len], wide: self.wide }
    }
}

/// One micro-op as the readers hold it: 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MicroOp {
    key: i64,
    /// The integer, or the first word of the list in its array of words.
    arg: i64,
    /// The list's length (with [`WIDE`] when its items take two words), or [`NULL_ARG`] or
    /// [`INT_ARG`]; below [`FN_SHIFT`]'s bits, so the function can share its word.
    len: u32,
    f: MopFn,
}

/// Where the function sits in a micro-op's tag word (see [`MicroOp::tag`]).
const FN_SHIFT: u32 = 30;
const WIDE: u32 = 1 << 29;
const NULL_ARG: u32 = WIDE - 1;
const INT_ARG: u32 = WIDE - 2;

impl MicroOp {
    /// A micro-op whose value is nil or an integer.
    pub(crate) fn scalar(f: MopFn, key: i64, arg: Option<i64>) -> MicroOp {
        match arg {
            Some(n) => MicroOp { key, arg: n, len: INT_ARG, f },
            None => MicroOp { key, arg: 0, len: NULL_ARG, f },
        }
    }

    /// A micro-op whose value is the list at `span` of its array of words. `None` when the
    /// list is too long to describe (half a billion items or more).
    pub(crate) fn list(f: MopFn, key: i64, span: Span) -> Option<MicroOp> {
        let len = u32::try_from(span.len).ok().filter(|&n| n < INT_ARG)?;
        Some(MicroOp { key, arg: span.start as i64, len: if span.wide { len | WIDE } else { len }, f })
    }

    /// Where this micro-op's list sits, if it has one.
    pub(crate) fn span(&self) -> Option<Span> {
        match self.len {
            NULL_ARG | INT_ARG => None,
            len => Some(Span { start: self.arg as usize, len: (len & !WIDE) as usize, wide: len & WIDE != 0 }),
        }
    }

    /// The same micro-op with its list `by` words earlier in its array of words.
    pub(crate) fn shifted(self, by: usize) -> MicroOp {
        match self.span() {
            None => self,
            Some(_) => MicroOp { arg: self.arg - by as i64, ..self },
        }
    }

    /// The function, the key and the value, with lists taken from `words`.
    pub(crate) fn view<'a>(&self, words: &'a [u32]) -> (MopFn, i64, MopArg<'a>) {
        let arg = match self.len {
            NULL_ARG => MopArg::Null,
            INT_ARG => MopArg::Int(self.arg),
            _ => MopArg::Ints(self.span().map_or(Ints { words: &[], wide: false }, |span| span.read(words))),
        };
        (self.f, self.key, arg)
    }

    /// True when the key and the value (or list start) each fit one word.
    fn is_narrow(&self) -> bool {
        u32::try_from(self.key).is_ok() && u32::try_from(self.arg).is_ok()
    }

    /// The function and the length in one word.
    fn tag(&self) -> u32 {
        (self.f as u32) << FN_SHIFT | self.len
    }

    /// Appends the micro-op's words: its tag, then its key and value in one word each when
    /// `narrow`, else two each (low word first).
    fn encode(self, narrow: bool, words: &mut Vec<u32>) {
        if narrow {
            words.extend([self.tag(), self.key as u32, self.arg as u32]);
        } else {
            let ([key_lo, key_hi], [arg_lo, arg_hi]) = (split(self.key), split(self.arg));
            words.extend([self.tag(), key_lo, key_hi, arg_lo, arg_hi]);
        }
    }

    /// The micro-op [`MicroOp::encode`] wrote as `words` (of the width `narrow` says).
    fn decode(words: &[u32], narrow: bool) -> MicroOp {
        let (key, arg) = match narrow {
            true => (i64::from(words[1]), i64::from(words[2])),
            false => (join(words[1], words[2]), join(words[3], words[4])),
        };
        let f = match words[0] >> FN_SHIFT {
            0 => MopFn::Read,
            1 => MopFn::Append,
            _ => MopFn::Write,
        };
        MicroOp { key, arg, len: words[0] & !(3 << FN_SHIFT), f }
    }

    /// The micro-op as the list `[f key value]`.
    pub(crate) fn to_value(self, words: &[u32]) -> Value {
        let (f, key, arg) = self.view(words);
        Value::Array(Box::new([Value::from(f.as_str()), Value::Int(key), arg.to_value()]))
    }
}

/// A transaction's micro-ops, held flat (see the module's documentation): one array of words,
/// a head word first (the number of micro-ops, and [`NARROW`] when each key and value fits a
/// word), then each micro-op in [`NARROW_WORDS`] or [`WIDE_WORDS`] words, then the words of
/// their lists (see [`Ints`]).
#[derive(Debug, Default)]
pub struct MicroOps {
    words: Box<[u32]>,
    items: OnceBox<Box<[Value]>>,
}

/// The head word's flag for micro-ops of [`NARROW_WORDS`] words.
const NARROW: u32 = 1 << 31;
/// The words of a micro-op whose key and value fit a word each: its tag, key and value.
const NARROW_WORDS: usize = 3;
/// The words of any other micro-op: its tag, then its key and value in two words each.
const WIDE_WORDS: usize = 5;

/// The words each micro-op takes, in a transaction whose micro-ops are all narrow or not.
fn mop_words(narrow: bool) -> usize {
    if narrow {
        NARROW_WORDS
    } else {
        WIDE_WORDS
    }
}

impl Clone for MicroOps {
    fn clone(&self) -> MicroOps {
        MicroOps { words: self.words.clone(), items: OnceBox::new() }
    }
}

impl MicroOps {
    /// The micro-ops, their lists' words in `ints`. `None` when there are too many to count
    /// (two billion or more).
    pub(crate) fn new(mops: &[MicroOp], ints: &[u32]) -> Option<MicroOps> {
        let count = u32::try_from(mops.len()).ok().filter(|&n| n < NARROW)?;
        let narrow = mops.iter().all(MicroOp::is_narrow);
        let mut words = Vec::with_capacity(1 + mop_words(narrow) * mops.len() + ints.len());
        words.push(if narrow { count | NARROW } else { count });
        for mop in mops {
            mop.encode(narrow, &mut words);
        }
        words.extend_from_slice(ints);
        Some(MicroOps { words: words.into(), items: OnceBox::new() })
    }

    /// How many micro-ops there are.
    pub fn len(&self) -> usize {
        self.words.first().map_or(0, |&n| (n & !NARROW) as usize)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The micro-ops as stored, and the words of their lists.
    fn parts(&self) -> (impl ExactSizeIterator<Item = MicroOp> + '_, &[u32]) {
        let narrow = self.words.first().is_some_and(|&n| n & NARROW != 0);
        let width = mop_words(narrow);
        let (mops, ints) = self.words.get(1..).unwrap_or_default().split_at(width * self.len());
        (mops.chunks_exact(width).map(move |words| MicroOp::decode(words, narrow)), ints)
    }

    /// Each micro-op's function, key and value, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (MopFn, i64, MopArg<'_>)> + '_ {
        let (mops, ints) = self.parts();
        mops.map(move |mop| mop.view(ints))
    }

    /// The micro-ops as `[f key value]` lists, made once.
    pub(crate) fn items(&self) -> &[Value] {
        self.items.get_or_init(|| {
            let (mops, ints) = self.parts();
            Box::new(mops.map(|mop| mop.to_value(ints)).collect())
        })
    }

    /// Heap bytes held (the words, and the lists if they were made).
    pub(crate) fn heap_bytes(&self) -> usize {
        let items = self.items.get().map_or(0, |items| {
            size_of_val(items) + items.iter().map(|v| size_of::<Value>() + v.heap_bytes()).sum::<usize>()
        });
        size_of::<MicroOps>() + size_of_val(&*self.words) + items
    }
}

impl MicroOps {
    /// Hashes each micro-op as [`Value`] hashes the list `[f key value]`.
    pub(crate) fn hash_items<H: std::hash::Hasher>(&self, state: &mut H) {
        let (mops, ints) = self.parts();
        for mop in mops {
            mop.to_value(ints).hash(state);
        }
    }
}

impl fmt::Display for MopArg<'_> {
    /// JSON text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MopArg::Null => f.write_str("null"),
            MopArg::Int(n) => write!(f, "{n}"),
            MopArg::Ints(ints) => write_list(f, ints.iter()),
        }
    }
}

/// A micro-op as JSON text, `["f",key,value]`.
pub(crate) fn micro_op_text(f: MopFn, key: i64, arg: MopArg<'_>) -> String {
    format!("[\"{}\",{key},{arg}]", f.as_str())
}

impl fmt::Display for MicroOps {
    /// JSON text, as the same lists of values print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mops = self.iter().map(|(function, key, arg)| micro_op_text(function, key, arg));
        write_list(f, mops)
    }
}

impl Serialize for MopArg<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MopArg::Null => serializer.serialize_unit(),
            MopArg::Int(n) => serializer.serialize_i64(*n),
            MopArg::Ints(ints) => serializer.collect_seq(ints.iter()),
        }
    }
}

impl Serialize for MicroOps {
    /// As the same lists of values serialize.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(MopSer))
    }
}

/// One micro-op serialized as `[f key value]`.
struct MopSer<'a>((MopFn, i64, MopArg<'a>));

impl Serialize for MopSer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (f, key, arg) = self.0;
        let mut tuple = serializer.serialize_tuple(3)?;
        tuple.serialize_element(f.as_str())?;
        tuple.serialize_element(&key)?;
        tuple.serialize_element(&arg)?;
        tuple.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_micro_op_is_24_bytes() {
        assert_eq!(size_of::<MicroOp>(), 24);
    }

    #[test]
    fn micro_ops_read_back_as_written_and_as_lists() {
        let mut words = Vec::new();
        let long = Span::write(&[7, 8, 9, 10, 11], &mut words);
        let empty = Span::write(&[], &mut words);
        let wide = Span::write(&[-1, 1 << 40, 3], &mut words);
        assert_eq!(words.len(), 5 + 6, "narrow items take a word, wide ones two");
        let mops = [
            MicroOp::scalar(MopFn::Append, 3, Some(5)),
            MicroOp::scalar(MopFn::Read, 4, None),
            MicroOp::list(MopFn::Read, 3, long).unwrap(),
            MicroOp::list(MopFn::Read, 9, empty).unwrap(),
            MicroOp::list(MopFn::Write, -1 << 40, wide).unwrap(),
        ];
        for narrow in [true, false] {
            let mut encoded = Vec::new();
            let survive = |&mop: &MicroOp| {
                encoded.clear();
                mop.encode(narrow, &mut encoded);
                MicroOp::decode(&encoded, narrow) == mop
            };
            let fit = |mop: &&MicroOp| !narrow || mop.is_narrow();
            assert!(mops.iter().filter(fit).all(survive), "micro-ops survive their words (narrow: {narrow})");
        }
        let txn = MicroOps::new(&mops, &words).unwrap();
        let seen: Vec<_> = txn.iter().map(|(f, key, arg)| (f, key, arg.to_value().to_string())).collect();
        let expected = [
            (MopFn::Append, 3, "5"),
            (MopFn::Read, 4, "null"),
            (MopFn::Read, 3, "[7,8,9,10,11]"),
            (MopFn::Read, 9, "[]"),
            (MopFn::Write, -1 << 40, "[-1,1099511627776,3]"),
        ]
        .map(|(f, key, arg)| (f, key, arg.to_string()));
        assert_eq!(seen, expected);
        let text: Vec<String> = txn.items().iter().map(Value::to_string).collect();
        let whole = format!("[{}]", text.join(","));
        assert_eq!(text[2], r#"["r",3,[7,8,9,10,11]]"#);
        assert_eq!(txn.to_string(), whole);
        assert_eq!(serde_json::to_string(&txn).unwrap(), whole);
    }

    #[test]
    fn micro_ops_whose_keys_and_values_fit_a_word_take_three_words_each() {
        let mut words = Vec::new();
        let list = Span::write(&[1, 2, 3, 4], &mut words);
        let narrow =
            [MicroOp::scalar(MopFn::Append, 7, Some(u32::MAX.into())), MicroOp::list(MopFn::Read, 7, list).unwrap()];
        let txn = MicroOps::new(&narrow, &words).unwrap();
        assert_eq!(txn.words.len(), 1 + 2 * NARROW_WORDS + 4);
        let wide = [narrow[0], MicroOp::scalar(MopFn::Write, 8, Some(-1)), narrow[1]];
        let mixed = MicroOps::new(&wide, &words).unwrap();
        assert_eq!(mixed.words.len(), 1 + 3 * WIDE_WORDS + 4, "one wide micro-op makes the transaction wide");
        assert_eq!(mixed.to_string(), r#"[["append",7,4294967295],["w",8,-1],["r",7,[1,2,3,4]]]"#);
        assert_eq!(txn.to_string(), r#"[["append",7,4294967295],["r",7,[1,2,3,4]]]"#);
    }

    #[test]
    fn a_transaction_as_json_is_its_lists_without_caching_them() {
        let mut words = Vec::new();
        let list = Span::write(&[1, 2, 3, 4], &mut words);
        let mops = [MicroOp::scalar(MopFn::Append, 7, Some(5)), MicroOp::list(MopFn::Read, 7, list).unwrap()];
        let value = Value::MicroOps(Box::new(MicroOps::new(&mops, &words).unwrap()));
        assert_eq!(value.to_json(), serde_json::json!([["append", 7, 5], ["r", 7, [1, 2, 3, 4]]]));
        assert!(value.as_micro_ops().is_some_and(|txn| txn.items.get().is_none()), "no lists were cached");
    }

    #[test]
    fn a_moved_list_is_found_at_its_new_place() {
        let mut words = vec![0; 10];
        let span = Span::write(&[4, 5], &mut words);
        let mop = MicroOp::list(MopFn::Read, 1, span).unwrap().shifted(8);
        assert_eq!(mop.view(&words[8..]).2.to_value().to_string(), "[4,5]");
        assert_eq!(MicroOp::scalar(MopFn::Write, 1, Some(3)).shifted(8).view(&[]).2, MopArg::Int(3));
    }
}
