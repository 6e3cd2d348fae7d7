//! The HTTP routes: Raft RPC from peers (`/raft/...`) and the client API (`POST /op`). Reads go
//! through the Raft read index; writes through the log; a member that does not lead forwards
//! the request to the one that does (once, after waiting a while for one to be known), so a
//! client may talk to any member.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use openraft::error::{CheckIsLeaderError, ClientWriteError, ForwardToLeader, RaftError};
use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use openraft::BasicNode;

use super::lease::{wall_ms, WallLease};
use super::machine::Machine;
use super::stamp::Stamper;
use super::{Raft, TypeConfig};
use crate::bugs::{Bug, Bugs};
use crate::own::api::{Reply, Request};

/// A request a member forwarded carries this header; its receiver does not forward it again.
const FORWARDED: &str = "x-faultline-forwarded";

/// How long the server works on one client request before saying it does not know the outcome
/// (below the client's own timeout, so the client hears why).
const OP_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long a member that knows no leader (just resumed, or mid-election) waits to learn one
/// before it refuses a request.
const LEADER_WAIT: Duration = Duration::from_millis(1000);

/// One member as its routes see it.
pub struct Node {
    id: u64,
    raft: Raft,
    machine: Machine,
    members: BTreeMap<u64, BasicNode>,
    bugs: Bugs,
    http: reqwest::Client,
    /// Renewed by every read-index check; read only with `clock-lease-reads`.
    lease: WallLease,
    /// Stamps the lock requests this member logs as leader.
    stamper: Stamper,
}

impl Node {
    /// The member `id` with its Raft instance, state machine, peers and switches.
    pub fn new(id: u64, raft: Raft, machine: Machine, members: BTreeMap<u64, BasicNode>, bugs: Bugs) -> Arc<Node> {
        let http = crate::target::http_client(OP_TIMEOUT);
        Arc::new(Node {
            id,
            raft,
            machine,
            members,
            bugs,
            http,
            lease: WallLease::default(),
            stamper: Stamper::default(),
        })
    }

    async fn serve(&self, request: Request, forwarded: bool) -> Reply {
        let reads = request.reads_only();
        match tokio::time::timeout(OP_TIMEOUT, self.execute(request, forwarded)).await {
            Ok(reply) => reply,
            Err(_) if reads => Reply::Refused { reason: "timed out".into() },
            Err(_) => Reply::Unsure { reason: "timed out".into() },
        }
    }

    async fn execute(&self, request: Request, forwarded: bool) -> Reply {
        if request.reads_only() {
            if self.bugs.has(Bug::StaleReads) {
                return self.machine.read(&request);
            }
            if self.bugs.has(Bug::ClockLeaseReads) && self.leads() && self.lease.holds() {
                // The bug: no quorum check while a lease timed with the wall clock holds.
                return self.machine.read(&request);
            }
            let started = wall_ms();
            return match self.raft.ensure_linearizable().await {
                Ok(_) => {
                    self.lease.renew(started);
                    self.machine.read(&request)
                }
                Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(to))) => {
                    self.forward(to, request, forwarded).await
                }
                Err(e) => Reply::Refused { reason: e.to_string() },
            };
        }
        if self.bugs.has(Bug::AckBeforeCommit)
            && self.leads()
            && matches!(request, Request::Write { .. } | Request::Add { .. })
        {
            // The bug: acknowledged once proposed to this leader's own log, before a majority has it.
            return match self.raft.client_write_ff(request).await {
                Ok(_) => Reply::Ok { value: serde_json::Value::Null },
                Err(e) => Reply::Unsure { reason: e.to_string() },
            };
        }
        let stamp = self.stamper.stamp(self.raft.metrics().borrow().current_term);
        match self.raft.client_write(request.clone().stamped(stamp)).await {
            Ok(written) => written.data,
            // Not leading when it arrived, or truncated by a new leader: it is not in the log.
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(to))) => {
                self.forward(to, request, forwarded).await
            }
            Err(RaftError::APIError(e)) => Reply::Refused { reason: e.to_string() },
            Err(RaftError::Fatal(e)) => Reply::Unsure { reason: e.to_string() },
        }
    }

    /// The leader this member learns of within [`LEADER_WAIT`].
    async fn await_leader(&self) -> Option<u64> {
        let wait = self.raft.wait(Some(LEADER_WAIT));
        let known = wait.metrics(|m| m.current_leader.is_some(), "a known leader").await;
        known.ok().and_then(|m| m.current_leader)
    }

    /// Whether this member believes it leads.
    fn leads(&self) -> bool {
        self.raft.metrics().borrow().current_leader == Some(self.id)
    }

    /// Sends `request` to the leader once; a request that was forwarded already is refused.
    async fn forward(&self, to: ForwardToLeader<u64, BasicNode>, request: Request, forwarded: bool) -> Reply {
        let leader = match to.leader_id {
            None if !forwarded => self.await_leader().await,
            known => known,
        };
        let leader = leader.filter(|l| *l != self.id).and_then(|l| self.members.get(&l));
        let (Some(leader), false) = (leader, forwarded) else {
            return Reply::Refused { reason: format!("member {} does not lead and knows no leader", self.id) };
        };
        let url = format!("http://{}/op", leader.addr);
        let sent = self.http.post(url).header(FORWARDED, "1").json(&request).send().await;
        let reply = match sent {
            Ok(resp) => resp.json::<Reply>().await.map_err(|e| e.to_string()),
            Err(e) if e.is_connect() => return Reply::Refused { reason: format!("leader unreachable: {e}") },
            Err(e) => Err(e.to_string()),
        };
        reply.unwrap_or_else(|reason| match request.reads_only() {
            true => Reply::Refused { reason },
            false => Reply::Unsure { reason },
        })
    }
}

/// Every route of a member.
pub fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route("/op", post(op))
        .route("/status", get(status))
        .route("/raft/append", post(append))
        .route("/raft/vote", post(vote))
        .route("/raft/snapshot", post(snapshot))
        .with_state(node)
}

async fn op(State(node): State<Arc<Node>>, headers: HeaderMap, Json(request): Json<Request>) -> Json<Reply> {
    Json(node.serve(request, headers.contains_key(FORWARDED)).await)
}

/// The member's id, the leader it knows and its wall clock in ms since the epoch (as the
/// server reads it: a clock fault shows here).
async fn status(State(node): State<Arc<Node>>) -> Json<serde_json::Value> {
    let leader = node.raft.metrics().borrow().current_leader;
    Json(serde_json::json!({"id": node.id, "leader": leader, "wall_ms": wall_ms()}))
}

async fn append(
    State(node): State<Arc<Node>>,
    Json(req): Json<AppendEntriesRequest<TypeConfig>>,
) -> impl axum::response::IntoResponse {
    Json(node.raft.append_entries(req).await)
}

async fn vote(State(node): State<Arc<Node>>, Json(req): Json<VoteRequest<u64>>) -> impl axum::response::IntoResponse {
    Json(node.raft.vote(req).await)
}

async fn snapshot(
    State(node): State<Arc<Node>>,
    Json(req): Json<InstallSnapshotRequest<TypeConfig>>,
) -> impl axum::response::IntoResponse {
    Json(node.raft.install_snapshot(req).await)
}
