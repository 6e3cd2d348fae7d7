//! Raft RPC between members: JSON over HTTP to the peer's `/raft/...` routes.

use std::time::Duration;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use openraft::BasicNode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::TypeConfig;

/// How long one Raft RPC may take (a partitioned peer must not stall replication to others).
const RPC_TIMEOUT: Duration = Duration::from_millis(500);

/// Makes connections to peers; they share one HTTP client (and its connection pool).
#[derive(Debug, Clone)]
pub struct Network(reqwest::Client);

impl Default for Network {
    fn default() -> Network {
        let http = crate::target::http_client(RPC_TIMEOUT);
        Network(http)
    }
}

/// A connection to one peer.
pub struct Connection {
    http: reqwest::Client,
    target: u64,
    addr: String,
}

type RpcResult<T, E = openraft::error::Infallible> = Result<T, RPCError<u64, BasicNode, RaftError<u64, E>>>;

impl Connection {
    async fn call<Req, Resp, E>(&self, route: &str, req: Req) -> RpcResult<Resp, E>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let url = format!("http://{}/raft/{route}", self.addr);
        let resp = self.http.post(url).json(&req).send().await.map_err(|e| {
            if e.is_connect() {
                RPCError::Unreachable(Unreachable::new(&e))
            } else {
                RPCError::Network(NetworkError::new(&e))
            }
        })?;
        let answer: Result<Resp, RaftError<u64, E>> =
            resp.json().await.map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        answer.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Connection;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> Connection {
        Connection { http: self.0.clone(), target, addr: node.addr.clone() }
    }
}

impl RaftNetwork<TypeConfig> for Connection {
    async fn append_entries(
        &mut self,
        req: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<u64>> {
        self.call("append", req).await
    }

    async fn install_snapshot(
        &mut self,
        req: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<u64>, InstallSnapshotError> {
        self.call("snapshot", req).await
    }

    async fn vote(&mut self, req: VoteRequest<u64>, _option: RPCOption) -> RpcResult<VoteResponse<u64>> {
        self.call("vote", req).await
    }
}
