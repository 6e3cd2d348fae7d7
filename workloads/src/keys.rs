//! A rolling window of live keys for transactional workloads: each write takes the key's next
//! value (so values are unique per key), and a key retires after a number of writes, a fresh
//! key taking its place, so no key's history grows without bound.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Live keys and the last value written to each.
pub struct KeyWindow {
    window: Vec<(u64, i64)>,
    next_key: u64,
    writes_per_key: i64,
}

impl KeyWindow {
    /// `live` keys (0..live) at first, each retired after `writes_per_key` writes.
    pub fn new(live: u64, writes_per_key: i64) -> KeyWindow {
        KeyWindow { window: (0..live).map(|k| (k, 0)).collect(), next_key: live, writes_per_key }
    }

    /// A live key, chosen at random.
    pub fn pick(&self, rng: &mut ChaCha8Rng) -> u64 {
        self.window[rng.gen_range(0..self.window.len())].0
    }

    /// The next value written to live key `key` (1, 2, ...); the key retires after its last.
    pub fn write(&mut self, key: u64) -> i64 {
        let Some(slot) = self.window.iter().position(|(k, _)| *k == key) else { return 0 };
        let value = self.window[slot].1 + 1;
        self.window[slot].1 = value;
        if value >= self.writes_per_key {
            self.window[slot] = (self.next_key, 0);
            self.next_key += 1;
        }
        value
    }

    /// The first live key (a read that makes an empty transaction non-empty).
    pub fn first(&self) -> u64 {
        self.window[0].0
    }
}
