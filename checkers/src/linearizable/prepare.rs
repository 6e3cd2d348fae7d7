//! From a history to the search's input: pairs each client invocation with its completion,
//! applies the semantics (a `fail` did not happen unless it is an observed CAS mismatch; `info`
//! and open ops may happen or not), splits independent keys when told to, decodes every op
//! through the model and partitions the result.

use rustc_hash::FxHashMap;

use super::model::{Call, Interner, Model, Outcome};
use crate::history::{FailedCas, History, OpType, Semantics, Value};

/// One op ready for the search.
#[derive(Debug, Clone)]
pub(crate) struct PartOp<I, O> {
    /// What the client asked for.
    pub input: I,
    /// What it saw (`None`: unknown).
    pub output: Option<O>,
    /// Position of the invocation in the history.
    pub call: u32,
    /// Position of the completion; `None` for a crashed op, which may happen any time or never.
    pub ret: Option<u32>,
}

/// The ops of one independent part of the history.
#[derive(Debug, Clone)]
pub(crate) struct Partition<I, O> {
    /// The independent key, when values were `[key value]` pairs.
    pub key: Option<Value>,
    /// Its ops in invocation order.
    pub ops: Vec<PartOp<I, O>>,
}

/// The decoded history.
pub(crate) struct Prepared<I, O> {
    /// Independent parts, each checked on its own.
    pub partitions: Vec<Partition<I, O>>,
    /// Every value met, for reports.
    pub values: Interner,
}

/// Splits a `[key value]` pair.
fn split_pair<'a>(value: &'a Value, what: &str) -> Result<(&'a Value, &'a Value), String> {
    match value.as_array() {
        Some([key, inner]) => Ok((key, inner)),
        _ => Err(format!("with independent keys every {what} must be [key value], found {value}")),
    }
}

/// Decodes `history` for `model`; an error names the op (by index) and what is wrong with it.
#[allow(clippy::type_complexity)]
pub(crate) fn prepare<M: Model>(
    history: &History,
    model: &M,
    semantics: &Semantics,
) -> Result<Prepared<M::Input, M::Output>, String> {
    let completions = history.completions();
    let mut values = Interner::default();
    // Ops grouped by independent key (one group without independent keys).
    let mut groups: Vec<(Option<Value>, Vec<PartOp<M::Input, M::Output>>)> = Vec::new();
    let mut group_of: FxHashMap<String, usize> = FxHashMap::default();
    for (pos, op) in history.ops.iter().enumerate() {
        if op.kind != OpType::Invoke || !op.is_client() {
            continue;
        }
        let completion = completions[pos].map(|c| &history.ops[c]);
        let outcome = match completion {
            Some(done) if done.kind == OpType::Ok => Outcome::Ok(&done.value),
            Some(done) if done.kind == OpType::Fail => {
                let mismatch = matches!(done.error.as_deref(), None | Some("mismatch"));
                if semantics.failed_cas == FailedCas::Observed && mismatch {
                    Outcome::Mismatch
                } else {
                    continue;
                }
            }
            _ => Outcome::Unknown,
        };
        let at = |message: String| format!("op {}: {message}", op.index);
        let (key, input, outcome) = if semantics.independent {
            let (key, input) = split_pair(&op.value, "invocation value").map_err(at)?;
            let outcome = match outcome {
                Outcome::Ok(seen) => {
                    let (seen_key, seen) = split_pair(seen, "completion value").map_err(at)?;
                    if seen_key != key {
                        return Err(at(format!("completed on key {seen_key} but was invoked on key {key}")));
                    }
                    Outcome::Ok(seen)
                }
                other => other,
            };
            (Some(key), input, outcome)
        } else {
            (None, &op.value, outcome)
        };
        let Some((input, output)) = model.decode(Call { f: &op.f, input, outcome }, &mut values).map_err(at)? else {
            continue;
        };
        let ret = match outcome {
            Outcome::Unknown => None,
            _ => completions[pos].map(|c| c as u32),
        };
        let slot = match key {
            None => {
                if groups.is_empty() {
                    groups.push((None, Vec::new()));
                }
                0
            }
            Some(key) => *group_of.entry(key.to_string()).or_insert_with(|| {
                groups.push((Some(key.clone()), Vec::new()));
                groups.len() - 1
            }),
        };
        groups[slot].1.push(PartOp { input, output, call: pos as u32, ret });
    }
    let mut partitions = Vec::new();
    for (key, ops) in groups {
        let inputs: Vec<M::Input> = ops.iter().map(|o| o.input.clone()).collect();
        let parts = model.partition(&inputs);
        drop(inputs);
        let mut slots: Vec<Option<PartOp<M::Input, M::Output>>> = ops.into_iter().map(Some).collect();
        for part in parts {
            let ops: Vec<_> = part.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)).collect();
            if !ops.is_empty() {
                partitions.push(Partition { key: key.clone(), ops });
            }
        }
        let forgotten = slots.iter().filter(|s| s.is_some()).count();
        if forgotten > 0 {
            return Err(format!("the {} model's partition left out {forgotten} ops", model.name()));
        }
    }
    Ok(Prepared { partitions, values })
}
