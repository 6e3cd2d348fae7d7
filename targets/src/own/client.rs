//! faultline's client of the own server, with faultline's error classes: a refused connection,
//! a refusal the server names as definite, or a condition that did not hold (a compare
//! mismatch, insufficient funds, the lock held, a guarded write fenced) is `fail`; a write whose
//! outcome is unknown (timeout, reset, the server unsure) is `info`; a read that did not
//! complete is `fail`.

use std::time::Duration;

use checkers::OpType;
use serde_json::{json, Value};
use workloads::bank::{self, BankOp};
use workloads::list_append;
use workloads::lock::{read_value, Hold, LockOp};
use workloads::register::RegisterOp;
use workloads::rw_register::{self, Mop};
use workloads::set::SetOp;
use workloads::Invocation;

use super::api::{Micro, Reply, Request, Stamp};
use crate::target::{done, BoxFuture, Client, Completion, NodeSpec};

/// The workloads whose ops this client must tell apart from the others' (a `read` or a
/// read-only transaction means a different request in each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    ListAppend,
    Bank,
    Lock,
    /// register, set and rw-register, whose ops differ in shape.
    Other,
}

/// A client bound to one member.
pub struct OwnClient {
    http: reqwest::Client,
    base: String,
    kind: Kind,
}

impl OwnClient {
    /// A client of `node` for `workload`; each request gives up after `timeout`.
    pub fn new(node: &NodeSpec, workload: &str, timeout: Duration) -> OwnClient {
        let http = crate::target::http_client(timeout);
        let kind = match workload {
            "list-append" => Kind::ListAppend,
            "bank" => Kind::Bank,
            "lock" => Kind::Lock,
            _ => Kind::Other,
        };
        OwnClient { http, base: format!("http://{}", super::addr(node)), kind }
    }

    /// Whether a read through the read index succeeds.
    pub async fn probe(&self) -> bool {
        matches!(self.send(&Request::Read { key: 0 }).await, Ok(Reply::Ok { .. }))
    }

    /// The Raft id of the member this one believes leads.
    pub async fn leader(&self) -> Option<u64> {
        let resp = self.http.get(format!("{}/status", self.base)).send().await.ok()?;
        resp.json::<Value>().await.ok()?["leader"].as_u64()
    }

    /// What the server replied, or why no reply came (`Err(true)`: nothing was sent).
    async fn send(&self, request: &Request) -> Result<Reply, (bool, String)> {
        let resp = self.http.post(format!("{}/op", self.base)).json(request).send().await.map_err(|e| {
            if e.is_connect() {
                (true, format!("connect: {e}"))
            } else if e.is_timeout() {
                (false, "timeout".to_string())
            } else {
                (false, e.to_string())
            }
        })?;
        resp.json::<Reply>().await.map_err(|e| (false, format!("reading the reply: {e}")))
    }

    /// The request for `op`, if this client runs it.
    fn request(&self, op: &Invocation) -> Option<Request> {
        match self.kind {
            Kind::ListAppend => {
                let mops = list_append::decode(op)?;
                let mops = mops.iter().map(|m| match *m {
                    list_append::Mop::Read(k) => Micro::L(k),
                    list_append::Mop::Append(k, v) => Micro::A(k, v),
                });
                Some(Request::Txn { mops: mops.collect() })
            }
            Kind::Bank => Some(match BankOp::decode(op)? {
                BankOp::Transfer { from, to, amount } => Request::Transfer { from, to, amount },
                BankOp::Read => Request::Balances,
            }),
            Kind::Lock => Some(match LockOp::decode(op)? {
                LockOp::Acquire { ttl } => {
                    Request::Acquire { ttl_ms: ttl.saturating_mul(1000), stamp: Stamp::default() }
                }
                LockOp::Write { token, value } => Request::GuardedWrite { token, value },
                LockOp::Read { .. } => Request::GuardedRead,
                LockOp::Release(hold) => Request::Release { token: hold.token },
            }),
            Kind::Other => Self::register_or_set_request(op),
        }
    }

    /// The request for a register, set or rw-register op.
    fn register_or_set_request(op: &Invocation) -> Option<Request> {
        if let Some(reg) = RegisterOp::decode(op) {
            return Some(match reg {
                RegisterOp::Read(key) => Request::Read { key },
                RegisterOp::Write(key, value) => Request::Write { key, value },
                RegisterOp::Cas(key, expect, value) => Request::Cas { key, expect, value },
            });
        }
        if let Some(set) = SetOp::decode(op) {
            return Some(match set {
                SetOp::Add(element) => Request::Add { element },
                SetOp::Read => Request::Members,
            });
        }
        let mops = rw_register::decode(op)?;
        let mops = mops.iter().map(|m| match *m {
            Mop::Read(k) => Micro::R(k),
            Mop::Write(k, v) => Micro::W(k, v),
        });
        Some(Request::Txn { mops: mops.collect() })
    }

    async fn execute(&self, op: &Invocation) -> Completion {
        let Some(request) = self.request(op) else {
            return done(OpType::Fail, op.value.clone(), Some(format!("own cannot run {} {}", op.f, op.value)));
        };
        let unsure = if request.reads_only() { OpType::Fail } else { OpType::Info };
        match self.send(&request).await {
            Ok(Reply::Ok { value }) => done(OpType::Ok, self.completed(op, value), None),
            Ok(Reply::Mismatch) => done(OpType::Fail, op.value.clone(), Some(mismatch(&request).into())),
            Ok(Reply::Refused { reason }) => done(OpType::Fail, op.value.clone(), Some(reason)),
            Ok(Reply::Unsure { reason }) => done(unsure, op.value.clone(), Some(reason)),
            Err((true, e)) => Completion { refused: true, ..done(OpType::Fail, op.value.clone(), Some(e)) },
            Err((false, e)) => done(unsure, op.value.clone(), Some(e)),
        }
    }

    /// The completed value of `op` given what the server returned.
    fn completed(&self, op: &Invocation, value: Value) -> checkers::Value {
        let reads = value.as_array().map(Vec::as_slice).unwrap_or_default();
        match self.kind {
            Kind::ListAppend => {
                let list =
                    |r: &Value| r.as_array().map(|l| l.iter().flat_map(Value::as_i64).collect()).unwrap_or_default();
                let lists: Vec<Vec<i64>> = reads.iter().map(list).collect();
                list_append::completed(&list_append::decode(op).unwrap_or_default(), &lists)
            }
            Kind::Bank if op.f == "read" => bank::balances((0..).zip(reads.iter().flat_map(Value::as_i64))),
            Kind::Lock => match LockOp::decode(op) {
                Some(LockOp::Acquire { ttl }) => {
                    // The own server's lease is the hold itself, named by its token.
                    let token = value.as_i64().unwrap_or_default();
                    Hold { token, lease: token, key: "lock".into() }.acquired(ttl).into()
                }
                Some(LockOp::Read { token }) => {
                    let field = |name: &str| value.get(name).and_then(Value::as_i64);
                    read_value(token, field("token").zip(field("value"))).into()
                }
                _ => op.value.clone(),
            },
            Kind::Bank => op.value.clone(),
            Kind::Other => match (RegisterOp::decode(op), rw_register::decode(op)) {
                (Some(RegisterOp::Read(k)), _) => json!([k, value]).into(),
                (_, Some(mops)) => {
                    let reads: Vec<Option<i64>> = reads.iter().map(Value::as_i64).collect();
                    rw_register::completed(&mops, &reads)
                }
                _ if op.f == "read" => value.into(),
                _ => op.value.clone(),
            },
        }
    }
}

/// The error of a request whose condition did not hold, as the workload's checker names it.
fn mismatch(request: &Request) -> &'static str {
    match request {
        Request::Transfer { .. } => bank::INSUFFICIENT,
        Request::Acquire { .. } => "held",
        Request::GuardedWrite { .. } => "fenced",
        _ => "mismatch",
    }
}

impl Client for OwnClient {
    fn invoke<'a>(&'a self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.execute(op))
    }

    fn runs(&self, op: &Invocation) -> bool {
        self.request(op).is_some()
    }
}
