//! What kind of thing a checker found wrong, as a typed enum; written to and read from files as
//! the same names as always (`nonlinearizable`, `G-single-realtime`, `lost`, ...).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares [`AnomalyKind`]'s simple variants with their names, once.
macro_rules! kinds {
    ($($variant:ident => $name:literal: $doc:literal,)*) => {
        /// The class of an anomaly; its [`Display`](fmt::Display) is the name files carry.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum AnomalyKind {
            $(#[doc = $doc] $variant,)*
            /// A dependency cycle of one of Elle's classes, within a scope of edges.
            Cycle(CycleClass, CycleScope),
            /// A kind this build does not know (written by another version), kept as written.
            Other(String),
        }

        impl AnomalyKind {
            /// The simple kinds and their names.
            const SIMPLE: &'static [(&'static str, AnomalyKind)] = &[$(($name, AnomalyKind::$variant),)*];
        }
    };
}

kinds! {
    Nonlinearizable => "nonlinearizable": "No order of the ops consistent with real time explains every result.",
    Lost => "lost": "An acknowledged add is missing from the reads.",
    Unexpected => "unexpected": "A read holds an element no op ever added.",
    Stale => "stale": "An element was missing from reads after it had been read.",
    Duplicated => "duplicated": "A read holds an element more than once.",
    NoFinalRead => "no-final-read": "The history has no successful read of the set.",
    OutOfBounds => "out-of-bounds": "A counter read lies outside what the increments allow.",
    NegativeBalance => "negative-balance": "A bank read shows a negative balance.",
    NilBalance => "nil-balance": "A bank read shows an account with no balance.",
    WrongTotal => "wrong-total": "A bank read's balances do not add up to the total.",
    NoReads => "no-reads": "The history has no successful read of the balances.",
    DuplicateId => "duplicate-id": "Two generate ops returned the same id.",
    LongFork => "long-fork": "Two reads saw writes in orders that no single order explains.",
    MultipleValues => "multiple-values": "A key was read with two different values.",
    NeverSucceeded => "never-succeeded": "A function never completed with ok.",
    Malformed => "malformed": "An op's value does not have the shape the checker reads.",
    MalformedTxn => "malformed-txn": "A transaction's micro-ops do not have the expected shape.",
    G1a => "G1a": "Aborted read: a read saw a write of a failed transaction.",
    G1b => "G1b": "Intermediate read: a read saw a value its writer later overwrote.",
    DirtyUpdate => "dirty-update": "A committed append built on an aborted one.",
    DuplicateElements => "duplicate-elements": "A list read holds an element twice.",
    FutureRead => "future-read": "A transaction read a value written after it.",
    GarbageRead => "garbage-read": "A read saw a value no transaction wrote.",
    IncompatibleOrder => "incompatible-order": "Two reads of a list disagree on its order.",
    Internal => "internal": "A transaction's read contradicts its own earlier micro-ops.",
    LostUpdate => "lost-update": "Two transactions read the same version and both wrote over it.",
    OverlappingHolds => "overlapping-holds": "Two clients held a lock at once (a lease lock permits it under pauses).",
    OutOfTokenOrder => "out-of-token-order": "A guarded write with a lower fencing token was accepted after a higher one.",
}

/// Elle's cycle classes, by the edges a cycle takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CycleClass {
    /// Write-write edges only.
    G0,
    /// Write-write and write-read edges.
    G1c,
    /// Exactly one read-write (anti-dependency) edge.
    GSingle,
    /// Read-write edges, never two adjacent.
    GNonadjacent,
    /// Read-write edges, two of them adjacent.
    G2Item,
}

/// Which edges beyond the data dependencies a cycle may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CycleScope {
    /// Data dependencies only.
    Data,
    /// Also process order (`-process`).
    Process,
    /// Also real-time order (`-realtime`).
    Realtime,
}

const CYCLE_CLASSES: [(&str, CycleClass); 5] = [
    ("G0", CycleClass::G0),
    ("G1c", CycleClass::G1c),
    ("G-single", CycleClass::GSingle),
    ("G-nonadjacent", CycleClass::GNonadjacent),
    ("G2-item", CycleClass::G2Item),
];
const CYCLE_SCOPES: [(&str, CycleScope); 3] =
    [("-process", CycleScope::Process), ("-realtime", CycleScope::Realtime), ("", CycleScope::Data)];

impl AnomalyKind {
    /// Every kind this build knows by name: the simple ones, then every cycle class in every
    /// scope.
    pub fn known() -> Vec<AnomalyKind> {
        let simple = AnomalyKind::SIMPLE.iter().map(|(_, k)| k.clone());
        let cycles =
            CYCLE_CLASSES.iter().flat_map(|&(_, c)| CYCLE_SCOPES.iter().map(move |&(_, s)| AnomalyKind::Cycle(c, s)));
        simple.chain(cycles).collect()
    }

    /// The kind called `name`: a known one, else [`AnomalyKind::Other`].
    pub fn named(name: &str) -> AnomalyKind {
        if let Some((_, kind)) = AnomalyKind::SIMPLE.iter().find(|(n, _)| *n == name) {
            return kind.clone();
        }
        for &(suffix, scope) in &CYCLE_SCOPES {
            let Some(base) = name.strip_suffix(suffix) else { continue };
            if let Some(&(_, class)) = CYCLE_CLASSES.iter().find(|(n, _)| *n == base) {
                return AnomalyKind::Cycle(class, scope);
            }
        }
        AnomalyKind::Other(name.to_string())
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnomalyKind::Cycle(class, scope) => {
                let class = CYCLE_CLASSES.iter().find(|(_, c)| c == class).map_or("", |(n, _)| n);
                let scope = CYCLE_SCOPES.iter().find(|(_, s)| s == scope).map_or("", |(n, _)| n);
                write!(f, "{class}{scope}")
            }
            AnomalyKind::Other(name) => f.write_str(name),
            simple => f.write_str(AnomalyKind::SIMPLE.iter().find(|(_, k)| k == simple).map_or("", |(n, _)| n)),
        }
    }
}

impl From<String> for AnomalyKind {
    fn from(name: String) -> AnomalyKind {
        AnomalyKind::named(&name)
    }
}

impl From<&str> for AnomalyKind {
    fn from(name: &str) -> AnomalyKind {
        AnomalyKind::named(name)
    }
}

impl From<AnomalyKind> for String {
    fn from(kind: AnomalyKind) -> String {
        kind.to_string()
    }
}

impl PartialEq<str> for AnomalyKind {
    fn eq(&self, name: &str) -> bool {
        *self == AnomalyKind::named(name)
    }
}

impl PartialEq<&str> for AnomalyKind {
    fn eq(&self, name: &&str) -> bool {
        *self == AnomalyKind::named(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name_and_unknown_names_are_kept() {
        let known = AnomalyKind::known();
        assert_eq!(known.len(), AnomalyKind::SIMPLE.len() + 15);
        for kind in known {
            let name = kind.to_string();
            assert!(!name.is_empty() && !matches!(kind, AnomalyKind::Other(_)), "{kind:?}");
            assert_eq!(AnomalyKind::named(&name), kind, "{name}");
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{name}\""), "serialized as the same string");
            assert_eq!(serde_json::from_str::<AnomalyKind>(&json).unwrap(), kind);
        }
        assert_eq!(
            AnomalyKind::named("G-single-realtime"),
            AnomalyKind::Cycle(CycleClass::GSingle, CycleScope::Realtime)
        );
        assert_eq!(AnomalyKind::named("G2-item"), AnomalyKind::Cycle(CycleClass::G2Item, CycleScope::Data));
        let other = AnomalyKind::named("stale-read");
        assert_eq!((other.to_string(), other), ("stale-read".to_string(), AnomalyKind::Other("stale-read".into())));
    }
}
