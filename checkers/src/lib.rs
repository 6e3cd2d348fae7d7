//! faultline's checkers: the history model (ops, headers, semantics), reading, writing and
//! validating histories, and every analysis of a history. Pure functions: no network, no clock,
//! no async runtime; the only I/O is reading and writing history files.

pub mod anomaly_kind;
pub mod checker;
pub mod history;
pub mod linearizable;
pub mod simulate;
pub mod txn;
pub mod verdict;
pub mod workload;

pub use anomaly_kind::AnomalyKind;
pub use history::{History, Op, OpType, Process, Value};
pub use verdict::{Anomaly, CheckResult, Validity};

#[doc(hidden)]
pub use serde_json::json as __json;

/// An op [`Value`] written as JSON, like `serde_json::json!`: `value!([1, "x", null])`.
#[macro_export]
macro_rules! value {
    ($($json:tt)+) => {
        $crate::history::Value::from($crate::__json!($($json)+))
    };
}
