//! The target registry: one table from name to target. `--target NAME` builds its target from
//! here, and what each target declares it supports (workloads, leader discovery, fault
//! families, options) lets a test it cannot run be refused before any node is touched.
//!
//! Adding a target: write its module (lifecycle as commands and a client, like [`crate::etcd`])
//! with its `ENTRY`, and add that one line to [`registry`].

use nemesis::Family;

use crate::bugs::{Bug, Bugs};
use crate::postgres::Isolation;
use crate::target::Target;

/// Options a test may set for its target (flags or test-file fields of the same names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetOptions {
    /// `serializable`: reads any member answers from its own state, not through a quorum.
    pub serializable: bool,
    /// `pre-vote`: members start with pre-vote (a healed node does not force an election).
    pub pre_vote: bool,
    /// `isolation`: the isolation level of every transaction.
    pub isolation: Option<Isolation>,
    /// The bug switches to start the target with (`--bug NAME`, `bugs:` in a test file).
    pub bugs: Bugs,
}

impl TargetOptions {
    /// The names of the options that are set.
    pub fn set(&self) -> Vec<&'static str> {
        [("serializable", self.serializable), ("pre-vote", self.pre_vote), ("isolation", self.isolation.is_some())]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect()
    }
}

/// What a target can run.
#[derive(Debug, Clone, Copy)]
pub struct Supports {
    /// The workloads its client runs, by name (`register`, `set`, ...).
    pub workloads: &'static [&'static str],
    /// Whether it can say which node leads (intents that name the leader need it).
    pub leader: bool,
    /// The fault families it can undergo.
    pub faults: &'static [Family],
    /// The options it takes (names as in [`TargetOptions::set`]).
    pub options: &'static [&'static str],
    /// The bug switches it has.
    pub bugs: &'static [Bug],
}

/// One registered target.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Its name on the command line.
    pub name: &'static str,
    /// One line for people: what it is.
    pub about: &'static str,
    /// What it can run.
    pub supports: Supports,
    /// Builds it with the given options (only the ones it takes are ever set).
    pub build: fn(&TargetOptions) -> Box<dyn Target>,
}

/// Every target faultline can test.
pub fn registry() -> &'static [Entry] {
    &[crate::etcd::ENTRY, crate::postgres::ENTRY, crate::own::ENTRY]
}

/// The target named `name`; an unknown name gets an error listing the known ones.
pub fn find(name: &str) -> Result<&'static Entry, String> {
    registry().iter().find(|e| e.name == name).ok_or_else(|| {
        let known: Vec<&str> = registry().iter().map(|e| e.name).collect();
        format!("unknown target {name:?}; the known targets are: {}", known.join(", "))
    })
}

impl Entry {
    /// Builds the target with `options`, refusing any option it does not take.
    pub fn with_options(&self, options: &TargetOptions) -> Result<Box<dyn Target>, String> {
        if let Some(option) = options.set().into_iter().find(|o| !self.supports.options.contains(o)) {
            return Err(format!(
                "target {} does not take option {option}; it takes: {}",
                self.name,
                list(self.supports.options)
            ));
        }
        if let Some(bug) = options.bugs.iter().find(|b| !self.supports.bugs.contains(b)) {
            let known: Vec<&str> = self.supports.bugs.iter().map(|b| b.name()).collect();
            return Err(format!("target {} has no bug switch {bug}; its switches: {}", self.name, list(&known)));
        }
        Ok((self.build)(options))
    }
}

/// A list for messages: `a, b, c`, or `none`.
pub fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Cluster, NodeSpec};

    /// Fails when a registered target is incomplete: no name or description, a name that is not
    /// its target's, a workload its client cannot run, no fault family, no daemon, no probe.
    #[test]
    fn every_registered_target_is_complete() {
        let node = NodeSpec { name: "n1".into(), addr: "198.18.0.11".into() };
        let cluster = Cluster { run_id: "r1".into(), nodes: vec![node.clone()], data_root: "/dev/shm/fl/r1".into() };
        assert!(!registry().is_empty());
        for entry in registry() {
            assert!(!entry.name.is_empty() && !entry.about.is_empty(), "{entry:?}");
            assert_eq!(find(entry.name).unwrap().name, entry.name, "two targets named {}", entry.name);
            let target = (entry.build)(&TargetOptions::default());
            assert_eq!(target.name(), entry.name);
            assert!(!target.probe().is_empty(), "{}: no probe", entry.name);
            let daemon = target.daemon(&node, &cluster);
            assert!(!daemon.argv.is_empty(), "{}: no daemon", entry.name);
            assert!(daemon.pidfile.starts_with(&cluster.data_root) && daemon.log.starts_with(&cluster.data_root));
            assert!(!entry.supports.workloads.is_empty() && !entry.supports.faults.is_empty(), "{entry:?}");
            for workload in entry.supports.workloads {
                let client = target.client(&node, workload);
                let examples = workloads::examples(workload)
                    .unwrap_or_else(|| panic!("{}: {workload} is no workload faultline knows", entry.name));
                for op in examples {
                    assert!(client.runs(&op), "{}: declares {workload} but its client cannot run {op:?}", entry.name);
                }
            }
            for option in entry.supports.options {
                assert!(
                    ["serializable", "pre-vote", "isolation"].contains(option),
                    "{}: unknown option {option}",
                    entry.name
                );
            }
        }
    }

    #[test]
    fn unknown_names_and_options_are_refused_with_what_is_known() {
        let err = find("nosuch").unwrap_err();
        assert!(err.contains("nosuch") && err.contains("etcd"), "{err}");
        let entry = Entry { supports: Supports { options: &[], ..crate::etcd::ENTRY.supports }, ..crate::etcd::ENTRY };
        let err = entry.with_options(&TargetOptions { pre_vote: true, ..TargetOptions::default() }).err().unwrap();
        assert!(err.contains("pre-vote") && err.contains("none"), "{err}");
        let both = TargetOptions { serializable: true, pre_vote: true, ..TargetOptions::default() };
        assert!(crate::etcd::ENTRY.with_options(&both).is_ok());
        let stale = TargetOptions { bugs: Bugs::of(&[Bug::StaleReads]), ..TargetOptions::default() };
        let err = crate::etcd::ENTRY.with_options(&stale).err().unwrap();
        assert!(err.contains("etcd has no bug switch stale-reads") && err.contains("none"), "{err}");
        assert!(crate::own::ENTRY.with_options(&stale).is_ok());
    }
}
