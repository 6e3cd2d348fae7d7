//! Consistency models and anomalies: which anomaly implies which, which model forbids which,
//! and from a set of anomalies found, which models a history rules out and which it may still
//! satisfy. After Adya's isolation levels, Bailis et al.'s HAT lattice and Cerone's and
//! Daudjee's snapshot-isolation variants, as summarised on jepsen.io/consistency.
//!
//! Our rw edges are all item anti-dependencies (there are no predicates), so every G-single
//! and G-nonadjacent cycle is also a G2-item cycle, and repeatable read forbids them too.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A transactional consistency model, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsistencyModel {
    /// Adya PL-1: no G0 (dirty writes); version orders must be total.
    ReadUncommitted,
    /// Adya PL-2: no G1 (aborted, intermediate or circular reads).
    ReadCommitted,
    /// Adya PL-CS: read committed without lost updates.
    CursorStability,
    /// Bailis: read committed, and once a txn sees one effect of another it sees them all.
    MonotonicAtomicView,
    /// Adya PL-2.99: no G1, no G2-item.
    RepeatableRead,
    /// Adya PL-SI (generalised SI): no G1, no cycle whose rw edges are all nonadjacent.
    SnapshotIsolation,
    /// Adya PL-3 (conflict serializability): no G1, no G2.
    Serializable,
    /// SI where each process sees its own earlier transactions.
    StrongSessionSnapshotIsolation,
    /// SI where every transaction sees every one completed before it began.
    StrongSnapshotIsolation,
    /// Serializable, consistent with each process's order.
    StrongSessionSerializable,
    /// Adya PL-SS: serializable, consistent with real time.
    StrictSerializable,
}

/// Every model, weakest first.
pub const ALL_MODELS: [ConsistencyModel; 11] = [
    ConsistencyModel::ReadUncommitted,
    ConsistencyModel::ReadCommitted,
    ConsistencyModel::CursorStability,
    ConsistencyModel::MonotonicAtomicView,
    ConsistencyModel::RepeatableRead,
    ConsistencyModel::SnapshotIsolation,
    ConsistencyModel::Serializable,
    ConsistencyModel::StrongSessionSnapshotIsolation,
    ConsistencyModel::StrongSnapshotIsolation,
    ConsistencyModel::StrongSessionSerializable,
    ConsistencyModel::StrictSerializable,
];

impl ConsistencyModel {
    /// The model's name as written on the command line.
    pub fn name(self) -> &'static str {
        use ConsistencyModel::*;
        match self {
            ReadUncommitted => "read-uncommitted",
            ReadCommitted => "read-committed",
            CursorStability => "cursor-stability",
            MonotonicAtomicView => "monotonic-atomic-view",
            RepeatableRead => "repeatable-read",
            SnapshotIsolation => "snapshot-isolation",
            Serializable => "serializable",
            StrongSessionSnapshotIsolation => "strong-session-snapshot-isolation",
            StrongSnapshotIsolation => "strong-snapshot-isolation",
            StrongSessionSerializable => "strong-session-serializable",
            StrictSerializable => "strict-serializable",
        }
    }

    /// The models this one directly implies (a history satisfying `self` satisfies them).
    fn implies(self) -> &'static [ConsistencyModel] {
        use ConsistencyModel::*;
        match self {
            ReadUncommitted => &[],
            ReadCommitted => &[ReadUncommitted],
            CursorStability => &[ReadCommitted],
            MonotonicAtomicView => &[ReadCommitted],
            RepeatableRead => &[CursorStability, MonotonicAtomicView],
            SnapshotIsolation => &[CursorStability, MonotonicAtomicView],
            Serializable => &[RepeatableRead, SnapshotIsolation],
            StrongSessionSnapshotIsolation => &[SnapshotIsolation],
            StrongSnapshotIsolation => &[StrongSessionSnapshotIsolation],
            StrongSessionSerializable => &[Serializable, StrongSessionSnapshotIsolation],
            StrictSerializable => &[StrongSessionSerializable, StrongSnapshotIsolation],
        }
    }

    /// The anomalies this model forbids beyond those of the models it implies.
    fn forbids_directly(self) -> &'static [&'static str] {
        use ConsistencyModel::*;
        match self {
            ReadUncommitted => &["G0", "duplicate-elements", "incompatible-order", "garbage-read"],
            ReadCommitted => &["G1"],
            CursorStability => &["lost-update"],
            MonotonicAtomicView => &[],
            RepeatableRead => &["G2-item"],
            SnapshotIsolation => &["internal", "G-nonadjacent"],
            Serializable => &["internal", "G2"],
            StrongSessionSnapshotIsolation => &["G1-process", "G-nonadjacent-process"],
            StrongSnapshotIsolation => &["G1-realtime", "G-nonadjacent-realtime"],
            StrongSessionSerializable => &["G1-process", "G2-process"],
            StrictSerializable => &["G1-realtime", "G2-realtime"],
        }
    }

    /// Every model this one implies, itself included.
    pub fn implied(self) -> BTreeSet<ConsistencyModel> {
        let mut out = BTreeSet::new();
        let mut todo = vec![self];
        while let Some(m) = todo.pop() {
            if out.insert(m) {
                todo.extend_from_slice(m.implies());
            }
        }
        out
    }

    /// True when this model forbids `anomaly` (directly, through a model it implies, or
    /// because the anomaly implies one it forbids).
    pub fn forbids(self, anomaly: &str) -> bool {
        let implied = implied_anomalies(anomaly);
        self.implied().iter().any(|m| m.forbids_directly().iter().any(|a| implied.contains(a)))
    }

    /// True when checking this model needs process-order edges.
    pub fn needs_process_order(self) -> bool {
        self.implied().iter().any(|m| m.forbids_directly().iter().any(|a| a.ends_with("-process")))
    }

    /// True when checking this model needs real-time edges.
    pub fn needs_realtime_order(self) -> bool {
        self.implied().iter().any(|m| m.forbids_directly().iter().any(|a| a.ends_with("-realtime")))
    }
}

impl Default for ConsistencyModel {
    /// Serializable, Elle's default.
    fn default() -> Self {
        ConsistencyModel::Serializable
    }
}

impl fmt::Display for ConsistencyModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ConsistencyModel {
    type Err = String;

    /// Parses a model name; Adya's level names and common synonyms are accepted.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use ConsistencyModel::*;
        let name = s.trim().to_ascii_lowercase().replace('_', "-");
        let model = match name.as_str() {
            "pl-1" => ReadUncommitted,
            "pl-2" => ReadCommitted,
            "pl-cs" => CursorStability,
            "pl-2.99" => RepeatableRead,
            "pl-si" | "si" => SnapshotIsolation,
            "pl-3" | "conflict-serializable" => Serializable,
            "pl-ss" | "strong-serializable" => StrictSerializable,
            _ => match ALL_MODELS.iter().find(|m| m.name() == name) {
                Some(m) => *m,
                None => {
                    let names: Vec<&str> = ALL_MODELS.iter().map(|m| m.name()).collect();
                    return Err(format!("unknown consistency model {s:?}; known models: {}", names.join(", ")));
                }
            },
        };
        Ok(model)
    }
}

/// Which anomaly implies which: finding the left one means the right ones are present too.
const IMPLIES: &[(&str, &[&str])] = &[
    ("G0", &["G1c", "G0-process"]),
    ("G0-process", &["G1c-process", "G0-realtime"]),
    ("G0-realtime", &["G1c-realtime"]),
    ("G1a", &["G1"]),
    ("G1b", &["G1"]),
    ("G1c", &["G1", "G1c-process"]),
    ("G1c-process", &["G1-process", "G1c-realtime"]),
    ("G1c-realtime", &["G1-realtime"]),
    ("G1", &["G1-process"]),
    ("G1-process", &["G1-realtime"]),
    ("G-single", &["G-nonadjacent", "G-single-process"]),
    ("G-single-process", &["G-nonadjacent-process", "G-single-realtime"]),
    ("G-single-realtime", &["G-nonadjacent-realtime"]),
    ("G-nonadjacent", &["G2-item", "G-nonadjacent-process"]),
    ("G-nonadjacent-process", &["G2-item-process", "G-nonadjacent-realtime"]),
    ("G-nonadjacent-realtime", &["G2-item-realtime"]),
    ("G2-item", &["G2", "G2-item-process"]),
    ("G2-item-process", &["G2-process", "G2-item-realtime"]),
    ("G2-item-realtime", &["G2-realtime"]),
    ("G2", &["G2-process"]),
    ("G2-process", &["G2-realtime"]),
    ("dirty-update", &["G1a"]),
    // Reading one's own later write is a trivial wr cycle.
    ("future-read", &["G1c"]),
    ("lost-update", &["G2-item"]),
];

/// `anomaly` and every anomaly it implies.
pub fn implied_anomalies(anomaly: &str) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    let mut todo = vec![anomaly];
    while let Some(a) = todo.pop() {
        if out.insert(a) {
            if let Some((_, next)) = IMPLIES.iter().find(|(from, _)| *from == a) {
                todo.extend_from_slice(next);
            }
        }
    }
    out
}

/// What a set of anomalies says about models: `not` are the weakest models ruled out,
/// `also_not` the stronger ones ruled out with them, `may_satisfy` the models not ruled out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Boundary {
    /// The weakest models the anomalies rule out.
    pub not: Vec<ConsistencyModel>,
    /// Every other ruled-out model (all stronger than some model in `not`).
    pub also_not: Vec<ConsistencyModel>,
    /// Models the history may still satisfy, as far as these anomalies say.
    pub may_satisfy: Vec<ConsistencyModel>,
}

/// The models that `anomalies` rule out.
pub fn boundary<'a>(anomalies: impl IntoIterator<Item = &'a str> + Clone) -> Boundary {
    let ruled_out: BTreeSet<ConsistencyModel> =
        ALL_MODELS.iter().copied().filter(|m| anomalies.clone().into_iter().any(|a| m.forbids(a))).collect();
    let mut out = Boundary::default();
    for &m in &ALL_MODELS {
        if !ruled_out.contains(&m) {
            out.may_satisfy.push(m);
        } else if ruled_out.iter().any(|&w| w != m && m.implied().contains(&w)) {
            out.also_not.push(m);
        } else {
            out.not.push(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsistencyModel::*;

    #[test]
    fn names_round_trip_and_synonyms_parse() {
        for m in ALL_MODELS {
            assert_eq!(m.name().parse::<ConsistencyModel>(), Ok(m));
        }
        assert_eq!("PL-3".parse::<ConsistencyModel>(), Ok(Serializable));
        assert!("linearizable-ish".parse::<ConsistencyModel>().is_err());
    }

    #[test]
    fn g2_item_rules_out_repeatable_read_but_not_si() {
        let b = boundary(["G2-item"]);
        assert_eq!(b.not, vec![RepeatableRead]);
        assert!(b.also_not.contains(&Serializable) && b.also_not.contains(&StrictSerializable));
        assert!(b.may_satisfy.contains(&SnapshotIsolation));
    }

    #[test]
    fn g_single_rules_out_si_and_rr() {
        let b = boundary(["G-single"]);
        assert_eq!(b.not, vec![RepeatableRead, SnapshotIsolation]);
        assert!(b.may_satisfy.contains(&CursorStability));
    }

    #[test]
    fn realtime_cycles_only_rule_out_realtime_models() {
        let b = boundary(["G2-item-realtime"]);
        assert_eq!(b.not, vec![StrictSerializable]);
        assert!(StrictSerializable.needs_realtime_order() && StrictSerializable.needs_process_order());
        assert!(!Serializable.needs_process_order() && !Serializable.needs_realtime_order());
        assert!(StrongSessionSnapshotIsolation.needs_process_order());
        assert!(!StrongSessionSnapshotIsolation.needs_realtime_order());
    }

    #[test]
    fn g1a_rules_out_read_committed() {
        assert_eq!(boundary(["dirty-update"]).not, vec![ReadCommitted]);
        assert_eq!(boundary(["G0"]).not, vec![ReadUncommitted]);
        assert!(boundary(Vec::<&str>::new()).not.is_empty());
    }
}
