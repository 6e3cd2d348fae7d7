//! The long-fork checker (Jepsen's `long-fork`): each key is written once; reads of a group of
//! keys must all be consistent with one order of those writes, so any two reads of a group
//! must be ordered by inclusion of the writes they saw. Two reads that each saw a write the
//! other missed are a long fork, a snapshot-isolation violation (parallel SI allows it).

use std::collections::BTreeMap;

use serde_json::json;

use crate::anomaly_kind::AnomalyKind;
use crate::history::Value;

use super::{pairs, Report};
use crate::history::{History, OpType};
use crate::verdict::{CheckResult, Validity};

/// Options of the long-fork checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongForkOptions {
    /// Keys `k` with the same `k / group_size` form a group read together.
    pub group_size: u64,
}

impl Default for LongForkOptions {
    /// Groups of 3, as in the fixture and Jepsen's default tests.
    fn default() -> Self {
        LongForkOptions { group_size: 3 }
    }
}

/// One successful read of a whole group: op index and the (key, value) pairs it saw written.
struct GroupRead {
    index: u64,
    keys: Vec<u64>,
    seen: Vec<(u64, String)>,
}

/// Checks successful read-only transactions (`[[r k v] ...]`, integer keys).
pub fn long_fork(history: &History, options: &LongForkOptions) -> CheckResult {
    let mut report = Report::new("long-fork");
    let n = options.group_size.max(1);
    let mut groups: BTreeMap<u64, Vec<GroupRead>> = BTreeMap::new();
    for p in pairs(history, None) {
        let Some(done) = p.done.filter(|d| d.kind == OpType::Ok) else { continue };
        let Some(mops) = done.value.as_array() else { continue };
        let mut reads: BTreeMap<u64, GroupRead> = BTreeMap::new();
        let mut read_only = true;
        for mop in mops {
            let parts = mop.as_array().filter(|p| p.len() == 3);
            let Some(parts) = parts else {
                report.add(
                    Validity::Unknown,
                    AnomalyKind::Malformed,
                    vec![done.index],
                    format!("op {}: {mop} is not [f k v]", done.index),
                );
                read_only = false;
                break;
            };
            if parts[0].as_str() != Some("r") {
                read_only = false;
                break;
            }
            let Some(k) = parts[1].as_u64() else {
                report.add(
                    Validity::Unknown,
                    AnomalyKind::Malformed,
                    vec![done.index],
                    format!("op {} reads key {}, not a natural number", done.index, parts[1]),
                );
                read_only = false;
                break;
            };
            let g = reads.entry(k / n).or_insert_with(|| GroupRead { index: done.index, keys: vec![], seen: vec![] });
            g.keys.push(k);
            if parts[2] != Value::Null {
                g.seen.push((k, parts[2].to_string()));
            }
        }
        if read_only {
            for (g, mut r) in reads {
                r.keys.sort_unstable();
                r.seen.sort();
                groups.entry(g).or_default().push(r);
            }
        }
    }
    let (mut compared, mut partial) = (0, 0);
    for (g, mut reads) in groups {
        // Only reads covering every key read in the group are comparable.
        let mut universe: Vec<u64> = reads.iter().flat_map(|r| r.keys.iter().copied()).collect();
        universe.sort_unstable();
        universe.dedup();
        let before = reads.len();
        reads.retain(|r| {
            let mut keys = r.keys.clone();
            keys.dedup();
            keys == universe
        });
        partial += before - reads.len();
        compared += reads.len();
        // Pairwise ordered by inclusion iff each is included in the next when sorted by size.
        reads.sort_by_key(|r| r.seen.len());
        for w in reads.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if let Some((k, v)) = a.seen.iter().find(|(k, v)| b.seen.iter().any(|(k2, v2)| k2 == k && v2 != v)) {
                report.add(
                    Validity::Invalid,
                    AnomalyKind::MultipleValues,
                    vec![a.index, b.index],
                    format!(
                        "ops {} and {} saw key {k} with different values ({v} and another): keys must be written once",
                        a.index, b.index
                    ),
                );
                continue;
            }
            let Some((k1, _)) = a.seen.iter().find(|x| !b.seen.contains(x)) else { continue };
            let k2 = b.seen.iter().find(|x| !a.seen.contains(x)).map_or("?".to_string(), |(k, _)| k.to_string());
            report.add(
                Validity::Invalid,
                AnomalyKind::LongFork,
                vec![a.index, b.index],
                format!(
                    "in key group {g}, op {} saw the write to key {k1} but not to key {k2}, while op {} saw key {k2} but not key {k1}: \
                     the two reads observed the writes in incompatible orders",
                    a.index, b.index
                ),
            );
        }
    }
    report.finish(json!({"group_size": n, "reads_compared": compared, "partial_reads_skipped": partial}))
}
