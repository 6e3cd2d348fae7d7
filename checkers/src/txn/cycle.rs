//! Cycle search: inside each strongly connected component, the shortest cycle through some
//! anchor edge of each anomaly class (G0, G1c, G-single, G-nonadjacent, G2-item, and their
//! process and real-time variants), by breadth-first search over (node, small state) pairs.
//! Where a class's existence has an exact linear test (an anchor edge inside a component of
//! the allowed edges), only anchors passing it are tried. A search that outlives the budget
//! reports the class as unknown, never as absent.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::graph::{sccs, Graph, Scratch, DATA, PROCESS, REALTIME, RW, WR, WW};
use super::model::implied_anomalies;

/// How many cycles each class reports at most (one per component).
const CYCLES_PER_CLASS: usize = 8;
/// Once a cycle is found, how many more anchors to try in search of a shorter one.
const SHORTER_TRIES: usize = 64;

/// The number of transactions on a cycle (moments do not count).
fn txn_len(g: &Graph, c: &Cycle) -> usize {
    c.iter().filter(|&&(v, _)| !g.is_moment(v)).count()
}

/// Extra conditions on the rw edges of a cycle.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// No condition beyond the allowed edge kinds.
    Plain,
    /// Some two rw edges are adjacent (G2-item proper).
    Adjacent,
    /// At least two rw edges, no two adjacent (G-nonadjacent).
    Nonadjacent,
}

/// One anomaly class to search for.
struct Class {
    name: String,
    anchor: u8,
    allowed: u8,
    need: u8,
    rule: Rule,
}

/// The classes to search, in order, given which order edges the graph has.
fn classes(process: bool, realtime: bool) -> Vec<Class> {
    let mut variants = vec![("", 0u8, 0u8)];
    if process {
        variants.push(("-process", PROCESS, PROCESS));
    }
    if realtime {
        variants.push(("-realtime", PROCESS | REALTIME, REALTIME));
    }
    let mut out = Vec::new();
    for (suffix, extra, need) in variants {
        let anchor_or = |k: u8| if need == 0 { k } else { need };
        let mk = |base: &str, anchor: u8, allowed: u8, rule: Rule| Class {
            name: format!("{base}{suffix}"),
            anchor,
            allowed: allowed | extra,
            need,
            rule,
        };
        out.push(mk("G0", anchor_or(WW), WW, Rule::Plain));
        out.push(mk("G1c", anchor_or(WR), WW | WR, Rule::Plain));
        out.push(mk("G2-item", RW, DATA, Rule::Adjacent));
        out.push(mk("G-single", RW, WW | WR, Rule::Plain));
        out.push(mk("G-nonadjacent", RW, DATA, Rule::Nonadjacent));
    }
    out
}

/// A cycle as (node, kind of the edge leaving it); the last node's edge returns to the first.
pub(crate) type Cycle = Vec<(u32, u8)>;

/// Everything the search found, and the classes it could not finish.
#[derive(Default)]
pub(crate) struct Report {
    /// Cycles per class name, shortest first.
    pub(crate) cycles: BTreeMap<String, Vec<Cycle>>,
    /// Classes whose search ran out of budget.
    pub(crate) timed_out: BTreeSet<String>,
    /// Number of nontrivial strongly connected components.
    pub(crate) sccs: usize,
    /// Size of the largest one.
    pub(crate) largest_scc: usize,
}

/// The class of a cycle, from the kinds of its edges (moments count as real time).
pub(crate) fn classify(kinds: &[u8]) -> String {
    let n = kinds.len();
    let rw = kinds.iter().filter(|&&k| k == RW).count();
    let base = match rw {
        0 if kinds.iter().all(|&k| k & (WW | PROCESS | REALTIME) != 0) => "G0",
        0 => "G1c",
        1 => "G-single",
        _ if (0..n).any(|i| kinds[i] == RW && kinds[(i + 1) % n] == RW) => "G2-item",
        _ => "G-nonadjacent",
    };
    let suffix = if kinds.contains(&REALTIME) {
        "-realtime"
    } else if kinds.contains(&PROCESS) {
        "-process"
    } else {
        ""
    };
    format!("{base}{suffix}")
}

/// Searches every class in every component of `g`.
pub(crate) fn search(g: &Graph, process: bool, realtime: bool, deadline: Option<Instant>) -> Report {
    let mut report = Report::default();
    let all: Vec<u32> = (0..g.len() as u32).collect();
    let mut scratch = Scratch::default();
    let comps = sccs(g, &all, 0xff, &|_| true, &mut scratch);
    report.sccs = comps.len();
    report.largest_scc = comps.iter().map(|c| c.iter().filter(|&&v| !g.is_moment(v)).count()).max().unwrap_or(0);
    let mut comp_of = vec![u32::MAX; g.len()];
    for (i, c) in comps.iter().enumerate() {
        for &v in c {
            comp_of[v as usize] = i as u32;
        }
    }
    let mut sub = vec![u32::MAX; g.len()];
    let mut rank = vec![0u32; g.len()];
    let mut bfs = Bfs { visited: vec![0; g.len()], touched: Vec::new(), deadline, pops: 0 };
    let mut found: BTreeSet<String> = BTreeSet::new();
    for class in classes(process, realtime) {
        let implied: BTreeSet<&str> = found.iter().flat_map(|f| implied_anomalies(f)).collect();
        if implied.contains(class.name.as_str()) {
            continue;
        }
        if report.timed_out.contains(&class.name) || deadline.is_some_and(|d| Instant::now() > d) {
            report.timed_out.insert(class.name.clone());
            continue;
        }
        let mut cycles: Vec<Cycle> = Vec::new();
        'comps: for (ci, comp) in comps.iter().enumerate() {
            let ci = ci as u32;
            let in_comp = |v: u32| comp_of[v as usize] == ci;
            for &v in comp {
                sub[v as usize] = u32::MAX;
            }
            for (si, s) in sccs(g, comp, class.allowed | class.anchor, &in_comp, &mut scratch).iter().enumerate() {
                for &v in s {
                    sub[v as usize] = si as u32;
                }
            }
            // When the anchor's kind is not allowed on the way back (G-single), the way back
            // from b to a runs through the allowed edges alone: rank their components, and
            // only nodes ranked between a and b can be on it.
            let windowed = class.anchor & class.allowed == 0;
            if windowed {
                sccs(g, comp, class.allowed, &in_comp, &mut scratch);
                for &v in comp {
                    rank[v as usize] = scratch.order[v as usize];
                }
            }
            let mut candidates = anchors(g, comp, &class, &sub);
            if windowed {
                candidates.retain(|&(a, b)| rank[a as usize] <= rank[b as usize]);
            }
            let mut best: Option<Cycle> = None;
            let mut tries_after_found = 0;
            for (a, b) in candidates {
                let (lo, hi, s) = (rank[a as usize], rank[b as usize], sub[a as usize]);
                let member = |v: u32| {
                    sub[v as usize] == s
                        && comp_of[v as usize] == ci
                        && (!windowed || (lo..=hi).contains(&rank[v as usize]))
                };
                match bfs.run(g, &member, a, b, &class) {
                    Err(()) => {
                        report.timed_out.insert(class.name.clone());
                        break;
                    }
                    Ok(Some(cycle)) => {
                        if best.as_ref().is_none_or(|b| txn_len(g, &cycle) < txn_len(g, b)) {
                            best = Some(cycle);
                        }
                    }
                    Ok(None) => {}
                }
                if best.is_some() {
                    tries_after_found += 1;
                    // Fewer extra searches in big components: each costs the component's size.
                    if tries_after_found > (SHORTER_TRIES * 4096 / comp.len().max(1)).clamp(2, SHORTER_TRIES) {
                        break;
                    }
                }
            }
            cycles.extend(best);
            if cycles.len() >= CYCLES_PER_CLASS || report.timed_out.contains(&class.name) {
                break 'comps;
            }
        }
        for cycle in cycles {
            let kinds: Vec<u8> = cycle.iter().map(|&(_, k)| k).collect();
            let name = classify(&kinds);
            found.insert(name.clone());
            report.cycles.entry(name).or_default().push(cycle);
        }
    }
    for list in report.cycles.values_mut() {
        list.sort_by_key(|c| txn_len(g, c));
    }
    report
}

/// The anchor edges worth trying for `class` in one component: both ends in one component of
/// the allowed and anchor edges, and for G2-item an rw edge followed by another rw.
fn anchors(g: &Graph, comp: &[u32], class: &Class, sub: &[u32]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for &a in comp {
        if g.is_moment(a) || sub[a as usize] == u32::MAX {
            continue;
        }
        for (b, kinds) in g.out(a) {
            if kinds & class.anchor == 0 || sub[b as usize] != sub[a as usize] {
                continue;
            }
            if class.rule == Rule::Adjacent && !g.out(b).any(|(c, k)| k & RW != 0 && sub[c as usize] == sub[a as usize])
            {
                continue;
            }
            out.push((a, b));
        }
    }
    out
}

const LAST_RW: u8 = 1;
const FLAG: u8 = 2;
const NEED: u8 = 4;

/// Breadth-first search over (node, state) with reusable visited marks.
struct Bfs {
    visited: Vec<u8>,
    touched: Vec<u32>,
    deadline: Option<Instant>,
    pops: u64,
}

impl Bfs {
    /// The shortest cycle `a -anchor-> b ... -> a` satisfying `class`, if any; `Err` when the
    /// deadline passed.
    fn run(
        &mut self,
        g: &Graph,
        member: &dyn Fn(u32) -> bool,
        a: u32,
        b: u32,
        class: &Class,
    ) -> Result<Option<Cycle>, ()> {
        let anchor = class.anchor & g.kinds(a, b);
        let anchor = if anchor & RW != 0 { RW } else { anchor & anchor.wrapping_neg() };
        let mut s0 = 0;
        if anchor == RW {
            s0 |= LAST_RW;
        }
        if anchor & class.need != 0 {
            s0 |= NEED;
        }
        // Queue entries: (node, state, kind of the edge into it, parent entry).
        let mut queue: Vec<(u32, u8, u8, u32)> = vec![(b, s0, anchor, u32::MAX)];
        self.mark(b, s0);
        let mut head = 0;
        let mut result = None;
        'bfs: while head < queue.len() {
            self.pops += 1;
            if self.pops.is_multiple_of(1024) && self.deadline.is_some_and(|d| Instant::now() > d) {
                self.reset();
                return Err(());
            }
            let (v, s, _, _) = queue[head];
            for (w, kinds) in g.out(v) {
                if !member(w) {
                    continue;
                }
                let mut bits = kinds & class.allowed;
                while bits != 0 {
                    let k = bits & bits.wrapping_neg();
                    bits &= bits - 1;
                    let Some(s2) = step(s, k, class) else { continue };
                    if w == a && accepts(s2, anchor, class) {
                        queue.push((w, s2, k, head as u32));
                        result = Some(queue.len() - 1);
                        break 'bfs;
                    }
                    if self.visited[w as usize] & (1 << s2) == 0 {
                        self.mark(w, s2);
                        queue.push((w, s2, k, head as u32));
                    }
                }
            }
            head += 1;
        }
        self.reset();
        let Some(mut at) = result else { return Ok(None) };
        // Walk back: entries from the closing edge into `a` to `b`.
        let mut rev: Vec<(u32, u8)> = Vec::new();
        while at != u32::MAX as usize {
            let (node, _, kind_in, parent) = queue[at];
            rev.push((node, kind_in));
            at = parent as usize;
        }
        // rev = [(a, k_last), (x_n, k_n), ..., (b, anchor)]; the edge *leaving* each node is the
        // kind recorded on the next node in forward order.
        rev.reverse();
        let mut cycle = Vec::with_capacity(rev.len());
        cycle.push((a, anchor));
        for i in 0..rev.len() - 1 {
            cycle.push((rev[i].0, rev[i + 1].1));
        }
        Ok(Some(cycle))
    }

    fn mark(&mut self, v: u32, s: u8) {
        if self.visited[v as usize] == 0 {
            self.touched.push(v);
        }
        self.visited[v as usize] |= 1 << s;
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.visited[v as usize] = 0;
        }
        self.touched.clear();
    }
}

/// The state after taking an edge of kind `k`, or `None` when the class forbids it.
fn step(s: u8, k: u8, class: &Class) -> Option<u8> {
    let mut s2 = s & !LAST_RW;
    if k == RW {
        match class.rule {
            Rule::Nonadjacent if s & LAST_RW != 0 => return None,
            Rule::Nonadjacent => s2 |= FLAG,
            Rule::Adjacent if s & LAST_RW != 0 => s2 |= FLAG,
            _ => {}
        }
        s2 |= LAST_RW;
    }
    if k & class.need != 0 {
        s2 |= NEED;
    }
    Some(s2)
}

/// Whether arriving back at the anchor's source in state `s` closes a cycle of the class.
fn accepts(s: u8, anchor: u8, class: &Class) -> bool {
    if class.need != 0 && s & NEED == 0 {
        return false;
    }
    let wraps_rw = anchor == RW && s & LAST_RW != 0;
    match class.rule {
        Rule::Plain => true,
        Rule::Adjacent => s & FLAG != 0 || wraps_rw,
        Rule::Nonadjacent => s & FLAG != 0 && !wraps_rw,
    }
}

#[cfg(test)]
mod tests {
    use super::super::graph::Builder;
    use super::*;

    fn report(edges: &[(u32, u32, u8)], n: u32) -> Report {
        let mut b = Builder::new(n);
        for &(x, y, k) in edges {
            b.link(x, y, k);
        }
        search(&b.build(n), false, false, None)
    }

    #[test]
    fn classifies_by_edge_kinds() {
        assert_eq!(classify(&[WW, WW]), "G0");
        assert_eq!(classify(&[WW, WR]), "G1c");
        assert_eq!(classify(&[RW, WR]), "G-single");
        assert_eq!(classify(&[RW, WR, RW, WW]), "G-nonadjacent");
        assert_eq!(classify(&[RW, RW, WW]), "G2-item");
        assert_eq!(classify(&[RW, WR, PROCESS]), "G-single-process");
        assert_eq!(classify(&[WW, REALTIME, REALTIME]), "G0-realtime");
    }

    #[test]
    fn finds_each_class_alone() {
        assert!(report(&[(0, 1, WW), (1, 0, WW)], 2).cycles.contains_key("G0"));
        assert!(report(&[(0, 1, WW), (1, 0, WR)], 2).cycles.contains_key("G1c"));
        let r = report(&[(0, 1, RW), (1, 0, WR)], 2);
        assert_eq!(r.cycles.keys().collect::<Vec<_>>(), vec!["G-single"]);
        let r = report(&[(0, 1, RW), (1, 2, WR), (2, 3, RW), (3, 0, WW)], 4);
        assert_eq!(r.cycles.keys().collect::<Vec<_>>(), vec!["G-nonadjacent"]);
        let r = report(&[(0, 1, RW), (1, 0, RW)], 2);
        assert_eq!(r.cycles.keys().collect::<Vec<_>>(), vec!["G2-item"]);
        assert!(report(&[(0, 1, RW), (1, 2, WR)], 3).cycles.is_empty());
    }

    #[test]
    fn cycles_close_on_their_first_node() {
        let r = report(&[(0, 1, RW), (1, 2, WR), (2, 0, WW)], 3);
        let c = &r.cycles["G-single"][0];
        assert_eq!(c.len(), 3);
        let kinds: Vec<u8> = c.iter().map(|&(_, k)| k).collect();
        assert_eq!(classify(&kinds), "G-single");
        for i in 0..c.len() {
            let (from, k) = c[i];
            let to = c[(i + 1) % c.len()].0;
            assert_ne!(from, to);
            assert!(k != 0);
        }
    }
}
