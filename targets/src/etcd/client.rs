//! The etcd client over the JSON gateway, with faultline's error classes: a refused connection
//! or a compare mismatch is `fail`; anything after the request may have reached etcd (timeout,
//! reset, server error) is `info` for writes and CAS and `fail` for reads.
//!
//! List-append and bank transactions follow Jepsen's approach: read the keys (values and mod
//! revisions, at one revision), compute the writes, then commit one txn that puts them only if
//! every key read still has its mod revision; a conflicting transaction fails (definitely: the
//! compare refused it), it never clobbers.

use std::time::Duration;

use checkers::OpType;
use serde_json::{json, Value};
use workloads::bank::{self, BankOp};
use workloads::list_append;
use workloads::lock::LockOp;
use workloads::register::RegisterOp;
use workloads::rw_register::{self, Mop};
use workloads::set::SetOp;
use workloads::Invocation;

use super::client_url;
use super::gateway;
use crate::target::{done, BoxFuture, Client, Completion, NodeSpec};

/// A client bound to one etcd member.
pub struct EtcdClient {
    http: reqwest::Client,
    base: String,
    serializable: bool,
    workload: String,
}

/// How a request ended short of a decoded response.
enum Trouble {
    /// The request provably never reached etcd (connection refused).
    NotSent(String),
    /// It may have reached etcd.
    Maybe(String),
}

impl EtcdClient {
    /// A client of `node`'s gateway; each request gives up after `timeout`.
    pub fn new(node: &NodeSpec, serializable: bool, timeout: Duration) -> EtcdClient {
        let http = crate::target::http_client(timeout);
        EtcdClient { http, base: client_url(node), serializable, workload: String::new() }
    }

    /// The same client, running the ops of workload `name` (two workloads may share an op's
    /// shape: a read-only transaction, a read of null).
    pub fn for_workload(self, name: &str) -> EtcdClient {
        EtcdClient { workload: name.to_string(), ..self }
    }

    async fn post(&self, path: &str, body: &Value, timeout: Option<Duration>) -> Result<Value, Trouble> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.post(&url).json(body);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let resp = request.send().await.map_err(|e| {
            if e.is_connect() {
                Trouble::NotSent(format!("connect: {e}"))
            } else if e.is_timeout() {
                Trouble::Maybe("timeout".into())
            } else {
                Trouble::Maybe(e.to_string())
            }
        })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| Trouble::Maybe(format!("reading the response: {e}")))?;
        if !status.is_success() {
            return Err(Trouble::Maybe(gateway::error_message(&text)));
        }
        serde_json::from_str(&text).map_err(|e| Trouble::Maybe(format!("response is not JSON: {e}")))
    }

    /// `(member_id, leader_id)` as this member reports them.
    pub async fn status(&self) -> Option<(String, String)> {
        self.post("/v3/maintenance/status", &json!({}), None).await.ok().as_ref().and_then(gateway::status_ids)
    }

    /// Whether a linearizable read of a probe key succeeds.
    pub async fn probe(&self) -> bool {
        self.post("/v3/kv/range", &gateway::range("faultline/probe", false), None).await.is_ok()
    }

    /// Whether `op` is one this client runs (an op of its workload).
    pub fn runs(&self, op: &Invocation) -> bool {
        match self.workload.as_str() {
            "list-append" => list_append::decode(op).is_some(),
            "bank" => BankOp::decode(op).is_some(),
            "lock" => LockOp::decode(op).is_some(),
            _ => RegisterOp::decode(op).is_some() || SetOp::decode(op).is_some() || rw_register::decode(op).is_some(),
        }
    }

    async fn execute(&self, op: &Invocation) -> Completion {
        match self.workload.as_str() {
            "list-append" => {
                if let Some(mops) = list_append::decode(op) {
                    return self.list_append(op, &mops).await;
                }
            }
            "bank" => {
                if let Some(bank) = BankOp::decode(op) {
                    return self.bank(op, bank).await;
                }
            }
            "lock" => {
                if let Some(lock) = LockOp::decode(op) {
                    return self.lock_op(op, lock).await;
                }
            }
            _ => return self.register_set_or_txn(op).await,
        }
        done(OpType::Fail, op.value.clone(), Some(format!("etcd cannot run {} {}", op.f, op.value)))
    }

    async fn register_set_or_txn(&self, op: &Invocation) -> Completion {
        if let Some(reg) = RegisterOp::decode(op) {
            return self.register(op, reg).await;
        }
        if let Some(set) = SetOp::decode(op) {
            return self.set(op, set).await;
        }
        if let Some(mops) = rw_register::decode(op) {
            return self.txn(op, &mops).await;
        }
        done(OpType::Fail, op.value.clone(), Some(format!("etcd cannot run {} {}", op.f, op.value)))
    }

    /// Posts a request for `op`; `Err` is the completion when the request did not succeed:
    /// `fail` when it never reached etcd or only read, `info` when it may have written; `timeout`
    /// replaces the client's for this request.
    pub(super) async fn request(
        &self,
        op: &Invocation,
        path: &str,
        body: &Value,
        writes: bool,
        timeout: Option<Duration>,
    ) -> Result<Value, Completion> {
        self.post(path, body, timeout).await.map_err(|trouble| match trouble {
            Trouble::NotSent(e) => Completion { refused: true, ..done(OpType::Fail, op.value.clone(), Some(e)) },
            Trouble::Maybe(e) => done(if writes { OpType::Info } else { OpType::Fail }, op.value.clone(), Some(e)),
        })
    }

    async fn register(&self, op: &Invocation, reg: RegisterOp) -> Completion {
        let key = gateway::key(reg.key());
        let (path, body) = match reg {
            RegisterOp::Read(_) => ("/v3/kv/range", gateway::range(&key, self.serializable)),
            RegisterOp::Write(_, v) => ("/v3/kv/put", gateway::put(&key, v)),
            RegisterOp::Cas(_, old, new) => ("/v3/kv/txn", gateway::cas(&key, old, new)),
        };
        let resp = match self.request(op, path, &body, !matches!(reg, RegisterOp::Read(_)), None).await {
            Ok(resp) => resp,
            Err(completion) => return completion,
        };
        match reg {
            RegisterOp::Read(k) => match gateway::range_value(&resp) {
                Ok(v) => done(OpType::Ok, json!([k, v]), None),
                Err(e) => done(OpType::Fail, op.value.clone(), Some(e.to_string())),
            },
            RegisterOp::Write(..) => done(OpType::Ok, op.value.clone(), None),
            RegisterOp::Cas(..) if gateway::txn_succeeded(&resp) => done(OpType::Ok, op.value.clone(), None),
            RegisterOp::Cas(..) => done(OpType::Fail, op.value.clone(), Some("mismatch".into())),
        }
    }

    async fn txn(&self, op: &Invocation, mops: &[Mop]) -> Completion {
        let writes = mops.iter().any(|m| matches!(m, Mop::Write(..)));
        let resp = match self.request(op, "/v3/kv/txn", &gateway::txn(mops), writes, None).await {
            Ok(resp) => resp,
            Err(completion) => return completion,
        };
        match gateway::txn_reads(mops, &resp) {
            Ok(reads) => done(OpType::Ok, rw_register::completed(mops, &reads), None),
            Err(e) => done(if writes { OpType::Info } else { OpType::Fail }, op.value.clone(), Some(e.to_string())),
        }
    }

    /// Reads `keys` at one revision; `Err` is the completion of an op that wrote nothing.
    async fn read_versions(&self, op: &Invocation, keys: &[String]) -> Result<Vec<gateway::Version>, Completion> {
        let resp = self.request(op, "/v3/kv/txn", &gateway::read_keys(keys, self.serializable), false, None).await?;
        gateway::versions(&resp, keys.len()).map_err(|e| done(OpType::Fail, op.value.clone(), Some(e.to_string())))
    }

    /// Reads `keys` at one revision and parses each value (`absent` for a missing key); `Err` is
    /// the completion of an op that wrote nothing.
    async fn read_values<T: Clone>(
        &self,
        op: &Invocation,
        keys: &[String],
        parse: impl Fn(&str) -> Result<T, String>,
        absent: T,
    ) -> Result<(Vec<gateway::Version>, Vec<T>), Completion> {
        let read = self.read_versions(op, keys).await?;
        let values = read
            .iter()
            .map(|v| v.value.as_deref().map_or(Ok(absent.clone()), &parse))
            .collect::<Result<Vec<T>, String>>()
            .map_err(|e| done(OpType::Fail, op.value.clone(), Some(format!("a stored value: {e}"))))?;
        Ok((read, values))
    }

    /// Commits `puts` guarded by the versions `read`: `ok` with `value` when the compare held,
    /// `fail` (`conflict`) when another transaction changed a key first, `info` when unknown.
    async fn commit(
        &self,
        op: &Invocation,
        read: &[(String, gateway::Version)],
        puts: &[(String, String)],
        value: checkers::Value,
    ) -> Completion {
        let resp = match self.request(op, "/v3/kv/txn", &gateway::guarded_puts(read, puts), true, None).await {
            Ok(resp) => resp,
            Err(completion) => return completion,
        };
        if gateway::txn_succeeded(&resp) {
            done(OpType::Ok, value, None)
        } else {
            done(OpType::Fail, op.value.clone(), Some("conflict".into()))
        }
    }

    async fn list_append(&self, op: &Invocation, mops: &[list_append::Mop]) -> Completion {
        let order = list_append::keys(mops);
        let keys: Vec<String> = order.iter().map(|k| gateway::list_key(*k)).collect();
        let parse = |text: &str| serde_json::from_str::<Vec<i64>>(text).map_err(|e| e.to_string());
        let (read, before) = match self.read_values(op, &keys, parse, Vec::new()).await {
            Ok(read) => read,
            Err(completion) => return completion,
        };
        let (value, after) = list_append::apply(mops, &before);
        if !mops.iter().any(|m| matches!(m, list_append::Mop::Append(..))) {
            return done(OpType::Ok, value, None);
        }
        let puts: Vec<(String, String)> = keys
            .iter()
            .zip(before.iter().zip(&after))
            .filter(|(_, (b, a))| b != a)
            .map(|(k, (_, a))| (k.clone(), json!(a).to_string()))
            .collect();
        let read: Vec<(String, gateway::Version)> = keys.into_iter().zip(read).collect();
        self.commit(op, &read, &puts, value).await
    }

    async fn bank(&self, op: &Invocation, bank_op: BankOp) -> Completion {
        let accounts: Vec<u64> = match bank_op {
            BankOp::Read => (0..bank::ACCOUNTS).collect(),
            BankOp::Transfer { from, to, .. } => vec![from, to],
        };
        let keys: Vec<String> = accounts.iter().map(|a| gateway::account_key(*a)).collect();
        let parse = |text: &str| text.parse::<i64>().map_err(|e| e.to_string());
        let (read, balances) = match self.read_values(op, &keys, parse, bank::INITIAL).await {
            Ok(read) => read,
            Err(completion) => return completion,
        };
        let BankOp::Transfer { amount, .. } = bank_op else {
            return done(OpType::Ok, bank::balances(accounts.into_iter().zip(balances)), None);
        };
        if balances[0] < amount {
            return done(OpType::Fail, op.value.clone(), Some(bank::INSUFFICIENT.into()));
        }
        let puts = [
            (keys[0].clone(), (balances[0] - amount).to_string()),
            (keys[1].clone(), (balances[1] + amount).to_string()),
        ];
        let read: Vec<(String, gateway::Version)> = keys.into_iter().zip(read).collect();
        self.commit(op, &read, &puts, op.value.clone()).await
    }

    async fn set(&self, op: &Invocation, set: SetOp) -> Completion {
        let (path, body) = match set {
            SetOp::Add(e) => ("/v3/kv/put", gateway::put(&gateway::set_key(e), e)),
            SetOp::Read => ("/v3/kv/range", gateway::range_prefix(gateway::SET_PREFIX, self.serializable)),
        };
        let resp = match self.request(op, path, &body, matches!(set, SetOp::Add(_)), None).await {
            Ok(resp) => resp,
            Err(completion) => return completion,
        };
        match set {
            SetOp::Add(_) => done(OpType::Ok, op.value.clone(), None),
            SetOp::Read => match gateway::range_values(&resp) {
                Ok(mut elements) => {
                    elements.sort_unstable();
                    done(OpType::Ok, json!(elements), None)
                }
                Err(e) => done(OpType::Fail, op.value.clone(), Some(e.to_string())),
            },
        }
    }
}

impl Client for EtcdClient {
    fn invoke<'a>(&'a self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.execute(op))
    }

    fn runs(&self, op: &Invocation) -> bool {
        EtcdClient::runs(self, op)
    }
}
