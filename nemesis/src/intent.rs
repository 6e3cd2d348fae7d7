//! Intents: what a fault should do, before it is known which nodes it touches.

use std::fmt;
use std::str::FromStr;

/// Which nodes a kill or pause hits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Who {
    /// One node chosen at random.
    One,
    /// A random minority (⌊(n-1)/2⌋ nodes, at least one).
    Minority,
    /// A random majority (⌊n/2⌋+1 nodes).
    Majority,
    /// Every node.
    All,
    /// The node the target reports as leader.
    Leader,
    /// This exact node.
    Node(String),
}

/// The shape of a network partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PartitionShape {
    /// Shuffle the nodes and cut them into two halves (the smaller one first).
    RandomHalves,
    /// Cut the chosen node(s) off from every other node.
    Isolate(Who),
    /// Each node sees a majority of the nodes, but no two majorities are the same (a ring).
    MajoritiesRing,
    /// Two halves joined by one node that sees both.
    Bridge,
    /// One random node stops receiving from the others but can still send to them.
    OneWay,
}

/// A fault to inject (or `Heal`, which undoes every active fault).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Intent {
    /// Drop traffic between nodes.
    Partition(PartitionShape),
    /// SIGKILL the target on the chosen nodes (undone by restarting it).
    Kill(Who),
    /// SIGSTOP the target on the chosen nodes (undone by SIGCONT).
    Pause(Who),
    /// Undo every active fault.
    Heal,
}

/// A fault family, as named by `--nemesis partition,kill,pause`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Network partitions of every shape.
    Partition,
    /// Kill and restart.
    Kill,
    /// Pause and resume.
    Pause,
}

/// An intent or family string that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

/// Faults this machine cannot produce: refused, never faked.
const UNAVAILABLE: [&str; 5] = ["clock", "netem", "delay", "loss", "reorder"];

fn unavailable(name: &str) -> ParseError {
    ParseError(format!(
        "nemesis {name:?} is not available: this machine has no netem qdisc and etcd (a Go binary) ignores \
         libfaketime; use partition, kill or pause"
    ))
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 3] = [Family::Partition, Family::Kill, Family::Pause];

    /// Its name, as `--nemesis` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Partition => "partition",
            Family::Kill => "kill",
            Family::Pause => "pause",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Family {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Family, ParseError> {
        match s.trim() {
            "partition" => Ok(Family::Partition),
            "kill" => Ok(Family::Kill),
            "pause" => Ok(Family::Pause),
            other if UNAVAILABLE.contains(&other) => Err(unavailable(other)),
            other => Err(ParseError(format!("unknown nemesis {other:?}; use partition, kill or pause"))),
        }
    }
}

impl Intent {
    /// The node this intent names by name (`isolate n3`, `kill n2`), if it names one.
    pub fn named_node(&self) -> Option<&str> {
        match self {
            Intent::Partition(PartitionShape::Isolate(Who::Node(n)))
            | Intent::Kill(Who::Node(n))
            | Intent::Pause(Who::Node(n)) => Some(n),
            _ => None,
        }
    }
}

impl FromStr for Who {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Who, ParseError> {
        Ok(match s {
            "one" => Who::One,
            "minority" => Who::Minority,
            "majority" => Who::Majority,
            "all" => Who::All,
            "leader" => Who::Leader,
            name if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                Who::Node(name.to_string())
            }
            other => {
                return Err(ParseError(format!(
                    "{other:?} names no nodes; use one, minority, majority, all, leader or a node name such as n3"
                )))
            }
        })
    }
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::One => f.write_str("one"),
            Who::Minority => f.write_str("minority"),
            Who::Majority => f.write_str("majority"),
            Who::All => f.write_str("all"),
            Who::Leader => f.write_str("leader"),
            Who::Node(n) => f.write_str(n),
        }
    }
}

/// Parses the intent grammar of scripted schedules:
/// `partition halves|ring|bridge|one-way`, `isolate WHO`, `kill WHO`, `pause WHO`, `heal`,
/// where WHO is `one|minority|majority|all|leader|<node>`.
impl FromStr for Intent {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Intent, ParseError> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let intent = match words.as_slice() {
            ["heal"] => Intent::Heal,
            ["partition", "halves"] => Intent::Partition(PartitionShape::RandomHalves),
            ["partition", "ring"] => Intent::Partition(PartitionShape::MajoritiesRing),
            ["partition", "bridge"] => Intent::Partition(PartitionShape::Bridge),
            ["partition", "one-way"] => Intent::Partition(PartitionShape::OneWay),
            ["isolate", who] => Intent::Partition(PartitionShape::Isolate(who.parse()?)),
            ["kill", who] => Intent::Kill(who.parse()?),
            ["pause", who] => Intent::Pause(who.parse()?),
            [first, ..] if UNAVAILABLE.contains(first) => return Err(unavailable(first)),
            _ => {
                return Err(ParseError(format!(
                    "{s:?} is not an intent; write one of: partition halves|ring|bridge|one-way, isolate WHO, \
                     kill WHO, pause WHO, heal (WHO = one|minority|majority|all|leader|n3)"
                )))
            }
        };
        Ok(intent)
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Intent::Heal => f.write_str("heal"),
            Intent::Partition(PartitionShape::RandomHalves) => f.write_str("partition halves"),
            Intent::Partition(PartitionShape::MajoritiesRing) => f.write_str("partition ring"),
            Intent::Partition(PartitionShape::Bridge) => f.write_str("partition bridge"),
            Intent::Partition(PartitionShape::OneWay) => f.write_str("partition one-way"),
            Intent::Partition(PartitionShape::Isolate(who)) => write!(f, "isolate {who}"),
            Intent::Kill(who) => write!(f, "kill {who}"),
            Intent::Pause(who) => write!(f, "pause {who}"),
        }
    }
}

impl Intent {
    /// Whether resolving it needs to know the leader.
    pub fn needs_leader(&self) -> bool {
        matches!(
            self,
            Intent::Kill(Who::Leader)
                | Intent::Pause(Who::Leader)
                | Intent::Partition(PartitionShape::Isolate(Who::Leader))
        )
    }

    /// The family of fault it is (`None` for `heal`).
    pub fn family(&self) -> Option<Family> {
        match self {
            Intent::Partition(_) => Some(Family::Partition),
            Intent::Kill(_) => Some(Family::Kill),
            Intent::Pause(_) => Some(Family::Pause),
            Intent::Heal => None,
        }
    }

    /// The op `f` under which the history records this intent.
    pub fn f(&self) -> &'static str {
        match self {
            Intent::Partition(_) => "partition",
            Intent::Kill(_) => "kill",
            Intent::Pause(_) => "pause",
            Intent::Heal => "heal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_round_trip_through_their_text() {
        for text in [
            "heal",
            "partition halves",
            "partition ring",
            "partition bridge",
            "partition one-way",
            "isolate leader",
            "isolate n3",
            "kill minority",
            "pause all",
            "kill one",
            "pause majority",
        ] {
            let intent: Intent = text.parse().unwrap();
            assert_eq!(intent.to_string(), text);
            assert_eq!(intent.needs_leader(), text.ends_with("leader"));
        }
    }

    #[test]
    fn unavailable_faults_are_refused_with_the_reason() {
        let err = "clock".parse::<Family>().unwrap_err().to_string();
        assert!(err.contains("libfaketime"), "{err}");
        assert!("isolate".parse::<Intent>().is_err());
        let err = "clock skew n1 -1h".parse::<Intent>().unwrap_err().to_string();
        assert!(err.contains("not available"), "{err}");
        assert!("kill n/3".parse::<Intent>().is_err());
    }
}
