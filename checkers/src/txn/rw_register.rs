//! Read-write register inference. Each value is written at most once per key, so a read names
//! its writer; version orders per key come from the initial state (nil precedes every write)
//! and from order inside a transaction (a value it read or wrote precedes its later write to
//! the same key). From that: ww, wr and rw edges, and the anomalies visible without cycles
//! (aborted, intermediate and garbage reads, internal inconsistency, lost updates).

use rustc_hash::{FxHashMap, FxHashSet};

use super::findings::Findings;
use super::graph::{Builder, RW, WR, WW};
use super::kv_map::KvMap;
use super::parse::{MopFn, Status, Txns, NIL};
use super::{kv, record_writer, EdgeWhy, Inference};
use crate::anomaly_kind::AnomalyKind;

const INITIAL: &str = "rw-register: every key starts nil, so nil precedes every written version";
const IN_TXN: &str =
    "rw-register: within one transaction, a version read or written precedes its later write to that key";
const UNIQUE: &str = "rw-register: each value is written once per key, so the value read names its writer";

/// The inferred version orders of every key.
pub(crate) struct Register {
    /// (key, value) -> the txn that wrote it.
    writer: KvMap,
    /// Version-order edges ((key, earlier or NIL), later, from initial state?), sorted.
    versions: Vec<(u64, u32, bool)>,
    /// External reads by committed txns: ((key, value or NIL), reader), sorted.
    readers: Vec<(u64, u32)>,
}

impl Register {
    /// Infers version orders and finds every non-cycle anomaly.
    pub(crate) fn infer(txns: &Txns, out: &mut Findings) -> Register {
        let writes = txns.mops.iter().filter(|m| m.f == MopFn::Write).count();
        let mut writer = KvMap::with_capacity(writes);
        let mut intermediate: FxHashSet<u64> = FxHashSet::default();
        let mut versions: Vec<(u64, u32, bool)> = Vec::new();
        let mut has_pred: FxHashSet<u64> = FxHashSet::default();
        let mut readers: Vec<(u64, u32)> = Vec::new();
        // Per key in one txn: (key, last value read or written, wrote it ourselves?).
        let mut state: Vec<(u32, u32, bool)> = Vec::new();
        let mut last_write: Vec<(u32, u32)> = Vec::new();
        for (t, txn) in txns.txns.iter().enumerate() {
            let t = t as u32;
            state.clear();
            last_write.clear();
            for m in txns.mops_of(t) {
                let at = state.iter().position(|s| s.0 == m.key);
                match m.f {
                    MopFn::Write => {
                        record_writer(&mut writer, txns, t, m, out);
                        if let Some(i) = at {
                            let before = state[i].1;
                            versions.push((kv(m.key, before), m.val, before == NIL));
                            has_pred.insert(kv(m.key, m.val));
                            state[i] = (m.key, m.val, true);
                        } else {
                            state.push((m.key, m.val, true));
                        }
                        match last_write.iter_mut().find(|w| w.0 == m.key) {
                            Some(w) => {
                                intermediate.insert(kv(m.key, w.1));
                                w.1 = m.val;
                            }
                            None => last_write.push((m.key, m.val)),
                        }
                    }
                    MopFn::Read if txn.status == Status::Ok => match at {
                        Some(i) => {
                            let (_, expected, _) = state[i];
                            if expected != m.val {
                                out.add(
                                    AnomalyKind::Internal,
                                    vec![txns.op_index(t)],
                                    format!(
                                        "op {} read key {} = {}, but its own earlier reads and writes say it should be {}",
                                        txns.op_index(t),
                                        txns.keys.show(m.key),
                                        txns.values.show(m.val),
                                        txns.values.show(expected)
                                    ),
                                );
                            }
                        }
                        None => {
                            readers.push((kv(m.key, m.val), t));
                            state.push((m.key, m.val, false));
                        }
                    },
                    _ => {}
                }
            }
        }
        // Initial state: nil precedes every version with no other known predecessor.
        for k in writer.pairs() {
            if !has_pred.contains(&k) {
                versions.push((kv((k >> 32) as u32, NIL), k as u32, true));
            }
        }
        versions.sort_unstable();
        versions.dedup();
        readers.sort_unstable();
        let reg = Register { writer, versions, readers };
        reg.read_anomalies(txns, &intermediate, out);
        reg
    }

    fn read_anomalies(&self, txns: &Txns, intermediate: &FxHashSet<u64>, out: &mut Findings) {
        let mut lost: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
        for &(k, r) in &self.readers {
            let (key, v) = ((k >> 32) as u32, k as u32);
            if txns.mops_of(r).iter().any(|m| m.f == MopFn::Write && m.key == key) {
                lost.entry(k).or_default().push(r);
            }
            if v == NIL {
                continue;
            }
            let shown = |what: &str, w: Option<u32>| {
                format!(
                    "op {} read key {} = {}, {what}{}",
                    txns.op_index(r),
                    txns.keys.show(key),
                    txns.values.show(v),
                    w.map_or(String::new(), |w| format!(" (op {})", txns.op_index(w)))
                )
            };
            match self.writer.get(key, v).map(|w| (w, txns.txns[w as usize].status)) {
                Some((w, _)) if w == r => out.add(
                    AnomalyKind::FutureRead,
                    vec![txns.op_index(r)],
                    shown("a value it only wrote itself later in the same transaction", None),
                ),
                None => out.add(
                    AnomalyKind::GarbageRead,
                    vec![txns.op_index(r)],
                    shown("a value no operation ever wrote", None),
                ),
                Some((w, Status::Fail)) => out.add(
                    AnomalyKind::G1a,
                    vec![txns.op_index(r), txns.op_index(w)],
                    shown("written by a failed txn", Some(w)),
                ),
                Some((w, _)) if w != r && intermediate.contains(&k) => out.add(
                    AnomalyKind::G1b,
                    vec![txns.op_index(r), txns.op_index(w)],
                    shown("an intermediate write of a txn that wrote the key again later", Some(w)),
                ),
                _ => {}
            }
        }
        let mut groups: Vec<(u64, Vec<u32>)> = lost.into_iter().filter(|(_, rs)| rs.len() > 1).collect();
        groups.sort_unstable();
        for (k, rs) in groups {
            let ops: Vec<u64> = rs.iter().map(|&r| txns.op_index(r)).collect();
            let list: Vec<String> = ops.iter().map(|o| o.to_string()).collect();
            out.add(
                AnomalyKind::LostUpdate,
                ops,
                format!(
                    "ops {} all read key {} = {} and then wrote it: only one of their updates can follow that version",
                    list.join(", "),
                    txns.keys.show((k >> 32) as u32),
                    txns.values.show(k as u32)
                ),
            );
        }
    }

    fn readers_of(&self, k: u64) -> &[(u64, u32)] {
        let lo = self.readers.partition_point(|&(x, _)| x < k);
        let hi = self.readers.partition_point(|&(x, _)| x <= k);
        &self.readers[lo..hi]
    }

    fn versions_after(&self, k: u64) -> &[(u64, u32, bool)] {
        let lo = self.versions.partition_point(|&(x, _, _)| x < k);
        let hi = self.versions.partition_point(|&(x, _, _)| x <= k);
        &self.versions[lo..hi]
    }

    /// The txn that wrote the (key, value) pair `k` (see [`kv`]).
    fn writer_of(&self, k: u64) -> Option<u32> {
        self.writer.get((k >> 32) as u32, k as u32)
    }

    fn live_writer(&self, txns: &Txns, k: u64) -> Option<u32> {
        self.writer_of(k).filter(|&w| txns.txns[w as usize].status != Status::Fail)
    }
}

impl Inference for Register {
    fn edges(&self, txns: &Txns, b: &mut Builder) {
        for &(k, r) in &self.readers {
            if k as u32 != NIL {
                if let Some(w) = self.live_writer(txns, k) {
                    b.link(w, r, WR);
                }
            }
        }
        for &(k1, v2, _) in &self.versions {
            let key = (k1 >> 32) as u32;
            let Some(w2) = self.live_writer(txns, kv(key, v2)) else { continue };
            if k1 as u32 != NIL {
                if let Some(w1) = self.live_writer(txns, k1) {
                    b.link(w1, w2, WW);
                }
            }
            for &(_, r) in self.readers_of(k1) {
                b.link(r, w2, RW);
            }
        }
    }

    fn explain(&self, txns: &Txns, a: u32, b: u32, kind: u8) -> Option<EdgeWhy> {
        let k = |key| txns.keys.show(key);
        let v = |val| txns.values.show(val);
        let why = |initial: bool| if initial { INITIAL } else { IN_TXN };
        match kind {
            WR => self.readers.iter().find(|&&(x, r)| r == b && x as u32 != NIL && self.writer_of(x) == Some(a)).map(
                |&(x, _)| EdgeWhy {
                    key: txns.keys.json((x >> 32) as u32),
                    value: txns.values.json(x as u32),
                    text: format!("{{b}} read key {} = {}, which {{a}} wrote", k((x >> 32) as u32), v(x as u32)),
                    why: UNIQUE,
                },
            ),
            WW => self.versions.iter().find_map(|&(k1, v2, initial)| {
                let key = (k1 >> 32) as u32;
                (self.writer_of(k1) == Some(a) && self.writer.get(key, v2) == Some(b)).then(|| EdgeWhy {
                    key: txns.keys.json(key),
                    value: txns.values.json(v2),
                    text: format!("{{b}} wrote {} to key {} after {{a}}'s write of {}", v(v2), k(key), v(k1 as u32)),
                    why: why(initial),
                })
            }),
            RW => self.readers.iter().filter(|&&(_, r)| r == a).find_map(|&(k1, _)| {
                let key = (k1 >> 32) as u32;
                self.versions_after(k1).iter().find(|&&(_, v2, _)| self.writer.get(key, v2) == Some(b)).map(
                    |&(_, v2, initial)| {
                        let read = if k1 as u32 == NIL { "nil (the initial state)".to_string() } else { v(k1 as u32) };
                        EdgeWhy {
                            key: txns.keys.json(key),
                            value: txns.values.json(v2),
                            text: format!(
                                "{{a}} read key {} = {read}, a version {{b}}'s write of {} overwrote",
                                k(key),
                                v(v2)
                            ),
                            why: why(initial),
                        }
                    },
                )
            }),
            _ => None,
        }
    }

    fn assumptions(&self) -> Vec<&'static str> {
        vec![INITIAL, IN_TXN, UNIQUE]
    }
}
