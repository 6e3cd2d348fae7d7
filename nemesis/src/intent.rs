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
    /// These nodes (two or more, written `n1 n2`).
    Nodes(Vec<String>),
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
    /// Cuts between named nodes, each one-way (`n1 n2 -> n4 n5`: what n1 and n2 send to n4
    /// and n5 is dropped) or both ways (`n1 <-> n4`); several are joined by `;`.
    Cuts(Vec<Cut>),
}

/// The name that stands for the workload's clients (the controller) on the sending side of a
/// cut: `partition clients -> n1` drops what the clients send to n1, cutting them off from it.
pub const CLIENTS: &str = "clients";

/// One cut of [`PartitionShape::Cuts`]: traffic from `from` to `to` is dropped (and from `to`
/// to `from` too when `both`). A node on both sides keeps talking to itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cut {
    /// The senders whose packets are dropped.
    pub from: Vec<String>,
    /// The receivers that drop them.
    pub to: Vec<String>,
    /// Whether the other direction is dropped too.
    pub both: bool,
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
    /// Move the target's wall clock on the chosen nodes by this many seconds (undone by
    /// setting it true again); `clock bump WHO +30`.
    ClockBump(Who, i64),
    /// Flip the target's wall clock on the chosen nodes between true and this many seconds
    /// off, every 100 ms, until healed; `clock strobe WHO [+20]`.
    ClockStrobe(Who, i64),
    /// This percentage of the packets node(s) WHO send to the other nodes is lost (iptables
    /// `statistic` at each receiver); `loss WHO 30%`.
    Loss(Who, u8),
    /// What node(s) WHO send to the other nodes is held this many milliseconds, give or take
    /// up to the jitter (which reorders packets), by an agent on each receiver (NFQUEUE);
    /// `delay WHO 100ms [20ms]`.
    Delay(Who, u32, u32),
    /// Node(s) WHO send at most this rate (`tc tbf` on the interface holding their address);
    /// `bandwidth WHO 1mbit`.
    Bandwidth(Who, Rate),
    /// This many busy-looping processes on node(s) WHO; `cpu WHO [2]`.
    Cpu(Who, u8),
    /// This many MiB of memory held on node(s) WHO (a file on tmpfs); `memory WHO 512M`.
    Memory(Who, u32),
    /// The filesystem holding the target's data on node(s) WHO is filled (the target's own
    /// tmpfs there, bounded); `disk WHO`.
    Disk(Who),
    /// Undo every active fault.
    Heal,
    /// Undo the active faults injected by this intent (`heal kill n1`), leaving the others.
    HealOf(Box<Intent>),
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
    /// Wall-clock bumps and strobes (targets that read the clock through libc).
    Clock,
    /// Packet loss between nodes.
    Loss,
    /// Delay (and jitter) of what a node sends to the others.
    Delay,
    /// A bandwidth limit on what a node sends.
    Bandwidth,
    /// CPU pressure: busy processes on a node.
    Cpu,
    /// Memory pressure: memory held on a node.
    Memory,
    /// A full data disk: the filesystem of the target's data on a node filled.
    Disk,
}

/// A bandwidth as `tc` takes it: a whole number and a unit (`kbit`, `mbit`, `gbit`), at least
/// 8 kbit/s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Kilobits per second.
    pub kbit: u32,
}

impl FromStr for Rate {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Rate, ParseError> {
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let scale = match unit {
            "kbit" => Some(1),
            "mbit" => Some(1_000),
            "gbit" => Some(1_000_000),
            _ => None,
        };
        match (number.parse::<u32>().ok(), scale) {
            (Some(n), Some(scale)) if n.checked_mul(scale).is_some_and(|k| k >= 8) => Ok(Rate { kbit: n * scale }),
            _ => Err(ParseError(format!(
                "bandwidth {s:?}: write a whole number and kbit, mbit or gbit, at least 8kbit, such as 1mbit or 512kbit"
            ))),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kbit {
            k if k % 1_000_000 == 0 => write!(f, "{}gbit", k / 1_000_000),
            k if k % 1_000 == 0 => write!(f, "{}mbit", k / 1_000),
            k => write!(f, "{k}kbit"),
        }
    }
}

/// An intent or family string that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

/// Faults faultline cannot produce (they need netem, which this kernel lacks): refused, never
/// faked.
const UNAVAILABLE: [&str; 3] = ["netem", "duplicate", "corrupt"];

fn unavailable(name: &str) -> ParseError {
    ParseError(format!(
        "nemesis {name:?} is not available: it needs the netem qdisc, which this kernel lacks; use {}",
        FAMILIES
    ))
}

/// The families, as an error message lists them.
const FAMILIES: &str = "partition, kill, pause, clock, loss, delay, bandwidth, cpu, memory or disk";

impl Family {
    /// Every family.
    pub const ALL: [Family; 10] = [
        Family::Partition,
        Family::Kill,
        Family::Pause,
        Family::Clock,
        Family::Loss,
        Family::Delay,
        Family::Bandwidth,
        Family::Cpu,
        Family::Memory,
        Family::Disk,
    ];

    /// The families that act on a node rather than on the target's process: any target on any
    /// node can undergo them.
    pub const NODE: [Family; 5] = [Family::Loss, Family::Delay, Family::Bandwidth, Family::Cpu, Family::Memory];

    /// Its name, as `--nemesis` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Partition => "partition",
            Family::Kill => "kill",
            Family::Pause => "pause",
            Family::Clock => "clock",
            Family::Loss => "loss",
            Family::Delay => "delay",
            Family::Bandwidth => "bandwidth",
            Family::Cpu => "cpu",
            Family::Memory => "memory",
            Family::Disk => "disk",
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
        match Family::ALL.into_iter().find(|f| f.name() == s.trim()) {
            Some(family) => Ok(family),
            None if UNAVAILABLE.contains(&s.trim()) => Err(unavailable(s.trim())),
            None => Err(ParseError(format!("unknown nemesis {:?}; use {FAMILIES}", s.trim()))),
        }
    }
}

impl Intent {
    /// The nodes this intent names by name (`isolate n3`, `kill n1 n2`, `partition n1 -> n4`).
    pub fn named_nodes(&self) -> Vec<&str> {
        match self {
            Intent::Partition(PartitionShape::Isolate(who))
            | Intent::Kill(who)
            | Intent::Pause(who)
            | Intent::ClockBump(who, _)
            | Intent::ClockStrobe(who, _)
            | Intent::Loss(who, _)
            | Intent::Delay(who, ..)
            | Intent::Bandwidth(who, _)
            | Intent::Cpu(who, _)
            | Intent::Memory(who, _)
            | Intent::Disk(who) => who.named(),
            Intent::Partition(PartitionShape::Cuts(cuts)) => cuts
                .iter()
                .flat_map(|c| c.from.iter().chain(&c.to))
                .map(String::as_str)
                .filter(|n| *n != CLIENTS)
                .collect(),
            Intent::HealOf(inner) => inner.named_nodes(),
            _ => Vec::new(),
        }
    }
}

impl Who {
    /// The nodes it names by name.
    pub fn named(&self) -> Vec<&str> {
        match self {
            Who::Node(n) => vec![n.as_str()],
            Who::Nodes(ns) => ns.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// WHO written as words: one chooser or node name, or several node names (`n1 n2`).
    fn from_words(words: &[&str]) -> Result<Who, ParseError> {
        match words {
            [one] => one.parse(),
            _ => node_names(words).map(Who::Nodes),
        }
    }
}

/// Two or more distinct node names (no chooser such as `one`).
fn node_names(words: &[&str]) -> Result<Vec<String>, ParseError> {
    let mut names: Vec<String> = Vec::new();
    for word in words {
        match word.parse::<Who>()? {
            Who::Node(name) if !names.contains(&name) => names.push(name),
            Who::Node(name) => return Err(ParseError(format!("node {name} is named twice; name each node once"))),
            _ => {
                return Err(ParseError(format!(
                    "{word:?} chooses nodes, it does not name one; list node names such as n1 n2, or write {word} alone"
                )))
            }
        }
    }
    if names.is_empty() {
        return Err(ParseError("no nodes named; write node names such as n1 n2".into()));
    }
    Ok(names)
}

/// `A -> B` or `A <-> B` (node names on each side), several joined by `;`.
fn cuts(text: &str) -> Result<Vec<Cut>, ParseError> {
    text.split(';')
        .map(|part| {
            let (from, to, both) = match (part.split_once("<->"), part.split_once("->")) {
                (Some((a, b)), _) => (a, b, true),
                (None, Some((a, b))) => (a, b, false),
                _ => {
                    return Err(ParseError(format!(
                        "{:?} is not a cut; write `n1 n2 -> n4 n5` (one way) or `n1 <-> n4` (both ways)",
                        part.trim()
                    )))
                }
            };
            let side = |t: &str| node_names(&t.split_whitespace().collect::<Vec<_>>());
            let cut = Cut { from: side(from)?, to: side(to)?, both };
            if cut.to.iter().any(|n| n == CLIENTS) || (both && cut.from.iter().any(|n| n == CLIENTS)) {
                return Err(ParseError(format!(
                    "{:?}: faultline cuts the clients off on the nodes' side only; write clients -> n1",
                    part.trim()
                )));
            }
            Ok(cut)
        })
        .collect()
}

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.from.join(" "), if self.both { "<->" } else { "->" }, self.to.join(" "))
    }
}

/// The percentage of a loss intent: `1%` to `100%`.
fn percent(text: &str) -> Result<u8, ParseError> {
    match text.strip_suffix('%').and_then(|n| n.parse::<u8>().ok()) {
        Some(n) if (1..=100).contains(&n) => Ok(n),
        _ => Err(ParseError(format!("loss {text:?}: write a percentage from 1% to 100%, such as 30%"))),
    }
}

/// Milliseconds as a delay intent writes them: `100ms`, from 0 (jitter only) to a minute.
fn millis(text: &str) -> Result<u32, ParseError> {
    match text.strip_suffix("ms").and_then(|n| n.parse::<u32>().ok()) {
        Some(ms) if ms <= 60_000 => Ok(ms),
        _ => Err(ParseError(format!("delay {text:?}: write milliseconds up to a minute, such as 100ms"))),
    }
}

/// A delay and its jitter: some delay to add, the jitter not above the delay.
fn delay(ms: u32, jitter: u32) -> Result<Intent, ParseError> {
    match (ms, jitter) {
        (0, _) => Err(ParseError("delay 0ms adds nothing; write a delay such as 100ms".into())),
        (ms, jitter) if jitter > ms => {
            Err(ParseError(format!("jitter {jitter}ms above the delay {ms}ms; keep it at most the delay")))
        }
        _ => Ok(Intent::Delay(Who::All, ms, jitter)),
    }
}

/// The worker count of a cpu intent: 1 to 64.
fn workers(text: &str) -> Result<u8, ParseError> {
    match text.parse::<u8>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err(ParseError(format!("cpu workers {text:?}: write a whole number from 1 to 64"))),
    }
}

/// The size of a memory intent in MiB: `512M` or `2G`, at most 64G.
fn mebibytes(text: &str) -> Result<u32, ParseError> {
    let parsed = match text.split_at(text.len().saturating_sub(1)) {
        (n, "M") => n.parse::<u32>().ok(),
        (n, "G") => n.parse::<u32>().ok().and_then(|g| g.checked_mul(1024)),
        _ => None,
    };
    match parsed {
        Some(mb) if (1..=64 * 1024).contains(&mb) => Ok(mb),
        _ => Err(ParseError(format!("memory {text:?}: write a size in M or G, at most 64G, such as 512M or 2G"))),
    }
}

/// The seconds of a clock intent: signed, non-zero, at most a day either way.
fn clock_seconds(text: &str) -> Result<i64, ParseError> {
    let seconds = text.strip_suffix('s').unwrap_or(text);
    match seconds.parse::<i64>() {
        Ok(n) if n != 0 && n.abs() <= 86_400 => Ok(n),
        _ => Err(ParseError(format!(
            "clock offset {text:?}: write signed seconds, not zero and at most a day, such as +30 or -120"
        ))),
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
            Who::Nodes(ns) => f.write_str(&ns.join(" ")),
        }
    }
}

/// Parses the intent grammar of scripted schedules:
/// `partition halves|ring|bridge|one-way`, `partition A -> B` (one way) or `A <-> B` (both;
/// several cuts joined by `;`), `isolate WHO`, `kill WHO`, `pause WHO`, `heal` and `heal INTENT`
/// (only the faults of that intent), where WHO is `one|minority|majority|all|leader` or node
/// names (`n3`, `n1 n2`) and A, B are node names.
impl FromStr for Intent {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Intent, ParseError> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let intent = match words.as_slice() {
            ["heal"] => Intent::Heal,
            ["heal", "heal", ..] => {
                return Err(ParseError("`heal heal` heals nothing; write heal or heal INTENT".into()))
            }
            ["heal", ..] => Intent::HealOf(Box::new(s.trim_start()["heal".len()..].parse()?)),
            ["partition", "halves"] => Intent::Partition(PartitionShape::RandomHalves),
            ["partition", "ring"] => Intent::Partition(PartitionShape::MajoritiesRing),
            ["partition", "bridge"] => Intent::Partition(PartitionShape::Bridge),
            ["partition", "one-way"] => Intent::Partition(PartitionShape::OneWay),
            ["partition", _, ..] if s.contains("->") => {
                Intent::Partition(PartitionShape::Cuts(cuts(s.trim_start()["partition".len()..].trim())?))
            }
            ["isolate", who @ ..] if !who.is_empty() => {
                Intent::Partition(PartitionShape::Isolate(Who::from_words(who)?))
            }
            ["kill", who @ ..] if !who.is_empty() => Intent::Kill(Who::from_words(who)?),
            ["pause", who @ ..] if !who.is_empty() => Intent::Pause(Who::from_words(who)?),
            ["clock", "bump", who @ .., seconds] if !who.is_empty() => {
                Intent::ClockBump(Who::from_words(who)?, clock_seconds(seconds)?)
            }
            ["clock", "strobe", who @ .., last] if last.starts_with(['+', '-']) && !who.is_empty() => {
                Intent::ClockStrobe(Who::from_words(who)?, clock_seconds(last)?)
            }
            ["clock", "strobe", who @ ..] if !who.is_empty() => {
                Intent::ClockStrobe(Who::from_words(who)?, crate::clock::STROBE_SECONDS)
            }
            ["loss", who @ .., pct] if !who.is_empty() => Intent::Loss(Who::from_words(who)?, percent(pct)?),
            ["delay", who @ .., ms, jitter] if !who.is_empty() && ms.ends_with("ms") && jitter.ends_with("ms") => {
                delay(millis(ms)?, millis(jitter)?)?.with_who(Who::from_words(who)?)
            }
            ["delay", who @ .., ms] if !who.is_empty() => delay(millis(ms)?, 0)?.with_who(Who::from_words(who)?),
            ["bandwidth", who @ .., rate] if !who.is_empty() => Intent::Bandwidth(Who::from_words(who)?, rate.parse()?),
            ["cpu", who @ .., n] if n.starts_with(|c: char| c.is_ascii_digit()) && !who.is_empty() => {
                Intent::Cpu(Who::from_words(who)?, workers(n)?)
            }
            ["cpu", who @ ..] if !who.is_empty() => Intent::Cpu(Who::from_words(who)?, 1),
            ["memory", who @ .., size] if !who.is_empty() => Intent::Memory(Who::from_words(who)?, mebibytes(size)?),
            ["disk", who @ ..] if !who.is_empty() => Intent::Disk(Who::from_words(who)?),
            [first, ..] if UNAVAILABLE.contains(first) => return Err(unavailable(first)),
            _ => {
                return Err(ParseError(format!(
                "{s:?} is not an intent; write one of: partition halves|ring|bridge|one-way, partition n1 -> n4 n5, \
                     isolate WHO, kill WHO, pause WHO, clock bump WHO +SECONDS, clock strobe WHO [+SECONDS], \
                     loss WHO 30%, delay WHO 100ms [20ms], bandwidth WHO 1mbit, cpu WHO [WORKERS], memory WHO 512M, disk WHO, heal, heal INTENT \
                     (WHO = one|minority|majority|all|leader|n3|n1 n2)"
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
            Intent::Partition(PartitionShape::Cuts(cuts)) => {
                let cuts: Vec<String> = cuts.iter().map(Cut::to_string).collect();
                write!(f, "partition {}", cuts.join("; "))
            }
            Intent::HealOf(inner) => write!(f, "heal {inner}"),
            Intent::Partition(PartitionShape::Isolate(who)) => write!(f, "isolate {who}"),
            Intent::Kill(who) => write!(f, "kill {who}"),
            Intent::Pause(who) => write!(f, "pause {who}"),
            Intent::ClockBump(who, seconds) => write!(f, "clock bump {who} {seconds:+}"),
            Intent::ClockStrobe(who, seconds) => write!(f, "clock strobe {who} {seconds:+}"),
            Intent::Loss(who, percent) => write!(f, "loss {who} {percent}%"),
            Intent::Delay(who, ms, 0) => write!(f, "delay {who} {ms}ms"),
            Intent::Delay(who, ms, jitter) => write!(f, "delay {who} {ms}ms {jitter}ms"),
            Intent::Bandwidth(who, rate) => write!(f, "bandwidth {who} {rate}"),
            Intent::Cpu(who, workers) => write!(f, "cpu {who} {workers}"),
            Intent::Memory(who, mb) if mb % 1024 == 0 => write!(f, "memory {who} {}G", mb / 1024),
            Intent::Memory(who, mb) => write!(f, "memory {who} {mb}M"),
            Intent::Disk(who) => write!(f, "disk {who}"),
        }
    }
}

impl Intent {
    /// The same fault on other nodes (a heal or partition shape without WHO stays as it is).
    pub(crate) fn with_who(self, who: Who) -> Intent {
        match self {
            Intent::Kill(_) => Intent::Kill(who),
            Intent::Pause(_) => Intent::Pause(who),
            Intent::ClockBump(_, seconds) => Intent::ClockBump(who, seconds),
            Intent::ClockStrobe(_, seconds) => Intent::ClockStrobe(who, seconds),
            Intent::Loss(_, percent) => Intent::Loss(who, percent),
            Intent::Delay(_, ms, jitter) => Intent::Delay(who, ms, jitter),
            Intent::Bandwidth(_, rate) => Intent::Bandwidth(who, rate),
            Intent::Cpu(_, workers) => Intent::Cpu(who, workers),
            Intent::Memory(_, mb) => Intent::Memory(who, mb),
            Intent::Disk(_) => Intent::Disk(who),
            Intent::Partition(PartitionShape::Isolate(_)) => Intent::Partition(PartitionShape::Isolate(who)),
            other => other,
        }
    }

    /// Whether it cuts the workload's clients off a node (`partition clients -> n1`).
    pub fn cuts_clients(&self) -> bool {
        match self {
            Intent::Partition(PartitionShape::Cuts(cuts)) => cuts.iter().any(|c| c.from.iter().any(|n| n == CLIENTS)),
            Intent::HealOf(inner) => inner.cuts_clients(),
            _ => false,
        }
    }

    /// Whether resolving it needs to know the leader.
    pub fn needs_leader(&self) -> bool {
        matches!(
            self,
            Intent::Kill(Who::Leader)
                | Intent::Pause(Who::Leader)
                | Intent::Partition(PartitionShape::Isolate(Who::Leader))
                | Intent::ClockBump(Who::Leader, _)
                | Intent::ClockStrobe(Who::Leader, _)
                | Intent::Loss(Who::Leader, _)
                | Intent::Delay(Who::Leader, ..)
                | Intent::Bandwidth(Who::Leader, _)
                | Intent::Cpu(Who::Leader, _)
                | Intent::Memory(Who::Leader, _)
                | Intent::Disk(Who::Leader)
        )
    }

    /// The family of fault it is (`None` for `heal`).
    pub fn family(&self) -> Option<Family> {
        match self {
            Intent::Partition(_) => Some(Family::Partition),
            Intent::Kill(_) => Some(Family::Kill),
            Intent::Pause(_) => Some(Family::Pause),
            Intent::ClockBump(..) | Intent::ClockStrobe(..) => Some(Family::Clock),
            Intent::Loss(..) => Some(Family::Loss),
            Intent::Delay(..) => Some(Family::Delay),
            Intent::Bandwidth(..) => Some(Family::Bandwidth),
            Intent::Cpu(..) => Some(Family::Cpu),
            Intent::Memory(..) => Some(Family::Memory),
            Intent::Disk(_) => Some(Family::Disk),
            Intent::Heal | Intent::HealOf(_) => None,
        }
    }

    /// The op `f` under which the history records this intent; a heal of one intent's faults is
    /// `heal-` and that intent's `f` (`heal-kill`), which closes only that family's fault
    /// periods on the page.
    pub fn f(&self) -> &'static str {
        match self {
            Intent::Heal => "heal",
            Intent::HealOf(inner) => match inner.family() {
                Some(Family::Partition) => "heal-partition",
                Some(Family::Kill) => "heal-kill",
                Some(Family::Pause) => "heal-pause",
                Some(Family::Clock) => "heal-clock",
                Some(Family::Loss) => "heal-loss",
                Some(Family::Delay) => "heal-delay",
                Some(Family::Bandwidth) => "heal-bandwidth",
                Some(Family::Cpu) => "heal-cpu",
                Some(Family::Memory) => "heal-memory",
                Some(Family::Disk) => "heal-disk",
                None => "heal",
            },
            fault => fault.family().map(Family::name).unwrap_or("heal"),
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
            "kill n1 n2",
            "isolate n1 n4",
            "partition n1 n2 -> n4 n5",
            "partition n1 <-> n2; n3 -> n4",
            "partition clients -> n1",
            "partition clients n2 -> n1",
            "heal kill n1 n2",
            "heal partition n1 -> n4",
            "clock bump n2 +30",
            "clock bump minority -120",
            "clock strobe leader +20",
            "loss n1 30%",
            "loss minority 100%",
            "bandwidth n2 1mbit",
            "delay n1 100ms",
            "delay minority 50ms 40ms",
            "heal delay n1 100ms",
            "bandwidth one 512kbit",
            "cpu n1 2",
            "memory n3 512M",
            "memory leader 2G",
            "disk n2",
            "disk minority",
            "heal loss n1 30%",
        ] {
            let intent: Intent = text.parse().unwrap();
            assert_eq!(intent.to_string(), text);
            assert_eq!(intent.needs_leader(), text.contains("leader"));
        }
    }

    #[test]
    fn unavailable_faults_are_refused_with_the_reason() {
        let err = "netem".parse::<Family>().unwrap_err().to_string();
        assert!(err.contains("lacks"), "{err}");
        assert!("isolate".parse::<Intent>().is_err());
        let err = "clock bump n1 -1h".parse::<Intent>().unwrap_err().to_string();
        assert!(err.contains("signed seconds"), "{err}");
        assert!("clock bump n1 0".parse::<Intent>().is_err());
        assert_eq!("clock strobe n1".parse::<Intent>(), Ok(Intent::ClockStrobe(Who::Node("n1".into()), 20)));
        assert_eq!("clock bump n3 30s".parse::<Intent>(), Ok(Intent::ClockBump(Who::Node("n3".into()), 30)));
        assert!("kill n/3".parse::<Intent>().is_err());
        let err = "corrupt".parse::<Family>().unwrap_err().to_string();
        assert!(err.contains("netem") && err.contains("bandwidth"), "{err}");
        assert_eq!("delay".parse::<Family>(), Ok(Family::Delay));
        for bad in ["delay n1 0ms", "delay n1 10ms 20ms", "delay n1 100", "delay n1 2min", "delay n1 70000ms"] {
            assert!(bad.parse::<Intent>().is_err(), "{bad}");
        }
        assert_eq!(
            "delay n1 n2 5ms".parse::<Intent>(),
            Ok(Intent::Delay(Who::Nodes(vec!["n1".into(), "n2".into()]), 5, 0))
        );
        assert_eq!("loss".parse::<Family>(), Ok(Family::Loss));
        for bad in [
            "loss n1 0%",
            "loss n1 101%",
            "loss n1 30",
            "bandwidth n1 1mb",
            "bandwidth n1 4kbit",
            "cpu n1 0",
            "memory n1 1T",
        ] {
            assert!(bad.parse::<Intent>().is_err(), "{bad}");
        }
        assert_eq!("cpu n2".parse::<Intent>(), Ok(Intent::Cpu(Who::Node("n2".into()), 1)));
        assert_eq!("memory n1 1024M".parse::<Intent>().unwrap().to_string(), "memory n1 1G");
        assert_eq!("bandwidth n1 2000kbit".parse::<Intent>().unwrap().to_string(), "bandwidth n1 2mbit");
        assert_eq!("heal memory n1 1G".parse::<Intent>().unwrap().f(), "heal-memory");
    }

    #[test]
    fn named_nodes_cuts_and_heals_of_one_intent() {
        let intent: Intent = "partition n1 n2 -> n4 n5".parse().unwrap();
        let cut = Cut { from: vec!["n1".into(), "n2".into()], to: vec!["n4".into(), "n5".into()], both: false };
        assert_eq!(intent, Intent::Partition(PartitionShape::Cuts(vec![cut])));
        assert_eq!(intent.named_nodes(), ["n1", "n2", "n4", "n5"]);
        let heal: Intent = "heal  partition n1 n2 -> n4 n5".parse().unwrap();
        assert_eq!((heal.f(), heal.family(), heal.named_nodes().len()), ("heal-partition", None, 4));
        assert_eq!("heal kill n3".parse::<Intent>().unwrap().f(), "heal-kill");
        assert_eq!("kill n1 n2".parse::<Intent>().unwrap(), Intent::Kill(Who::Nodes(vec!["n1".into(), "n2".into()])));
        let clients: Intent = "partition clients -> n1".parse().unwrap();
        assert_eq!(clients.named_nodes(), ["n1"], "clients name no node");
        assert!(clients.cuts_clients() && !"partition n1 -> n2".parse::<Intent>().unwrap().cuts_clients());
        for bad in ["partition n1 -> clients", "partition clients <-> n1"] {
            let err = bad.parse::<Intent>().unwrap_err().to_string();
            assert!(err.contains("clients -> n1"), "{bad}: {err}");
        }
        for bad in ["kill n1 n1", "kill one n2", "partition n1 ->", "partition -> n2", "heal heal", "heal explode"] {
            assert!(bad.parse::<Intent>().is_err(), "{bad}");
        }
    }
}
