//! The own server's client API as JSON over HTTP (`POST /op`): what a client asks and what it
//! is told. Shared by the server and faultline's client so the two cannot drift apart.

use serde::{Deserialize, Serialize};

/// One client request (also the command a write puts in the Raft log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Request {
    /// Read one register.
    Read {
        /// The key.
        key: u64,
    },
    /// Write one register.
    Write {
        /// The key.
        key: u64,
        /// The value written.
        value: i64,
    },
    /// Set a register to `value` if it holds `expect`.
    Cas {
        /// The key.
        key: u64,
        /// The value it must hold.
        expect: i64,
        /// The value written when it does.
        value: i64,
    },
    /// A transaction of register reads and writes and list reads and appends, applied atomically.
    Txn {
        /// Its micro-ops, in order.
        mops: Vec<Micro>,
    },
    /// Add an element to the set.
    Add {
        /// The element.
        element: i64,
    },
    /// Read every element of the set.
    Members,
    /// Move `amount` between two bank accounts (refused when `from` holds too little).
    Transfer {
        /// The source account.
        from: u64,
        /// The destination account.
        to: u64,
        /// How much.
        amount: i64,
    },
    /// Read every account's balance.
    Balances,
    /// Take the lock with a lease of `ttl_ms`, if no unexpired lease holds it; the reply is the
    /// fencing token, one higher than the last one granted.
    Acquire {
        /// The lease's time to live, ms.
        ttl_ms: u64,
        /// Set by the leader that logs it (clients send the default).
        #[serde(default)]
        stamp: Stamp,
    },
    /// Give the lock back, if `token` still holds it.
    Release {
        /// The holder's token.
        token: i64,
    },
    /// Write the guarded register under `token` (refused when it holds a higher token, unless
    /// the `unfenced-locks` switch is on).
    GuardedWrite {
        /// The writer's fencing token.
        token: i64,
        /// The value.
        value: i64,
    },
    /// Read the guarded register: `{token, value}` or null.
    GuardedRead,
}

/// When and under which leadership the leader logged a request: the replicas judge the lock's
/// lease by it, so they agree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// The leader's term.
    pub term: u64,
    /// The leader's monotonic clock, ms.
    pub now_ms: u64,
    /// The leader's monotonic clock when it first stamped a request in this term, ms.
    pub since_ms: u64,
}

/// One micro-op of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Micro {
    /// Read a register.
    R(u64),
    /// Write a register.
    W(u64, i64),
    /// Read a list (the keys of lists are apart from those of registers).
    L(u64),
    /// Append to a list.
    A(u64, i64),
}

impl Request {
    /// Whether it changes nothing (served through the read index, not the log).
    pub fn reads_only(&self) -> bool {
        match self {
            Request::Read { .. } | Request::Members | Request::Balances | Request::GuardedRead => true,
            Request::Txn { mops } => mops.iter().all(|m| matches!(m, Micro::R(_) | Micro::L(_))),
            Request::Write { .. }
            | Request::Cas { .. }
            | Request::Add { .. }
            | Request::Transfer { .. }
            | Request::Acquire { .. }
            | Request::Release { .. }
            | Request::GuardedWrite { .. } => false,
        }
    }

    /// The request as the leader logs it with `stamp` (an acquire carries it).
    pub fn stamped(self, stamp: Stamp) -> Request {
        match self {
            Request::Acquire { ttl_ms, .. } => Request::Acquire { ttl_ms, stamp },
            other => other,
        }
    }
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    /// It took effect; `value` is what a read saw (a register: a number or null; a
    /// transaction: one entry per read, a list read a list; the set: its sorted elements).
    Ok {
        /// The result.
        value: serde_json::Value,
    },
    /// A condition did not hold and nothing changed: a compare-and-set found another value, a
    /// transfer too little money, an acquire the lock held, a guarded write a higher token.
    Mismatch,
    /// It provably did not take effect (no leader known, refused before it reached the log).
    Refused {
        /// Why.
        reason: String,
    },
    /// It may or may not have taken effect (timed out, leadership lost after it was proposed).
    Unsure {
        /// Why.
        reason: String,
    },
}
