//! Which kind of node a test runs on (`--provisioner`, `provisioner:` in a test file or a
//! campaign axis), parsed and checked with the rest of the test file. Parse-only: the
//! provisioners themselves live in `crate::provision`, which picks one from this.

use std::fmt;
use std::str::FromStr;

/// The provisioners a test can name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProvisionerName {
    /// One network namespace per node on this machine (needs root).
    #[default]
    Netns,
}

impl ProvisionerName {
    /// Every provisioner, as `--provisioner` names them.
    pub const ALL: [ProvisionerName; 1] = [ProvisionerName::Netns];

    /// Its name in flags and files.
    pub fn name(self) -> &'static str {
        match self {
            ProvisionerName::Netns => "netns",
        }
    }
}

impl FromStr for ProvisionerName {
    type Err = String;
    fn from_str(s: &str) -> Result<ProvisionerName, String> {
        ProvisionerName::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| {
            let names: Vec<&str> = ProvisionerName::ALL.iter().map(|p| p.name()).collect();
            format!("unknown provisioner {s:?}; use one of: {}", names.join(", "))
        })
    }
}

impl fmt::Display for ProvisionerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_an_unknown_one_lists_the_choices() {
        for p in ProvisionerName::ALL {
            assert_eq!(p.name().parse::<ProvisionerName>(), Ok(p));
        }
        let err = "vagrant".parse::<ProvisionerName>().unwrap_err();
        assert!(err.contains("unknown provisioner \"vagrant\"") && err.contains("netns"), "{err}");
    }
}
