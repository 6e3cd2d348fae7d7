//! Symmetry among crashed ops: crashed ops with equal input and output (three crashed writes of
//! 3, two crashed `cas 1 -> 2`) are interchangeable, so the search only ever linearizes the
//! earliest-called one of such a class that is still pending.
//!
//! Why this loses no linearization: a crashed op may take effect at any point after its call
//! (or never), and a model's `step` depends only on the state, the input and the output. Take
//! a linearization that uses member `j` of a class but not an earlier-called member `i`: put
//! `i` where `j` was. `i`'s call precedes `j`'s, so that point is after `i`'s call; the states
//! are the same step by step. Repeating this, the members used are always the first ones in call
//! order. It follows that the set of linearized crashed ops is fixed by how many of each class
//! are linearized, so the memo (keyed on that set) merges every state that differs only in
//! which equal crashed ops were used: a multiset key, collapsing states that would otherwise be
//! exponential in the crashed ops.

use rustc_hash::FxHashMap;

use super::prepare::PartOp;

/// The classes of a partition's crashed ops and how many of each are linearized.
pub(crate) struct CrashedClasses {
    /// Per op: its class, `None` for a completed op.
    class: Vec<Option<u32>>,
    /// Per class: its members in call order.
    members: Vec<Vec<u32>>,
    /// Per class: how many members are linearized (always the first ones).
    taken: Vec<u32>,
}

impl CrashedClasses {
    /// Groups the crashed ops of `ops` (sorted by call) by equal input and output.
    pub(crate) fn new<I: Eq + std::hash::Hash, O: Eq + std::hash::Hash>(ops: &[PartOp<I, O>]) -> CrashedClasses {
        let mut ids: FxHashMap<(&I, &Option<O>), u32> = FxHashMap::default();
        let mut members: Vec<Vec<u32>> = Vec::new();
        let class = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                op.ret.is_none().then(|| {
                    let id = *ids.entry((&op.input, &op.output)).or_insert_with(|| {
                        members.push(Vec::new());
                        members.len() as u32 - 1
                    });
                    members[id as usize].push(i as u32);
                    id
                })
            })
            .collect();
        let taken = vec![0; members.len()];
        CrashedClasses { class, members, taken }
    }

    /// Whether crashed op `op` is the earliest-called pending member of its class: the only one
    /// worth trying.
    pub(crate) fn is_next(&self, op: u32) -> bool {
        self.class[op as usize]
            .is_some_and(|c| self.members[c as usize].get(self.taken[c as usize] as usize) == Some(&op))
    }

    /// Records that crashed op `op` (the class's next) was linearized.
    pub(crate) fn take(&mut self, op: u32) {
        if let Some(c) = self.class[op as usize] {
            self.taken[c as usize] += 1;
        }
    }

    /// Records that crashed op `op` (the class's last linearized) was taken back.
    pub(crate) fn give_back(&mut self, op: u32) {
        if let Some(c) = self.class[op as usize] {
            self.taken[c as usize] -= 1;
        }
    }
}
