//! One faultline run per machine: node names, addresses and the bridge are fixed, so runs (and
//! `faultline heal`) take an exclusive lock, released by the kernel even after kill -9.

use std::fs::{self, File};

use nix::fcntl::{Flock, FlockArg};

/// The lock file.
pub const LOCK_FILE: &str = "/var/lib/faultline/lock";

/// Holds the machine-wide lock while alive.
pub struct MachineLock {
    _flock: Flock<File>,
}

impl MachineLock {
    /// Waits for and takes the lock (a run waits for the run before it).
    pub fn acquire() -> Result<MachineLock, String> {
        MachineLock::take(FlockArg::LockExclusive)
    }

    /// Takes the lock if no live run holds it (`faultline heal` must not undo a live run).
    pub fn try_acquire() -> Result<MachineLock, String> {
        MachineLock::take(FlockArg::LockExclusiveNonblock).map_err(|e| {
            format!("{e}: a faultline run is live on this machine; it heals itself when it ends (Ctrl-C heals at once)")
        })
    }

    fn take(how: FlockArg) -> Result<MachineLock, String> {
        fs::create_dir_all("/var/lib/faultline").map_err(|e| format!("/var/lib/faultline: {e}"))?;
        let file = File::create(LOCK_FILE).map_err(|e| format!("{LOCK_FILE}: {e}"))?;
        Flock::lock(file, how).map(|f| MachineLock { _flock: f }).map_err(|(_, e)| format!("{LOCK_FILE}: {e}"))
    }
}
