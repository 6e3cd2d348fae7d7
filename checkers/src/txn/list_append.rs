//! List-append inference: per key, the longest read is the version order and every other read
//! must be a prefix of it; an append no read observed came after every observed element. From
//! that: ww, wr and rw edges, and the anomalies visible without cycles (aborted and
//! intermediate reads, dirty updates, garbage reads, duplicates, incompatible orders, internal
//! inconsistency).

use rustc_hash::FxHashSet;

use super::findings::Findings;
use super::graph::{Builder, RW, WR, WW};
use super::kv_map::KvMap;
use super::parse::{Mop, MopFn, Status, Txn, Txns, NIL};
use super::{kv, record_writer, EdgeWhy, Inference};
use crate::anomaly_kind::AnomalyKind;

/// Why list-append orders are what they are; quoted in explanations.
const LONGEST: &str =
    "list-append: the longest read of a key gives its version order, and every read is a prefix of it";
const UNOBSERVED: &str =
    "list-append: no read saw this append, so it came after every element any read saw (the order only grows)";
const LAST_ELEMENT: &str =
    "list-append: appended values are unique, so a read's last element names the txn it observed";

/// The inferred state of every key.
pub(crate) struct ListAppend {
    /// (key, element) -> the txn that appended it.
    writer: KvMap,
    /// Per key id: the version order (distinct elements of the longest read).
    order: Vec<Vec<u32>>,
    /// (key, element) -> position in `order[key]`.
    pos: KvMap,
    /// Versions: per key, the id of its initial version; the version after the element at
    /// position `p` of `order[key]` is `base[key] + p + 1`.
    base: Vec<u32>,
    /// Per version: the txn that appended its last element (NIL for the initial version).
    version_writer: Vec<u32>,
    /// Per version: the committed txns that read it, as CSR offsets into `reader_list`.
    reader_offsets: Vec<u32>,
    reader_list: Vec<u32>,
}

impl ListAppend {
    /// Infers version orders and finds every non-cycle anomaly.
    pub(crate) fn infer(txns: &Txns, out: &mut Findings) -> ListAppend {
        let n_keys = txns.keys_len();
        let appends = txns.mops.iter().filter(|m| m.f == MopFn::Append).count();
        let mut writer = KvMap::with_capacity(appends);
        let mut intermediate: FxHashSet<u64> = FxHashSet::default();
        let mut touched: Vec<u32> = Vec::new();
        // Longest read per key: (length, txn, mop index).
        let mut longest: Vec<Option<(u32, u32, u32)>> = vec![None; n_keys];
        for (t, txn) in txns.txns.iter().enumerate() {
            let t = t as u32;
            touched.clear();
            let mops = txns.mops_of(t);
            for (i, m) in mops.iter().enumerate().rev() {
                match m.f {
                    MopFn::Append => {
                        record_writer(&mut writer, txns, t, m, out);
                        if touched.contains(&m.key) {
                            intermediate.insert(kv(m.key, m.val));
                        } else {
                            touched.push(m.key);
                        }
                    }
                    MopFn::Read if txn.status == Status::Ok && m.val != NIL => {
                        let slot = &mut longest[m.key as usize];
                        if slot.is_none_or(|(len, _, _)| m.len > len) {
                            *slot = Some((m.len, t, txn.mop_start + i as u32));
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut order: Vec<Vec<u32>> = vec![Vec::new(); n_keys];
        let observed: usize = longest.iter().flatten().map(|&(len, _, _)| len as usize).sum();
        let mut pos = KvMap::with_capacity(observed);
        for (key, slot) in longest.iter().enumerate() {
            let Some((_, _, mop)) = *slot else { continue };
            let list = txns.list(&txns.mops[mop as usize]);
            let key = key as u32;
            for &e in list {
                let next = order[key as usize].len() as u32;
                if pos.get(key, e).is_none() {
                    pos.insert(key, e, next);
                    order[key as usize].push(e);
                }
            }
        }
        let mut base = Vec::with_capacity(n_keys);
        let mut version_writer = Vec::new();
        for (key, order) in order.iter().enumerate() {
            base.push(version_writer.len() as u32);
            version_writer.push(NIL);
            version_writer.extend(order.iter().map(|&e| writer.get(key as u32, e).unwrap_or(NIL)));
        }
        let la = ListAppend {
            writer,
            order,
            pos,
            base,
            version_writer,
            reader_offsets: Vec::new(),
            reader_list: Vec::new(),
        };
        la.read_anomalies(txns, &intermediate, out)
    }

    /// Checks committed txn `t`'s reads against the orders, and adds the versions it read
    /// (with `t`) to `readers`.
    fn committed_reads(
        &self,
        txns: &Txns,
        t: u32,
        txn: &Txn,
        intermediate: &FxHashSet<u64>,
        found: &mut Findings,
        readers: &mut Vec<(u32, u32)>,
    ) {
        if txn.status != Status::Ok {
            return;
        }
        let mops = txns.mops_of(t);
        self.internal(txns, t, mops, found);
        self.append_order(txns, t, mops, found);
        for m in mops.iter().filter(|m| m.f == MopFn::Read) {
            let list = if m.val == NIL { &[][..] } else { txns.list(m) };
            let last = list.last().copied().unwrap_or(NIL);
            let order = &self.order[m.key as usize];
            if list.len() > order.len() || order[..list.len()] != *list {
                self.not_prefix(txns, t, m, list, found);
                if let Some(v) = self.version(m.key, last) {
                    readers.push((v, t));
                }
            } else {
                readers.push((self.base[m.key as usize] + list.len() as u32, t));
            }
            if last == NIL {
                continue;
            }
            if intermediate.contains(&kv(m.key, last)) {
                if let Some(w) = self.writer.get(m.key, last) {
                    if w != t {
                        found.add(
                            AnomalyKind::G1b,
                            vec![txns.op_index(t), txns.op_index(w)],
                            format!(
                                "op {} read key {} = {} ending in {}, an intermediate append of op {}, which appended more to key {} afterwards",
                                txns.op_index(t),
                                txns.keys.show(m.key),
                                show_list(txns, list),
                                txns.values.show(last),
                                txns.op_index(w),
                                txns.keys.show(m.key)
                            ),
                        );
                    }
                }
            }
        }
    }

    /// Checks every committed read against the orders, collecting readers for rw edges.
    fn read_anomalies(mut self, txns: &Txns, intermediate: &FxHashSet<u64>, out: &mut Findings) -> ListAppend {
        let parts = txns.per_chunk(Default::default, |t, txn, (found, readers): &mut (Findings, Vec<(u32, u32)>)| {
            self.committed_reads(txns, t, txn, intermediate, found, readers)
        });
        let mut readers = Vec::with_capacity(parts.iter().map(|(_, part)| part.len()).sum());
        for (found, part) in parts {
            out.absorb(found);
            readers.extend(part);
        }
        // Counting sort of (version, reader) into CSR.
        let mut offsets = vec![0u32; self.version_writer.len() + 1];
        for &(v, _) in &readers {
            offsets[v as usize + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut fill = offsets.clone();
        let mut list = vec![0u32; readers.len()];
        for (v, r) in readers {
            list[fill[v as usize] as usize] = r;
            fill[v as usize] += 1;
        }
        self.reader_offsets = offsets;
        self.reader_list = list;
        // Aborted, garbage reads and dirty updates, judged on each key's order; a read longer
        // than a bad element's position contains it.
        for (key, order) in self.order.iter().enumerate() {
            let key = key as u32;
            let mut last_committed = true;
            let mut aborted: Option<u32> = None;
            for (i, &e) in order.iter().enumerate() {
                match self.writer.get(key, e).map(|w| (w, txns.txns[w as usize].status)) {
                    None => {
                        let reader = self.first_reader_past(txns, key, i);
                        out.add(
                            AnomalyKind::GarbageRead,
                            reader.into_iter().collect(),
                            format!(
                                "key {} was read holding {}, a value no operation ever appended (op {})",
                                txns.keys.show(key),
                                txns.values.show(e),
                                reader.map_or("?".to_string(), |r| r.to_string())
                            ),
                        );
                    }
                    Some((w, Status::Fail)) => {
                        let reader = self.first_reader_past(txns, key, i);
                        out.add(
                            AnomalyKind::G1a,
                            reader.into_iter().chain([txns.op_index(w)]).collect(),
                            format!(
                                "op {} read key {} including {}, appended by op {} which failed (aborted)",
                                reader.map_or("?".to_string(), |r| r.to_string()),
                                txns.keys.show(key),
                                txns.values.show(e),
                                txns.op_index(w)
                            ),
                        );
                        aborted = Some(w);
                        last_committed = false;
                    }
                    Some((w, Status::Ok)) => {
                        if let (false, Some(a)) = (last_committed, aborted) {
                            out.add(
                                AnomalyKind::DirtyUpdate,
                                vec![txns.op_index(a), txns.op_index(w)],
                                format!(
                                    "on key {}, op {} appended {} on top of the state left by op {}, which failed (aborted)",
                                    txns.keys.show(key),
                                    txns.op_index(w),
                                    txns.values.show(e),
                                    txns.op_index(a)
                                ),
                            );
                        }
                        last_committed = true;
                    }
                    Some((_, Status::Info)) => {}
                }
            }
        }
        self
    }

    /// A committed read that is not a prefix of its key's order: duplicates or incompatible.
    fn not_prefix(&self, txns: &Txns, t: u32, m: &Mop, list: &[u32], out: &mut Findings) {
        let mut seen = FxHashSet::default();
        let dups: Vec<u32> = list.iter().copied().filter(|e| !seen.insert(*e)).collect();
        let key = txns.keys.show(m.key);
        if !dups.is_empty() {
            let shown: Vec<String> = dups.iter().map(|&d| txns.values.show(d)).collect();
            out.add(
                AnomalyKind::DuplicateElements,
                vec![txns.op_index(t)],
                format!(
                    "op {} read key {key} = {} holding {} more than once",
                    txns.op_index(t),
                    show_list(txns, list),
                    shown.join(", ")
                ),
            );
            if seen.len() <= self.order[m.key as usize].len() {
                return;
            }
        }
        out.add(
            AnomalyKind::IncompatibleOrder,
            vec![txns.op_index(t)],
            format!(
                "op {} read key {key} = {}, which is not a prefix of the longest read {}: no single order of appends explains both",
                txns.op_index(t),
                show_list(txns, list),
                show_list(txns, &self.order[m.key as usize])
            ),
        );
    }

    /// The op index of some committed read of `key` holding more than `i` elements.
    fn first_reader_past(&self, txns: &Txns, key: u32, i: usize) -> Option<u64> {
        let base = self.base[key as usize] as usize;
        let versions = base + i + 1..=base + self.order[key as usize].len();
        let lo = self.reader_offsets[*versions.start()] as usize;
        let hi = self.reader_offsets[versions.end() + 1] as usize;
        self.reader_list[lo..hi].first().map(|&r| txns.op_index(r))
    }

    /// Internal consistency: a read must agree with the txn's own earlier reads and appends.
    fn internal(&self, txns: &Txns, t: u32, mops: &[Mop], out: &mut Findings) {
        // Only a key the txn touches twice can disagree with itself.
        if !mops.iter().enumerate().any(|(i, m)| mops[..i].iter().any(|o| o.key == m.key)) {
            return;
        }
        // Per key: (known full state?, expected list or suffix).
        let mut state: Vec<(u32, bool, Vec<u32>)> = Vec::new();
        for m in mops {
            let at = state.iter().position(|s| s.0 == m.key);
            match m.f {
                MopFn::Append => match at {
                    Some(i) => {
                        if state[i].1 && state[i].2.contains(&m.val) {
                            out.add(
                                AnomalyKind::FutureRead,
                                vec![txns.op_index(t)],
                                format!(
                                    "op {} read key {} holding {} before appending {} itself",
                                    txns.op_index(t),
                                    txns.keys.show(m.key),
                                    txns.values.show(m.val),
                                    txns.values.show(m.val)
                                ),
                            );
                        }
                        state[i].2.push(m.val)
                    }
                    None => state.push((m.key, false, vec![m.val])),
                },
                MopFn::Read => {
                    let list = if m.val == NIL { &[][..] } else { txns.list(m) };
                    if let Some(i) = at {
                        let (_, known, expected) = &state[i];
                        let ok = if *known {
                            expected.as_slice() == list
                        } else {
                            list.len() >= expected.len() && list[list.len() - expected.len()..] == expected[..]
                        };
                        if !ok {
                            let shown = show_list(txns, expected);
                            let wanted = if *known { shown } else { format!("a list ending in {shown}") };
                            out.add(
                                AnomalyKind::Internal,
                                vec![txns.op_index(t)],
                                format!(
                                    "op {} read key {} = {}, but its own earlier reads and appends say it should be {wanted}",
                                    txns.op_index(t),
                                    txns.keys.show(m.key),
                                    show_list(txns, list)
                                ),
                            );
                        }
                        state[i] = (m.key, true, list.to_vec());
                    } else {
                        state.push((m.key, true, list.to_vec()));
                    }
                }
                MopFn::Write => {}
            }
        }
    }

    /// A txn's appends to one key must show up in the version order in the order it made
    /// them: a read holding a later append must hold the earlier ones, before it.
    fn append_order(&self, txns: &Txns, t: u32, mops: &[Mop], out: &mut Findings) {
        for (i, m) in mops.iter().enumerate().filter(|(_, m)| m.f == MopFn::Append) {
            let Some(next) = mops[i + 1..].iter().find(|n| n.f == MopFn::Append && n.key == m.key) else { continue };
            let (p, q) = (self.pos.get(m.key, m.val), self.pos.get(m.key, next.val));
            if q.is_some() && p.is_none_or(|p| Some(p) > q) {
                out.add(
                    AnomalyKind::IncompatibleOrder,
                    vec![txns.op_index(t)],
                    format!(
                        "op {} appended {} and then {} to key {}, but the longest read of the key {} does not hold them in that order",
                        txns.op_index(t),
                        txns.values.show(m.val),
                        txns.values.show(next.val),
                        txns.keys.show(m.key),
                        show_list(txns, &self.order[m.key as usize])
                    ),
                );
            }
        }
    }

    /// The element appended just before `e` on `key` (NIL: the initial state), and whether
    /// that is known from a read (else inferred because no read saw `e`).
    fn previous(&self, key: u32, e: u32) -> (u32, bool) {
        let order = &self.order[key as usize];
        match self.pos.get(key, e) {
            Some(0) => (NIL, true),
            Some(p) => (order[p as usize - 1], true),
            None => (order.last().copied().unwrap_or(NIL), false),
        }
    }

    /// The version whose last element is `last` (NIL: the initial version), if it is in the
    /// order.
    fn version(&self, key: u32, last: u32) -> Option<u32> {
        let base = self.base[key as usize];
        if last == NIL {
            return Some(base);
        }
        self.pos.get(key, last).map(|p| base + p + 1)
    }

    /// The committed txns that read version `v`.
    fn readers_of_version(&self, v: u32) -> &[u32] {
        let (lo, hi) = (self.reader_offsets[v as usize] as usize, self.reader_offsets[v as usize + 1] as usize);
        &self.reader_list[lo..hi]
    }

    /// The committed txns that read `key` with `last` as their last element.
    fn readers_of(&self, key: u32, last: u32) -> &[u32] {
        self.version(key, last).map_or(&[], |v| self.readers_of_version(v))
    }
}

impl ListAppend {
    /// The ww, wr and rw edges into txn `t`.
    fn txn_edges(&self, txns: &Txns, t: u32, txn: &Txn, b: &mut Builder) {
        if txn.status == Status::Fail {
            return;
        }
        for m in txns.mops_of(t) {
            match m.f {
                MopFn::Read if txn.status == Status::Ok && m.val != NIL && m.len > 0 => {
                    let last = txns.list(m)[m.len as usize - 1];
                    let order = &self.order[m.key as usize];
                    // A read whose last element sits at its own length in the order is a
                    // prefix; its version's writer is at hand.
                    let w = if order.get(m.len as usize - 1) == Some(&last) {
                        Some(self.version_writer[(self.base[m.key as usize] + m.len) as usize])
                    } else {
                        self.writer.get(m.key, last)
                    };
                    if let Some(w) = w.filter(|&w| w != NIL && txns.txns[w as usize].status != Status::Fail) {
                        b.link(w, t, WR);
                    }
                }
                MopFn::Append => {
                    let base = self.base[m.key as usize];
                    let prev = match self.pos.get(m.key, m.val) {
                        Some(p) => base + p,
                        None => base + self.order[m.key as usize].len() as u32,
                    };
                    let w = self.version_writer[prev as usize];
                    if w != NIL && txns.txns[w as usize].status != Status::Fail {
                        b.link(w, t, WW);
                    }
                    for &r in self.readers_of_version(prev) {
                        b.link(r, t, RW);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Inference for ListAppend {
    fn edges(&self, txns: &Txns, b: &mut Builder) {
        for part in txns.per_chunk(|| b.fork(), |t, txn, part| self.txn_edges(txns, t, txn, part)) {
            b.join(part);
        }
    }

    fn explain(&self, txns: &Txns, a: u32, b: u32, kind: u8) -> Option<EdgeWhy> {
        let k = |key| txns.keys.show(key);
        let v = |val| txns.values.show(val);
        match kind {
            WR => txns.mops_of(b).iter().find_map(|m| {
                let list = if m.f == MopFn::Read && m.val != NIL { txns.list(m) } else { &[] };
                let last = *list.last()?;
                (self.writer.get(m.key, last) == Some(a)).then(|| EdgeWhy {
                    key: txns.keys.json(m.key),
                    value: txns.values.json(last),
                    text: format!(
                        "{{b}} read key {} = {}, whose last element {} {{a}} appended",
                        k(m.key),
                        show_list(txns, list),
                        v(last)
                    ),
                    why: LAST_ELEMENT,
                })
            }),
            WW => txns.mops_of(b).iter().filter(|m| m.f == MopFn::Append).find_map(|m| {
                let (prev, seen) = self.previous(m.key, m.val);
                (prev != NIL && self.writer.get(m.key, prev) == Some(a)).then(|| EdgeWhy {
                    key: txns.keys.json(m.key),
                    value: txns.values.json(m.val),
                    text: format!(
                        "{{b}} appended {} to key {} after {{a}}'s append of {}",
                        v(m.val),
                        k(m.key),
                        v(prev)
                    ),
                    why: if seen { LONGEST } else { UNOBSERVED },
                })
            }),
            RW => txns.mops_of(b).iter().filter(|m| m.f == MopFn::Append).find_map(|m| {
                let (prev, seen) = self.previous(m.key, m.val);
                self.readers_of(m.key, prev).contains(&a).then(|| {
                    let read = if prev == NIL { "empty".to_string() } else { format!("ending in {}", v(prev)) };
                    EdgeWhy {
                        key: txns.keys.json(m.key),
                        value: txns.values.json(m.val),
                        text: format!(
                            "{{a}} read key {} {read}, without {}, which {{b}} appended next",
                            k(m.key),
                            v(m.val)
                        ),
                        why: if seen { LONGEST } else { UNOBSERVED },
                    }
                })
            }),
            _ => None,
        }
    }

    fn assumptions(&self) -> Vec<&'static str> {
        vec![LONGEST, UNOBSERVED, LAST_ELEMENT]
    }
}

/// A list for explanations, elided in the middle when long.
pub(crate) fn show_list(txns: &Txns, list: &[u32]) -> String {
    let show = |s: &[u32]| s.iter().map(|&e| txns.values.show(e)).collect::<Vec<_>>().join(" ");
    if list.len() <= 8 {
        format!("[{}]", show(list))
    } else {
        format!("[{} ... {}] ({} elements)", show(&list[..3]), show(&list[list.len() - 3..]), list.len())
    }
}
