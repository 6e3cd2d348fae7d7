//! Reading transactions out of a history: each client invocation whose value is a list of
//! micro-ops `[f key value]` becomes one [`Txn`], with keys and values interned into compact
//! ids. Malformed values are collected as problems, never panics.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::history::{History, OpType, Process, Value};

/// Sentinel id for "no value": a nil read, or the initial state of a key.
pub(crate) const NIL: u32 = u32::MAX;

/// Naturals below this are interned through a table indexed by value, not a hash map.
const DENSE_LIMIT: u64 = 1 << 24;

/// Interns JSON values (keys, elements) into dense `u32` ids, integers on a fast path.
#[derive(Default)]
pub(crate) struct Interner {
    /// Small naturals, by value (the common case: generated keys and elements).
    dense: Vec<u32>,
    ints: FxHashMap<i64, u32>,
    others: FxHashMap<String, u32>,
    values: Vec<Value>,
}

impl Interner {
    /// The id of `v`, allocating one on first sight.
    pub(crate) fn intern(&mut self, v: &Value) -> u32 {
        if let Some(i) = v.as_u64().filter(|&i| i < DENSE_LIMIT) {
            let i = i as usize;
            if i >= self.dense.len() {
                self.dense.resize((i + 1).max(self.dense.len() * 2), NIL);
            }
            if self.dense[i] == NIL {
                self.dense[i] = self.values.len() as u32;
                self.values.push(v.clone());
            }
            return self.dense[i];
        }
        if let Some(i) = v.as_i64() {
            let next = self.values.len() as u32;
            let id = *self.ints.entry(i).or_insert(next);
            if id == next {
                self.values.push(v.clone());
            }
            return id;
        }
        let text = v.to_string();
        if let Some(&id) = self.others.get(&text) {
            return id;
        }
        let id = self.values.len() as u32;
        self.others.insert(text, id);
        self.values.push(v.clone());
        id
    }

    /// The value behind an id, as text for explanations (`nil` for [`NIL`]).
    pub(crate) fn show(&self, id: u32) -> String {
        match self.values.get(id as usize) {
            Some(v) => v.to_string(),
            None => "nil".to_string(),
        }
    }

    /// The value behind an id, as JSON (`null` for [`NIL`]).
    pub(crate) fn json(&self, id: u32) -> serde_json::Value {
        self.values.get(id as usize).map_or(serde_json::Value::Null, Value::to_json)
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

/// The function of a micro-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MopF {
    /// `[:append k v]`.
    Append,
    /// `[:w k v]`.
    Write,
    /// `[:r k v]`.
    Read,
}

/// One micro-op with interned key and value. A list read keeps its elements in the arena
/// `Txns::elems[start..start + len]`; `val` is [`NIL`] for a nil read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mop {
    pub(crate) f: MopF,
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
#[derive(Default)]
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
    let size = history.ops.len().div_ceil(rayon::current_num_threads() * 4).max(1 << 14);
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
    let maps: Vec<(Vec<u32>, Vec<u32>)> = parts
        .iter()
        .map(|part| {
            let keys = part.keys.values.iter().map(|v| out.keys.intern(v)).collect();
            let values = part.values.values.iter().map(|v| out.values.intern(v)).collect();
            (keys, values)
        })
        .collect();
    parts.par_iter_mut().zip(maps.par_iter()).for_each(|(part, (keys, values))| {
        for m in &mut part.mops {
            m.key = keys[m.key as usize];
            let list_read = shape == Shape::List && m.f == MopF::Read;
            if !list_read && m.val != NIL {
                m.val = values[m.val as usize];
            }
        }
        for e in &mut part.elems {
            *e = values[*e as usize];
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
        let Some(mops) = value.as_array() else {
            return Err(format!("the value {} is not a list of micro-ops [f key value]", short(value)));
        };
        for mop in mops {
            let parts = match mop.as_array() {
                Some(parts) if parts.len() == 3 => parts,
                _ => return Err(format!("the micro-op {} is not [f key value]", short(mop))),
            };
            let f = match (parts[0].as_str(), shape) {
                (Some("r"), _) => MopF::Read,
                (Some("append"), Shape::List) => MopF::Append,
                (Some("w"), Shape::Register) => MopF::Write,
                _ => {
                    let expected = if shape == Shape::List { "r or append" } else { "r or w" };
                    return Err(format!("the micro-op {} has function {}, expected {expected}", short(mop), parts[0]));
                }
            };
            if f == MopF::Read && !keep_reads {
                continue;
            }
            let key = self.keys.intern(&parts[1]);
            let v = &parts[2];
            let mut m = Mop { f, key, val: NIL, start: 0, len: 0 };
            match (f, shape) {
                (MopF::Read, Shape::List) if v.is_null() => {}
                (MopF::Read, Shape::List) => {
                    m.start = self.elems.len() as u32;
                    m.val = 0;
                    if let Some(ints) = v.as_ints() {
                        for &n in ints {
                            let id = self.values.intern(&Value::Int(n));
                            self.elems.push(id);
                        }
                    } else if let Some(items) = v.as_array() {
                        for item in items {
                            let id = self.values.intern(item);
                            self.elems.push(id);
                        }
                    } else {
                        return Err(format!("the read {} of a list holds {}, not a list", short(mop), short(v)));
                    }
                    m.len = self.elems.len() as u32 - m.start;
                }
                (MopF::Read, Shape::Register) if v.is_null() => {}
                _ if v.is_null() => return Err(format!("the write {} has no value", short(mop))),
                _ => m.val = self.values.intern(v),
            }
            self.mops.push(m);
        }
        Ok(())
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
        self.keys.values.len()
    }

    /// The `index` of the op standing for txn `t` (see [`Txns::op_pos`]), given the history.
    pub(crate) fn op_index(&self, t: u32) -> u64 {
        self.op_indices[t as usize]
    }
}
