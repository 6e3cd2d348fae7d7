//! The `register` (read/write) and `cas-register` (read/write/cas) models.
//!
//! A CAS value is `[expected new]`. Under `failed_cas: observed` a CAS that failed with
//! `mismatch` becomes a read-like op: at some point during it the value differed from
//! `expected`. A nil read constrains the state only under `nil_read: absent`.

use crate::history::Value;

use super::model::{Call, Flow, Interner, Model, Outcome, Val};
use crate::history::NilRead;

/// A single register, with or without compare-and-set.
#[derive(Debug, Clone)]
pub struct Register {
    cas: bool,
    nil_read: NilRead,
    init: Value,
}

impl Register {
    /// A register starting at `init` (`null`: unset); `cas` allows the `cas` function.
    pub fn new(cas: bool, nil_read: NilRead, init: Value) -> Register {
        Register { cas, nil_read, init }
    }
}

/// What a register op asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegisterInput {
    /// Read the value (the value seen is the output).
    Read,
    /// Set the value.
    Write(Val),
    /// Set `new` if the value is `expected`.
    Cas {
        /// The value the CAS compared against.
        expected: Val,
        /// The value it sets.
        new: Val,
    },
    /// A CAS whose comparison was false: the value was not `expected`.
    CasMismatch {
        /// The value the CAS compared against.
        expected: Val,
    },
}

/// Reads a `[expected new]` CAS argument.
pub(crate) fn cas_pair(value: &Value) -> Result<(&Value, &Value), String> {
    match value.as_array() {
        Some([expected, new]) => Ok((expected, new)),
        _ => Err(format!("a cas value must be [expected new], found {value}")),
    }
}

impl Model for Register {
    type State = Val;
    type Input = RegisterInput;
    type Output = Val;

    fn name(&self) -> &'static str {
        if self.cas {
            "cas-register"
        } else {
            "register"
        }
    }

    fn init(&self, values: &mut Interner) -> Val {
        values.intern(&self.init)
    }

    fn decode(&self, call: Call<'_>, values: &mut Interner) -> Result<Option<(RegisterInput, Option<Val>)>, String> {
        match (call.f, call.outcome) {
            ("read", Outcome::Ok(seen)) if seen.is_null() && self.nil_read == NilRead::Any => Ok(None),
            ("read", Outcome::Ok(seen)) => Ok(Some((RegisterInput::Read, Some(values.intern(seen))))),
            ("read", _) => Ok(None),
            ("write", Outcome::Mismatch) => Ok(None),
            ("write", _) => Ok(Some((RegisterInput::Write(values.intern(call.input)), None))),
            ("cas", _) if !self.cas => {
                Err("the register model has no cas; check with the cas-register model".to_string())
            }
            ("cas", outcome) => {
                let (expected, new) = cas_pair(call.input)?;
                let expected = values.intern(expected);
                Ok(Some(match outcome {
                    Outcome::Mismatch => (RegisterInput::CasMismatch { expected }, None),
                    _ => (RegisterInput::Cas { expected, new: values.intern(new) }, None),
                }))
            }
            (f, _) => Err(format!(
                "the {} model has no function {f:?}; it knows read, write{}",
                self.name(),
                if self.cas { ", cas" } else { "" }
            )),
        }
    }

    fn step(&self, state: &Val, input: &RegisterInput, output: Option<&Val>) -> Option<Val> {
        match input {
            RegisterInput::Read => match output {
                Some(seen) if seen != state => None,
                _ => Some(*state),
            },
            RegisterInput::Write(v) => Some(*v),
            RegisterInput::Cas { expected, new } => (state == expected).then_some(*new),
            RegisterInput::CasMismatch { expected } => (state != expected).then_some(*state),
        }
    }

    fn is_read_only(&self, input: &RegisterInput) -> bool {
        matches!(input, RegisterInput::Read | RegisterInput::CasMismatch { .. })
    }

    fn is_blind_write(&self, input: &RegisterInput) -> bool {
        matches!(input, RegisterInput::Write(_))
    }

    /// A crashed write of `v` (or crashed CAS to `v`) is dropped when no op can tell `v` from
    /// the value it replaced: no read returned `v`, no CAS (completed or crashed) expects `v`,
    /// and every failed CAS (`mismatch`) expects `v`. Proof: in a linearization, the ops after
    /// the dropped op up to the next write or successful CAS saw `v` and now see the value
    /// before it, `u`. Each of them took effect in state `v`: a read returned `v` (there is none),
    /// a CAS expected `v` (none), a write or a crashed CAS that failed to apply (none: it would
    /// not be in the linearization) works in any state, and a mismatch expecting `v` could not
    /// take effect in `v` (so there is none in that stretch either). So every op still takes
    /// effect, and from the next write on the states are the same.
    fn unneeded_crashed(&self, ops: &[(&RegisterInput, Option<&Val>, bool)]) -> Vec<bool> {
        let mut observed = rustc_hash::FxHashSet::default();
        let mut mismatches = rustc_hash::FxHashSet::default();
        for (input, output, _) in ops {
            match input {
                RegisterInput::Read => observed.extend(output.copied()),
                RegisterInput::Cas { expected, .. } => {
                    observed.insert(*expected);
                }
                RegisterInput::CasMismatch { expected } => {
                    mismatches.insert(*expected);
                }
                RegisterInput::Write(_) => {}
            }
        }
        let unobservable = |v: &Val| !observed.contains(v) && mismatches.iter().all(|m| m == v);
        ops.iter()
            .map(|(input, _, crashed)| {
                *crashed
                    && match input {
                        RegisterInput::Write(v) | RegisterInput::Cas { new: v, .. } => unobservable(v),
                        _ => false,
                    }
            })
            .collect()
    }

    fn describe_op(&self, input: &RegisterInput, output: Option<&Val>, values: &Interner) -> String {
        match input {
            RegisterInput::Read => match output {
                Some(v) => format!("read returned {}", values.show(*v)),
                None => "read".to_string(),
            },
            RegisterInput::Write(v) => format!("write of {}", values.show(*v)),
            RegisterInput::Cas { expected, new } => {
                format!("cas from {} to {}", values.show(*expected), values.show(*new))
            }
            RegisterInput::CasMismatch { expected } => {
                format!("cas that found the value was not {}", values.show(*expected))
            }
        }
    }

    fn describe_state(&self, state: &Val, values: &Interner) -> String {
        values.show(*state)
    }

    fn flow(&self, input: &RegisterInput, output: Option<&Val>) -> Flow {
        match (input, output) {
            (RegisterInput::Read, Some(v)) => Flow::Reads(*v),
            (RegisterInput::Read, None) | (RegisterInput::CasMismatch { .. }, _) => Flow::Keeps,
            (RegisterInput::Write(v), _) => Flow::Writes(*v),
            (RegisterInput::Cas { expected, new }, _) => Flow::ReadsThenWrites(*expected, *new),
        }
    }

    fn state_value(&self, state: &Val) -> Option<Val> {
        Some(*state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(m: &Register, f: &str, input: Value, outcome: Outcome<'_>) -> Option<(RegisterInput, Option<Val>)> {
        let mut values = Interner::default();
        m.decode(Call { f, input: &input, outcome }, &mut values).unwrap()
    }

    #[test]
    fn nil_reads_constrain_only_when_absent() {
        let any = Register::new(true, NilRead::Any, crate::value!(0));
        let absent = Register::new(true, NilRead::Absent, crate::value!(0));
        assert_eq!(decode(&any, "read", Value::Null, Outcome::Ok(&Value::Null)), None);
        assert_eq!(
            decode(&absent, "read", Value::Null, Outcome::Ok(&Value::Null)),
            Some((RegisterInput::Read, Some(Val::NIL)))
        );
        assert_eq!(decode(&absent, "read", Value::Null, Outcome::Unknown), None);
    }

    #[test]
    fn cas_steps_and_mismatch_is_a_negative_read() {
        let m = Register::new(true, NilRead::Any, crate::value!(0));
        let (one, two) = (Val(1), Val(2));
        let cas = RegisterInput::Cas { expected: one, new: two };
        assert_eq!(m.step(&one, &cas, None), Some(two));
        assert_eq!(m.step(&two, &cas, None), None);
        let miss = RegisterInput::CasMismatch { expected: one };
        assert_eq!(m.step(&one, &miss, None), None);
        assert_eq!(m.step(&two, &miss, None), Some(two));
    }

    #[test]
    fn bad_values_are_errors_not_panics() {
        let m = Register::new(true, NilRead::Any, crate::value!(0));
        let mut values = Interner::default();
        let bad = crate::value!(3);
        assert!(m.decode(Call { f: "cas", input: &bad, outcome: Outcome::Unknown }, &mut values).is_err());
        assert!(m.decode(Call { f: "incr", input: &bad, outcome: Outcome::Unknown }, &mut values).is_err());
        let plain = Register::new(false, NilRead::Any, crate::value!(0));
        let pair = crate::value!([1, 2]);
        assert!(plain.decode(Call { f: "cas", input: &pair, outcome: Outcome::Unknown }, &mut values).is_err());
    }
}
