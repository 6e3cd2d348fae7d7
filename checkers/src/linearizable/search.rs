//! The search: Wing & Gong's algorithm with Lowe's memoisation and just-in-time linearization,
//! as in Porcupine, over one partition.
//!
//! Completed ops are call and return events in one doubly linked list in real-time order; an op
//! can be linearized next when its call comes before the first remaining return. Linearizing an
//! op lifts its events out of the list; backtracking puts them back. At each point:
//!
//! 1. A read-only op (see [`Model::is_read_only`]) that can go next is looked for first among
//!    all candidates and committed to: its alternatives at that point are not tried (any
//!    linearization can be changed to put it here, as it changes no state). Trying a write first
//!    would explore a subtree the commit makes redundant.
//! 2. Otherwise the other completed candidates, in call order; of equal ones only the
//!    earliest-returning (see [`super::symmetry`]).
//! 3. Crashed ops (no return) may take effect at any point after their call or never: they are
//!    tried only after every completed candidate failed (the likeliest linearization first),
//!    those after which the stuck op (the first pending return) can go first, in call order, only the earliest pending one of equal crashed ops, never as the op right
//!    before a blind write (see [`Model::is_blind_write`]), and never where it would leave the
//!    state unchanged. The search succeeds as soon as every completed op is linearized.
//!
//! Why the crashed-op rules lose no linearization: among the linearizations that exist, take
//! one with the fewest crashed ops. It has no crashed op right before a blind write, and none
//! that leaves the state unchanged: dropping that op (it may never have happened) gives a
//! linearization with the same states and one crashed op fewer. Swapping equal ops and moving
//! read-only ops keep the number of crashed ops, so one linearization has every property the
//! search demands at once.
//!
//! The memo holds `(set of linearized ops, state)` pairs already explored. The set is kept as a
//! 128-bit Zobrist hash (each op has a random 128-bit key, XORed in and out), so an entry costs
//! 16 bytes plus the state whatever the history's length: memory stays linear. Two different
//! sets share a hash with probability about `entries² / 2^129` (below 10^-20 for a billion
//! entries); a collision can only skip a branch, so it could turn a valid verdict invalid but
//! never an invalid one valid.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use rustc_hash::{FxHashMap, FxHashSet};

use super::model::Model;
use super::prepare::PartOp;
use super::symmetry::Symmetry;

const NONE: u32 = u32::MAX;
/// At most this many distinct states are kept per stuck op for the counterexample.
const STUCK_STATES: usize = 6;
/// Budgets are checked every this many search steps (a power of two).
const CHECK_EVERY: u64 = 1024;
/// The steps of a partition's first, short search (see [`Budget::step_cap`]).
pub(crate) const SHORT_SEARCH: u64 = 1 << 20;

/// The limits every partition of one check shares.
pub(crate) struct Budget<'a> {
    /// When to give up.
    pub deadline: Option<Instant>,
    /// The memory budget in bytes, over all partitions.
    pub memory: Option<usize>,
    /// Estimated bytes in use by all partitions.
    pub used: &'a AtomicUsize,
    /// Set once any partition is known not linearizable.
    pub invalid: &'a AtomicBool,
    /// Give up after this many steps ([`Exhausted::Deferred`]). Without a cap, a search stops
    /// as soon as another partition is known not linearizable ([`Exhausted::Moot`]): the short
    /// searches of every partition come first, so cheap ones are decided and reported, and only
    /// the expensive ones are cut short once the verdict is settled.
    pub step_cap: Option<u64>,
}

/// Why a search stopped without a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exhausted {
    /// The time budget ran out.
    Time,
    /// The memory estimate passed the budget.
    Memory,
    /// Another partition is not linearizable: the verdict no longer depends on this one.
    Moot,
    /// The step cap of a short search was reached.
    Deferred,
}

/// A failed search's best attempt.
#[derive(Debug, Clone)]
pub(crate) struct Counterexample<S> {
    /// The longest linearizable prefix found, as op positions in the partition, in order.
    pub prefix: Vec<u32>,
    /// The state after that prefix.
    pub state: S,
    /// The op whose return was reached without any way to linearize it.
    pub stuck: u32,
    /// Distinct states the object was in when that op could not be placed.
    pub stuck_states: Vec<S>,
}

/// The result of searching one partition.
#[derive(Debug, Clone)]
pub(crate) enum Verdict<S> {
    /// A linearization exists.
    Linearizable,
    /// None exists.
    NotLinearizable(Counterexample<S>),
    /// A budget ran out first.
    Exhausted(Exhausted),
}

/// The verdict and the work it took.
#[derive(Debug, Clone)]
pub(crate) struct Searched<S> {
    /// What the search found.
    pub verdict: Verdict<S>,
    /// Distinct (linearized set, state) pairs explored.
    pub states: usize,
    /// Search steps (candidate tries and backtracks).
    pub steps: u64,
}

/// SplitMix64, for the Zobrist keys (deterministic, so runs repeat exactly).
fn zobrist_keys(n: usize) -> Vec<u128> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..n).map(|_| ((next() as u128) << 64) | next() as u128).collect()
}

/// A doubly linked list over slots `1..`, slot 0 being the head sentinel, supporting removal and
/// re-insertion in reverse order (dancing links).
struct Links {
    next: Vec<u32>,
    prev: Vec<u32>,
}

impl Links {
    fn chain(len: usize) -> Links {
        let next = (0..=len as u32).map(|i| if (i as usize) < len { i + 1 } else { NONE }).collect();
        let prev = (0..=len as u32).map(|i| i.wrapping_sub(1)).collect();
        Links { next, prev }
    }

    fn remove(&mut self, x: u32) {
        let (p, n) = (self.prev[x as usize], self.next[x as usize]);
        self.next[p as usize] = n;
        if n != NONE {
            self.prev[n as usize] = p;
        }
    }

    fn restore(&mut self, x: u32) {
        let (p, n) = (self.prev[x as usize], self.next[x as usize]);
        self.next[p as usize] = x;
        if n != NONE {
            self.prev[n as usize] = x;
        }
    }
}

/// Where the search looks for the next candidate.
#[derive(Debug, Clone, Copy)]
enum Cursor {
    /// Looking for a read-only op that can go now, from this slot of the event list; the
    /// other candidates are tried (in [`Cursor::Events`]) only when there is none.
    ReadOnly(u32),
    /// At this slot of the event list.
    Events(u32),
    /// At this slot of the crashed list; only ops called before `limit` (the position of the
    /// first pending return, that of op `stuck`) are candidates. First (`helpful`) only those
    /// after which `stuck` can take effect (e.g. the crashed write of the value a stuck read
    /// returned), then all of them: the likeliest first.
    Crashed { slot: u32, limit: u32, stuck: u32, helpful: bool },
}

struct Frame<S> {
    op: u32,
    before: S,
    /// Whether the op before this one was a crashed op.
    after_crashed: bool,
    /// A read-only op linearized as soon as it could be: its alternatives need no try.
    commit: bool,
    /// For a crashed op: the limit, stuck op and pass it was tried under.
    limit: u32,
    stuck: u32,
    helpful: bool,
}

/// The position of the first return event at or after `slot` in the event list.
fn first_return(links: &Links, is_call: &[bool], pos: &[u32], mut slot: u32) -> u32 {
    while slot != NONE && is_call[slot as usize] {
        slot = links.next[slot as usize];
    }
    if slot == NONE {
        u32::MAX
    } else {
        pos[slot as usize]
    }
}

/// Searches for a linearization of `ops` (sorted by call position) from `init`.
pub(crate) fn search<M: Model>(
    model: &M,
    init: M::State,
    ops: &[PartOp<M::Input, M::Output>],
    budget: &Budget<'_>,
) -> Searched<M::State> {
    // Event slots 1..=2d for the d completed ops, in position order; crashed slots 1..=c.
    let mut events: Vec<(u32, u32, bool)> = Vec::new(); // (position, op, is_call)
    let mut crashed: Vec<u32> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op.ret {
            Some(ret) => {
                events.push((op.call, i as u32, true));
                events.push((ret, i as u32, false));
            }
            None => crashed.push(i as u32),
        }
    }
    events.sort_unstable();
    let mut ev_op = vec![0u32; events.len() + 1];
    let mut ev_is_call = vec![false; events.len() + 1];
    let mut ev_pos = vec![0u32; events.len() + 1];
    let mut call_slot = vec![NONE; ops.len()];
    let mut ret_slot = vec![NONE; ops.len()];
    for (k, &(pos, op, is_call)) in events.iter().enumerate() {
        let slot = k as u32 + 1;
        ev_op[slot as usize] = op;
        ev_is_call[slot as usize] = is_call;
        ev_pos[slot as usize] = pos;
        if is_call {
            call_slot[op as usize] = slot;
        } else {
            ret_slot[op as usize] = slot;
        }
    }
    drop(events);
    let mut crash_slot = vec![NONE; ops.len()];
    for (k, &op) in crashed.iter().enumerate() {
        crash_slot[op as usize] = k as u32 + 1;
    }
    let crashed_op: Vec<u32> = std::iter::once(NONE).chain(crashed.iter().copied()).collect();
    drop(crashed);
    let mut ev_links = Links::chain(ev_op.len() - 1);
    let mut crash_links = Links::chain(crashed_op.len() - 1);
    let mut classes = Symmetry::new(ops);
    // One key per op, and one more that marks "right after a crashed op" in memo keys.
    let keys = zobrist_keys(ops.len() + 1);

    let entry_bytes = std::mem::size_of::<(u128, M::State)>() + 1;
    let fixed_bytes = ops.len() * (std::mem::size_of::<PartOp<M::Input, M::Output>>() + 16 + 32)
        + ev_op.len() * 17
        + crashed_op.len() * 12;
    let mut reported = fixed_bytes;
    budget.used.fetch_add(reported, Ordering::Relaxed);
    let mut heap_bytes = 0usize;

    let mut cache: FxHashSet<(u128, M::State)> = FxHashSet::default();
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut state = init;
    let mut hash: u128 = 0;
    // Whether the last linearized op crashed: then a blind write may not come next (see
    // `Model::is_blind_write`), and the memo key says so, as fewer orders remain to explore.
    let mut after_crashed = false;
    let restricted_key = keys[ops.len()];
    let mut required = ops.iter().filter(|o| o.ret.is_some()).count();
    let mut cursor = Cursor::ReadOnly(ev_links.next[0]);
    let mut steps: u64 = 0;

    // The longest prefix, maintained incrementally: `best[..common]` equals the stack's bottom.
    let mut best: Vec<u32> = Vec::new();
    let mut best_found = false;
    let mut best_state = state.clone();
    let mut best_stuck = NONE;
    let mut common = 0usize;
    let mut stuck_states: FxHashMap<u32, Vec<M::State>> = FxHashMap::default();

    let finish = |verdict, cache: &FxHashSet<_>, steps, reported: usize| {
        budget.used.fetch_sub(reported, Ordering::Relaxed);
        Searched { verdict, states: cache.len(), steps }
    };

    loop {
        if required == 0 {
            return finish(Verdict::Linearizable, &cache, steps, reported);
        }
        steps += 1;
        if steps & (CHECK_EVERY - 1) == 0 {
            let now = cache.len() * entry_bytes * 8 / 7 + heap_bytes + fixed_bytes + stack.len() * 32;
            if now > reported {
                budget.used.fetch_add(now - reported, Ordering::Relaxed);
            } else {
                budget.used.fetch_sub(reported - now, Ordering::Relaxed);
            }
            reported = now;
            if budget.memory.is_some_and(|limit| budget.used.load(Ordering::Relaxed) > limit) {
                return finish(Verdict::Exhausted(Exhausted::Memory), &cache, steps, reported);
            }
            if budget.deadline.is_some_and(|d| Instant::now() >= d) {
                return finish(Verdict::Exhausted(Exhausted::Time), &cache, steps, reported);
            }
            match budget.step_cap {
                Some(cap) if steps >= cap => {
                    return finish(Verdict::Exhausted(Exhausted::Deferred), &cache, steps, reported);
                }
                None if budget.invalid.load(Ordering::Relaxed) => {
                    return finish(Verdict::Exhausted(Exhausted::Moot), &cache, steps, reported);
                }
                _ => {}
            }
        }
        // Pick the next candidate, or decide to backtrack.
        let candidate = match cursor {
            Cursor::ReadOnly(slot) if slot == NONE || !ev_is_call[slot as usize] => {
                cursor = Cursor::Events(ev_links.next[0]);
                continue;
            }
            Cursor::ReadOnly(slot) => {
                let entry = &ops[ev_op[slot as usize] as usize];
                if model.is_read_only(&entry.input) && model.step(&state, &entry.input, entry.output.as_ref()).is_some()
                {
                    Some((ev_op[slot as usize], NONE, NONE))
                } else {
                    cursor = Cursor::ReadOnly(ev_links.next[slot as usize]);
                    continue;
                }
            }
            Cursor::Events(slot) if slot == NONE => None,
            Cursor::Events(slot) if ev_is_call[slot as usize] => {
                let op = ev_op[slot as usize];
                // A read-only op here cannot go now: `Cursor::ReadOnly` would have taken it.
                if model.is_read_only(&ops[op as usize].input)
                    || !classes.is_next(op, || first_return(&ev_links, &ev_is_call, &ev_pos, slot))
                {
                    cursor = Cursor::Events(ev_links.next[slot as usize]);
                    continue;
                }
                Some((op, NONE, NONE))
            }
            Cursor::Events(slot) => {
                // The first pending return: only crashed ops called before it remain to try.
                cursor = Cursor::Crashed {
                    slot: crash_links.next[0],
                    limit: ev_pos[slot as usize],
                    stuck: ev_op[slot as usize],
                    helpful: true,
                };
                continue;
            }
            Cursor::Crashed { mut slot, limit, stuck, helpful } => {
                let target = &ops[stuck as usize];
                let helps = |entry: &PartOp<M::Input, M::Output>| {
                    model
                        .step(&state, &entry.input, entry.output.as_ref())
                        .is_some_and(|next| model.step(&next, &target.input, target.output.as_ref()).is_some())
                };
                while slot != NONE
                    && ops[crashed_op[slot as usize] as usize].call < limit
                    && (!classes.is_next(crashed_op[slot as usize], || limit)
                        || helpful && !helps(&ops[crashed_op[slot as usize] as usize]))
                {
                    slot = crash_links.next[slot as usize];
                }
                cursor = Cursor::Crashed { slot, limit, stuck, helpful };
                if slot != NONE && ops[crashed_op[slot as usize] as usize].call < limit {
                    Some((crashed_op[slot as usize], limit, stuck))
                } else if helpful {
                    cursor = Cursor::Crashed { slot: crash_links.next[0], limit, stuck, helpful: false };
                    continue;
                } else {
                    // Stuck: `stuck` cannot be linearized from here.
                    let seen = stuck_states.entry(stuck).or_default();
                    if seen.len() < STUCK_STATES && !seen.contains(&state) {
                        heap_bytes += entry_bytes + model.heap_bytes(&state);
                        seen.push(state.clone());
                    }
                    if !best_found || stack.len() > best.len() {
                        best.truncate(common);
                        best.extend(stack[common..].iter().map(|f| f.op));
                        common = stack.len();
                        best_state = state.clone();
                        best_stuck = stuck;
                        best_found = true;
                    }
                    None
                }
            }
        };
        match candidate {
            Some((op, limit, stuck)) => {
                let entry = &ops[op as usize];
                let crashed = entry.ret.is_none();
                let h = hash ^ keys[op as usize];
                let key = if crashed { h ^ restricted_key } else { h };
                let stepped = if after_crashed && model.is_blind_write(&entry.input) {
                    None
                } else {
                    model.step(&state, &entry.input, entry.output.as_ref())
                };
                // A crashed op that would leave the state as it is is never needed here.
                let stepped = stepped.filter(|next| !crashed || *next != state);
                let commit = stepped.is_some() && model.is_read_only(&entry.input);
                let moved = stepped.filter(|next| cache.insert((key, next.clone())));
                match moved {
                    Some(next) => {
                        heap_bytes += model.heap_bytes(&next);
                        let before = std::mem::replace(&mut state, next);
                        hash = h;
                        let helpful = matches!(cursor, Cursor::Crashed { helpful: true, .. });
                        stack.push(Frame { op, before, after_crashed, commit, limit, stuck, helpful });
                        after_crashed = crashed;
                        if entry.ret.is_some() {
                            ev_links.remove(call_slot[op as usize]);
                            ev_links.remove(ret_slot[op as usize]);
                            required -= 1;
                            classes.take(op);
                        } else {
                            crash_links.remove(crash_slot[op as usize]);
                            classes.take(op);
                        }
                        cursor = Cursor::ReadOnly(ev_links.next[0]);
                    }
                    // A read-only op that can go now but whose successor was explored (and
                    // failed): every alternative fails too.
                    None if commit => cursor = Cursor::Events(NONE),
                    None => {
                        cursor = match cursor {
                            Cursor::ReadOnly(slot) => Cursor::ReadOnly(ev_links.next[slot as usize]),
                            Cursor::Events(slot) => Cursor::Events(ev_links.next[slot as usize]),
                            Cursor::Crashed { slot, limit, stuck, helpful } => {
                                Cursor::Crashed { slot: crash_links.next[slot as usize], limit, stuck, helpful }
                            }
                        }
                    }
                }
            }
            None => {
                let Some(frame) = stack.pop() else {
                    let counterexample = Counterexample {
                        prefix: best,
                        state: best_state,
                        stuck: best_stuck,
                        stuck_states: stuck_states.remove(&best_stuck).unwrap_or_default(),
                    };
                    budget.invalid.store(true, Ordering::Relaxed);
                    return finish(Verdict::NotLinearizable(counterexample), &cache, steps, reported);
                };
                common = common.min(stack.len());
                let op = frame.op;
                state = frame.before;
                after_crashed = frame.after_crashed;
                let exhausted = frame.commit;
                hash ^= keys[op as usize];
                cursor = if ops[op as usize].ret.is_some() {
                    ev_links.restore(ret_slot[op as usize]);
                    ev_links.restore(call_slot[op as usize]);
                    required += 1;
                    classes.give_back(op);
                    Cursor::Events(ev_links.next[call_slot[op as usize] as usize])
                } else {
                    let slot = crash_slot[op as usize];
                    crash_links.restore(slot);
                    classes.give_back(op);
                    Cursor::Crashed {
                        slot: crash_links.next[slot as usize],
                        limit: frame.limit,
                        stuck: frame.stuck,
                        helpful: frame.helpful,
                    }
                };
                if exhausted {
                    cursor = Cursor::Events(NONE);
                }
            }
        }
    }
}
