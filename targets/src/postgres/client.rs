//! The PostgreSQL client: one connection per worker (opened on first use, again after it was
//! lost), every transaction at the test's isolation level, with faultline's error classes:
//! SQLSTATE 40001 (serialization failure) and 40P01 (deadlock) are a definite `fail`; any
//! trouble before COMMIT was sent is `fail` (the server rolls back a transaction whose
//! connection is gone); a lost connection or a timeout during COMMIT is `info` (a transaction
//! that only read is `fail`: it changed nothing).

use std::time::Duration;

use checkers::{OpType, Value};
use tokio::sync::Mutex;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client as Session, Config, NoTls};
use workloads::bank::{self, BankOp};
use workloads::{list_append, rw_register, Invocation};

use super::{sql, Isolation, PORT, ROLE};
use crate::target::{BoxFuture, Client, Completion, NodeSpec};

/// A client of one node's server, running one workload's ops.
pub struct PostgresClient {
    config: Config,
    workload: String,
    isolation: Isolation,
    timeout: Duration,
    session: Mutex<Option<Session>>,
}

/// The SQLSTATEs PostgreSQL answers when it refused to commit a transaction: it did not happen.
const DEFINITE: [&SqlState; 2] = [&SqlState::T_R_SERIALIZATION_FAILURE, &SqlState::T_R_DEADLOCK_DETECTED];

/// Why a transaction did not commit.
enum Abort {
    /// The workload refused it (a transfer from an account holding too little).
    Refused(&'static str),
    /// The database or the connection failed.
    Db(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Abort {
    fn from(e: tokio_postgres::Error) -> Abort {
        Abort::Db(e)
    }
}

/// The client's settings for `node`, giving up on a connection after `timeout`.
fn config(node: &NodeSpec, dbname: &str, timeout: Duration) -> Config {
    let mut config = Config::new();
    config.host(&node.addr).port(PORT).user(ROLE).dbname(dbname).connect_timeout(timeout);
    config
}

async fn connect(config: &Config) -> Result<Session, tokio_postgres::Error> {
    let (session, connection) = config.connect(NoTls).await?;
    tokio::spawn(connection);
    Ok(session)
}

/// Makes the database, its tables and the accounts when they are missing; `Err` while the
/// server does not answer.
pub async fn prepare(node: &NodeSpec, timeout: Duration) -> Result<(), String> {
    let work = async {
        let admin = connect(&config(node, "postgres", timeout)).await?;
        if admin.query_opt(sql::HAS_DATABASE, &[&ROLE]).await?.is_none() {
            admin.batch_execute(&format!("CREATE DATABASE {ROLE}")).await?;
        }
        connect(&config(node, ROLE, timeout)).await?.batch_execute(&sql::schema()).await
    };
    match tokio::time::timeout(timeout * 3, work).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timeout".into()),
    }
}

/// The error text of a database error: its SQLSTATE first, when it has one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

fn done(kind: OpType, value: Value, error: Option<String>) -> Completion {
    Completion { kind, value, error, refused: false }
}

impl PostgresClient {
    /// A client of `node`'s server for workload `workload`; each transaction gives up after
    /// `timeout`.
    pub fn new(node: &NodeSpec, workload: &str, isolation: Isolation, timeout: Duration) -> PostgresClient {
        PostgresClient {
            config: config(node, ROLE, timeout),
            workload: workload.to_string(),
            isolation,
            timeout,
            session: Mutex::new(None),
        }
    }

    /// Whether `op` is one of its workload's.
    pub fn runs(&self, op: &Invocation) -> bool {
        match self.workload.as_str() {
            "list-append" => list_append::decode(op).is_some(),
            "rw-register" => rw_register::decode(op).is_some(),
            "bank" => BankOp::decode(op).is_some(),
            _ => false,
        }
    }

    /// Whether `op` may write.
    fn writes(&self, op: &Invocation) -> bool {
        match self.workload.as_str() {
            "list-append" => {
                list_append::decode(op).is_some_and(|m| m.iter().any(|m| matches!(m, list_append::Mop::Append(..))))
            }
            "rw-register" => {
                rw_register::decode(op).is_some_and(|m| m.iter().any(|m| matches!(m, rw_register::Mop::Write(..))))
            }
            _ => matches!(BankOp::decode(op), Some(BankOp::Transfer { .. })),
        }
    }

    async fn execute(&self, op: &Invocation) -> Completion {
        if !self.runs(op) {
            return done(OpType::Fail, op.value.clone(), Some(format!("postgres cannot run {} {}", op.f, op.value)));
        }
        let mut slot = self.session.lock().await;
        if slot.as_ref().is_none_or(|s| s.is_closed()) {
            match tokio::time::timeout(self.timeout, connect(&self.config)).await {
                Ok(Ok(session)) => *slot = Some(session),
                Ok(Err(e)) => {
                    return Completion { refused: true, ..done(OpType::Fail, op.value.clone(), Some(describe(&e))) }
                }
                Err(_) => {
                    return Completion {
                        refused: true,
                        ..done(OpType::Fail, op.value.clone(), Some("connect timeout".into()))
                    }
                }
            }
        }
        let Some(session) = slot.as_ref() else { unreachable!("a session was just opened") };
        let mut committing = false;
        let outcome = tokio::time::timeout(self.timeout, self.transaction(session, op, &mut committing)).await;
        let indefinite = if committing && self.writes(op) { OpType::Info } else { OpType::Fail };
        match outcome {
            Ok(Ok(value)) => done(OpType::Ok, value, None),
            Ok(Err(Abort::Refused(why))) => {
                let _ = session.batch_execute("ROLLBACK").await;
                done(OpType::Fail, op.value.clone(), Some(why.into()))
            }
            Ok(Err(Abort::Db(e))) => {
                let definite = e.code().is_some_and(|c| DEFINITE.contains(&c));
                if !committing && !e.is_closed() {
                    let _ = session.batch_execute("ROLLBACK").await;
                }
                if e.is_closed() || e.as_db_error().is_none() {
                    *slot = None;
                }
                done(if definite { OpType::Fail } else { indefinite }, op.value.clone(), Some(describe(&e)))
            }
            Err(_) => {
                // Dropping the connection makes the server roll back what did not commit.
                *slot = None;
                let when = if committing { "during COMMIT" } else { "before COMMIT was sent" };
                done(indefinite, op.value.clone(), Some(format!("timeout {when}")))
            }
        }
    }

    /// Runs `op` as one transaction; `committing` turns true as COMMIT is sent.
    async fn transaction(&self, s: &Session, op: &Invocation, committing: &mut bool) -> Result<Value, Abort> {
        s.batch_execute(&format!("BEGIN ISOLATION LEVEL {}", self.isolation.sql())).await?;
        let value = match self.workload.as_str() {
            "list-append" => list_append_body(s, &list_append::decode(op).unwrap_or_default()).await?,
            "rw-register" => register_body(s, &rw_register::decode(op).unwrap_or_default()).await?,
            _ => match BankOp::decode(op) {
                Some(BankOp::Transfer { from, to, amount }) => transfer_body(s, from, to, amount, op).await?,
                _ => {
                    let rows = s.query(sql::READ_ACCOUNTS, &[]).await?;
                    bank::balances(rows.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1))))
                }
            },
        };
        *committing = true;
        s.batch_execute("COMMIT").await?;
        Ok(value)
    }
}

async fn list_append_body(s: &Session, mops: &[list_append::Mop]) -> Result<Value, Abort> {
    let mut done = Vec::with_capacity(mops.len());
    for m in mops {
        done.push(match *m {
            list_append::Mop::Read(k) => {
                let row = s.query_opt(sql::READ_LIST, &[&(k as i64)]).await?;
                let list: Vec<i64> = row.map(|r| r.get(0)).unwrap_or_default();
                checkers::value!(["r", k, list])
            }
            list_append::Mop::Append(k, v) => {
                s.execute(sql::APPEND, &[&(k as i64), &v]).await?;
                checkers::value!(["append", k, v])
            }
        });
    }
    Ok(Value::Array(done.into()))
}

async fn register_body(s: &Session, mops: &[rw_register::Mop]) -> Result<Value, Abort> {
    let mut reads = Vec::new();
    for m in mops {
        match *m {
            rw_register::Mop::Read(k) => {
                let row = s.query_opt(sql::READ_REGISTER, &[&(k as i64)]).await?;
                reads.push(row.and_then(|r| r.get::<_, Option<i64>>(0)));
            }
            rw_register::Mop::Write(k, v) => {
                s.execute(sql::WRITE_REGISTER, &[&(k as i64), &v]).await?;
            }
        }
    }
    Ok(rw_register::completed(mops, &reads))
}

/// Reads both balances, then writes the values it computed (at read committed, a concurrent
/// transfer's update between the two is lost: what that level allows).
async fn transfer_body(s: &Session, from: u64, to: u64, amount: i64, op: &Invocation) -> Result<Value, Abort> {
    let balance = |row: Option<tokio_postgres::Row>| row.map_or(0, |r| r.get::<_, i64>(0));
    let source = balance(s.query_opt(sql::READ_BALANCE, &[&(from as i64)]).await?);
    let target = balance(s.query_opt(sql::READ_BALANCE, &[&(to as i64)]).await?);
    if source < amount {
        return Err(Abort::Refused(bank::INSUFFICIENT));
    }
    s.execute(sql::SET_BALANCE, &[&(from as i64), &(source - amount)]).await?;
    s.execute(sql::SET_BALANCE, &[&(to as i64), &(target + amount)]).await?;
    Ok(op.value.clone())
}

impl Client for PostgresClient {
    fn invoke<'a>(&'a self, op: &'a Invocation) -> BoxFuture<'a, Completion> {
        Box::pin(self.execute(op))
    }

    fn runs(&self, op: &Invocation) -> bool {
        PostgresClient::runs(self, op)
    }
}
