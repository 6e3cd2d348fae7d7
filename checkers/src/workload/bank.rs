//! The bank checker (Jepsen's `bank`): transfers move money between accounts, so every
//! successful read of all balances must sum to the same total, and no balance may go negative
//! unless the workload allows it.

use serde_json::json;

use super::{pairs, secs, Report};
use crate::anomaly_kind::AnomalyKind;
use crate::history::{History, OpType};
use crate::verdict::{CheckResult, Validity};

/// Options of the bank checker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BankOptions {
    /// Whether balances may go below zero.
    pub negative_balances_allowed: bool,
    /// The total every read must show; inferred from the first successful read when `None`.
    pub total: Option<i64>,
}

/// Checks every successful read (`f = read`, value a map account -> balance).
pub fn bank(history: &History, options: &BankOptions) -> CheckResult {
    let mut report = Report::new("bank");
    let mut total = options.total;
    let mut reads = 0;
    let mut totals_seen: Vec<i64> = Vec::new();
    for p in pairs(history, Some("read")) {
        let Some(done) = p.done.filter(|d| d.kind == OpType::Ok) else { continue };
        let Some(balances) = done.value.as_object() else {
            report.add(
                Validity::Unknown,
                AnomalyKind::Malformed,
                vec![done.index],
                format!("read op {} returned {}, not a map of account to balance", done.index, done.value),
            );
            continue;
        };
        reads += 1;
        let mut sum = 0i64;
        let mut readable = true;
        for (account, balance) in balances {
            match balance.as_i64() {
                Some(b) => {
                    sum = sum.saturating_add(b);
                    if b < 0 && !options.negative_balances_allowed {
                        report.add(
                            Validity::Invalid,
                            AnomalyKind::NegativeBalance,
                            vec![done.index],
                            format!(
                                "read op {} at {} saw account {account} at {b}, below zero",
                                done.index,
                                secs(done.time)
                            ),
                        );
                    }
                }
                None => {
                    readable = false;
                    report.add(
                        Validity::Invalid,
                        AnomalyKind::NilBalance,
                        vec![done.index],
                        format!("read op {} saw account {account} with balance {balance}, not a number", done.index),
                    );
                }
            }
        }
        if !readable {
            continue;
        }
        let expected = *total.get_or_insert(sum);
        if !totals_seen.contains(&sum) && totals_seen.len() < 64 {
            totals_seen.push(sum);
        }
        if sum != expected {
            report.add(
                Validity::Invalid,
                AnomalyKind::WrongTotal,
                vec![done.index],
                format!(
                    "read op {} at {} saw balances summing to {sum}, not the total {expected}: money was created or destroyed",
                    done.index,
                    secs(done.time)
                ),
            );
        }
    }
    if reads == 0 {
        report.add(
            Validity::Unknown,
            AnomalyKind::NoReads,
            vec![],
            "the history has no successful read of the balances".into(),
        );
    }
    report.finish(json!({"reads": reads, "total": total, "totals_seen": totals_seen}))
}
