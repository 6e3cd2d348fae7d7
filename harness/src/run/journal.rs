//! The fault journal: before anything is made or broken, what will undo it is appended here
//! (in the run folder and in a machine-wide state file). Healing undoes every entry not yet
//! marked done, newest first: on a clean end, on Ctrl-C/SIGTERM/panic, and after kill -9 via
//! `faultline heal` or the next run's setup.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use nemesis::Command;
use serde::{Deserialize, Serialize};

use super::executor;
use crate::remote::{connect, Reach, Remote};

/// The folder of machine-wide state files, one per live run.
pub const STATE_DIR: &str = "/var/lib/faultline/active";

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum Entry {
    /// Something made or broken, with its undo.
    Made(Pending),
    /// The entry with this id was undone.
    Done {
        /// The id of the `made` entry that is undone.
        id: u64,
    },
    /// The abort guard fired: the nemesis heals everything now and injects nothing more.
    Aborted {
        /// Milliseconds since the run started.
        at_ms: u64,
        /// Why, e.g. `availability 0.00 < 0.5 for 10 s`.
        why: String,
    },
}

/// Something made or broken and not yet undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Unique within the run.
    pub id: u64,
    /// What it is, for people.
    pub what: String,
    /// The node it was done on (`host` for the controller).
    pub node: String,
    /// How to reach that node (never a secret: no key contents, no passwords).
    pub reach: Reach,
    /// The command that undoes it.
    pub undo: Command,
}

/// The journal of one live run.
pub struct Journal {
    files: Mutex<(File, File, u64)>,
    state_file: PathBuf,
}

fn append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Journal {
    /// Opens `run_dir/journal.jsonl` and the machine-wide state file for `run_id`.
    pub fn create(run_dir: &Path, run_id: &str) -> std::io::Result<Journal> {
        fs::create_dir_all(STATE_DIR)?;
        Journal::open(run_dir, &Path::new(STATE_DIR).join(format!("{run_id}.jsonl")))
    }

    /// Opens `run_dir/journal.jsonl` and the state file `state_file`.
    pub fn open(run_dir: &Path, state_file: &Path) -> std::io::Result<Journal> {
        let files = (append(&run_dir.join("journal.jsonl"))?, append(state_file)?, 0);
        Ok(Journal { files: Mutex::new(files), state_file: state_file.to_path_buf() })
    }

    fn write(&self, entry: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.0.write_all(line.as_bytes())?;
        files.1.write_all(line.as_bytes())?;
        files.1.sync_data()
    }

    /// Records how to undo `what`, about to be done on `remote`'s node; returns the entry's id.
    pub fn made(&self, what: &str, remote: &dyn Remote, undo: Command) -> std::io::Result<u64> {
        let id = {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            files.2 += 1;
            files.2
        };
        let (node, reach) = (remote.node().to_string(), remote.reach());
        self.write(&Entry::Made(Pending { id, what: what.to_string(), node, reach, undo }))?;
        Ok(id)
    }

    /// Marks entry `id` undone.
    pub fn done(&self, id: u64) -> std::io::Result<()> {
        self.write(&Entry::Done { id })
    }

    /// Notes that the abort guard fired, and why.
    pub fn aborted(&self, at_ms: u64, why: &str) -> std::io::Result<()> {
        self.write(&Entry::Aborted { at_ms, why: why.to_string() })
    }

    /// Removes the machine-wide state file (everything is undone).
    pub fn close(self) -> std::io::Result<()> {
        fs::remove_file(&self.state_file)
    }

    /// The machine-wide state file.
    pub fn state_file(&self) -> &Path {
        &self.state_file
    }
}

/// The entries of a journal file still to undo, newest first. A torn last line is skipped.
pub fn pending(path: &Path) -> std::io::Result<Vec<Pending>> {
    let mut made = Vec::new();
    let mut done = std::collections::HashSet::new();
    for line in BufReader::new(File::open(path)?).lines() {
        match serde_json::from_str::<Entry>(&line?) {
            Ok(Entry::Made(entry)) => made.push(entry),
            Ok(Entry::Done { id }) => {
                done.insert(id);
            }
            Ok(Entry::Aborted { .. }) | Err(_) => continue,
        }
    }
    made.retain(|entry| !done.contains(&entry.id));
    made.reverse();
    Ok(made)
}

/// Undoes everything `path` still lists, newest first, each on its node through a remote made
/// from the entry; returns the failures (one line each). Restarts of killed daemons are
/// skipped (see [`Command::heals_a_crashed_run`]).
pub async fn heal_file(path: &Path) -> Vec<String> {
    let entries = match pending(path) {
        Ok(entries) => entries,
        Err(e) => return vec![format!("{}: {e}", path.display())],
    };
    let mut failures = Vec::new();
    for entry in entries.iter().filter(|e| e.undo.heals_a_crashed_run()) {
        let remote = connect(&entry.node, &entry.reach);
        if let Err(e) = executor::heal(remote.as_ref(), &entry.undo).await {
            failures.push(format!("undoing {}: {e}", entry.what));
        }
    }
    failures
}

/// [`heal_file`] from code that is not async (a panic hook, the start of a session): on a
/// thread of its own with a runtime of its own, so it works inside a runtime too.
pub fn heal_file_blocking(path: &Path) -> Vec<String> {
    let path = path.to_path_buf();
    let healer = std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(heal_file(&path)),
        Err(e) => vec![format!("cannot start a runtime to heal {}: {e}", path.display())],
    });
    healer.join().unwrap_or_else(|_| vec!["the healer panicked".to_string()])
}

/// Heals every leftover machine-wide state file (crashed earlier runs) and removes them.
/// Returns what was healed and the failures.
pub fn heal_leftovers() -> (Vec<String>, Vec<String>) {
    let mut healed = Vec::new();
    let mut failures = Vec::new();
    let Ok(dir) = fs::read_dir(STATE_DIR) else { return (healed, failures) };
    for file in dir.flatten() {
        let path = file.path();
        let errs = heal_file_blocking(&path);
        if errs.is_empty() {
            let _ = fs::remove_file(&path);
        }
        healed.push(path.display().to_string());
        failures.extend(errs);
    }
    (healed, failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::exec::argv;
    use crate::remote::local::LocalRemote;

    #[test]
    fn pending_lists_undone_entries_newest_first_and_healing_runs_them() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path(), &dir.path().join("state.jsonl")).unwrap();
        let host = LocalRemote::host("host");
        let file = |what: &str| dir.path().join(what).to_string_lossy().into_owned();
        for what in ["a", "b", "c"] {
            fs::write(file(what), "").unwrap();
            journal.made(what, &host, Command::Exec { argv: argv(&["rm", &file(what)]) }).unwrap();
        }
        journal.done(2).unwrap();
        let mut text = fs::read_to_string(journal.state_file()).unwrap();
        text += "{\"entry\":\"ma";
        fs::write(journal.state_file(), text).unwrap();
        let whats: Vec<String> = pending(journal.state_file()).unwrap().into_iter().map(|p| p.what).collect();
        assert_eq!(whats, ["c", "a"]);
        assert_eq!(pending(journal.state_file()).unwrap()[0].reach, Reach::Local);
        assert!(heal_file_blocking(journal.state_file()).is_empty());
        assert!(!Path::new(&file("a")).exists() && !Path::new(&file("c")).exists());
        assert!(Path::new(&file("b")).exists(), "a done entry is not undone");
        assert!(heal_file_blocking(journal.state_file()).is_empty(), "healing twice is harmless");
    }
}
