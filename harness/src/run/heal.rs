//! `faultline heal`: undo whatever crashed runs left behind, from the machine-wide journal.

use std::process::ExitCode;

use super::journal;
use super::lock::MachineLock;

/// Heals every leftover run; exit 0 when nothing is left, 255 when something could not be undone.
pub fn heal() -> ExitCode {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!(
            "faultline heal needs root: it deletes network namespaces, iptables rules and processes of crashed runs"
        );
        return ExitCode::from(crate::exit::HARNESS_FAILED);
    }
    let _lock = match MachineLock::try_acquire() {
        Ok(lock) => lock,
        Err(e) => {
            eprintln!("faultline heal: {e}");
            return ExitCode::from(crate::exit::HARNESS_FAILED);
        }
    };
    let (healed, failures) = journal::heal_leftovers();
    for run in &healed {
        crate::exit::say!("healed {run}");
    }
    if healed.is_empty() {
        crate::exit::say!("nothing to heal");
    }
    for failure in &failures {
        eprintln!("faultline heal: {failure}");
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::exit::HARNESS_FAILED)
    }
}
