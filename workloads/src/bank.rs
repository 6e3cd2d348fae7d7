//! The bank workload (Jepsen's `bank`): a fixed number of accounts holding a fixed total;
//! transfers move an amount from one account to another (refused, as a definite `fail`, when the
//! source would go below zero), and reads return every balance at once. Judged by the bank
//! checker: every read sums to the total and shows no negative balance.

use std::collections::BTreeMap;
use std::time::Duration;

use checkers::checker::{CheckSpec, CheckerOptions};
use checkers::history::Semantics;
use checkers::Value;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::generator::{stagger, BoxGen, FromFn, Invocation, Mix};

/// How many accounts (0..ACCOUNTS).
pub const ACCOUNTS: u64 = 8;

/// Each account's balance before the first transfer; the total is `ACCOUNTS * INITIAL`.
pub const INITIAL: i64 = 10;

/// The error of a transfer refused because the source account holds too little.
pub const INSUFFICIENT: &str = "insufficient funds";

/// One bank op, as a client executes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankOp {
    /// Move `amount` from account `from` to account `to`.
    Transfer {
        /// The source account.
        from: u64,
        /// The destination account.
        to: u64,
        /// How much (above zero).
        amount: i64,
    },
    /// Read every balance.
    Read,
}

impl BankOp {
    /// Decodes an invocation; `None` if it is not a bank op.
    pub fn decode(op: &Invocation) -> Option<BankOp> {
        match op.f.as_str() {
            "read" if op.value.is_null() => Some(BankOp::Read),
            "transfer" => {
                let object = op.value.as_object()?;
                let field = |name: &str| object.get(name).and_then(serde_json::Value::as_i64);
                let (from, to, amount) = (field("from")?, field("to")?, field("amount")?);
                let account = |a: i64| u64::try_from(a).ok().filter(|a| *a < ACCOUNTS);
                let (from, to) = (account(from)?, account(to)?);
                (from != to && amount > 0).then_some(BankOp::Transfer { from, to, amount })
            }
            _ => None,
        }
    }
}

/// The invocation that reads every balance (the final read too).
pub fn read() -> Invocation {
    Invocation::new("read", Value::Null)
}

/// A read's value: each account (by its number, as text) with its balance.
pub fn balances(pairs: impl IntoIterator<Item = (u64, i64)>) -> Value {
    let map: BTreeMap<String, i64> = pairs.into_iter().map(|(a, b)| (a.to_string(), b)).collect();
    json!(map).into()
}

/// Bank histories are not split by key.
pub fn semantics() -> Semantics {
    Semantics::default()
}

/// The checkers that judge a bank history: the bank checker.
pub fn checkers() -> Vec<CheckSpec> {
    vec![CheckSpec::new("bank", CheckerOptions::default())]
}

/// Transfers of 1–5 between two different accounts and reads of every balance, in equal parts,
/// at about one op per `mean_delay`.
pub fn generator(mean_delay: Duration) -> BoxGen {
    let transfer: BoxGen = Box::new(FromFn(|rng: &mut ChaCha8Rng| {
        let from = rng.gen_range(0..ACCOUNTS);
        let to = (from + rng.gen_range(1..ACCOUNTS)) % ACCOUNTS;
        Invocation::new("transfer", json!({"from": from, "to": to, "amount": rng.gen_range(1..=5)}))
    }));
    let reads: BoxGen = Box::new(FromFn(|_: &mut ChaCha8Rng| read()));
    stagger(mean_delay, Box::new(Mix(vec![transfer, reads])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{Context, Next};
    use rand::SeedableRng;

    #[test]
    fn transfers_move_money_between_two_accounts_and_decode() {
        let rng = &mut ChaCha8Rng::seed_from_u64(2);
        let mut g = generator(Duration::ZERO);
        let (mut transfers, mut reads) = (0, 0);
        for _ in 0..400 {
            let Next::Op(op) = g.next(&mut Context { time: Duration::ZERO, thread: 0, threads: 1, rng }) else {
                panic!("bank generator ran dry")
            };
            match BankOp::decode(&op).expect("decodes") {
                BankOp::Transfer { from, to, amount } => {
                    assert!(from != to && from < ACCOUNTS && to < ACCOUNTS && (1..=5).contains(&amount));
                    transfers += 1;
                }
                BankOp::Read => reads += 1,
            }
        }
        assert!(transfers > 100 && reads > 100, "{transfers} transfers, {reads} reads");
        let bad = Invocation::new("transfer", json!({"from": 1, "to": 1, "amount": 2}));
        assert_eq!(BankOp::decode(&bad), None);
        assert_eq!(balances([(1, 4), (0, 6)]), json!({"0": 6, "1": 4}));
    }
}
