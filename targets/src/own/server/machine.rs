//! The Raft state machine: applies committed entries to [`Data`] and snapshots it whole (the
//! data of a test run is small).

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError, StorageIOError,
    StoredMembership,
};

use super::data::Data;
use super::TypeConfig;
use crate::own::api::{Reply, Request};

type Membership = StoredMembership<u64, BasicNode>;

#[derive(Debug, Default)]
struct Applied {
    last: Option<LogId<u64>>,
    membership: Membership,
    data: Data,
    snapshot: Option<(SnapshotMeta<u64, BasicNode>, Vec<u8>)>,
}

/// The state machine, shared between Raft and the read path.
#[derive(Debug, Clone)]
pub struct Machine {
    applied: Arc<Mutex<Applied>>,
    /// Whether the guarded register refuses lower fencing tokens (off with `unfenced-locks`).
    fence: bool,
}

impl Machine {
    /// An empty state machine; `fence` as [`Data::execute`] takes it.
    pub fn new(fence: bool) -> Machine {
        Machine { applied: Arc::default(), fence }
    }

    /// Executes a read-only request on this replica's data as it stands.
    pub fn read(&self, request: &Request) -> Reply {
        self.lock().data.execute(request, self.fence)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Applied> {
        self.applied.lock().expect("the state machine lock is never poisoned")
    }
}

impl RaftSnapshotBuilder<TypeConfig> for Machine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<u64>> {
        let mut applied = self.lock();
        let bytes = serde_json::to_vec(&applied.data).map_err(|e| StorageIOError::read_state_machine(&e))?;
        let id = applied.last.map_or_else(|| "empty".to_string(), |l| format!("{}-{}", l.leader_id, l.index));
        let meta =
            SnapshotMeta { last_log_id: applied.last, last_membership: applied.membership.clone(), snapshot_id: id };
        applied.snapshot = Some((meta.clone(), bytes.clone()));
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(bytes)) })
    }
}

impl RaftStateMachine<TypeConfig> for Machine {
    type SnapshotBuilder = Machine;

    async fn applied_state(&mut self) -> Result<(Option<LogId<u64>>, Membership), StorageError<u64>> {
        let applied = self.lock();
        Ok((applied.last, applied.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Reply>, StorageError<u64>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + Send,
    {
        let fence = self.fence;
        let mut applied = self.lock();
        let mut replies = Vec::new();
        for entry in entries {
            applied.last = Some(entry.log_id);
            replies.push(match entry.payload {
                EntryPayload::Blank => Reply::Ok { value: serde_json::Value::Null },
                EntryPayload::Normal(ref request) => applied.data.execute(request, fence),
                EntryPayload::Membership(members) => {
                    applied.membership = StoredMembership::new(Some(entry.log_id), members);
                    Reply::Ok { value: serde_json::Value::Null }
                }
            });
        }
        Ok(replies)
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError<u64>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<u64, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError<u64>> {
        let bytes = snapshot.into_inner();
        let data =
            serde_json::from_slice(&bytes).map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        let mut applied = self.lock();
        applied.last = meta.last_log_id;
        applied.membership = meta.last_membership.clone();
        applied.data = data;
        applied.snapshot = Some((meta.clone(), bytes));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError<u64>> {
        let applied = self.lock();
        Ok(applied
            .snapshot
            .as_ref()
            .map(|(meta, bytes)| Snapshot { meta: meta.clone(), snapshot: Box::new(Cursor::new(bytes.clone())) }))
    }

    async fn get_snapshot_builder(&mut self) -> Machine {
        self.clone()
    }
}
