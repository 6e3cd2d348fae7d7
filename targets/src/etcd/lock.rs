//! The lock workload on etcd: v3lock over the JSON gateway with a lease per hold, the token the
//! lock key's create revision, and the guarded register a key written by a txn that refuses a
//! token lower than the one it holds (fencing).

use std::time::Duration;

use checkers::OpType;
use workloads::lock::{read_value, Hold, LockOp, LOCK_WAIT};
use workloads::Invocation;

use super::client::EtcdClient;
use super::gateway;
use crate::target::done;
use crate::target::Completion;

impl EtcdClient {
    /// Runs one lock op.
    pub(super) async fn lock_op(&self, op: &Invocation, lock: LockOp) -> Completion {
        match lock {
            LockOp::Acquire { ttl } => self.acquire(op, ttl).await,
            LockOp::Write { token, value } => {
                let body = gateway::fenced_write(token, value);
                match self.request(op, "/v3/kv/txn", &body, true, Some(LOCK_WAIT)).await {
                    Ok(resp) if gateway::txn_succeeded(&resp) => {
                        done(OpType::Fail, op.value.clone(), Some("fenced".into()))
                    }
                    Ok(_) => done(OpType::Ok, op.value.clone(), None),
                    Err(completion) => completion,
                }
            }
            LockOp::Read { token } => {
                let body = gateway::range(gateway::GUARDED_KEY, false);
                let resp = match self.request(op, "/v3/kv/range", &body, false, Some(LOCK_WAIT)).await {
                    Ok(resp) => resp,
                    Err(completion) => return completion,
                };
                match gateway::guarded_value(&resp) {
                    Ok(register) => done(OpType::Ok, read_value(token, register), None),
                    Err(e) => done(OpType::Fail, op.value.clone(), Some(e.to_string())),
                }
            }
            LockOp::Release(hold) => {
                match self.request(op, "/v3/lock/unlock", &gateway::unlock(&hold.key), true, Some(LOCK_WAIT)).await {
                    Ok(_) => done(OpType::Ok, op.value.clone(), None),
                    Err(completion) => completion,
                }
            }
        }
    }

    /// Grants a lease, takes the lock with it and reads the lock key's create revision (the
    /// token). A grant that fails takes no lock (`fail`); once the lock was asked for, any
    /// trouble is `info` (it may be granted), and the lease is revoked so a lock granted late
    /// does not block the others for a whole TTL.
    async fn acquire(&self, op: &Invocation, ttl: u64) -> Completion {
        let grant = match self.request(op, "/v3/lease/grant", &gateway::lease_grant(ttl), false, None).await {
            Ok(resp) => gateway::lease_id(&resp),
            Err(completion) => return completion,
        };
        let lease = match grant {
            Ok(lease) => lease,
            Err(e) => return done(OpType::Fail, op.value.clone(), Some(e.to_string())),
        };
        let body = gateway::lock(lease);
        let taken = tokio::select! {
            taken = self.request(op, "/v3/lock/lock", &body, true, Some(LOCK_WAIT)) => taken,
            never = self.keep_alive(op, lease, ttl) => match never {},
        };
        let key = match taken.map(|resp| gateway::lock_key(&resp)) {
            Ok(Ok(key)) => key,
            Ok(Err(e)) => return self.abandon(op, lease, e.to_string()).await,
            Err(completion) => return self.abandon(op, lease, completion.error.unwrap_or_default()).await,
        };
        let read = self.request(op, "/v3/kv/range", &gateway::range(&key, false), true, None).await;
        match read.as_ref().ok().and_then(gateway::create_revision) {
            Some(token) => done(OpType::Ok, Hold { token, lease, key }.acquired(ttl), None),
            None => self.abandon(op, lease, format!("lock {key} granted, but its revision could not be read")).await,
        }
    }

    /// Keeps `lease` alive while its acquire waits for the lock (others hold it first); the hold
    /// itself gets no keepalive, so a holder stalled longer than `ttl` loses the lock.
    async fn keep_alive(&self, op: &Invocation, lease: i64, ttl: u64) -> std::convert::Infallible {
        let every = Duration::from_millis(ttl * 1000 / 3);
        loop {
            tokio::time::sleep(every).await;
            // A keepalive that fails is retried at the next tick; the lock request times out.
            let _ = self.request(op, "/v3/lease/keepalive", &gateway::lease_ref(lease), true, None).await;
        }
    }

    /// An acquire that may have taken the lock: `info`, its lease revoked (best effort).
    async fn abandon(&self, op: &Invocation, lease: i64, why: String) -> Completion {
        // A revoke that fails leaves the lease to expire on its own after its TTL.
        let _ = self.request(op, "/v3/lease/revoke", &gateway::lease_ref(lease), true, None).await;
        done(OpType::Info, op.value.clone(), Some(why))
    }
}
