//! The one executor: everything made or broken on a node is a [`Command`] run through the
//! node's [`Remote`], and its undo is journaled before it is done. Faults, provisioning and the
//! target's daemons all go through here, so a new fault family (new actions with their undo)
//! needs no harness code, and `faultline heal` undoes any journal entry the same way.

use std::time::Duration;

use nemesis::{Action, Command};

use super::journal::Journal;
use crate::remote::{Remote, RemoteError, RemoteResult};

/// How long one command may run.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `command` on `remote`'s node.
pub async fn execute(remote: &dyn Remote, command: &Command) -> RemoteResult<()> {
    match command {
        Command::Exec { argv } => remote.exec(argv, TIMEOUT).await.map(drop),
        Command::Start { daemon } => remote.start(daemon).await.map(drop),
        Command::Signal { daemon, signal } => remote.signal(daemon, *signal).await,
        Command::Stop { daemon, grace_ms } => remote.stop(daemon, Duration::from_millis(*grace_ms)).await,
    }
}

/// Journals `undo` on `remote`'s node, then runs `steps` there in order. Returns the journal
/// entry's id (for [`unmake`]).
pub async fn make(
    journal: &Journal,
    remote: &dyn Remote,
    what: &str,
    undo: Command,
    steps: &[Command],
) -> Result<u64, String> {
    let id = journal.made(what, remote, undo).map_err(|e| format!("writing the fault journal: {e}"))?;
    for step in steps {
        execute(remote, step).await?;
    }
    Ok(id)
}

/// Applies one action of a fault: its undo journaled first, then the action.
pub async fn apply(journal: &Journal, remote: &dyn Remote, action: &Action) -> Result<u64, String> {
    make(journal, remote, &action.effect.to_string(), action.undo.clone(), std::slice::from_ref(&action.apply)).await
}

/// Undoes journal entry `id` by running `undo` on `remote`'s node, then marks it done.
pub async fn unmake(journal: &Journal, remote: &dyn Remote, id: u64, undo: &Command) -> Result<(), String> {
    execute(remote, undo).await?;
    journal.done(id).map_err(|e| format!("writing the fault journal: {e}"))
}

/// What `ip`, `iptables` and `docker` say when the thing to undo is already gone (a removed
/// container takes its rules and daemons with it).
const ALREADY_GONE: [&str; 6] = [
    "Cannot find device",
    "No such file or directory",
    "does a matching rule exist",
    "No chain/target/match",
    "does not exist",
    "No such container",
];

/// Runs the undo of a journal entry whose run is over (teardown, or a crashed run): what is
/// already gone counts as undone, so healing twice is harmless.
pub async fn heal(remote: &dyn Remote, undo: &Command) -> Result<(), RemoteError> {
    match execute(remote, undo).await {
        Err(e) if ALREADY_GONE.iter().any(|gone| e.message.contains(gone)) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::exec::argv;
    use crate::remote::local::LocalRemote;

    /// The journal holds the undo before the step runs; `unmake` runs it and marks it done;
    /// healing an undo whose object is gone succeeds.
    #[tokio::test]
    async fn make_journals_the_undo_first_and_unmake_runs_it() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), &dir.path().join("state.jsonl")).unwrap();
        let host = LocalRemote::host("host");
        let made = dir.path().join("made");
        let path = made.to_string_lossy().into_owned();
        let undo = Command::Exec { argv: argv(&["rm", &path]) };
        let failing = Command::Exec { argv: argv(&["false"]) };
        assert!(make(&journal, &host, "a file", undo.clone(), &[failing]).await.is_err());
        let pending = super::super::journal::pending(journal.state_file()).unwrap();
        assert_eq!(pending.len(), 1, "the undo is journaled even when the step fails");
        assert_eq!(pending[0].undo, undo);
        let touch = Command::Exec { argv: argv(&["touch", &path]) };
        let id = make(&journal, &host, "a file", undo.clone(), &[touch]).await.unwrap();
        assert!(made.exists());
        unmake(&journal, &host, id, &undo).await.unwrap();
        assert!(!made.exists());
        let pending = super::super::journal::pending(journal.state_file()).unwrap();
        assert_eq!(pending.iter().map(|p| p.id).collect::<Vec<_>>(), [1]);
        assert!(heal(&host, &undo).await.is_ok(), "already gone counts as undone");
        assert!(heal(&host, &Command::Exec { argv: argv(&["false"]) }).await.is_err());
    }
}
