//! The fault journal: before anything is made or broken, what will undo it is appended here
//! (in the run folder and in a machine-wide state file). Healing undoes every entry not yet
//! marked done, newest first: on a clean end, on Ctrl-C/SIGTERM/panic, and after kill -9 via
//! `faultline heal` or the next run's setup.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

/// The folder of machine-wide state files, one per live run.
pub const STATE_DIR: &str = "/var/lib/faultline/active";

/// How to undo one thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "undo", rename_all = "kebab-case")]
pub enum Undo {
    /// Run this command (delete a rule, a namespace, a bridge, a folder).
    Command {
        /// The command.
        argv: Vec<String>,
    },
    /// SIGCONT the process in this pidfile (a pause).
    Resume {
        /// The pidfile.
        pidfile: PathBuf,
    },
    /// Stop the process in this pidfile: SIGCONT, SIGTERM, then SIGKILL after the grace.
    Stop {
        /// The pidfile.
        pidfile: PathBuf,
        /// The executable's file name, checked against /proc before signalling (pid reuse).
        exe: String,
        /// Milliseconds between SIGTERM and SIGKILL.
        grace_ms: u64,
    },
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum Entry {
    /// Something made or broken, with its undo.
    Made {
        /// Unique within the run.
        id: u64,
        /// What it is, for people.
        what: String,
        /// How to undo it.
        #[serde(flatten)]
        undo: Undo,
    },
    /// The entry with this id was undone.
    Done {
        /// The id.
        id: u64,
    },
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
        let state_file = Path::new(STATE_DIR).join(format!("{run_id}.jsonl"));
        let files = (append(&run_dir.join("journal.jsonl"))?, append(&state_file)?, 0);
        Ok(Journal { files: Mutex::new(files), state_file })
    }

    fn write(&self, entry: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.0.write_all(line.as_bytes())?;
        files.1.write_all(line.as_bytes())?;
        files.1.sync_data()
    }

    /// Records how to undo `what` before it is done; returns the entry's id.
    pub fn made(&self, what: &str, undo: Undo) -> std::io::Result<u64> {
        let id = {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            files.2 += 1;
            files.2
        };
        self.write(&Entry::Made { id, what: what.to_string(), undo })?;
        Ok(id)
    }

    /// Marks entry `id` undone.
    pub fn done(&self, id: u64) -> std::io::Result<()> {
        self.write(&Entry::Done { id })
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
pub fn pending(path: &Path) -> std::io::Result<Vec<(u64, String, Undo)>> {
    let mut made = Vec::new();
    let mut done = std::collections::HashSet::new();
    for line in BufReader::new(File::open(path)?).lines() {
        match serde_json::from_str::<Entry>(&line?) {
            Ok(Entry::Made { id, what, undo }) => made.push((id, what, undo)),
            Ok(Entry::Done { id }) => {
                done.insert(id);
            }
            Err(_) => continue,
        }
    }
    made.retain(|(id, _, _)| !done.contains(id));
    made.reverse();
    Ok(made)
}

fn pid_of(pidfile: &Path, exe: Option<&str>) -> Option<Pid> {
    let pid: i32 = fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    if let Some(exe) = exe {
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let argv0 = cmdline.split(|b| *b == 0).next()?;
        if !String::from_utf8_lossy(argv0).ends_with(exe) {
            return None;
        }
    }
    Some(Pid::from_raw(pid))
}

fn alive(pid: Pid) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(false)
}

/// What `ip` and `iptables` say when the thing to undo is already gone: undoing is idempotent.
const ALREADY_GONE: [&str; 5] = [
    "Cannot find device",
    "No such file or directory",
    "does a matching rule exist",
    "No chain/target/match",
    "does not exist",
];

/// Undoes one entry. Returns a line describing a failure, if any.
pub fn undo(undo: &Undo) -> Result<(), String> {
    match undo {
        Undo::Command { argv } => {
            let out = std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .output()
                .map_err(|e| format!("{}: {e}", argv.join(" ")))?;
            let said = String::from_utf8_lossy(&out.stderr);
            if out.status.success() || ALREADY_GONE.iter().any(|gone| said.contains(gone)) {
                Ok(())
            } else {
                Err(format!("{}: {}", argv.join(" "), said.trim()))
            }
        }
        Undo::Resume { pidfile } => {
            if let Some(pid) = pid_of(pidfile, None) {
                let _ = kill(pid, Signal::SIGCONT);
            }
            Ok(())
        }
        Undo::Stop { pidfile, exe, grace_ms } => {
            let Some(pid) = pid_of(pidfile, Some(exe)) else { return Ok(()) };
            let _ = kill(pid, Signal::SIGCONT);
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_millis(*grace_ms);
            while alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if alive(pid) {
                let _ = kill(pid, Signal::SIGKILL);
            }
            Ok(())
        }
    }
}

/// Undoes everything `path` still lists, newest first; returns the failures (one line each).
pub fn heal_file(path: &Path) -> Vec<String> {
    match pending(path) {
        Ok(entries) => {
            entries.iter().filter_map(|(_, what, u)| undo(u).err().map(|e| format!("undoing {what}: {e}"))).collect()
        }
        Err(e) => vec![format!("{}: {e}", path.display())],
    }
}

/// Heals every leftover machine-wide state file (crashed earlier runs) and removes them.
/// Returns what was healed and the failures.
pub fn heal_leftovers() -> (Vec<String>, Vec<String>) {
    let mut healed = Vec::new();
    let mut failures = Vec::new();
    let Ok(dir) = fs::read_dir(STATE_DIR) else { return (healed, failures) };
    for file in dir.flatten() {
        let path = file.path();
        let errs = heal_file(&path);
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

    #[test]
    fn pending_lists_undone_entries_newest_first() {
        let dir = std::env::temp_dir().join(format!("fl-journal-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let cmd = |s: &str| Undo::Command { argv: vec!["true".into(), s.into()] };
        let mut text = String::new();
        for (id, what) in [(1, "a"), (2, "b"), (3, "c")] {
            text += &serde_json::to_string(&Entry::Made { id, what: what.into(), undo: cmd(what) }).unwrap();
            text.push('\n');
        }
        text += &serde_json::to_string(&Entry::Done { id: 2 }).unwrap();
        text += "\n{\"entry\":\"ma";
        fs::write(&path, text).unwrap();
        let whats: Vec<String> = pending(&path).unwrap().into_iter().map(|(_, w, _)| w).collect();
        assert_eq!(whats, ["c", "a"]);
        assert!(heal_file(&path).is_empty());
        let gone = Undo::Command { argv: vec!["ip".into(), "link".into(), "del".into(), "fl-no-such-link".into()] };
        assert_eq!(undo(&gone), Ok(()));
        fs::remove_dir_all(&dir).unwrap();
    }
}
