//! Actions: exactly what a resolved fault does to which node, as commands, each with the
//! command that undoes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::command::{Command, Daemon, Signal};
use crate::intent::{Cut, Intent, PartitionShape, Rate, Who};
use crate::{delay, iptables, resource};

/// What one step of a fault does, in the words the history records (`"did"` of a nemesis op).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum Effect {
    /// Node `on` drops every packet it receives from node `from`.
    Drop {
        /// The receiving node, whose firewall holds the rule.
        on: String,
        /// The sender whose packets are dropped.
        from: String,
    },
    /// The target's process on `node` is SIGKILLed.
    Kill {
        /// The node whose target dies.
        node: String,
    },
    /// The target's process on `node` is SIGSTOPped.
    Pause {
        /// The node whose target freezes.
        node: String,
    },
    /// The target's wall clock on `node` is `seconds` off.
    ClockBump {
        /// The node whose clock moves.
        node: String,
        /// By how much.
        seconds: i64,
    },
    /// The target's wall clock on `node` flips between true and `seconds` off every 100 ms.
    ClockStrobe {
        /// The node whose clock flips.
        node: String,
        /// How far it flips.
        seconds: i64,
    },
    /// Node `on` drops `percent`% of the packets it receives from node `from`, at random.
    Loss {
        /// The receiving node, whose firewall holds the rule.
        on: String,
        /// The sender whose packets are lost.
        from: String,
        /// How many of them, in percent.
        percent: u8,
    },
    /// Node `on` holds what node `from` sends for `ms` ± `jitter_ms` milliseconds.
    Delay {
        /// The receiving node, where the agent holds the packets.
        on: String,
        /// The sender whose packets are held.
        from: String,
        /// How long, ms.
        ms: u32,
        /// Give or take, ms.
        jitter_ms: u32,
    },
    /// What `node` sends is limited to `kbit` kilobits per second.
    Bandwidth {
        /// The node whose sending is limited.
        node: String,
        /// The limit, kbit/s.
        kbit: u32,
    },
    /// `workers` busy-looping processes run on `node`.
    Cpu {
        /// The node under CPU pressure.
        node: String,
        /// How many processes.
        workers: u8,
    },
    /// `mb` MiB of `node`'s memory are held.
    Memory {
        /// The node under memory pressure.
        node: String,
        /// How much, MiB.
        mb: u32,
    },
    /// The filesystem holding the target's data on `node` is full.
    Disk {
        /// The node whose data disk is filled.
        node: String,
    },
}

impl Effect {
    /// The node this effect is done on.
    pub fn node(&self) -> &str {
        match self {
            Effect::Drop { on, .. } | Effect::Loss { on, .. } | Effect::Delay { on, .. } => on,
            Effect::Kill { node }
            | Effect::Pause { node }
            | Effect::ClockBump { node, .. }
            | Effect::ClockStrobe { node, .. }
            | Effect::Bandwidth { node, .. }
            | Effect::Cpu { node, .. }
            | Effect::Memory { node, .. }
            | Effect::Disk { node } => node,
        }
    }

    /// Whether the target's process on the node is down (killed) while the effect lasts.
    pub fn stops_the_target(&self) -> bool {
        matches!(self, Effect::Kill { .. })
    }

    /// Whether the target's process on the node may end while the effect lasts: killed, or
    /// stopped by a write to a full disk (its heal starts it again).
    pub fn may_stop_the_target(&self) -> bool {
        matches!(self, Effect::Kill { .. } | Effect::Disk { .. })
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Drop { on, from } => write!(f, "{on} drops {from}"),
            Effect::Kill { node } => write!(f, "kill {node}"),
            Effect::Pause { node } => write!(f, "pause {node}"),
            Effect::ClockBump { node, seconds } => write!(f, "{node}'s clock {seconds:+} s"),
            Effect::ClockStrobe { node, seconds } => write!(f, "{node}'s clock strobes 0/{seconds:+} s"),
            Effect::Loss { on, from, percent } => write!(f, "{on} loses {percent}% from {from}"),
            Effect::Delay { on, from, ms, jitter_ms: 0 } => write!(f, "{on} holds {from}'s packets {ms} ms"),
            Effect::Delay { on, from, ms, jitter_ms } => write!(f, "{on} holds {from}'s packets {ms}±{jitter_ms} ms"),
            Effect::Bandwidth { node, kbit } => write!(f, "{node} sends at most {}", Rate { kbit: *kbit }),
            Effect::Cpu { node, workers } => write!(f, "{node} runs {workers} busy processes"),
            Effect::Memory { node, mb } => write!(f, "{node} holds {mb} MiB"),
            Effect::Disk { node } => write!(f, "{node}'s data disk is full"),
        }
    }
}

/// The intent that names exactly `effects` (the effects of one fault, as the history records
/// them): `partition n1 n2 -> n3; ...`, `kill n1 n2`, `pause n3`, `loss n2 30%`. `None` for no
/// effects, a mix of kinds, or one kind with different parameters. A fault replayed through it
/// does the same to the same nodes, whatever the rng or the leader then.
pub fn intent_of(effects: &[Effect]) -> Option<Intent> {
    if let Some(Effect::Drop { .. }) = effects.first() {
        let mut cuts: Vec<Cut> = Vec::new();
        for effect in effects {
            let Effect::Drop { on, from } = effect else { return None };
            match cuts.iter_mut().find(|c| c.to == [on.clone()]) {
                Some(cut) => cut.from.push(from.clone()),
                None => cuts.push(Cut { from: vec![from.clone()], to: vec![on.clone()], both: false }),
            }
        }
        return Some(Intent::Partition(PartitionShape::Cuts(cuts)));
    }
    let mut nodes: Vec<String> = Vec::new();
    for effect in effects {
        let node = subject(effect);
        if !nodes.iter().any(|n| n == node) {
            nodes.push(node.to_string());
        }
    }
    let who = if nodes.len() == 1 { Who::Node(nodes.pop()?) } else { Who::Nodes(nodes) };
    let intent = alone(effects.first()?)?.with_who(who);
    // The same kind and parameters on every node.
    let kind = |intent: Intent| intent.with_who(Who::All);
    effects.iter().all(|e| alone(e).map(kind) == Some(kind(intent.clone()))).then_some(intent)
}

/// The node an effect is about: the one a loss takes packets from, else the one it is done on.
fn subject(effect: &Effect) -> &str {
    match effect {
        Effect::Loss { from, .. } | Effect::Delay { from, .. } => from,
        other => other.node(),
    }
}

/// The intent of one node's effect alone (`None` for a drop, which is one side of a cut).
fn alone(effect: &Effect) -> Option<Intent> {
    let node = Who::Node(subject(effect).to_string());
    Some(match effect {
        Effect::Drop { .. } => return None,
        Effect::Kill { .. } => Intent::Kill(node),
        Effect::Pause { .. } => Intent::Pause(node),
        Effect::ClockBump { seconds, .. } => Intent::ClockBump(node, *seconds),
        Effect::ClockStrobe { seconds, .. } => Intent::ClockStrobe(node, *seconds),
        Effect::Loss { percent, .. } => Intent::Loss(node, *percent),
        Effect::Delay { ms, jitter_ms, .. } => Intent::Delay(node, *ms, *jitter_ms),
        Effect::Bandwidth { kbit, .. } => Intent::Bandwidth(node, Rate { kbit: *kbit }),
        Effect::Cpu { workers, .. } => Intent::Cpu(node, *workers),
        Effect::Memory { mb, .. } => Intent::Memory(node, *mb),
        Effect::Disk { .. } => Intent::Disk(node),
    })
}

/// Where each node is and what runs there: what turns an effect into commands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// The run's id, which tags every firewall rule.
    pub run_id: String,
    /// Each node's address.
    pub addrs: BTreeMap<String, String>,
    /// The target's daemon on each node.
    pub daemons: BTreeMap<String, Daemon>,
    /// Where faultline's own executable is on the nodes (it runs the delay agent), when it was
    /// put there.
    pub agent: Option<std::path::PathBuf>,
    /// The folder of the target's data on each node (a disk fault fills its filesystem).
    pub data_dirs: BTreeMap<String, std::path::PathBuf>,
}

/// An effect that cannot be turned into commands: the placement lacks the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{effect:?}: the cluster has no {what} for node {node}")]
pub struct Unplaced {
    /// The effect that could not be placed.
    pub effect: Effect,
    /// The node the placement lacks.
    pub node: String,
    /// What is missing: `address`, `daemon`, `faultline agent` or `data folder`.
    pub what: &'static str,
}

/// One concrete step of a fault: the effect, the command that does it and the command that
/// undoes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Action {
    /// What it does, for the history and for people.
    pub effect: Effect,
    /// The command that does it, on `effect.node()`.
    pub apply: Command,
    /// The command that undoes it, on the same node.
    pub undo: Command,
}

impl Action {
    /// The commands of `effect` on the nodes of `placement`.
    pub fn new(effect: Effect, placement: &Placement) -> Result<Action, Unplaced> {
        let missing = |node: &str, what| Unplaced { effect: effect.clone(), node: node.to_string(), what };
        let daemon = |node: &str| placement.daemons.get(node).ok_or_else(|| missing(node, "daemon"));
        let addr = |node: &str| placement.addrs.get(node).ok_or_else(|| missing(node, "address"));
        let (apply, undo) = match &effect {
            Effect::Drop { from, .. } => {
                let addr = addr(from)?;
                let rule = |add| Command::Exec { argv: iptables::drop_from(addr, &placement.run_id, add) };
                (rule(true), rule(false))
            }
            Effect::Loss { from, percent, .. } => {
                let addr = addr(from)?;
                let rule = |add| Command::Exec { argv: iptables::lose_from(addr, *percent, &placement.run_id, add) };
                (rule(true), rule(false))
            }
            Effect::Delay { on, from, ms, jitter_ms } => {
                let exe = placement.agent.as_deref().ok_or_else(|| missing(on, "faultline agent"))?;
                let agent = delay::agent(exe, daemon(on)?, from, addr(from)?, &placement.run_id, *ms, *jitter_ms);
                (Command::Start { daemon: agent.clone() }, Command::Stop { daemon: agent.reference(), grace_ms: 2000 })
            }
            Effect::Bandwidth { node, kbit } => {
                let addr = addr(node)?;
                (resource::limit(addr, Rate { kbit: *kbit }), resource::unlimit(addr))
            }
            Effect::Cpu { node, workers } => {
                let daemon = daemon(node)?;
                (
                    Command::Start { daemon: resource::cpu_agent(daemon, *workers) },
                    Command::Stop { daemon: resource::cpu_agent_ref(daemon), grace_ms: 1000 },
                )
            }
            Effect::Memory { node, mb } => {
                let file = resource::memory_file(daemon(node)?);
                (resource::hold_memory(&file, *mb), resource::free_memory(&file))
            }
            Effect::Disk { node } => {
                let dir = placement.data_dirs.get(node).ok_or_else(|| missing(node, "data folder"))?;
                (resource::fill_disk(dir), resource::free_disk(dir))
            }
            Effect::Kill { node } => {
                let daemon = daemon(node)?;
                (
                    Command::Signal { daemon: daemon.reference(), signal: Signal::Sigkill },
                    Command::Start { daemon: daemon.clone() },
                )
            }
            Effect::Pause { node } => {
                let daemon = daemon(node)?.reference();
                (
                    Command::Signal { daemon: daemon.clone(), signal: Signal::Sigstop },
                    Command::Signal { daemon, signal: Signal::Sigcont },
                )
            }
            Effect::ClockBump { node, seconds } => {
                let file = clock::offset_file(daemon(node)?);
                (clock::set_offset(&file, *seconds), clock::set_offset(&file, 0))
            }
            Effect::ClockStrobe { node, seconds } => {
                let file = clock::offset_file(daemon(node)?);
                (
                    Command::Start { daemon: clock::strobe_agent(&file, *seconds) },
                    Command::Stop { daemon: clock::strobe_ref(&file), grace_ms: 1000 },
                )
            }
        };
        Ok(Action { effect, apply, undo })
    }

    /// The node this action runs on.
    pub fn node(&self) -> &str {
        self.effect.node()
    }
}

/// A resolved fault: the intent it came from and the actions that realise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The intent as written, e.g. `isolate leader`.
    pub intent: String,
    /// What will be done, in order; healing undoes them in reverse.
    pub actions: Vec<Action>,
}

impl Fault {
    /// A short human description: `isolate leader: n1 drops n2, n3; kill n4`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut drops: Vec<(String, Vec<String>)> = Vec::new();
        for action in &self.actions {
            match &action.effect {
                Effect::Drop { on, from } => match drops.iter_mut().find(|(o, _)| o == on) {
                    Some((_, froms)) => froms.push(from.clone()),
                    None => drops.push((on.clone(), vec![from.clone()])),
                },
                effect => parts.push(effect.to_string()),
            }
        }
        for (on, froms) in drops {
            parts.push(format!("{on} drops {}", froms.join(",")));
        }
        format!("{}: {}", self.intent, parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::DaemonRef;

    fn placement() -> Placement {
        let daemon = |n: &str| Daemon {
            user: None,
            argv: vec!["etcd".into()],
            env: Vec::new(),
            log: format!("/d/{n}.log").into(),
            pidfile: format!("/d/{n}.pid").into(),
        };
        Placement {
            run_id: "r1".into(),
            addrs: [("n1", "198.18.0.11"), ("n2", "198.18.0.12")].map(|(n, a)| (n.into(), a.into())).into(),
            daemons: ["n1", "n2"].map(|n| (n.to_string(), daemon(n))).into(),
            agent: Some("/d/faultline".into()),
            data_dirs: ["n1", "n2"].map(|n| (n.to_string(), format!("/d/{n}").into())).into(),
        }
    }

    #[test]
    fn recorded_effects_become_the_intent_that_names_them() {
        let drop = |on: &str, from: &str| Effect::Drop { on: on.into(), from: from.into() };
        let isolate = [drop("n3", "n1"), drop("n3", "n2"), drop("n1", "n3"), drop("n2", "n3")];
        let intent = intent_of(&isolate).unwrap();
        assert_eq!(intent.to_string(), "partition n1 n2 -> n3; n3 -> n1; n3 -> n2");
        let state = crate::resolve::ClusterState {
            nodes: ["n1", "n2", "n3"].map(String::from).into(),
            placement: placement(),
            ..Default::default()
        };
        let mut rng = crate::resolve::resolve_rng(1);
        let mut placement3 = state.placement.clone();
        placement3.addrs.insert("n3".into(), "198.18.0.13".into());
        let state = crate::resolve::ClusterState { placement: placement3, ..state };
        let again: Vec<Effect> =
            crate::resolve::resolve(&intent, &state, &mut rng).unwrap().actions.into_iter().map(|a| a.effect).collect();
        assert_eq!(again, [drop("n3", "n1"), drop("n3", "n2"), drop("n1", "n3"), drop("n2", "n3")]);
        let kill = [Effect::Kill { node: "n1".into() }, Effect::Kill { node: "n2".into() }];
        assert_eq!(intent_of(&kill).unwrap().to_string(), "kill n1 n2");
        assert_eq!(intent_of(&[Effect::Pause { node: "n2".into() }]).unwrap().to_string(), "pause n2");
        assert_eq!(intent_of(&[]), None);
        assert_eq!(intent_of(&[kill[0].clone(), drop("n1", "n2")]), None);
        let bump = |node: &str, seconds| Effect::ClockBump { node: node.into(), seconds };
        assert_eq!(intent_of(&[bump("n1", 30), bump("n3", 30)]).unwrap().to_string(), "clock bump n1 n3 +30");
        assert_eq!(intent_of(&[bump("n1", 30), bump("n3", -30)]), None, "one intent moves its nodes alike");
        let strobe = Effect::ClockStrobe { node: "n2".into(), seconds: 20 };
        assert_eq!(intent_of(&[strobe]).unwrap().to_string(), "clock strobe n2 +20");
        let loss = |on: &str, from: &str, percent| Effect::Loss { on: on.into(), from: from.into(), percent };
        assert_eq!(intent_of(&[loss("n2", "n1", 30), loss("n3", "n1", 30)]).unwrap().to_string(), "loss n1 30%");
        assert_eq!(intent_of(&[loss("n2", "n1", 30), loss("n3", "n1", 40)]), None);
        let held = |on: &str| Effect::Delay { on: on.into(), from: "n3".into(), ms: 50, jitter_ms: 10 };
        assert_eq!(intent_of(&[held("n1"), held("n2")]).unwrap().to_string(), "delay n3 50ms 10ms");
        let cpu = [Effect::Cpu { node: "n1".into(), workers: 2 }, Effect::Cpu { node: "n2".into(), workers: 2 }];
        assert_eq!(intent_of(&cpu).unwrap().to_string(), "cpu n1 n2 2");
        let limit = Effect::Bandwidth { node: "n3".into(), kbit: 512 };
        assert_eq!(intent_of(&[limit]).unwrap().to_string(), "bandwidth n3 512kbit");
        let memory = Effect::Memory { node: "n3".into(), mb: 2048 };
        assert_eq!(intent_of(std::slice::from_ref(&memory)).unwrap().to_string(), "memory n3 2G");
        assert_eq!(intent_of(&[memory, cpu[0].clone()]), None);
    }

    #[test]
    fn every_action_carries_the_command_that_undoes_it() {
        let p = placement();
        let drop = Action::new(Effect::Drop { on: "n1".into(), from: "n2".into() }, &p).unwrap();
        let (Command::Exec { argv: add }, Command::Exec { argv: del }) = (&drop.apply, &drop.undo) else {
            panic!("{drop:?}")
        };
        assert_eq!(
            add.join(" "),
            "iptables -w 5 -A FAULTLINE -s 198.18.0.12 -m comment --comment faultline:r1 -j DROP"
        );
        assert_eq!(del.join(" "), add.join(" ").replace(" -A ", " -D "));
        let n2 = DaemonRef { pidfile: "/d/n2.pid".into(), exe: "etcd".into() };
        let pause = Action::new(Effect::Pause { node: "n2".into() }, &p).unwrap();
        assert_eq!(pause.apply, Command::Signal { daemon: n2.clone(), signal: Signal::Sigstop });
        assert_eq!(pause.undo, Command::Signal { daemon: n2.clone(), signal: Signal::Sigcont });
        let kill = Action::new(Effect::Kill { node: "n2".into() }, &p).unwrap();
        assert_eq!(kill.apply, Command::Signal { daemon: n2, signal: Signal::Sigkill });
        assert_eq!(kill.undo, Command::Start { daemon: p.daemons["n2"].clone() });
        let bump = Action::new(Effect::ClockBump { node: "n1".into(), seconds: -30 }, &p).unwrap();
        assert_eq!(
            (bump.apply, bump.undo),
            (clock::set_offset("/d/n1.clock".as_ref(), -30), clock::set_offset("/d/n1.clock".as_ref(), 0))
        );
        let strobe = Action::new(Effect::ClockStrobe { node: "n2".into(), seconds: 20 }, &p).unwrap();
        let agent = clock::strobe_agent("/d/n2.clock".as_ref(), 20);
        assert_eq!(strobe.apply, Command::Start { daemon: agent.clone() });
        assert_eq!(strobe.undo, Command::Stop { daemon: agent.reference(), grace_ms: 1000 });
        let lose = Action::new(Effect::Loss { on: "n1".into(), from: "n2".into(), percent: 25 }, &p).unwrap();
        assert_eq!(lose.apply, Command::Exec { argv: iptables::lose_from("198.18.0.12", 25, "r1", true) });
        assert_eq!(lose.undo, Command::Exec { argv: iptables::lose_from("198.18.0.12", 25, "r1", false) });
        let held =
            Action::new(Effect::Delay { on: "n1".into(), from: "n2".into(), ms: 100, jitter_ms: 0 }, &p).unwrap();
        let agent = delay::agent("/d/faultline".as_ref(), &p.daemons["n1"], "n2", "198.18.0.12", "r1", 100, 0);
        assert_eq!(held.apply, Command::Start { daemon: agent.clone() });
        assert_eq!(held.undo, Command::Stop { daemon: agent.reference(), grace_ms: 2000 });
        let full = Action::new(Effect::Disk { node: "n1".into() }, &p).unwrap();
        assert_eq!(
            (full.apply, full.undo),
            (resource::fill_disk("/d/n1".as_ref()), resource::free_disk("/d/n1".as_ref()))
        );
        let unplaced = Placement { agent: None, ..p.clone() };
        let err = Action::new(held.effect.clone(), &unplaced).unwrap_err();
        assert_eq!((err.node.as_str(), err.what), ("n1", "faultline agent"));
        let limit = Action::new(Effect::Bandwidth { node: "n1".into(), kbit: 1000 }, &p).unwrap();
        let rate = Rate { kbit: 1000 };
        assert_eq!((limit.apply, limit.undo), (resource::limit("198.18.0.11", rate), resource::unlimit("198.18.0.11")));
        let cpu = Action::new(Effect::Cpu { node: "n2".into(), workers: 2 }, &p).unwrap();
        let agent = resource::cpu_agent(&p.daemons["n2"], 2);
        assert_eq!(cpu.apply, Command::Start { daemon: agent.clone() });
        assert_eq!(cpu.undo, Command::Stop { daemon: agent.reference(), grace_ms: 1000 });
        let memory = Action::new(Effect::Memory { node: "n2".into(), mb: 64 }, &p).unwrap();
        assert_eq!(memory.undo, resource::free_memory("/d/n2.memory".as_ref()));
        let err = Action::new(Effect::Kill { node: "n9".into() }, &p).unwrap_err();
        assert_eq!((err.node.as_str(), err.what), ("n9", "daemon"));
    }
}
