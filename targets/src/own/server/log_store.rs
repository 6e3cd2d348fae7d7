//! The Raft log, durable on disk: one append-only file of JSON lines (votes, entries,
//! truncations, purges, the commit index), replayed on start. An entry counts as persisted
//! only after the file is fsynced, unless the `lazy-fsync` switch is on: then records wait in a
//! buffer of the server's own, flushed every 200 ms, and are acknowledged before that (a kill -9
//! loses the buffer whatever the page cache holds).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{Entry, LogId, LogState, RaftLogReader, StorageError, StorageIOError, Vote};
use serde::{Deserialize, Serialize};

use super::TypeConfig;

/// How often the `lazy-fsync` buffer is written out.
pub const LAZY_FLUSH_EVERY: Duration = Duration::from_millis(200);

/// One line of the log file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Record {
    Vote(Vote<u64>),
    Entry(Entry<TypeConfig>),
    /// Entries from this index on are gone (a new leader overwrote them).
    Truncate(u64),
    /// Entries up to this id are gone (snapshotted).
    Purge(LogId<u64>),
    Committed(Option<LogId<u64>>),
}

#[derive(Debug)]
struct Inner {
    file: File,
    /// Records not yet written to the file (only with `lazy-fsync`).
    pending: Vec<u8>,
    lazy: bool,
    entries: BTreeMap<u64, Entry<TypeConfig>>,
    vote: Option<Vote<u64>>,
    committed: Option<LogId<u64>>,
    purged: Option<LogId<u64>>,
}

/// The log store (cheap to clone; clones share one file).
#[derive(Debug, Clone)]
pub struct LogStore(Arc<Mutex<Inner>>);

type Result<T> = std::result::Result<T, StorageError<u64>>;

impl LogStore {
    /// Opens (or creates) the log at `path` and replays it; a torn last line (a crash
    /// mid-write) is dropped. With `lazy`, records are buffered and flushed every 200 ms by a
    /// task this spawns.
    pub fn open(path: &Path, lazy: bool) -> std::io::Result<LogStore> {
        let file = OpenOptions::new().create(true).read(true).append(true).open(path)?;
        let mut inner = Inner {
            file: file.try_clone()?,
            pending: Vec::new(),
            lazy,
            entries: BTreeMap::new(),
            vote: None,
            committed: None,
            purged: None,
        };
        for line in BufReader::new(file).lines() {
            let Ok(record) = serde_json::from_str::<Record>(&line?) else { break };
            inner.replay(record);
        }
        let store = LogStore(Arc::new(Mutex::new(inner)));
        if lazy {
            let flusher = store.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LAZY_FLUSH_EVERY).await;
                    if let Err(e) = flusher.lock().flush() {
                        tracing::error!("flushing the log buffer: {e}");
                    }
                }
            });
        }
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().expect("the log lock is never poisoned")
    }
}

impl Inner {
    fn replay(&mut self, record: Record) {
        match record {
            Record::Vote(vote) => self.vote = Some(vote),
            Record::Entry(entry) => {
                self.entries.insert(entry.log_id.index, entry);
            }
            Record::Truncate(from) => {
                self.entries.split_off(&from);
            }
            Record::Purge(upto) => {
                self.entries = self.entries.split_off(&(upto.index + 1));
                self.purged = Some(upto);
            }
            Record::Committed(committed) => self.committed = committed,
        }
    }

    /// Adds `records` to the log and applies them in memory, on disk as `when` says.
    fn write(&mut self, records: Vec<Record>, when: Sync) -> std::io::Result<()> {
        for record in &records {
            serde_json::to_writer(&mut self.pending, record)?;
            self.pending.push(b'\n');
        }
        for record in records {
            self.replay(record);
        }
        let sync = match when {
            Sync::Now => true,
            Sync::Entries => !self.lazy,
            Sync::Never => false,
        };
        if sync || !self.lazy {
            self.file.write_all(&self.pending)?;
            self.pending.clear();
        }
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Writes the buffered records to the file and syncs it.
    fn flush(&mut self) -> std::io::Result<()> {
        self.write(Vec::new(), Sync::Now)
    }
}

/// When a write reaches the disk.
#[derive(Debug, Clone, Copy)]
enum Sync {
    /// Before it returns, with every record buffered before it.
    Now,
    /// Log entries: now, or at the next flush with `lazy-fsync`.
    Entries,
    /// Whenever the file is next written (the commit index: Raft does not need it durable).
    Never,
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>> {
        Ok(self.lock().entries.range(range).map(|(_, e)| e.clone()).collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>> {
        let inner = self.lock();
        let last = inner.entries.values().next_back().map(|e| e.log_id).or(inner.purged);
        Ok(LogState { last_purged_log_id: inner.purged, last_log_id: last })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<()> {
        // A vote is never deferred: granting two votes in one term would break elections.
        self.lock().write(vec![Record::Vote(*vote)], Sync::Now).map_err(|e| StorageIOError::write_vote(&e))?;
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>> {
        Ok(self.lock().vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId<u64>>) -> Result<()> {
        self.lock().write(vec![Record::Committed(committed)], Sync::Never).map_err(|e| StorageIOError::write(&e))?;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>> {
        Ok(self.lock().committed)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<()>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
    {
        let records = entries.into_iter().map(Record::Entry).collect();
        let written = self.lock().write(records, Sync::Entries);
        let ok = written.as_ref().map(|_| ()).map_err(|e| std::io::Error::new(e.kind(), e.to_string()));
        callback.log_io_completed(ok);
        written.map_err(|e| StorageIOError::write_logs(&e))?;
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<()> {
        self.lock()
            .write(vec![Record::Truncate(log_id.index)], Sync::Now)
            .map_err(|e| StorageIOError::write_logs(&e))?;
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<()> {
        self.lock().write(vec![Record::Purge(log_id)], Sync::Now).map_err(|e| StorageIOError::write_logs(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::own::api::Request;
    use openraft::{CommittedLeaderId, EntryPayload};

    fn entry(index: u64) -> Entry<TypeConfig> {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
            payload: EntryPayload::Normal(Request::Add { element: index as i64 }),
        }
    }

    fn indices(store: &LogStore) -> Vec<u64> {
        store.lock().entries.keys().copied().collect()
    }

    /// Fails if a reopened log differs from what was written, or a torn last line stops it opening.
    #[tokio::test]
    async fn a_reopened_log_holds_its_entries_vote_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raft.log");
        let store = LogStore::open(&path, false).unwrap();
        store.lock().write((1..=5).map(|i| Record::Entry(entry(i))).collect(), Sync::Entries).unwrap();
        store.lock().write(vec![Record::Vote(Vote::new(3, 2)), Record::Truncate(4)], Sync::Now).unwrap();
        drop(store);
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"entry\":{\"log_").unwrap();
        let reopened = LogStore::open(&path, false).unwrap();
        assert_eq!(indices(&reopened), [1, 2, 3]);
        assert_eq!(reopened.lock().vote, Some(Vote::new(3, 2)));
    }

    /// Fails if lazy-fsync writes entries at once (then kill -9 would lose nothing) or never.
    #[tokio::test]
    async fn lazy_entries_reach_the_file_only_at_the_next_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("raft.log");
        let store = LogStore::open(&path, true).unwrap();
        store.lock().write(vec![Record::Entry(entry(1))], Sync::Entries).unwrap();
        assert_eq!(indices(&store), [1]);
        assert_eq!(indices(&LogStore::open(&path, false).unwrap()), Vec::<u64>::new());
        tokio::time::sleep(LAZY_FLUSH_EVERY * 2).await;
        assert_eq!(indices(&LogStore::open(&path, false).unwrap()), [1]);
    }
}
