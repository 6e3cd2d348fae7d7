//! Resolution: an intent, the cluster's state and a seeded rng give a concrete [`Fault`]: the
//! effects on named nodes, each turned into commands with their undo by [`Action::new`].

use std::collections::BTreeSet;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::action::{Action, Effect, Fault, Placement, Unplaced};
use crate::intent::{Cut, Intent, PartitionShape, Who, CLIENTS};

/// Mixed into the run's seed for the rng of resolution ("neme" in ASCII). The client generator
/// and the random schedule are seeded with the run's seed itself; this gives the nemesis's
/// choices (which node is "one", which halves) their own stream, so they do not repeat the
/// schedule's draws and a change in one does not shift the other.
pub const RESOLVE_SEED_SALT: u64 = 0x6e65_6d65;

/// The rng resolution draws from in a run seeded with `seed`.
pub fn resolve_rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ RESOLVE_SEED_SALT)
}

/// What the nemesis knows about the cluster when it resolves an intent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterState {
    /// Every node, in the cluster's order.
    pub nodes: Vec<String>,
    /// The node the target reports as leader, if it knows one.
    pub leader: Option<String>,
    /// Nodes whose target is killed (not running).
    pub killed: BTreeSet<String>,
    /// Nodes whose target is paused.
    pub paused: BTreeSet<String>,
    /// Addresses and daemons, which turn effects into commands.
    pub placement: Placement,
}

impl ClusterState {
    /// Notes an effect in force (a killed or paused node is no candidate for another kill or
    /// pause).
    pub fn under(&mut self, effect: &Effect) {
        match effect {
            Effect::Kill { node } => self.killed.insert(node.clone()),
            Effect::Pause { node } => self.paused.insert(node.clone()),
            _ => false,
        };
    }
}

/// Why an intent cannot be resolved now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The intent targets the leader but the target reports none.
    #[error("{0}: no leader is known right now")]
    NoLeader(String),
    /// The intent names a node the cluster does not have.
    #[error("{intent}: no node named {node}; the nodes are {nodes}")]
    UnknownNode {
        /// The intent as written.
        intent: String,
        /// The name given.
        node: String,
        /// The cluster's nodes.
        nodes: String,
    },
    /// Every candidate is already killed or paused.
    #[error("{0}: no running node left to choose from")]
    NoCandidate(String),
    /// `heal` is not a fault; the harness undoes the active faults.
    #[error("heal is not a fault to resolve")]
    Heal,
    /// An effect names a node the placement does not know.
    #[error(transparent)]
    Unplaced(#[from] Unplaced),
}

/// Resolves `intent` against `state`; random choices come from `rng`.
pub fn resolve(intent: &Intent, state: &ClusterState, rng: &mut impl Rng) -> Result<Fault, ResolveError> {
    let name = intent.to_string();
    let effects = match intent {
        Intent::Heal | Intent::HealOf(_) => return Err(ResolveError::Heal),
        Intent::Partition(shape) => partition(shape, state, rng, &name)?,
        Intent::Kill(who) => {
            let eligible: Vec<&String> = state.nodes.iter().filter(|n| !state.killed.contains(*n)).collect();
            choose(who, state, &eligible, rng, &name)?.into_iter().map(|node| Effect::Kill { node }).collect()
        }
        Intent::Pause(who) => {
            let eligible: Vec<&String> =
                state.nodes.iter().filter(|n| !state.killed.contains(*n) && !state.paused.contains(*n)).collect();
            choose(who, state, &eligible, rng, &name)?.into_iter().map(|node| Effect::Pause { node }).collect()
        }
        Intent::ClockBump(who, seconds) => {
            on_each(who, state, rng, &name, |node| Effect::ClockBump { node, seconds: *seconds })?
        }
        Intent::ClockStrobe(who, seconds) => {
            on_each(who, state, rng, &name, |node| Effect::ClockStrobe { node, seconds: *seconds })?
        }
        Intent::Loss(who, percent) => {
            into_the_others(who, state, rng, &name, |on, from| Effect::Loss { on, from, percent: *percent })?
        }
        Intent::Delay(who, ms, jitter_ms) => into_the_others(who, state, rng, &name, |on, from| Effect::Delay {
            on,
            from,
            ms: *ms,
            jitter_ms: *jitter_ms,
        })?,
        Intent::Bandwidth(who, rate) => {
            on_each(who, state, rng, &name, |node| Effect::Bandwidth { node, kbit: rate.kbit })?
        }
        Intent::Cpu(who, workers) => on_each(who, state, rng, &name, |node| Effect::Cpu { node, workers: *workers })?,
        Intent::Memory(who, mb) => on_each(who, state, rng, &name, |node| Effect::Memory { node, mb: *mb })?,
        Intent::Disk(who) => on_each(who, state, rng, &name, |node| Effect::Disk { node })?,
    };
    let actions = effects.into_iter().map(|e| Action::new(e, &state.placement)).collect::<Result<_, _>>()?;
    Ok(Fault { intent: name, actions })
}

/// One effect on each node WHO chooses among all nodes (faults of the node, not of its target's
/// process, so a killed or paused target does not exclude it).
fn on_each(
    who: &Who,
    state: &ClusterState,
    rng: &mut impl Rng,
    intent: &str,
    effect: impl Fn(String) -> Effect,
) -> Result<Vec<Effect>, ResolveError> {
    let all: Vec<&String> = state.nodes.iter().collect();
    Ok(choose(who, state, &all, rng, intent)?.into_iter().map(effect).collect())
}

/// One effect at every other node (`on`) for each node WHO chooses (`from`): what the chosen
/// nodes send is acted on as it comes into each of the others.
fn into_the_others(
    who: &Who,
    state: &ClusterState,
    rng: &mut impl Rng,
    intent: &str,
    effect: impl Fn(String, String) -> Effect,
) -> Result<Vec<Effect>, ResolveError> {
    let all: Vec<&String> = state.nodes.iter().collect();
    let senders = choose(who, state, &all, rng, intent)?;
    let pairs =
        senders.iter().flat_map(|from| state.nodes.iter().filter(move |on| *on != from).map(move |on| (on, from)));
    Ok(pairs.map(|(on, from)| effect(on.clone(), from.clone())).collect())
}

fn minority(n: usize) -> usize {
    (n.saturating_sub(1) / 2).max(1)
}

fn choose(
    who: &Who,
    state: &ClusterState,
    eligible: &[&String],
    rng: &mut impl Rng,
    intent: &str,
) -> Result<Vec<String>, ResolveError> {
    let n = state.nodes.len();
    let count = match who {
        Who::One => 1,
        Who::Minority => minority(n),
        Who::Majority => n / 2 + 1,
        Who::All => n,
        Who::Leader => {
            let leader = state.leader.clone().ok_or_else(|| ResolveError::NoLeader(intent.to_string()))?;
            return if eligible.contains(&&leader) {
                Ok(vec![leader])
            } else {
                Err(ResolveError::NoCandidate(intent.to_string()))
            };
        }
        Who::Node(_) | Who::Nodes(_) => {
            let named = who.named();
            known(state, &named, intent)?;
            let chosen: Vec<String> =
                named.into_iter().filter(|n| eligible.iter().any(|e| e == n)).map(str::to_string).collect();
            return if chosen.is_empty() { Err(ResolveError::NoCandidate(intent.to_string())) } else { Ok(chosen) };
        }
    };
    if eligible.is_empty() {
        return Err(ResolveError::NoCandidate(intent.to_string()));
    }
    let mut chosen: Vec<String> =
        eligible.choose_multiple(rng, count.min(eligible.len())).map(|n| (*n).clone()).collect();
    chosen.sort();
    Ok(chosen)
}

/// Refuses a node name the cluster does not have.
fn known(state: &ClusterState, named: &[&str], intent: &str) -> Result<(), ResolveError> {
    match named.iter().find(|n| !state.nodes.iter().any(|m| m == *n)) {
        Some(node) => Err(ResolveError::UnknownNode {
            intent: intent.to_string(),
            node: node.to_string(),
            nodes: state.nodes.join(", "),
        }),
        None => Ok(()),
    }
}

/// The drops of named cuts, each pair once, in order.
fn named_cuts(cuts: &[Cut]) -> Vec<Effect> {
    let mut out: Vec<Effect> = Vec::new();
    for cut in cuts {
        for x in &cut.from {
            for y in cut.to.iter().filter(|y| *y != x) {
                let mut drops = vec![Effect::Drop { on: y.clone(), from: x.clone() }];
                if cut.both {
                    drops.push(Effect::Drop { on: x.clone(), from: y.clone() });
                }
                for drop in drops {
                    if !out.contains(&drop) {
                        out.push(drop);
                    }
                }
            }
        }
    }
    out
}

/// Both directions of every pair across the two sides.
fn cut(a: &[String], b: &[String]) -> Vec<Effect> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            out.push(Effect::Drop { on: x.clone(), from: y.clone() });
            out.push(Effect::Drop { on: y.clone(), from: x.clone() });
        }
    }
    out
}

fn partition(
    shape: &PartitionShape,
    state: &ClusterState,
    rng: &mut impl Rng,
    intent: &str,
) -> Result<Vec<Effect>, ResolveError> {
    let mut shuffled = state.nodes.clone();
    shuffled.shuffle(rng);
    let n = shuffled.len();
    Ok(match shape {
        PartitionShape::RandomHalves => {
            let (a, b) = shuffled.split_at(n / 2);
            cut(a, b)
        }
        PartitionShape::Isolate(who) => {
            let all: Vec<&String> = state.nodes.iter().collect();
            let isolated = choose(who, state, &all, rng, intent)?;
            let rest: Vec<String> = state.nodes.iter().filter(|n| !isolated.contains(n)).cloned().collect();
            cut(&isolated, &rest)
        }
        PartitionShape::MajoritiesRing => {
            let reach = (n / 2).div_ceil(2);
            let mut out = Vec::new();
            for (i, on) in shuffled.iter().enumerate() {
                for (j, from) in shuffled.iter().enumerate() {
                    let d = i.abs_diff(j);
                    if d.min(n - d) > reach {
                        out.push(Effect::Drop { on: on.clone(), from: from.clone() });
                    }
                }
            }
            out
        }
        PartitionShape::Bridge => {
            let half = n.saturating_sub(1) / 2;
            let (a, rest) = shuffled.split_at(half);
            cut(a, &rest[1.min(rest.len())..])
        }
        PartitionShape::OneWay => {
            let on = shuffled[0].clone();
            shuffled[1..].iter().map(|from| Effect::Drop { on: on.clone(), from: from.clone() }).collect()
        }
        PartitionShape::Cuts(cuts) => {
            let named: Vec<&str> = cuts
                .iter()
                .flat_map(|c| c.from.iter().chain(&c.to))
                .map(String::as_str)
                .filter(|n| *n != CLIENTS)
                .collect();
            known(state, &named, intent)?;
            named_cuts(cuts)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Command, Daemon};

    fn state() -> ClusterState {
        let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
        let daemon = |n: &String| Daemon {
            user: None,
            argv: vec!["etcd".into()],
            env: Vec::new(),
            log: format!("/d/{n}.log").into(),
            pidfile: format!("/d/{n}.pid").into(),
        };
        let placement = Placement {
            run_id: "r1".into(),
            addrs: nodes.iter().enumerate().map(|(i, n)| (n.clone(), format!("198.18.0.{}", 11 + i))).collect(),
            daemons: nodes.iter().map(|n| (n.clone(), daemon(n))).collect(),
            agent: Some("/d/faultline".into()),
            data_dirs: nodes.iter().map(|n| (n.clone(), format!("/d/{n}").into())).collect(),
        };
        ClusterState { nodes, leader: Some("n2".into()), placement, ..ClusterState::default() }
    }

    fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }

    fn sees(actions: &[Action], on: &str, from: &str) -> bool {
        !actions.iter().any(|a| a.effect == Effect::Drop { on: on.into(), from: from.into() })
    }

    fn effects(fault: &Fault) -> Vec<Effect> {
        fault.actions.iter().map(|a| a.effect.clone()).collect()
    }

    #[test]
    fn isolate_leader_cuts_it_off_both_ways() {
        let fault = resolve(&"isolate leader".parse().unwrap(), &state(), &mut rng(1)).unwrap();
        assert_eq!(fault.actions.len(), 8);
        assert!(!sees(&fault.actions, "n2", "n1") && !sees(&fault.actions, "n1", "n2"));
        assert!(sees(&fault.actions, "n1", "n3"));
    }

    #[test]
    fn ring_gives_every_node_a_different_majority() {
        let fault = resolve(&"partition ring".parse().unwrap(), &state(), &mut rng(7)).unwrap();
        let mut views = BTreeSet::new();
        let s = state();
        for on in &s.nodes {
            let seen: BTreeSet<&String> = s.nodes.iter().filter(|f| sees(&fault.actions, on, f)).collect();
            assert_eq!(seen.len(), 3, "{on} sees {seen:?}");
            views.insert(seen);
        }
        assert_eq!(views.len(), 5);
    }

    #[test]
    fn bridge_node_sees_everyone_and_halves_do_not_meet() {
        let fault = resolve(&"partition bridge".parse().unwrap(), &state(), &mut rng(3)).unwrap();
        let touched: BTreeSet<&str> = fault.actions.iter().map(|a| a.node()).collect();
        assert_eq!(touched.len(), 4);
        assert_eq!(fault.actions.len(), 8);
    }

    #[test]
    fn one_way_only_blocks_inbound_on_one_node() {
        let fault = resolve(&"partition one-way".parse().unwrap(), &state(), &mut rng(3)).unwrap();
        let on: BTreeSet<&str> = fault.actions.iter().map(|a| a.node()).collect();
        assert_eq!(on.len(), 1);
        assert_eq!(fault.actions.len(), 4);
    }

    #[test]
    fn kills_skip_dead_nodes_and_need_a_leader_when_asked() {
        let mut s = state();
        s.killed = ["n1", "n3", "n4", "n5"].iter().map(|n| n.to_string()).collect();
        let fault = resolve(&"kill minority".parse().unwrap(), &s, &mut rng(3)).unwrap();
        assert_eq!(effects(&fault), vec![Effect::Kill { node: "n2".into() }]);
        s.leader = None;
        assert!(matches!(resolve(&"kill leader".parse().unwrap(), &s, &mut rng(3)), Err(ResolveError::NoLeader(_))));
        assert!(matches!(
            resolve(&"pause n9".parse().unwrap(), &s, &mut rng(3)),
            Err(ResolveError::UnknownNode { .. })
        ));
    }

    #[test]
    fn named_cuts_drop_one_way_or_both_and_named_nodes_are_chosen_as_named() {
        let fault = resolve(&"partition n1 n2 -> n4 n5".parse().unwrap(), &state(), &mut rng(3)).unwrap();
        assert_eq!(fault.actions.len(), 4);
        assert!(!sees(&fault.actions, "n4", "n1") && sees(&fault.actions, "n1", "n4"));
        assert!(!sees(&fault.actions, "n5", "n2") && sees(&fault.actions, "n1", "n2"));
        let fault = resolve(&"partition n1 <-> n1 n3; n3 -> n1".parse().unwrap(), &state(), &mut rng(3)).unwrap();
        assert_eq!(
            effects(&fault),
            [("n3", "n1"), ("n1", "n3")].map(|(on, from)| Effect::Drop { on: on.into(), from: from.into() })
        );
        let err = resolve(&"partition n1 -> n9".parse().unwrap(), &state(), &mut rng(3)).unwrap_err();
        assert!(matches!(err, ResolveError::UnknownNode { ref node, .. } if node == "n9"), "{err}");
        let mut s = state();
        s.killed.insert("n2".into());
        let fault = resolve(&"kill n1 n2 n3".parse().unwrap(), &s, &mut rng(3)).unwrap();
        assert_eq!(effects(&fault), [Effect::Kill { node: "n1".into() }, Effect::Kill { node: "n3".into() }]);
        let fault = resolve(&"isolate n1 n2".parse().unwrap(), &s, &mut rng(3)).unwrap();
        assert_eq!(fault.actions.len(), 12);
        assert!(matches!(resolve(&"heal kill n1".parse().unwrap(), &s, &mut rng(3)), Err(ResolveError::Heal)));
    }

    #[test]
    fn loss_takes_what_the_chosen_node_sends_to_every_other_and_node_faults_ignore_the_target_state() {
        let fault = resolve(&"loss n2 30%".parse().unwrap(), &state(), &mut rng(3)).unwrap();
        let ons: Vec<Effect> =
            ["n1", "n3", "n4", "n5"].map(|on| Effect::Loss { on: on.into(), from: "n2".into(), percent: 30 }).into();
        assert_eq!(effects(&fault), ons);
        let mut s = state();
        s.killed.insert("n1".into());
        let fault = resolve(&"cpu n1 2".parse().unwrap(), &s, &mut rng(3)).unwrap();
        assert_eq!(effects(&fault), [Effect::Cpu { node: "n1".into(), workers: 2 }]);
        let fault = resolve(&"bandwidth majority 1mbit".parse().unwrap(), &s, &mut rng(3)).unwrap();
        assert_eq!(fault.actions.len(), 3);
        let fault = resolve(&"memory leader 1G".parse().unwrap(), &s, &mut rng(3)).unwrap();
        assert_eq!(effects(&fault), [Effect::Memory { node: "n2".into(), mb: 1024 }]);
        let fault = resolve(&"disk n3".parse().unwrap(), &s, &mut rng(3)).unwrap();
        assert_eq!(effects(&fault), [Effect::Disk { node: "n3".into() }]);
    }

    #[test]
    fn clients_are_cut_off_on_the_nodes_side_by_their_address() {
        let mut s = state();
        let err = resolve(&"partition clients -> n1".parse().unwrap(), &s, &mut rng(3)).unwrap_err();
        assert!(matches!(err, ResolveError::Unplaced(ref u) if u.node == CLIENTS), "{err}");
        s.placement.addrs.insert(CLIENTS.into(), "198.18.0.1".into());
        let fault = resolve(&"partition clients -> n1 n2".parse().unwrap(), &s, &mut rng(3)).unwrap();
        let drops = ["n1", "n2"].map(|on| Effect::Drop { on: on.into(), from: CLIENTS.into() });
        assert_eq!(effects(&fault), drops);
        let Command::Exec { argv } =
            &resolve(&"partition clients -> n1".parse().unwrap(), &s, &mut rng(3)).unwrap().actions[0].apply
        else {
            panic!()
        };
        assert!(argv.join(" ").contains("-s 198.18.0.1 "), "{argv:?}");
    }

    #[test]
    fn majority_and_minority_sizes() {
        let f = resolve(&"pause majority".parse().unwrap(), &state(), &mut rng(3)).unwrap();
        assert_eq!(f.actions.len(), 3);
        let f = resolve(&"pause minority".parse().unwrap(), &state(), &mut rng(3)).unwrap();
        assert_eq!(f.actions.len(), 2);
    }
}
