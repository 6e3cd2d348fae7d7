//! The [`Model`] trait: a sequential specification the search checks a concurrent history
//! against, in Porcupine's shape (initial state, `step`, partition, descriptions), plus the
//! [`Interner`] that turns JSON values into small ids so states stay compact and cheap to hash.

use std::fmt::Debug;
use std::hash::Hash;

use crate::history::Value;
use rustc_hash::FxHashMap;

pub use super::stale::Flow;

/// A value as models store it: an id from the [`Interner`]; [`Val::NIL`] is JSON `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Val(pub u32);

impl Val {
    /// JSON `null`: an absent key, an unset register.
    pub const NIL: Val = Val(0);
}

/// Maps every JSON value met while decoding a history to a [`Val`], and back for reports.
#[derive(Debug, Clone)]
pub struct Interner {
    ints: FxHashMap<i64, Val>,
    others: FxHashMap<String, Val>,
    values: Vec<Value>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner { ints: FxHashMap::default(), others: FxHashMap::default(), values: vec![Value::Null] }
    }
}

impl Interner {
    /// The id of `value`, allocating one the first time it is seen.
    pub fn intern(&mut self, value: &Value) -> Val {
        if value.is_null() {
            return Val::NIL;
        }
        if let Some(n) = value.as_i64() {
            if let Some(v) = self.ints.get(&n) {
                return *v;
            }
            let v = Val(self.values.len() as u32);
            self.values.push(value.clone());
            self.ints.insert(n, v);
            return v;
        }
        let text = value.to_string();
        if let Some(v) = self.others.get(&text) {
            return *v;
        }
        let v = Val(self.values.len() as u32);
        self.values.push(value.clone());
        self.others.insert(text, v);
        v
    }

    /// The JSON value an id stands for (`null` for an id this interner never gave out).
    pub fn value(&self, v: Val) -> &Value {
        self.values.get(v.0 as usize).unwrap_or(&Value::Null)
    }

    /// The value as text for explanations: `nil` for null, JSON otherwise.
    pub fn show(&self, v: Val) -> String {
        match self.value(v) {
            Value::Null => "nil".to_string(),
            Value::String(s) => s.to_string(),
            other => other.to_string(),
        }
    }
}

/// How an operation ended, as far as the model needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome<'a> {
    /// It took effect and returned this value.
    Ok(&'a Value),
    /// It failed with error `mismatch` (or with no error, in imports) under
    /// `failed_cas: observed`: the store evaluated it and its comparison was false.
    Mismatch,
    /// Crashed (`info`) or never completed: it may have taken effect at any point after its
    /// invocation, or never; any result it had is unknown.
    Unknown,
}

/// One client operation as the model sees it: its function, its argument, how it ended.
/// Independent-key values reach the model already split (the key removed).
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The function, e.g. `read`, `write`, `cas`.
    pub f: &'a str,
    /// The invocation's value.
    pub input: &'a Value,
    /// How it ended.
    pub outcome: Outcome<'a>,
}

/// A sequential specification. Implement it to check a history against your own object:
/// `decode` turns each client op into `(Input, Option<Output>)` (output `None` when unknown),
/// `step` says whether an op can take effect in a state and what state follows. `step` must be
/// deterministic; an op whose effect is not determined by its observed result should carry
/// enough in `Input` to make it so (e.g. a crashed dequeue pops the head if there is one).
pub trait Model: Sync {
    /// A state of the object; compact states make the search's memo small and fast.
    type State: Clone + Eq + Hash + Debug + Send + Sync;
    /// What the client asked for. Equal inputs with equal outputs must step alike (as derived
    /// `Eq` and `Hash` give): the search treats crashed ops that are equal as interchangeable.
    type Input: Clone + Eq + Hash + Debug + Send + Sync;
    /// What the client saw.
    type Output: Clone + Eq + Hash + Debug + Send + Sync;

    /// The model's name in reports, e.g. `cas-register`.
    fn name(&self) -> &'static str;

    /// The state before any op.
    fn init(&self, values: &mut Interner) -> Self::State;

    /// The model's view of one op, `Ok(None)` when the op changes nothing and constrains
    /// nothing (a crashed read, a nil read under `nil_read: any`, a failed op that did not
    /// happen), or an error naming what is wrong with the op's value.
    #[allow(clippy::type_complexity)]
    fn decode(
        &self,
        call: Call<'_>,
        values: &mut Interner,
    ) -> Result<Option<(Self::Input, Option<Self::Output>)>, String>;

    /// The state after `input` takes effect in `state` with result `output` (`None`: result
    /// unknown), or `None` when that result is impossible in that state.
    fn step(&self, state: &Self::State, input: &Self::Input, output: Option<&Self::Output>) -> Option<Self::State>;

    /// Groups of op positions (into `inputs`) that touch disjoint parts of the object and can be
    /// checked separately (P-compositionality). The default keeps everything together.
    fn partition(&self, inputs: &[Self::Input]) -> Vec<Vec<usize>> {
        vec![(0..inputs.len()).collect()]
    }

    /// The op in words for explanations, e.g. `read returned 4`, `cas 1 -> 2`.
    fn describe_op(&self, input: &Self::Input, output: Option<&Self::Output>, values: &Interner) -> String;

    /// A state in words, e.g. `4`, `x=1 y=2`, `held`.
    fn describe_state(&self, state: &Self::State, values: &Interner) -> String;

    /// True when `input` succeeds in every state and sets a state that does not depend on the
    /// one before (a blind write of the whole object). A crashed op right before such an op is
    /// never needed (drop it: the state after the write is the same), so the search does not
    /// try that order. The default, `false`, is always sound.
    fn is_blind_write(&self, _input: &Self::Input) -> bool {
        false
    }

    /// True when `input` never changes the state (`step` returns the state it was given, or
    /// `None`). Such an op that can take effect now is linearized now without trying the
    /// alternatives: in any linearization it can be moved to this point (it is callable, and
    /// nothing before or after it sees a different state). The default, `false`, is always
    /// sound.
    fn is_read_only(&self, _input: &Self::Input) -> bool {
        false
    }

    /// Which crashed ops of a partition can never be needed in a linearization, so the search
    /// leaves them out: `ops` are the partition's ops as (input, output, crashed), the answer has
    /// one flag per op (true: drop; only for crashed ops). Sound only if, in any linearization,
    /// removing such an op leaves every other op able to take effect where it did, in the state
    /// it then sees. The default, none, is always sound.
    #[allow(clippy::type_complexity)]
    fn unneeded_crashed(&self, ops: &[(&Self::Input, Option<&Self::Output>, bool)]) -> Vec<bool> {
        vec![false; ops.len()]
    }

    /// How `input` (with result `output`) moves whole values, for the checks that decide
    /// `invalid` without the search (see the `stale` module). The default, [`Flow::Opaque`],
    /// turns them off and is always sound.
    fn flow(&self, _input: &Self::Input, _output: Option<&Self::Output>) -> Flow {
        Flow::Opaque
    }

    /// The whole value a state holds, when states are single values (a register); `None`
    /// (the default) turns the value-flow checks off.
    fn state_value(&self, _state: &Self::State) -> Option<Val> {
        None
    }

    /// Heap bytes a state owns beyond its inline size, for the memory budget's estimate.
    fn heap_bytes(&self, _state: &Self::State) -> usize {
        0
    }
}
