//! Symmetry among equal ops: ops with equal input and output (three writes of 3, two
//! `cas 1 -> 2`) step alike, so among those that could go next the search tries only one.
//! Crashed and completed ops form separate classes.
//!
//! **Crashed ops: the earliest-called pending one.** A crashed op may take effect at any point
//! after its call, or never, and a model's `step` depends only on the state, the input and the
//! output. Take a linearization that uses member `j` of a class but not an earlier-called member
//! `i`: put `i` where `j` was. `i`'s call precedes `j`'s, so that point is after `i`'s call; the
//! states are the same step by step. Repeating this, the members used are always the first ones
//! in call order, so the set of linearized crashed ops is fixed by how many of each class are
//! linearized, and the memo (keyed on that set) merges every state that differs only in which
//! equal crashed ops were used: a multiset key.
//!
//! **Completed ops: the earliest-returning candidate.** Say `x` and `y` are equal completed ops
//! that can both go next (both called before the first pending return) and `y` returns first
//! (earlier return, or the same return and an earlier call). Take a linearization that puts `x`
//! next and `y` at a later point `p`: swap them. `y` can go next; `x` fits at `p`, which is after
//! the present (so after `x`'s call) and before `y`'s return (so before `x`'s). The states are
//! the same step by step, and so are the positions of crashed ops, so the search's other rules
//! (no blind write right after a crashed op, committing to read-only ops) hold as before. So
//! putting `y` next loses nothing, and `x` need not be tried.

use rustc_hash::FxHashMap;

use super::prepare::PartOp;

/// The classes of a partition's ops and which members are linearized.
pub(crate) struct Symmetry {
    /// Per op: its class.
    class: Vec<u32>,
    /// Per op: its call and return positions (`u32::MAX`: crashed).
    span: Vec<(u32, u32)>,
    /// Per op: its place in its class's `members`.
    rank: Vec<u32>,
    /// Per class: its members, crashed ones in call order, completed ones by (return, call).
    members: Vec<Vec<u32>>,
    /// Per class of crashed ops: how many members are linearized (always the first ones).
    taken: Vec<u32>,
    /// Per op: whether it is linearized.
    linearized: Vec<bool>,
}

impl Symmetry {
    /// Groups the ops of `ops` (sorted by call) by equal input and output, crashed or not.
    pub(crate) fn new<I: Eq + std::hash::Hash, O: Eq + std::hash::Hash>(ops: &[PartOp<I, O>]) -> Symmetry {
        let span: Vec<(u32, u32)> = ops.iter().map(|op| (op.call, op.ret.unwrap_or(u32::MAX))).collect();
        let mut ids: FxHashMap<(&I, &Option<O>, bool), u32> = FxHashMap::default();
        let mut members: Vec<Vec<u32>> = Vec::new();
        let class: Vec<u32> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let id = *ids.entry((&op.input, &op.output, op.ret.is_none())).or_insert_with(|| {
                    members.push(Vec::new());
                    members.len() as u32 - 1
                });
                members[id as usize].push(i as u32);
                id
            })
            .collect();
        let mut rank = vec![0; ops.len()];
        for list in &mut members {
            // Crashed ops all "return" at u32::MAX, so this keeps them in call order.
            list.sort_by_key(|&op| (span[op as usize].1, span[op as usize].0));
            for (r, &op) in list.iter().enumerate() {
                rank[op as usize] = r as u32;
            }
        }
        let taken = vec![0; members.len()];
        Symmetry { class, span, rank, members, taken, linearized: vec![false; ops.len()] }
    }

    /// Whether `op`, which can go next, is the one of its class worth trying: for a crashed op
    /// the earliest-called pending member, for a completed op the earliest-returning member
    /// that can go next. `limit` gives the position of the first pending return.
    pub(crate) fn is_next(&self, op: u32, mut limit: impl FnMut() -> u32) -> bool {
        let c = self.class[op as usize] as usize;
        let (call, ret) = self.span[op as usize];
        if ret == u32::MAX {
            return self.members[c].get(self.taken[c] as usize) == Some(&op);
        }
        let mut at = None;
        for &other in self.members[c][..self.rank[op as usize] as usize].iter().rev() {
            let (other_call, other_ret) = self.span[other as usize];
            // Ops that returned before `op` was called are linearized: `op` can go next.
            if other_ret < call {
                break;
            }
            if self.linearized[other as usize] {
                continue;
            }
            if other_call < call || other_call < *at.get_or_insert_with(&mut limit) {
                return false;
            }
        }
        true
    }
    /// Records that `op` was linearized.
    pub(crate) fn take(&mut self, op: u32) {
        self.linearized[op as usize] = true;
        if self.span[op as usize].1 == u32::MAX {
            self.taken[self.class[op as usize] as usize] += 1;
        }
    }

    /// Records that `op` (the last linearized) was taken back.
    pub(crate) fn give_back(&mut self, op: u32) {
        self.linearized[op as usize] = false;
        if self.span[op as usize].1 == u32::MAX {
            self.taken[self.class[op as usize] as usize] -= 1;
        }
    }
}
