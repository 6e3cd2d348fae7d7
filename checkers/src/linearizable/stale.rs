//! Deciding `invalid` without the search: a read (or a successful CAS, which reads its expected
//! value) that no linearization can explain because of how values flow, found in
//! O(n log n) before the search starts. This is what makes invalid histories with many crashed
//! ops cheap: the search would have to rule out every placement of every crashed op, while these
//! checks look only at ops that definitely took effect.
//!
//! For a model whose ops only read and write whole values ([`Model::flow`]), with `R` a read of
//! `v` (a completed op that saw `v` when it took effect):
//!
//! 1. **Never written**: no op writes `v` and `v` is not the initial value. No linearization
//!    puts `v` in the object, so `R` cannot take effect.
//! 2. **Overwritten**: every op that may write `v` (the initial value counting as a write that
//!    returned before everything) returned before some op `W'` began, `W'` definitely took
//!    effect (it completed `ok`) writing a value other than `v`, and `W'` returned before `R`
//!    began. Proof: in any linearization `W'` comes after every writer of `v` (real-time order:
//!    each returned before `W'` was invoked) and before `R` (`W'` returned before `R` was
//!    invoked). Right after `W'` the value is not `v`, and only a writer of `v` could make it `v`
//!    again, but all of them are already placed before `W'`. So at `R` the value is not `v`:
//!    `R` cannot take effect. A writer that never completed (crashed, `info`) may take effect
//!    at any time after its invocation, so a value with one is never reported here.
//!
//! Ops that neither read a value nor write one ([`Flow::Keeps`], e.g. a failed CAS under
//! `failed_cas: observed`) change nothing and are ignored; any op the model cannot describe
//! this way ([`Flow::Opaque`]) turns the checks off for its partition. Both rules only ever
//! answer `invalid`, so the search still decides everything else; the brute-force oracle test
//! (`tests/lin_oracle.rs`) checks the verdicts agree and that these rules fire on its cases.

use rustc_hash::FxHashMap;

use super::model::{Model, Val};
use super::prepare::Partition;

/// How one op moves whole values of the object (see [`Model::flow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Saw this value when it took effect (a read that returned it).
    Reads(Val),
    /// Set this value.
    Writes(Val),
    /// Saw the first value and set the second, atomically (a compare-and-set).
    ReadsThenWrites(Val, Val),
    /// Changes nothing (a read with an unknown result, a failed compare).
    Keeps,
    /// Cannot be described as above: no value-flow check for its partition.
    Opaque,
}

/// A read no linearization can explain, found by one of the module's two rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stale {
    /// The read (an op of the partition).
    pub read: u32,
    /// The value it saw.
    pub value: Val,
    /// `None`: nothing ever wrote the value (rule 1). Otherwise the writer of the value that
    /// returned last (`None` inside: the initial value) and the op that overwrote it (rule 2).
    pub overwritten: Option<(Option<u32>, u32)>,
}

/// The first read of `part` that the module's rules show cannot take effect, if any.
pub(crate) fn find<M: Model>(model: &M, init: Val, part: &Partition<M::Input, M::Output>) -> Option<Stale> {
    let mut reads: Vec<(u32, Val, u32)> = Vec::new();
    // Per value: the latest return among its writers (position + 1; 0 for the initial value;
    // u32::MAX when a writer never completed), and that writer.
    let mut written: FxHashMap<Val, (u32, Option<u32>)> = FxHashMap::default();
    written.insert(init, (0, None));
    // Writes that definitely took effect: (return, invocation, value, op).
    let mut effective: Vec<(u32, u32, Val, u32)> = Vec::new();
    for (i, op) in part.ops.iter().enumerate() {
        let i = i as u32;
        let (saw, set) = match model.flow(&op.input, op.output.as_ref()) {
            Flow::Opaque => return None,
            Flow::Keeps => continue,
            Flow::Reads(v) => (Some(v), None),
            Flow::Writes(v) => (None, Some(v)),
            Flow::ReadsThenWrites(a, b) => (Some(a), Some(b)),
        };
        if let (Some(v), Some(_)) = (saw, op.ret) {
            reads.push((op.call, v, i));
        }
        if let Some(v) = set {
            let ret = op.ret.map_or(u32::MAX, |r| r + 1);
            let slot = written.entry(v).or_insert((ret, Some(i)));
            if ret >= slot.0 {
                *slot = (ret, Some(i));
            }
            if let Some(r) = op.ret {
                effective.push((r + 1, op.call + 1, v, i));
            }
        }
    }
    reads.sort_unstable();
    effective.sort_unstable();
    let mut next = effective.iter().peekable();
    // The effective write with the latest invocation among those returned so far, and the
    // latest among them of another value: (invocation, value, op).
    let mut best: Option<(u32, Val, u32)> = None;
    let mut other: Option<(u32, Val, u32)> = None;
    for (call, v, read) in reads {
        while let Some(&&(ret, wcall, wv, w)) = next.peek() {
            if ret > call {
                break;
            }
            next.next();
            let entry = Some((wcall, wv, w));
            match best {
                Some((c, bv, _)) if bv == wv => {
                    if wcall > c {
                        best = entry;
                    }
                }
                Some((c, ..)) if wcall > c => {
                    other = best;
                    best = entry;
                }
                Some(_) => {
                    if other.is_none_or(|(c, ..)| wcall > c) {
                        other = entry;
                    }
                }
                None => best = entry,
            }
        }
        let Some(&(last_ret, writer)) = written.get(&v) else {
            return Some(Stale { read, value: v, overwritten: None });
        };
        let over = if best.is_some_and(|(_, bv, _)| bv != v) { best } else { other };
        if let Some((wcall, _, w)) = over {
            if last_ret < wcall {
                return Some(Stale { read, value: v, overwritten: Some((writer, w)) });
            }
        }
    }
    None
}
