//! How a run ended, in the one order every reader uses, and the one mapping from verdict to
//! exit code.
//!
//! The order is valid < hypothesis-failed < unknown < invalid < crashed, and the worst wins. A
//! failed hypothesis (a chaos experiment's figures out of bounds, or its abort guard fired) says
//! the system stayed correct but not available or fast enough: worse than valid, but any
//! finding about correctness outranks it. An invalid finding is
//! a proof that holds whatever the undecided parts say, while unknown only says "not proven
//! either way", so invalid outranks unknown (as `checkers::Validity::merge` and Jepsen's
//! `merge-valid` have it); a crashed run says nothing about the system and means the harness
//! itself needs attention, so it outranks everything.

use checkers::Validity;
use serde::{Deserialize, Serialize};

/// How a run (or a whole campaign) ended, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every checker passed.
    Valid,
    /// Every checker passed, but the experiment's hypothesis failed (or its abort guard fired).
    HypothesisFailed,
    /// A checker could not decide (or nothing ran): never a pass.
    Unknown,
    /// A checker found an anomaly.
    Invalid,
    /// The harness failed: setup, a node, a panic.
    Crashed,
}

/// The exit code of a run or command whose harness failed.
pub const CRASHED_EXIT: u8 = Verdict::Crashed.exit_code();

impl Verdict {
    /// The verdict of a run from its exit code (0 valid, 1 invalid, 2 unknown, else crashed).
    pub fn of_exit_code(code: u8) -> Verdict {
        match code {
            0 => Verdict::Valid,
            1 => Verdict::Invalid,
            2 => Verdict::Unknown,
            3 => Verdict::HypothesisFailed,
            _ => Verdict::Crashed,
        }
    }

    /// The exit code that goes with it: 0 valid, 1 invalid, 2 unknown, 3 hypothesis failed, 255
    /// crashed. The only
    /// place a verdict becomes an exit code.
    pub const fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::Unknown => 2,
            Verdict::HypothesisFailed => 3,
            Verdict::Crashed => 255,
        }
    }

    /// The lowercase word, as in `results.json` and `campaign.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unknown => "unknown",
            Verdict::HypothesisFailed => "hypothesis-failed",
            Verdict::Crashed => "crashed",
        }
    }

    /// True unless valid: invalid, unknown, crashed and hypothesis-failed runs all fail a
    /// campaign.
    pub fn failing(self) -> bool {
        self != Verdict::Valid
    }

    /// The worst of `verdicts`; none at all is unknown (nothing passed).
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Unknown)
    }
}

impl From<Validity> for Verdict {
    fn from(validity: Validity) -> Verdict {
        match validity {
            Validity::Valid => Verdict::Valid,
            Validity::Unknown => Verdict::Unknown,
            Validity::Invalid => Verdict::Invalid,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_order_for_validity_and_verdict_and_one_exit_code_each() {
        use Verdict::*;
        let validities = [Validity::Valid, Validity::Unknown, Validity::Invalid];
        for a in validities {
            for b in validities {
                assert_eq!(Verdict::from(a.merge(b)), Verdict::from(a).max(Verdict::from(b)), "{a} {b}");
            }
        }
        assert_eq!(Verdict::worst([Valid, Invalid, Unknown]), Invalid);
        assert_eq!(Verdict::worst([Invalid, Crashed]), Crashed);
        assert_eq!(Verdict::worst([]), Unknown);
        assert_eq!([Valid, Invalid, Unknown, Crashed].map(Verdict::exit_code), [0, 1, 2, CRASHED_EXIT]);
        assert_eq!(Verdict::worst([Valid, HypothesisFailed]), HypothesisFailed);
        assert_eq!(Verdict::worst([HypothesisFailed, Unknown]), Unknown, "a correctness finding outranks it");
        assert_eq!(serde_json::to_string(&HypothesisFailed).unwrap(), "\"hypothesis-failed\"");
        for v in [Valid, Invalid, Unknown, Crashed, HypothesisFailed] {
            assert_eq!(Verdict::of_exit_code(v.exit_code()), v);
        }
        assert_eq!(Verdict::of_exit_code(254), Crashed);
    }
}
