//! The replicated data: registers, lists and one set, and how a request reads or changes them. A pure
//! function of the requests applied, so every replica that applies the same log agrees.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::own::api::{Micro, Reply, Request};

/// The key-value data one replica holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data {
    registers: BTreeMap<u64, i64>,
    lists: BTreeMap<u64, Vec<i64>>,
    set: BTreeSet<i64>,
}

impl Data {
    /// Executes `request` (a read-only one changes nothing) and says what became of it.
    pub fn execute(&mut self, request: &Request) -> Reply {
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
        };
        Reply::Ok { value }
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

    #[test]
    fn registers_cas_transactions_and_the_set_behave_as_documented() {
        let mut d = Data::default();
        assert_eq!(ok(d.execute(&Request::Read { key: 1 })), json!(null));
        ok(d.execute(&Request::Write { key: 1, value: 5 }));
        assert_eq!(d.execute(&Request::Cas { key: 1, expect: 4, value: 6 }), Reply::Mismatch);
        ok(d.execute(&Request::Cas { key: 1, expect: 5, value: 6 }));
        let txn = Request::Txn { mops: vec![Micro::R(1), Micro::W(2, 7), Micro::R(2)] };
        assert_eq!(ok(d.execute(&txn)), json!([6, 7]));
        let txn = Request::Txn { mops: vec![Micro::L(1), Micro::A(1, 4), Micro::A(1, 2), Micro::L(1), Micro::R(1)] };
        assert_eq!(ok(d.execute(&txn)), json!([[], [4, 2], 6]));
        ok(d.execute(&Request::Add { element: 3 }));
        ok(d.execute(&Request::Add { element: 1 }));
        assert_eq!(ok(d.execute(&Request::Members)), json!([1, 3]));
    }
}
