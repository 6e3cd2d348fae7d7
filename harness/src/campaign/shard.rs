//! Splitting a campaign's runs into shards that separate machines run: each run goes to the
//! shard with the least expected time so far, longest runs first (LPT scheduling), so the
//! shards end at about the same time. The split depends only on the campaign file, so every
//! machine that plans the same file gets the same shards.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

use super::expand::RunSpec;

/// What a run costs besides its workload: cluster start, final reads, teardown and analysis
/// (measured: 3-node etcd runs of 10 s took 16–19 s from start to verdict).
pub const RUN_OVERHEAD: Duration = Duration::from_secs(8);

/// The most shards a campaign is split into (a Kubernetes Indexed Job allows 100,000; a GitHub
/// Actions matrix 256 jobs).
pub const MAX_SHARDS: usize = 256;

/// Which shard of how many: `I/N` with I from 0 to N-1 (as Kubernetes' `JOB_COMPLETION_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardId {
    /// This shard, from 0.
    pub index: usize,
    /// How many shards in all.
    pub count: usize,
}

impl FromStr for ShardId {
    type Err = String;
    fn from_str(s: &str) -> Result<ShardId, String> {
        let bad = || format!("shard {s:?}: write I/N with 0 <= I < N <= {MAX_SHARDS}, e.g. 0/3");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(bad());
        }
        Ok(ShardId { index, count })
    }
}

impl Serialize for ShardId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One shard's share of the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shard {
    /// Which shard.
    pub shard: ShardId,
    /// Seconds its runs are expected to take, one after another.
    pub expected_s: f64,
    /// Its runs' ids, in the campaign's order.
    pub runs: Vec<String>,
}

/// How long one run is expected to take: its time limit plus [`RUN_OVERHEAD`].
pub fn expected(spec: &RunSpec) -> Duration {
    spec.plan.time_limit + RUN_OVERHEAD
}

/// Splits `runs` into `count` shards balanced by expected time. Every run is in exactly one
/// shard; a shard may be empty when there are fewer runs than shards.
pub fn split(runs: &[RunSpec], count: usize) -> Vec<Shard> {
    let mut shards: Vec<(Duration, Vec<usize>)> = vec![(Duration::ZERO, Vec::new()); count];
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(expected(&runs[i])), i));
    for i in order {
        let lightest =
            shards.iter_mut().enumerate().min_by_key(|(k, s)| (s.0, *k)).map(|(_, s)| s).expect("at least one shard");
        lightest.0 += expected(&runs[i]);
        lightest.1.push(i);
    }
    shards
        .into_iter()
        .enumerate()
        .map(|(index, (load, mut members))| {
            members.sort_unstable();
            Shard {
                shard: ShardId { index, count },
                expected_s: load.as_secs_f64(),
                runs: members.into_iter().map(|i| runs[i].id.clone()).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::{expand, file::CampaignFile};

    fn runs(text: &str) -> Vec<RunSpec> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        expand::expand(&CampaignFile::parse(text, &path).unwrap(), &path).unwrap().runs
    }

    #[test]
    fn every_run_lands_in_one_shard_and_the_loads_balance() {
        let runs = runs(
            "name: c\ntest: {nodes: 3}\nmatrix:\n  time-limit: [10, 20, 40]\n  workload: [register, set]\nseeds: [1, 2]\n",
        );
        assert_eq!(runs.len(), 12);
        let shards = split(&runs, 3);
        let mut all: Vec<&String> = shards.iter().flat_map(|s| &s.runs).collect();
        all.sort();
        let mut ids: Vec<&String> = runs.iter().map(|r| &r.id).collect();
        ids.sort();
        assert_eq!(all, ids, "each run exactly once");
        let loads: Vec<f64> = shards.iter().map(|s| s.expected_s).collect();
        let total: f64 = runs.iter().map(|r| expected(r).as_secs_f64()).sum();
        assert_eq!(loads.iter().sum::<f64>(), total);
        let (min, max) = loads.iter().fold((f64::MAX, 0f64), |(a, b), l| (a.min(*l), b.max(*l)));
        assert!(max - min <= 40.0 + RUN_OVERHEAD.as_secs_f64(), "LPT keeps shards within one run: {loads:?}");
        assert_eq!(split(&runs, 3), shards, "the same file gives the same shards");
        let many = split(&runs, 20);
        assert_eq!(many.iter().filter(|s| s.runs.is_empty()).count(), 8);
    }

    #[test]
    fn shard_ids_parse_and_refuse_what_no_shard_is() {
        assert_eq!("2/3".parse::<ShardId>(), Ok(ShardId { index: 2, count: 3 }));
        assert_eq!(ShardId { index: 0, count: 1 }.to_string(), "0/1");
        for bad in ["3/3", "0/0", "1", "a/2", "-1/2", "0/1000"] {
            let err = bad.parse::<ShardId>().unwrap_err();
            assert!(err.contains("I/N"), "{bad}: {err}");
        }
    }
}
