//! The replicated data: registers, lists, one set, the bank's accounts, and the lock with its
//! guarded register; and how a request reads or changes them. A pure function of the requests
//! applied (an acquire carries the leader's [`Stamp`]), so every replica that applies the same
//! log agrees.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use workloads::bank::{ACCOUNTS, INITIAL};

use crate::own::api::{Micro, Reply, Request, Stamp};

/// The key-value data one replica holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data {
    registers: BTreeMap<u64, i64>,
    lists: BTreeMap<u64, Vec<i64>>,
    set: BTreeSet<i64>,
    /// Balances that moved from [`INITIAL`].
    accounts: BTreeMap<u64, i64>,
    /// The lock's holder, if it was granted and not released (its lease may have run out).
    hold: Option<Hold>,
    /// The last fencing token granted.
    tokens: i64,
    /// The guarded register: the token it was written under and the value.
    guarded: Option<(i64, i64)>,
}

/// The lock's current hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Hold {
    token: i64,
    /// The term of the leader that granted it.
    term: u64,
    /// When its lease ends, by that leader's monotonic clock, ms.
    until_ms: u64,
    /// The lease's length, ms.
    ttl_ms: u64,
}

impl Hold {
    /// Whether its lease has ended by the leader that stamped `now` (see [`super::stamp`]).
    fn ended(&self, now: Stamp) -> bool {
        if now.term == self.term {
            now.now_ms >= self.until_ms
        } else {
            now.now_ms >= now.since_ms.saturating_add(self.ttl_ms)
        }
    }
}

impl Data {
    /// Executes `request` (a read-only one changes nothing) and says what became of it; `fence`
    /// is whether the guarded register refuses tokens lower than its own.
    pub fn execute(&mut self, request: &Request, fence: bool) -> Reply {
        let value = match *request {
            Request::Read { key } => json!(self.registers.get(&key)),
            Request::Write { key, value } => {
                self.registers.insert(key, value);
                json!(null)
            }
            Request::Cas { key, expect, value } => {
                if self.registers.get(&key) != Some(&expect) {
                    return Reply::Mismatch;
                }
                self.registers.insert(key, value);
                json!(null)
            }
            Request::Txn { ref mops } => {
                let mut reads = Vec::new();
                for mop in mops {
                    match *mop {
                        Micro::R(key) => reads.push(json!(self.registers.get(&key))),
                        Micro::W(key, value) => {
                            self.registers.insert(key, value);
                        }
                        Micro::L(key) => reads.push(json!(self.lists.get(&key).map_or(&[][..], Vec::as_slice))),
                        Micro::A(key, value) => self.lists.entry(key).or_default().push(value),
                    }
                }
                json!(reads)
            }
            Request::Add { element } => {
                self.set.insert(element);
                json!(null)
            }
            Request::Members => json!(self.set),
            Request::Transfer { from, to, amount } => {
                if self.balance(from) < amount {
                    return Reply::Mismatch;
                }
                self.accounts.insert(from, self.balance(from) - amount);
                self.accounts.insert(to, self.balance(to) + amount);
                json!(null)
            }
            Request::Balances => json!((0..ACCOUNTS).map(|a| self.balance(a)).collect::<Vec<_>>()),
            Request::Acquire { ttl_ms, stamp } => {
                if self.hold.is_some_and(|h| !h.ended(stamp)) {
                    return Reply::Mismatch;
                }
                self.tokens += 1;
                let until_ms = stamp.now_ms.saturating_add(ttl_ms);
                self.hold = Some(Hold { token: self.tokens, term: stamp.term, until_ms, ttl_ms });
                json!(self.tokens)
            }
            Request::Release { token } => {
                if self.hold.is_some_and(|h| h.token == token) {
                    self.hold = None;
                }
                json!(null)
            }
            Request::GuardedWrite { token, value } => {
                if fence && self.guarded.is_some_and(|(held, _)| held > token) {
                    return Reply::Mismatch;
                }
                self.guarded = Some((token, value));
                json!(null)
            }
            Request::GuardedRead => json!(self.guarded.map(|(token, value)| json!({"token": token, "value": value}))),
        };
        Reply::Ok { value }
    }

    fn balance(&self, account: u64) -> i64 {
        self.accounts.get(&account).copied().unwrap_or(INITIAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(reply: Reply) -> serde_json::Value {
        match reply {
            Reply::Ok { value } => value,
            other => panic!("expected ok, got {other:?}"),
        }
    }

    impl Data {
        fn execute_fenced(&mut self, request: &Request) -> Reply {
            self.execute(request, true)
        }
    }

    #[test]
    fn registers_cas_transactions_and_the_set_behave_as_documented() {
        let mut d = Data::default();
        assert_eq!(ok(d.execute_fenced(&Request::Read { key: 1 })), json!(null));
        ok(d.execute_fenced(&Request::Write { key: 1, value: 5 }));
        assert_eq!(d.execute_fenced(&Request::Cas { key: 1, expect: 4, value: 6 }), Reply::Mismatch);
        ok(d.execute_fenced(&Request::Cas { key: 1, expect: 5, value: 6 }));
        let txn = Request::Txn { mops: vec![Micro::R(1), Micro::W(2, 7), Micro::R(2)] };
        assert_eq!(ok(d.execute_fenced(&txn)), json!([6, 7]));
        let txn = Request::Txn { mops: vec![Micro::L(1), Micro::A(1, 4), Micro::A(1, 2), Micro::L(1), Micro::R(1)] };
        assert_eq!(ok(d.execute_fenced(&txn)), json!([[], [4, 2], 6]));
        ok(d.execute_fenced(&Request::Add { element: 3 }));
        ok(d.execute_fenced(&Request::Add { element: 1 }));
        assert_eq!(ok(d.execute_fenced(&Request::Members)), json!([1, 3]));
    }

    #[test]
    fn transfers_keep_the_total_and_refuse_overdrafts() {
        let mut d = Data::default();
        ok(d.execute_fenced(&Request::Transfer { from: 0, to: 3, amount: 4 }));
        assert_eq!(d.execute_fenced(&Request::Transfer { from: 0, to: 1, amount: INITIAL }), Reply::Mismatch);
        let balances = ok(d.execute_fenced(&Request::Balances));
        let balances: Vec<i64> = balances.as_array().unwrap().iter().map(|b| b.as_i64().unwrap()).collect();
        assert_eq!(balances.len() as u64, ACCOUNTS);
        assert_eq!((balances[0], balances[3]), (INITIAL - 4, INITIAL + 4));
        assert_eq!(balances.iter().sum::<i64>(), ACCOUNTS as i64 * INITIAL);
    }

    #[test]
    fn the_lock_grants_rising_tokens_once_a_lease_ends_and_fencing_refuses_lower_tokens() {
        let at = |term, now_ms, since_ms| Request::Acquire { ttl_ms: 1_000, stamp: Stamp { term, now_ms, since_ms } };
        for fence in [true, false] {
            let mut d = Data::default();
            assert_eq!(ok(d.execute(&at(1, 10, 0), fence)), json!(1));
            assert_eq!(d.execute(&at(1, 500, 0), fence), Reply::Mismatch, "held while the lease lasts");
            assert_eq!(ok(d.execute(&at(1, 1_010, 0), fence)), json!(2), "taken over once it ended");
            ok(d.execute(&Request::Release { token: 1 }, fence));
            assert_eq!(d.execute(&at(1, 1_020, 0), fence), Reply::Mismatch, "a stale release frees nothing");
            // A new leader, whose clock says nothing of the old one's, waits a lease from its term's start.
            assert_eq!(d.execute(&at(2, 90_000, 89_500), fence), Reply::Mismatch, "held by the last term's lease");
            assert_eq!(ok(d.execute(&at(2, 90_500, 89_500), fence)), json!(3));
            ok(d.execute(&Request::Release { token: 3 }, fence));
            assert_eq!(ok(d.execute(&at(2, 90_600, 89_500), fence)), json!(4), "released, free at once");
            ok(d.execute(&Request::Release { token: 4 }, fence));
            assert_eq!(ok(d.execute(&at(3, 5, 5), fence)), json!(5), "free whatever the term");
            assert_eq!(ok(d.execute(&Request::GuardedRead, fence)), json!(null));
            ok(d.execute(&Request::GuardedWrite { token: 5, value: 7 }, fence));
            let late = d.execute(&Request::GuardedWrite { token: 1, value: 8 }, fence);
            let held = if fence {
                (Reply::Mismatch, json!({"token": 5, "value": 7}))
            } else {
                (Reply::Ok { value: json!(null) }, json!({"token": 1, "value": 8}))
            };
            assert_eq!((late, ok(d.execute(&Request::GuardedRead, fence))), held, "fence {fence}");
        }
    }
}
