//! [`KvMap`]: a map from (key id, value id) to a `u32`, for the per-element tables of the
//! transactional checkers (who appended or wrote each value, where it sits in its key's order).
//! Such tables hold an entry per append or write, a million or more in a big history, and are
//! read at every micro-op; a hash map spends most of the inference on them.
//!
//! Value ids of naturals are the naturals themselves (see `parse::Interner`), and a generator
//! that writes unique values (faultline's, the benchmark's) numbers them densely. So each value
//! id below a bound gets a slot in an array, held by the first key that claims it; a pair whose
//! slot another key holds (Jepsen's per-key counters reuse values across keys), or whose value
//! is beyond the bound, goes to a hash map instead.

use rustc_hash::FxHashMap;

use super::kv;
use super::parse::NIL;

/// (key id, value id) -> `u32`, dense by value id where it can be.
#[derive(Default)]
pub(crate) struct KvMap {
    /// By value id: (key id, entry); key id [`NIL`] for a free slot.
    slots: Vec<(u32, u32)>,
    /// The pairs that have no slot, by [`kv`].
    spill: FxHashMap<u64, u32>,
}

impl KvMap {
    /// A map for about `entries` pairs: value ids up to a few times that get slots.
    pub(crate) fn with_capacity(entries: usize) -> KvMap {
        let slots = entries.saturating_mul(2).saturating_add(1024).min(1 << 24);
        KvMap { slots: vec![(NIL, 0); slots], spill: FxHashMap::default() }
    }

    /// The entry of (`key`, `value`).
    #[inline]
    pub(crate) fn get(&self, key: u32, value: u32) -> Option<u32> {
        match self.slots.get(value as usize) {
            Some(&(k, entry)) if k == key => Some(entry),
            Some(&(k, _)) if k == NIL => None,
            _ => self.spill.get(&kv(key, value)).copied(),
        }
    }

    /// Sets the entry of (`key`, `value`), giving back the one it replaces.
    #[inline]
    pub(crate) fn insert(&mut self, key: u32, value: u32, entry: u32) -> Option<u32> {
        match self.slots.get_mut(value as usize) {
            Some(slot) if slot.0 == key => Some(std::mem::replace(&mut slot.1, entry)),
            Some(slot) if slot.0 == NIL => {
                *slot = (key, entry);
                None
            }
            _ => self.spill.insert(kv(key, value), entry),
        }
    }

    /// Every (key, value) pair held, as [`kv`], in no particular order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = u64> + '_ {
        let slotted = self.slots.iter().enumerate().filter(|(_, s)| s.0 != NIL);
        slotted.map(|(value, s)| kv(s.0, value as u32)).chain(self.spill.keys().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_that_share_a_value_or_lie_beyond_the_slots_are_kept_apart() {
        let mut map = KvMap::with_capacity(0);
        let beyond = 5000;
        assert_eq!(map.insert(1, 7, 10), None);
        assert_eq!(map.insert(2, 7, 20), None, "key 2 reuses value 7: it spills");
        assert_eq!(map.insert(1, beyond, 30), None);
        assert_eq!(map.insert(1, 7, 11), Some(10));
        assert_eq!(map.insert(2, 7, 21), Some(20));
        assert_eq!((map.get(1, 7), map.get(2, 7), map.get(3, 7)), (Some(11), Some(21), None));
        assert_eq!((map.get(1, beyond), map.get(2, beyond), map.get(1, 8)), (Some(30), None, None));
        let mut pairs: Vec<u64> = map.pairs().collect();
        pairs.sort_unstable();
        assert_eq!(pairs, vec![kv(1, 7), kv(1, beyond), kv(2, 7)]);
    }
}
