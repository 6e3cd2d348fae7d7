//! The dependency graph between transactions: a compact adjacency list (CSR) whose edges carry
//! a bitmask of kinds, and Tarjan's strongly connected components over any subset of kinds.
//!
//! Nodes `0..n_txns` are transactions; nodes above are virtual "moments" that encode the
//! real-time order in linear size: a txn links to the moment of its completion, moments link
//! in time order, and each moment links to the txns invoked after it. T1 reaches T2 through
//! moments exactly when T1 completed before T2 was invoked.

/// Write-write: the second txn installed the next version after the first's.
pub(crate) const WW: u8 = 1;
/// Write-read: the second txn read the first's write.
pub(crate) const WR: u8 = 2;
/// Read-write (anti-dependency): the second txn overwrote the version the first read.
pub(crate) const RW: u8 = 4;
/// Process order: same process, one after the other.
pub(crate) const PROCESS: u8 = 8;
/// Real-time order (through the virtual moment nodes).
pub(crate) const REALTIME: u8 = 16;
/// Every data-dependency kind.
pub(crate) const DATA: u8 = WW | WR | RW;

const SHIFT: u32 = 27;
const TARGET: u32 = (1 << SHIFT) - 1;

/// The most nodes a graph can hold (targets are packed into 27 bits).
pub(crate) const MAX_NODES: usize = TARGET as usize;

/// Collects edges, then freezes them into a [`Graph`].
pub(crate) struct Builder {
    n: u32,
    edges: Vec<(u32, u32)>,
}

impl Builder {
    /// A builder for `n` nodes.
    pub(crate) fn new(n: u32) -> Builder {
        Builder { n, edges: Vec::new() }
    }

    /// An empty builder over the same nodes, to collect edges beside this one (on another
    /// thread) and [`Builder::join`] them after.
    pub(crate) fn fork(&self) -> Builder {
        Builder::new(self.n)
    }

    /// Adds the edges a [`Builder::fork`] collected.
    pub(crate) fn join(&mut self, other: Builder) {
        self.edges.extend(other.edges);
    }

    /// Adds a node (a moment), returning its id.
    pub(crate) fn add_node(&mut self) -> u32 {
        self.n += 1;
        self.n - 1
    }

    /// Adds an edge `from -> to` of `kind`; self-loops are ignored.
    pub(crate) fn link(&mut self, from: u32, to: u32, kind: u8) {
        if from != to {
            self.edges.push((from, to | (kind as u32) << SHIFT));
        }
    }

    /// Freezes the edges into CSR form, merging parallel edges' kinds.
    pub(crate) fn build(self, n_txns: u32) -> Graph {
        let n = self.n as usize;
        let mut offsets = vec![0u32; n + 1];
        for &(from, _) in &self.edges {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut adj = vec![0u32; self.edges.len()];
        for (from, packed) in self.edges {
            let slot = &mut fill[from as usize];
            adj[*slot as usize] = packed;
            *slot += 1;
        }
        // Sort each node's edges by target and merge parallel ones, compacting in place.
        let mut write = 0usize;
        let mut new_offsets = vec![0u32; n + 1];
        for v in 0..n {
            let (lo, hi) = (offsets[v] as usize, offsets[v + 1] as usize);
            adj[lo..hi].sort_unstable_by_key(|e| e & TARGET);
            let start = write;
            for i in lo..hi {
                let e = adj[i];
                if write > start && adj[write - 1] & TARGET == e & TARGET {
                    adj[write - 1] |= e & !TARGET;
                } else {
                    adj[write] = e;
                    write += 1;
                }
            }
            new_offsets[v + 1] = write as u32;
        }
        adj.truncate(write);
        adj.shrink_to_fit();
        Graph { n_txns, offsets: new_offsets, adj }
    }
}

/// A frozen graph.
pub(crate) struct Graph {
    /// Nodes below this are transactions; the rest are moments.
    pub(crate) n_txns: u32,
    offsets: Vec<u32>,
    adj: Vec<u32>,
}

impl Graph {
    /// The number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The number of (merged) edges.
    pub(crate) fn edge_count(&self) -> usize {
        self.adj.len()
    }

    /// `v`'s out-edges as (target, kinds).
    pub(crate) fn out(&self, v: u32) -> impl Iterator<Item = (u32, u8)> + '_ {
        let (lo, hi) = (self.offsets[v as usize] as usize, self.offsets[v as usize + 1] as usize);
        self.adj[lo..hi].iter().map(|&e| (e & TARGET, (e >> SHIFT) as u8))
    }

    /// The kinds of edge `a -> b` (0 when there is none).
    pub(crate) fn kinds(&self, a: u32, b: u32) -> u8 {
        let (lo, hi) = (self.offsets[a as usize] as usize, self.offsets[a as usize + 1] as usize);
        let slice = &self.adj[lo..hi];
        match slice.binary_search_by_key(&b, |e| e & TARGET) {
            Ok(i) => (slice[i] >> SHIFT) as u8,
            Err(_) => 0,
        }
    }

    /// True for virtual moment nodes.
    pub(crate) fn is_moment(&self, v: u32) -> bool {
        v >= self.n_txns
    }
}

/// Strongly connected components of the nodes `nodes`, following only edges whose kinds meet
/// `mask` and whose target satisfies `member`. Returns the components with more than one node,
/// each as a list of nodes, and ranks every component in `scratch.order`. Iterative Tarjan;
/// `scratch` is reused between calls.
pub(crate) fn sccs(
    g: &Graph,
    nodes: &[u32],
    mask: u8,
    member: &dyn Fn(u32) -> bool,
    scratch: &mut Scratch,
) -> Vec<Vec<u32>> {
    scratch.ensure(g.len());
    let mut out = Vec::new();
    let mut counter = 0u32;
    let mut emitted = 0u32;
    let mut stack: Vec<u32> = Vec::new();
    // Call stack: (node, position in its edge list).
    let mut calls: Vec<(u32, u32)> = Vec::new();
    for &root in nodes {
        if scratch.index[root as usize] != UNSEEN {
            continue;
        }
        calls.push((root, 0));
        scratch.visit(root, &mut counter, &mut stack);
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            let lo = g.offsets[v as usize] + *pos;
            let hi = g.offsets[v as usize + 1];
            let mut descended = false;
            let mut i = lo;
            while i < hi {
                let e = g.adj[i as usize];
                i += 1;
                let (w, kinds) = (e & TARGET, (e >> SHIFT) as u8);
                if kinds & mask == 0 || !member(w) {
                    continue;
                }
                if scratch.index[w as usize] == UNSEEN {
                    *pos = i - g.offsets[v as usize];
                    scratch.visit(w, &mut counter, &mut stack);
                    calls.push((w, 0));
                    descended = true;
                    break;
                } else if scratch.on_stack[w as usize] {
                    let low = scratch.low[v as usize].min(scratch.index[w as usize]);
                    scratch.low[v as usize] = low;
                }
            }
            if descended {
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                let low = scratch.low[parent as usize].min(scratch.low[v as usize]);
                scratch.low[parent as usize] = low;
            }
            if scratch.low[v as usize] == scratch.index[v as usize] {
                let mut comp = Vec::new();
                loop {
                    let w = stack.pop().unwrap_or(v);
                    scratch.on_stack[w as usize] = false;
                    scratch.order[w as usize] = emitted;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                emitted += 1;
                if comp.len() > 1 {
                    out.push(comp);
                }
            }
        }
    }
    for &v in &scratch.touched {
        scratch.index[v as usize] = UNSEEN;
        scratch.on_stack[v as usize] = false;
    }
    scratch.touched.clear();
    out
}

const UNSEEN: u32 = u32::MAX;

/// Per-node arrays reused across SCC computations.
#[derive(Default)]
pub(crate) struct Scratch {
    /// After [`sccs`]: for each node it visited, the rank of its component in emission order
    /// (every component, singletons included). Tarjan emits a component only after every
    /// component it reaches, so a path from `x` to `y` implies `order[y] <= order[x]`.
    pub(crate) order: Vec<u32>,
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    touched: Vec<u32>,
}

impl Scratch {
    fn ensure(&mut self, n: usize) {
        if self.index.len() < n {
            self.index.resize(n, UNSEEN);
            self.order.resize(n, 0);
            self.low.resize(n, 0);
            self.on_stack.resize(n, false);
        }
    }

    fn visit(&mut self, v: u32, counter: &mut u32, stack: &mut Vec<u32>) {
        self.index[v as usize] = *counter;
        self.low[v as usize] = *counter;
        *counter += 1;
        self.on_stack[v as usize] = true;
        self.touched.push(v);
        stack.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_components_by_kind() {
        let mut b = Builder::new(4);
        b.link(0, 1, WW);
        b.link(1, 0, RW);
        b.link(1, 2, WR);
        b.link(2, 3, WR);
        b.link(3, 2, WW);
        b.link(0, 1, WR);
        let g = b.build(4);
        assert_eq!(g.kinds(0, 1), WW | WR);
        assert_eq!(g.kinds(1, 2), WR);
        assert_eq!(g.kinds(2, 1), 0);
        let all: Vec<u32> = (0..4).collect();
        let mut scratch = Scratch::default();
        let mut comps = sccs(&g, &all, DATA, &|_| true, &mut scratch);
        comps.iter_mut().for_each(|c| c.sort());
        comps.sort();
        assert_eq!(comps, vec![vec![0, 1], vec![2, 3]]);
        let comps = sccs(&g, &all, WW | WR, &|_| true, &mut scratch);
        assert_eq!(comps.len(), 1);
        assert!(sccs(&g, &all, WR, &|_| true, &mut scratch).is_empty());
    }

    #[test]
    fn ranks_components_so_paths_go_down() {
        let mut b = Builder::new(4);
        b.link(2, 3, WW);
        b.link(0, 1, WW);
        b.link(1, 2, WR);
        let g = b.build(4);
        let mut scratch = Scratch::default();
        sccs(&g, &[3, 1, 0, 2], DATA, &|_| true, &mut scratch);
        let r = |v: usize| scratch.order[v];
        assert!(r(3) < r(2) && r(2) < r(1) && r(1) < r(0), "{:?}", &scratch.order[..4]);
    }
}
