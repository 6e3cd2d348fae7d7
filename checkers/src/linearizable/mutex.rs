//! The `mutex` model (Knossos's): `acquire` needs the lock free and takes it, `release` needs it
//! held and frees it. Owners are not tracked. A failed acquire or release did not happen.

use super::model::{Call, Interner, Model, Outcome};

/// A lock with no owner identity.
#[derive(Debug, Clone, Default)]
pub struct Mutex;

/// What a mutex op asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MutexInput {
    /// Take the lock.
    Acquire,
    /// Free the lock.
    Release,
}

impl Model for Mutex {
    type State = bool;
    type Input = MutexInput;
    type Output = ();

    fn name(&self) -> &'static str {
        "mutex"
    }

    fn init(&self, _values: &mut Interner) -> bool {
        false
    }

    fn decode(&self, call: Call<'_>, _values: &mut Interner) -> Result<Option<(MutexInput, Option<()>)>, String> {
        let input = match call.f {
            "acquire" => MutexInput::Acquire,
            "release" => MutexInput::Release,
            f => return Err(format!("the mutex model has no function {f:?}; it knows acquire, release")),
        };
        Ok((call.outcome != Outcome::Mismatch).then_some((input, Some(()))))
    }

    fn step(&self, held: &bool, input: &MutexInput, _output: Option<&()>) -> Option<bool> {
        match input {
            MutexInput::Acquire => (!held).then_some(true),
            MutexInput::Release => held.then_some(false),
        }
    }

    fn describe_op(&self, input: &MutexInput, _output: Option<&()>, _values: &Interner) -> String {
        match input {
            MutexInput::Acquire => "acquire".to_string(),
            MutexInput::Release => "release".to_string(),
        }
    }

    fn describe_state(&self, held: &bool, _values: &Interner) -> String {
        if *held { "held" } else { "free" }.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_needs_free_release_needs_held() {
        let m = Mutex;
        assert_eq!(m.step(&false, &MutexInput::Acquire, None), Some(true));
        assert_eq!(m.step(&true, &MutexInput::Acquire, None), None);
        assert_eq!(m.step(&true, &MutexInput::Release, None), Some(false));
        assert_eq!(m.step(&false, &MutexInput::Release, None), None);
    }
}
