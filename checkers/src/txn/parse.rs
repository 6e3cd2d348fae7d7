//! Reading transactions out of a history: each client invocation whose value is a list of
//! micro-ops `[f key value]` becomes one [`Txn`], with keys and values interned into compact
//! ids. Malformed values are collected as problems, never panics.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

pub(crate) use crate::history::MopFn;
use crate::history::{micro_op_text, History, MopArg, OpType, Process, Value};

/// Sentinel id for "no value": a nil read, or the initial state of a key.
pub(crate) const NIL: u32 = u32::MAX;

/// Naturals below this are interned through a table indexed by value (keys), or are their own
/// ids (values), not through a hash map.
const DENSE_LIMIT: u64 = 1 << 24;

/// Interns JSON values into `u32` ids, integers on a fast path. Keys get dense ids (0, 1, ...:
/// the checkers index arrays by key); values need only be told apart, so a natural below
/// [`DENSE_LIMIT`] is its own id and other values get ids from [`DENSE_LIMIT`] up.
#[derive(Default)]
pub(crate) struct Interner {
    /// Whether naturals below [`DENSE_LIMIT`] are their own ids.
    naturals_are_ids: bool,
    /// Small naturals' ids, by value (the common case: generated keys).
    dense: Vec<u32>,
    ints: FxHashMap<i64, u32>,
    others: FxHashMap<String, u32>,
    /// The values with ids from `first_id()`, in id order.
    values: Vec<Value>,
}

impl Interner {
    /// An interner of keys: dense ids.
    pub(crate) fn keys() -> Interner {
        Interner::default()
    }

    /// An interner of values: naturals are their own ids.
    pub(crate) fn values() -> Interner {
        Interner { naturals_are_ids: true, ..Interner::default() }
    }

    /// The id the first entry of `values` has.
    fn first_id(&self) -> u32 {
        if self.naturals_are_ids {
            DENSE_LIMIT as u32
        } else {
            0
        }
    }

    /// The id of `v`, allocating one on first sight.
    pub(crate) fn intern(&mut self, v: &Value) -> u32 {
        if let Some(n) = v.as_i64() {
            return self.intern_int(n);
        }
        let text = v.to_string();
        if let Some(&id) = self.others.get(&text) {
            return id;
        }
        let id = self.next_id();
        self.others.insert(text, id);
        self.values.push(v.clone());
        id
    }

    /// The id of the integer `n`, allocating one on first sight.
    #[inline]
    pub(crate) fn intern_int(&mut self, n: i64) -> u32 {
        let natural = u64::try_from(n).ok().filter(|&i| i < DENSE_LIMIT);
        if self.naturals_are_ids {
            if let Some(i) = natural {
                return i as u32;
            }
        }
        let next = self.next_id();
        let id = match natural {
            Some(i) => {
                let i = i as usize;
                if i >= self.dense.len() {
                    self.dense.resize((i + 1).max(self.dense.len() * 2), NIL);
                }
                if self.dense[i] == NIL {
                    self.dense[i] = next;
                }
                self.dense[i]
            }
            None => *self.ints.entry(n).or_insert(next),
        };
        if id == next {
            self.values.push(Value::Int(n));
        }
        id
    }

    /// Interns naturals given as words onto `ids`: copied as they are when they are their
    /// own ids (a list-append read, as a rule).
    fn intern_words(&mut self, words: &[u32], ids: &mut Vec<u32>) {
        if self.naturals_are_ids && words.iter().all(|&w| u64::from(w) < DENSE_LIMIT) {
            ids.extend_from_slice(words);
        } else {
            self.intern_ints(words.iter().map(|&w| w.into()), ids);
        }
    }

    /// Interns integers onto `ids`.
    fn intern_ints(&mut self, ints: impl Iterator<Item = i64>, ids: &mut Vec<u32>) {
        ids.extend(ints.map(|n| self.intern_int(n)));
    }

    fn next_id(&self) -> u32 {
        self.first_id() + self.values.len() as u32
    }

    /// How many ids were given out from a table (every key; values other than small naturals).
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// The value behind an id, `None` for [`NIL`].
    fn value(&self, id: u32) -> Option<Value> {
        match id.checked_sub(self.first_id()) {
            _ if id == NIL => None,
            None => Some(Value::Int(id.into())),
            Some(i) => self.values.get(i as usize).cloned(),
        }
    }

    /// The id `id` of a part's interner has in `self`.
    fn remap(&mut self, part: &Interner) -> impl Fn(u32) -> u32 {
        let first = part.first_id();
        let ids: Vec<u32> = part.values.iter().map(|v| self.intern(v)).collect();
        move |id| if id < first || id == NIL { id } else { ids[(id - first) as usize] }
    }

    /// The value behind an id, as text for explanations (`nil` for [`NIL`]).
    pub(crate) fn show(&self, id: u32) -> String {
        self.value(id).map_or_else(|| "nil".to_string(), |v| v.to_string())
    }

    /// The value behind an id, as JSON (`null` for [`NIL`]).
    pub(crate) fn json(&self, id: u32) -> serde_json::Value {
        self.value(id).map_or(serde_json::Value::Null, |v| v.to_json())
    }
}

/// What happened to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Committed, with the values it read.
    Ok,
    /// Indeterminate: it may or may not have committed; its reads are unknown.
    Info,
    /// Definitely aborted.
    Fail,
}

/// One micro-op with interned key and value. A list read keeps its elements in the arena
/// `Txns::elems[start..start + len]`; `val` is [`NIL`] for a nil read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mop {
    pub(crate) f: MopFn,
    pub(crate) key: u32,
    pub(crate) val: u32,
    pub(crate) start: u32,
    pub(crate) len: u32,
}

/// One transaction: an invocation and its completion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Txn {
    /// Position of the invocation in `History::ops`.
    pub(crate) invoke: u32,
    /// Position of the completion, when there is one.
    pub(crate) complete: Option<u32>,
    pub(crate) status: Status,
    /// The client process number.
    pub(crate) process: u64,
    /// Range of this txn's micro-ops in `Txns::mops`.
    pub(crate) mop_start: u32,
    pub(crate) mop_end: u32,
}

/// Every transaction of a history, with their micro-ops and the interners.
pub(crate) struct Txns {
    pub(crate) txns: Vec<Txn>,
    pub(crate) mops: Vec<Mop>,
    pub(crate) elems: Vec<u32>,
    pub(crate) keys: Interner,
    pub(crate) values: Interner,
    /// Per txn: the `index` of its completion op, else of its invocation.
    pub(crate) op_indices: Vec<u64>,
    /// Ops whose value could not be read as a transaction: (op position, why).
    pub(crate) malformed: Vec<(usize, String)>,
}

impl Shape {
    /// The micro-op functions of this shape, for error messages.
    fn functions(self) -> &'static str {
        match self {
            Shape::List => "r or append",
            Shape::Register => "r or w",
        }
    }
}

impl Default for Txns {
    fn default() -> Txns {
        Txns {
            txns: Vec::new(),
            mops: Vec::new(),
            elems: Vec::new(),
            keys: Interner::keys(),
            values: Interner::values(),
            op_indices: Vec::new(),
            malformed: Vec::new(),
        }
    }
}

/// Whether reads carry lists (list-append) or single values (registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    List,
    Register,
}

impl Txns {
    /// The micro-ops of txn `t`.
    pub(crate) fn mops_of(&self, t: u32) -> &[Mop] {
        let txn = &self.txns[t as usize];
        &self.mops[txn.mop_start as usize..txn.mop_end as usize]
    }

    /// The elements of a list read.
    pub(crate) fn list(&self, m: &Mop) -> &[u32] {
        &self.elems[m.start as usize..(m.start + m.len) as usize]
    }

    /// Runs `each` on every txn, in chunks on all threads, each chunk into its own `init()`:
    /// the parts, in txn order.
    pub(crate) fn per_chunk<T: Send>(
        &self,
        init: impl Fn() -> T + Sync,
        each: impl Fn(u32, &Txn, &mut T) + Sync,
    ) -> Vec<T> {
        let size = chunk_len(self.txns.len());
        self.txns
            .par_chunks(size)
            .enumerate()
            .map(|(i, chunk)| {
                let mut part = init();
                for (j, txn) in chunk.iter().enumerate() {
                    each((i * size + j) as u32, txn, &mut part);
                }
                part
            })
            .collect()
    }

    /// The op (position) that best stands for txn `t`: its completion, else its invocation.
    pub(crate) fn op_pos(&self, t: u32) -> usize {
        let txn = &self.txns[t as usize];
        txn.complete.unwrap_or(txn.invoke) as usize
    }
}

/// Reads every client transaction of `history`. Completions carry the values read (ok); for
/// info and fail the written values come from the completion when it is a list, else from
/// the invocation, and reads are dropped (unknown).
///
/// Chunks of the history are parsed in parallel with their own interners, then merged:
/// ids are remapped to the global interners and the chunks concatenated in order.
pub(crate) fn parse(history: &History, shape: Shape) -> Txns {
    let completions = history.completions();
    let size = chunk_len(history.ops.len());
    let mut parts: Vec<Txns> = history
        .ops
        .par_chunks(size)
        .enumerate()
        .map(|(i, ops)| parse_range(history, &completions, i * size, ops.len(), shape))
        .collect();
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut out = Txns::default();
    let maps: Vec<_> = parts.iter().map(|part| (out.keys.remap(&part.keys), out.values.remap(&part.values))).collect();
    parts.par_iter_mut().zip(maps.par_iter()).for_each(|(part, (key, value))| {
        for m in &mut part.mops {
            m.key = key(m.key);
            let list_read = shape == Shape::List && m.f == MopFn::Read;
            if !list_read {
                m.val = value(m.val);
            }
        }
        if part.values.len() > 0 {
            part.elems.iter_mut().for_each(|e| *e = value(*e));
        }
    });
    out.txns.reserve_exact(parts.iter().map(|p| p.txns.len()).sum());
    out.mops.reserve_exact(parts.iter().map(|p| p.mops.len()).sum());
    out.elems.reserve_exact(parts.iter().map(|p| p.elems.len()).sum());
    out.op_indices.reserve_exact(parts.iter().map(|p| p.op_indices.len()).sum());
    for part in parts {
        let (mops, elems) = (out.mops.len() as u32, out.elems.len() as u32);
        out.txns.extend(part.txns.iter().map(|t| Txn {
            mop_start: t.mop_start + mops,
            mop_end: t.mop_end + mops,
            ..*t
        }));
        out.mops.extend(part.mops.iter().map(|m| Mop { start: m.start + elems, ..*m }));
        out.elems.extend_from_slice(&part.elems);
        out.op_indices.extend_from_slice(&part.op_indices);
        out.malformed.extend(part.malformed);
    }
    out
}

/// How many of `n` items each parallel chunk takes: four chunks a thread, none tiny.
fn chunk_len(n: usize) -> usize {
    n.div_ceil(rayon::current_num_threads() * 4).max(1 << 14)
}

/// Parses the invocations among `len` ops from position `from`.
fn parse_range(history: &History, completions: &[Option<usize>], from: usize, len: usize, shape: Shape) -> Txns {
    let mut out = Txns::default();
    for (pos, op) in history.ops.iter().enumerate().skip(from).take(len) {
        if op.kind != OpType::Invoke {
            continue;
        }
        let Process::Client(process) = op.process else { continue };
        let complete = completions[pos];
        let done = complete.map(|c| &history.ops[c]);
        let status = match done.map(|d| d.kind) {
            Some(OpType::Ok) => Status::Ok,
            Some(OpType::Fail) => Status::Fail,
            _ => Status::Info,
        };
        let value = match done {
            Some(d) if status == Status::Ok || d.value.is_array() => &d.value,
            _ => &op.value,
        };
        let mop_start = out.mops.len() as u32;
        let elems_start = out.elems.len();
        if let Err(why) = out.push_mops(value, status == Status::Ok, shape) {
            out.mops.truncate(mop_start as usize);
            out.elems.truncate(elems_start);
            out.malformed.push((complete.unwrap_or(pos), why));
            continue;
        }
        let mop_end = out.mops.len() as u32;
        out.op_indices.push(history.ops[complete.unwrap_or(pos)].index);
        out.txns.push(Txn {
            invoke: pos as u32,
            complete: complete.map(|c| c as u32),
            status,
            process,
            mop_start,
            mop_end,
        });
    }
    out
}

impl Txns {
    fn push_mops(&mut self, value: &Value, keep_reads: bool, shape: Shape) -> Result<(), String> {
        if let Some(txn) = value.as_micro_ops() {
            for (f, key, arg) in txn.iter() {
                let describe = || micro_op_text(f, key, arg);
                let key = self.keys.intern_int(key);
                self.push_mop(f, key, Arg::Flat(arg), keep_reads, shape, &describe)?;
            }
            return Ok(());
        }
        let Some(mops) = value.as_array() else {
            return Err(format!("the value {} is not a list of micro-ops [f key value]", short(value)));
        };
        for mop in mops {
            let parts = match mop.as_array() {
                Some(parts) if parts.len() == 3 => parts,
                _ => return Err(format!("the micro-op {} is not [f key value]", short(mop))),
            };
            let Some(f) = parts[0].as_str().and_then(MopFn::parse) else {
                let expected = shape.functions();
                return Err(format!("the micro-op {} has function {}, expected {expected}", short(mop), parts[0]));
            };
            let key = self.keys.intern(&parts[1]);
            self.push_mop(f, key, Arg::Held(&parts[2]), keep_reads, shape, &|| short(mop))?;
        }
        Ok(())
    }

    /// Adds one micro-op; `describe` shows it in an error.
    fn push_mop(
        &mut self,
        f: MopFn,
        key: u32,
        v: Arg<'_>,
        keep_reads: bool,
        shape: Shape,
        describe: &dyn Fn() -> String,
    ) -> Result<(), String> {
        match (f, shape) {
            (MopFn::Append, Shape::List) | (MopFn::Write, Shape::Register) | (MopFn::Read, _) => {}
            _ => {
                let expected = shape.functions();
                return Err(format!(
                    "the micro-op {} has function \"{}\", expected {expected}",
                    describe(),
                    f.as_str()
                ));
            }
        }
        if f == MopFn::Read && !keep_reads {
            return Ok(());
        }
        let mut m = Mop { f, key, val: NIL, start: 0, len: 0 };
        match (f, shape) {
            (MopFn::Read, Shape::List) if v.is_null() => {}
            (MopFn::Read, Shape::List) => {
                m.start = self.elems.len() as u32;
                m.val = 0;
                if let Arg::Flat(MopArg::Ints(ints)) = v {
                    match ints.narrow_words() {
                        Some(words) => self.values.intern_words(words, &mut self.elems),
                        None => self.values.intern_ints(ints.iter(), &mut self.elems),
                    }
                } else if let Some(ints) = v.held().and_then(Value::as_ints) {
                    self.values.intern_ints(ints.iter().copied(), &mut self.elems);
                } else if let Some(items) = v.held().and_then(Value::as_array) {
                    for item in items {
                        let id = self.values.intern(item);
                        self.elems.push(id);
                    }
                } else {
                    return Err(format!("the read {} of a list holds {}, not a list", describe(), short(&v.value())));
                }
                m.len = self.elems.len() as u32 - m.start;
            }
            (MopFn::Read, Shape::Register) if v.is_null() => {}
            _ if v.is_null() => return Err(format!("the write {} has no value", describe())),
            _ => {
                m.val = match v {
                    Arg::Flat(MopArg::Int(n)) => self.values.intern_int(n),
                    Arg::Held(v) => self.values.intern(v),
                    flat => self.values.intern(&flat.value()),
                }
            }
        }
        self.mops.push(m);
        Ok(())
    }
}

/// A micro-op's value, as either form of transaction holds it.
#[derive(Clone, Copy)]
enum Arg<'a> {
    /// From a transaction held flat ([`Value::MicroOps`]).
    Flat(MopArg<'a>),
    /// From a transaction held as lists of values.
    Held(&'a Value),
}

impl Arg<'_> {
    fn is_null(&self) -> bool {
        match self {
            Arg::Flat(arg) => *arg == MopArg::Null,
            Arg::Held(v) => v.is_null(),
        }
    }

    /// The value, when it is held as one.
    fn held(&self) -> Option<&Value> {
        match self {
            Arg::Flat(_) => None,
            Arg::Held(v) => Some(v),
        }
    }

    /// The value (made, for a flat one).
    fn value(&self) -> Value {
        match self {
            Arg::Flat(arg) => arg.to_value(),
            Arg::Held(v) => (*v).clone(),
        }
    }
}

/// A value as text, cut short for error messages.
fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 80 {
        format!(
            "{}...",
            &text[..text.char_indices().take_while(|(i, _)| *i < 77).last().map_or(0, |(i, c)| i + c.len_utf8())]
        )
    } else {
        text
    }
}

impl Txns {
    /// How many distinct keys the history touches.
    pub(crate) fn keys_len(&self) -> usize {
        self.keys.len()
    }

    /// The `index` of the op standing for txn `t` (see [`Txns::op_pos`]), given the history.
    pub(crate) fn op_index(&self, t: u32) -> u64 {
        self.op_indices[t as usize]
    }
}
