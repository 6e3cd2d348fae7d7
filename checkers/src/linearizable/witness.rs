//! Deciding `valid` without the search when every value is written at most once: a
//! linearization built greedily, in about O(n log n) for the histories stores produce.
//!
//! With unique values a read names the op that wrote what it saw, and the history is a
//! sequence of *epochs*, one per value that took effect: its writer, the reads that saw it, and
//! the CAS that ended it (which writes the next value, so a chain of CASes is a run of epochs
//! that follow each other directly). The builder walks the history in just-in-time order (an op
//! may go once it is callable: invoked before the first return still pending):
//!
//! 1. Every callable op that changes nothing and can take effect now goes now (reads of the
//!    current value, compares that fail against it).
//! 2. Otherwise the pending op with the earliest return, `X`, must go before anything invoked
//!    after that return. If `X` can take effect now it goes (a CAS from the current value).
//!    Otherwise the current epoch ends and the next begins: the CAS from the current value if
//!    one must take effect, else a callable plain write chosen earliest deadline first (the
//!    earliest return among the ops of its epochs) among those no other epoch must precede
//!    (one of whose ops returned before an op of theirs was invoked). Then back to 1.
//!
//! A crashed (`info`) op goes only where an epoch needs it (its value was read); one nobody
//! needs is left out, as it may never have happened. Each op is stepped through the model as
//! it is placed and placed only when callable, so what the builder returns is a linearization
//! by construction. It is not complete: when a choice turns out wrong (a value needed after it
//! was overwritten) it gives up and the search decides. Only `valid` is ever answered here.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use rustc_hash::FxHashMap;

use super::model::{Model, Val};
use super::prepare::Partition;
use super::stale::Flow;

/// Whether the greedy builder finds a linearization of `part` from `init` (see the module).
pub(crate) fn linearizes<M: Model>(model: &M, init: &M::State, part: &Partition<M::Input, M::Output>) -> bool {
    Builder::new(model, init, part).is_some_and(|mut b| b.run().is_some())
}

/// One value's epoch, as far as the history shows it.
#[derive(Clone, Copy)]
struct Epoch {
    /// The op that wrote it (`None`: the initial value, or never written).
    writer: Option<u32>,
    /// The CAS that must end it: a completed one, or a crashed one whose value was read.
    next: Option<u32>,
    /// The earliest return among its completed ops (`u32::MAX`: none).
    first_return: u32,
    /// The latest invocation among its ops that must take effect.
    last_call: u32,
    /// Whether a completed op needs it (else its writer may be left out).
    needed: bool,
}

impl Default for Epoch {
    fn default() -> Epoch {
        Epoch { writer: None, next: None, first_return: u32::MAX, last_call: 0, needed: false }
    }
}

struct Builder<'a, M: Model> {
    model: &'a M,
    part: &'a Partition<M::Input, M::Output>,
    flows: Vec<Flow>,
    epochs: FxHashMap<Val, Epoch>,
    state: M::State,
    done: Vec<bool>,
    /// Completed ops by return, earliest first (placed ones are skipped lazily).
    returns: BinaryHeap<Reverse<(u32, u32)>>,
    /// Epochs still to begin, by their earliest return: (first return, value).
    waiting: BTreeSet<(u32, Val)>,
    /// Ops `[0, frontier)` are callable (ops are in call order).
    frontier: usize,
    /// The first pending return: ops invoked before it are callable.
    limit: u32,
    /// Callable pending reads, by the value they saw.
    reads: FxHashMap<Val, Vec<u32>>,
    /// Callable pending ops that change nothing but are not plain reads (failed compares).
    keeps: Vec<u32>,
    /// Callable plain writes of needed values, not yet placed.
    roots: Vec<u32>,
}

impl<'a, M: Model> Builder<'a, M> {
    /// `None` when the partition is not one the builder handles: an op the model cannot
    /// describe by value flow, a value written twice (or the initial value written again), or
    /// two CASes from one value that must both take effect.
    fn new(model: &'a M, init: &M::State, part: &'a Partition<M::Input, M::Output>) -> Option<Builder<'a, M>> {
        let init_value = model.state_value(init)?;
        let flows: Vec<Flow> = part.ops.iter().map(|op| model.flow(&op.input, op.output.as_ref())).collect();
        let mut epochs: FxHashMap<Val, Epoch> = FxHashMap::default();
        epochs.entry(init_value).or_default();
        // Writers first, and which values completed ops read.
        for (i, flow) in flows.iter().enumerate() {
            let (saw, set) = match *flow {
                Flow::Opaque => return None,
                Flow::Keeps => (None, None),
                Flow::Reads(v) => (Some(v), None),
                Flow::Writes(v) => (None, Some(v)),
                Flow::ReadsThenWrites(a, b) => (Some(a), Some(b)),
            };
            if let Some(v) = set {
                let epoch = epochs.entry(v).or_default();
                if epoch.writer.is_some() || v == init_value {
                    return None;
                }
                epoch.writer = Some(i as u32);
            }
            if let (Some(v), Some(_)) = (saw, part.ops[i].ret) {
                epochs.entry(v).or_default().needed = true;
            }
        }
        // Then each epoch's ops: its writer, its reads and the CAS that ends it.
        for (i, (flow, op)) in flows.iter().zip(&part.ops).enumerate() {
            let i = i as u32;
            let needed = |v: &Val| epochs.get(v).is_some_and(|e| e.needed);
            let mut members: Vec<Val> = Vec::new();
            match *flow {
                Flow::Writes(v) if op.ret.is_some() || needed(&v) => members.push(v),
                Flow::Reads(v) => members.push(v),
                Flow::ReadsThenWrites(a, b) if op.ret.is_some() || needed(&b) => {
                    members.extend([a, b]);
                    let from = epochs.entry(a).or_default();
                    if from.next.replace(i).is_some() {
                        return None;
                    }
                }
                _ => {}
            }
            for v in members {
                let epoch = epochs.entry(v).or_default();
                epoch.last_call = epoch.last_call.max(op.call);
                if let Some(ret) = op.ret {
                    epoch.first_return = epoch.first_return.min(ret);
                    epoch.needed = true;
                }
            }
        }
        let waiting = epochs
            .iter()
            .filter(|(v, e)| e.needed && **v != init_value && e.first_return != u32::MAX)
            .map(|(v, e)| (e.first_return, *v))
            .collect();
        let returns: BinaryHeap<_> =
            part.ops.iter().enumerate().filter_map(|(i, op)| op.ret.map(|r| Reverse((r, i as u32)))).collect();
        Some(Builder {
            model,
            part,
            flows,
            epochs,
            state: init.clone(),
            done: vec![false; part.ops.len()],
            returns,
            waiting,
            frontier: 0,
            limit: 0,
            reads: FxHashMap::default(),
            keeps: Vec::new(),
            roots: Vec::new(),
        })
    }

    fn current(&self) -> Val {
        self.model.state_value(&self.state).expect("a register-like model has a value in every state")
    }

    /// Builds the linearization; `None` when a greedy choice failed.
    fn run(&mut self) -> Option<()> {
        loop {
            self.settle()?;
            let Some(x) = self.first_pending() else {
                return Some(());
            };
            if let Flow::Reads(v) | Flow::ReadsThenWrites(v, _) = self.flows[x as usize] {
                if v != self.current() && self.begun(v) {
                    return None;
                }
            }
            let entry = &self.part.ops[x as usize];
            let fits = !matches!(self.flows[x as usize], Flow::Writes(_))
                && self.model.step(&self.state, &entry.input, entry.output.as_ref()).is_some();
            if fits {
                self.place(x)?;
            } else {
                self.next_epoch()?;
            }
        }
    }

    /// Whether `v`'s epoch has begun (its writer is placed, or it is the initial value).
    fn begun(&self, v: Val) -> bool {
        self.epochs.get(&v).is_some_and(|e| e.writer.is_none_or(|w| self.done[w as usize]))
    }

    /// The pending completed op with the earliest return.
    fn first_pending(&mut self) -> Option<u32> {
        while let Some(&Reverse((_, op))) = self.returns.peek() {
            if !self.done[op as usize] {
                return Some(op);
            }
            self.returns.pop();
        }
        None
    }

    /// Moves the frontier up to the first pending return, then places every callable op that
    /// changes nothing and can take effect now, until none is left.
    fn settle(&mut self) -> Option<()> {
        loop {
            self.limit = match self.first_pending() {
                Some(op) => self.part.ops[op as usize].ret.unwrap_or(u32::MAX),
                None => u32::MAX,
            };
            while self.frontier < self.part.ops.len() && self.part.ops[self.frontier].call < self.limit {
                let i = self.frontier as u32;
                self.frontier += 1;
                let completed = self.part.ops[i as usize].ret.is_some();
                match self.flows[i as usize] {
                    Flow::Reads(v) => self.reads.entry(v).or_default().push(i),
                    Flow::Keeps => self.keeps.push(i),
                    Flow::Writes(v) if completed || self.epochs.get(&v).is_some_and(|e| e.needed) => self.roots.push(i),
                    _ => {}
                }
            }
            let mut placed = false;
            if let Some(readers) = self.reads.remove(&self.current()) {
                for r in readers {
                    self.place(r)?;
                    placed = true;
                }
            }
            let keeps = std::mem::take(&mut self.keeps);
            for k in keeps {
                let op = &self.part.ops[k as usize];
                if self.model.step(&self.state, &op.input, op.output.as_ref()).is_some() {
                    self.place(k)?;
                    placed = true;
                } else {
                    self.keeps.push(k);
                }
            }
            if !placed {
                return Some(());
            }
        }
    }

    /// Ends the current epoch and begins the next: the CAS that must end it, else the
    /// callable plain write chosen as the module says.
    fn next_epoch(&mut self) -> Option<()> {
        let ends = self.epochs.get(&self.current()).and_then(|e| e.next).filter(|&c| !self.done[c as usize]);
        let next = match ends {
            Some(cas) => cas,
            None => self.choose_root()?,
        };
        self.place(next)
    }

    /// The callable plain write to begin the next epoch with: earliest deadline first among
    /// those whose epochs no other waiting epoch must precede.
    fn choose_root(&self) -> Option<u32> {
        let mut best: Option<(u32, u32)> = None;
        for &root in &self.roots {
            if self.done[root as usize] {
                continue;
            }
            let Flow::Writes(v) = self.flows[root as usize] else { continue };
            let (chain, deadline, last_call) = self.chain(v);
            // The earliest return among the waiting epochs outside this chain.
            let blocked = self
                .waiting
                .iter()
                .find(|(_, u)| !chain.contains(u))
                .is_some_and(|&(first_return, _)| first_return < last_call);
            if !blocked && best.is_none_or(|(d, _)| deadline < d) {
                best = Some((deadline, root));
            }
        }
        best.map(|(_, root)| root)
    }

    /// The values of the chain of epochs that begins with `v` (each ended by a CAS that must
    /// take effect), its earliest return and its latest invocation.
    fn chain(&self, v: Val) -> (Vec<Val>, u32, u32) {
        let (mut chain, mut deadline, mut last_call) = (Vec::new(), u32::MAX, 0);
        let mut value = Some(v);
        while let Some(v) = value.filter(|v| !chain.contains(v) && chain.len() < self.part.ops.len()) {
            let Some(epoch) = self.epochs.get(&v) else { break };
            chain.push(v);
            deadline = deadline.min(epoch.first_return);
            last_call = last_call.max(epoch.last_call);
            value = epoch.next.and_then(|c| match self.flows[c as usize] {
                Flow::ReadsThenWrites(_, new) => Some(new),
                _ => None,
            });
        }
        (chain, deadline, last_call)
    }

    /// Places `op` now: it is callable and takes effect in the current state.
    fn place(&mut self, op: u32) -> Option<()> {
        let entry = &self.part.ops[op as usize];
        if self.done[op as usize] || entry.call >= self.limit {
            return None;
        }
        self.state = self.model.step(&self.state, &entry.input, entry.output.as_ref())?;
        self.done[op as usize] = true;
        if let Flow::Writes(v) | Flow::ReadsThenWrites(_, v) = self.flows[op as usize] {
            if let Some(epoch) = self.epochs.get(&v) {
                self.waiting.remove(&(epoch.first_return, v));
            }
        }
        Some(())
    }
}
