//! The etcd v3 JSON gateway's shapes: requests as JSON, responses decoded with the gateway's
//! habits in mind (bytes in base64, int64 as strings, default-valued fields omitted: no `kvs`
//! on a miss, no `succeeded` when a txn's compare was false).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use workloads::rw_register::Mop;

/// The etcd key of register `k`.
pub fn key(k: u64) -> String {
    format!("faultline/r/{k}")
}

/// The prefix under which set elements live, one key per element.
pub const SET_PREFIX: &str = "faultline/s/";

/// The etcd key of set element `e`.
pub fn set_key(e: i64) -> String {
    format!("{SET_PREFIX}{e}")
}

/// `POST /v3/kv/range` body for every key under `prefix`.
pub fn range_prefix(prefix: &str, serializable: bool) -> Value {
    let mut end = prefix.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    let mut body = json!({ "key": b64(prefix), "range_end": B64.encode(end) });
    if serializable {
        body["serializable"] = json!(true);
    }
    body
}

/// Every value of a range response, as integers, in key order.
pub fn range_values(resp: &Value) -> Result<Vec<i64>, Unexpected> {
    let Some(kvs) = resp.get("kvs").and_then(Value::as_array) else { return Ok(Vec::new()) };
    kvs.iter()
        .map(|kv| {
            let raw = kv.get("value").and_then(Value::as_str).unwrap_or("");
            let bytes = B64.decode(raw).map_err(|e| Unexpected(format!("value {raw:?} is not base64: {e}")))?;
            let text = String::from_utf8_lossy(&bytes);
            text.parse().map_err(|_| Unexpected(format!("value {text:?} is not an integer")))
        })
        .collect()
}

fn b64(s: &str) -> String {
    B64.encode(s)
}

/// `POST /v3/kv/range` body.
pub fn range(key: &str, serializable: bool) -> Value {
    let mut body = json!({ "key": b64(key) });
    if serializable {
        body["serializable"] = json!(true);
    }
    body
}

/// `POST /v3/kv/put` body.
pub fn put(key: &str, value: i64) -> Value {
    put_text(key, &value.to_string())
}

/// `POST /v3/kv/put` body with a value of any text.
pub fn put_text(key: &str, value: &str) -> Value {
    json!({ "key": b64(key), "value": b64(value) })
}

/// `POST /v3/kv/txn` body: put `new` if the value equals `old`.
pub fn cas(key: &str, old: i64, new: i64) -> Value {
    json!({
        "compare": [{ "key": b64(key), "target": "VALUE", "result": "EQUAL", "value": b64(&old.to_string()) }],
        "success": [{ "request_put": { "key": b64(key), "value": b64(&new.to_string()) } }],
    })
}

/// The etcd key of rw-register key `k`.
pub fn txn_key(k: u64) -> String {
    format!("faultline/t/{k}")
}

/// `POST /v3/kv/txn` body with no compare: every micro-op in the success branch, in order.
pub fn txn(mops: &[Mop]) -> Value {
    let ops: Vec<Value> = mops
        .iter()
        .map(|m| match *m {
            Mop::Read(k) => json!({ "request_range": { "key": b64(&txn_key(k)) } }),
            Mop::Write(k, v) => json!({ "request_put": put(&txn_key(k), v) }),
        })
        .collect();
    json!({ "success": ops })
}

/// The values the reads of a txn saw, in order (`None` for a missing key).
pub fn txn_reads(mops: &[Mop], resp: &Value) -> Result<Vec<Option<i64>>, Unexpected> {
    let empty = Vec::new();
    let responses = resp.get("responses").and_then(Value::as_array).unwrap_or(&empty);
    if responses.len() != mops.len() {
        return Err(Unexpected(format!("{} responses to a txn of {} ops", responses.len(), mops.len())));
    }
    mops.iter()
        .zip(responses)
        .filter(|(m, _)| matches!(m, Mop::Read(_)))
        .map(|(_, r)| range_value(r.get("response_range").unwrap_or(&Value::Null)))
        .collect()
}

/// The etcd key of list-append key `k` (its value is the list as JSON text).
pub fn list_key(k: u64) -> String {
    format!("faultline/la/{k}")
}

/// The etcd key of bank account `a`.
pub fn account_key(a: u64) -> String {
    format!("faultline/bank/{a}")
}

/// `POST /v3/kv/txn` body that reads `keys` at one revision (no compare).
pub fn read_keys(keys: &[String], serializable: bool) -> Value {
    let ops: Vec<Value> = keys.iter().map(|k| json!({ "request_range": range(k, serializable) })).collect();
    json!({ "success": ops })
}

/// A key as a transaction read it: its value's text (`None` when absent) and its mod revision
/// (`"0"` when absent, which is what a compare on a missing key's mod revision holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The value, as text.
    pub value: Option<String>,
    /// The revision of its last change.
    pub mod_revision: String,
}

/// The versions a [`read_keys`] response holds, one per key in order.
pub fn versions(resp: &Value, keys: usize) -> Result<Vec<Version>, Unexpected> {
    let empty = Vec::new();
    let responses = resp.get("responses").and_then(Value::as_array).unwrap_or(&empty);
    if responses.len() != keys {
        return Err(Unexpected(format!("{} responses to a read of {keys} keys", responses.len())));
    }
    responses
        .iter()
        .map(|r| {
            let kv = r.get("response_range").and_then(|r| r.get("kvs")).and_then(|kvs| kvs.get(0));
            let Some(kv) = kv else { return Ok(Version { value: None, mod_revision: "0".into() }) };
            let raw = kv.get("value").and_then(Value::as_str).unwrap_or("");
            let bytes = B64.decode(raw).map_err(|e| Unexpected(format!("value {raw:?} is not base64: {e}")))?;
            let rev = kv.get("mod_revision").and_then(Value::as_str).unwrap_or("0");
            Ok(Version { value: Some(String::from_utf8_lossy(&bytes).into_owned()), mod_revision: rev.to_string() })
        })
        .collect()
}

/// `POST /v3/kv/txn` body that puts `puts` only if every key of `read` still has the mod
/// revision it was read at (Jepsen's approach: a conflicting transaction fails, it never
/// clobbers).
pub fn guarded_puts(read: &[(String, Version)], puts: &[(String, String)]) -> Value {
    let compare: Vec<Value> = read
        .iter()
        .map(|(k, v)| json!({ "key": b64(k), "target": "MOD", "result": "EQUAL", "mod_revision": v.mod_revision }))
        .collect();
    let success: Vec<Value> = puts.iter().map(|(k, v)| json!({ "request_put": put_text(k, v) })).collect();
    json!({ "compare": compare, "success": success })
}

/// The lock the lock workload takes (v3lock's `name`).
pub const LOCK_NAME: &str = "faultline/lock";

/// The guarded register: `"<token, 20 digits> <value>"`, so comparing values compares tokens.
pub const GUARDED_KEY: &str = "faultline/guarded";

/// `POST /v3/lease/grant` body.
pub fn lease_grant(ttl: u64) -> Value {
    json!({ "TTL": ttl.to_string() })
}

/// `POST /v3/lease/revoke` (and `/v3/lease/keepalive`) body: the lease's id.
pub fn lease_ref(lease: i64) -> Value {
    json!({ "ID": lease.to_string() })
}

/// The lease id of a grant response.
pub fn lease_id(resp: &Value) -> Result<i64, Unexpected> {
    int64(resp.get("ID")).ok_or_else(|| Unexpected(format!("lease grant without an ID: {resp}")))
}

/// `POST /v3/lock/lock` body: take [`LOCK_NAME`] with `lease`.
pub fn lock(lease: i64) -> Value {
    json!({ "name": b64(LOCK_NAME), "lease": lease.to_string() })
}

/// The key a lock response names (the holder's key, whose create revision is the token).
pub fn lock_key(resp: &Value) -> Result<String, Unexpected> {
    let raw = resp.get("key").and_then(Value::as_str).unwrap_or("");
    let bytes = B64.decode(raw).map_err(|e| Unexpected(format!("lock key {raw:?} is not base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| Unexpected(format!("lock key {raw:?} is not text")))
}

/// `POST /v3/lock/unlock` body.
pub fn unlock(key: &str) -> Value {
    json!({ "key": b64(key) })
}

/// The create revision of the key a range response holds; `None` when the key is gone.
pub fn create_revision(resp: &Value) -> Option<i64> {
    int64(resp.get("kvs")?.get(0)?.get("create_revision"))
}

fn int64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        other => other.as_i64(),
    }
}

fn guarded(token: i64, value: i64) -> String {
    format!("{token:020} {value}")
}

/// `POST /v3/kv/txn` body of a fenced write: if the register holds a higher token the compare
/// holds and nothing is written (`succeeded`); else (lower or equal token, or no register yet:
/// a value compare on a missing key is false) the value is written with `token`.
pub fn fenced_write(token: i64, value: i64) -> Value {
    let bound = format!("{token:020}~");
    json!({
        "compare": [{ "key": b64(GUARDED_KEY), "target": "VALUE", "result": "GREATER", "value": b64(&bound) }],
        "failure": [{ "request_put": { "key": b64(GUARDED_KEY), "value": b64(&guarded(token, value)) } }],
    })
}

/// The guarded register a range response holds: `(token, value)`, `None` when never written.
pub fn guarded_value(resp: &Value) -> Result<Option<(i64, i64)>, Unexpected> {
    let Some(raw) = resp.get("kvs").and_then(|kvs| kvs.get(0)).and_then(|kv| kv.get("value")) else {
        return Ok(None);
    };
    let raw = raw.as_str().unwrap_or("");
    let bytes = B64.decode(raw).map_err(|e| Unexpected(format!("value {raw:?} is not base64: {e}")))?;
    let text = String::from_utf8_lossy(&bytes);
    let parsed = text.split_once(' ').and_then(|(t, v)| Some((t.parse().ok()?, v.parse().ok()?)));
    parsed.map(Some).ok_or_else(|| Unexpected(format!("guarded register {text:?} is not \"token value\"")))
}

/// Why a gateway response could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected etcd gateway response: {0}")]
pub struct Unexpected(pub String);

/// The value a range response holds: `None` when the key is absent (no `kvs`).
pub fn range_value(resp: &Value) -> Result<Option<i64>, Unexpected> {
    let Some(kvs) = resp.get("kvs").and_then(Value::as_array) else { return Ok(None) };
    let Some(kv) = kvs.first() else { return Ok(None) };
    let raw = kv.get("value").and_then(Value::as_str).unwrap_or("");
    let bytes = B64.decode(raw).map_err(|e| Unexpected(format!("value {raw:?} is not base64: {e}")))?;
    let text = String::from_utf8_lossy(&bytes);
    text.parse().map(Some).map_err(|_| Unexpected(format!("value {text:?} is not an integer")))
}

/// Whether a txn's compare held (`succeeded` is omitted when false).
pub fn txn_succeeded(resp: &Value) -> bool {
    resp.get("succeeded").and_then(Value::as_bool).unwrap_or(false)
}

/// `(member_id, leader_id)` of a `/v3/maintenance/status` response.
pub fn status_ids(resp: &Value) -> Option<(String, String)> {
    let member = resp.get("header")?.get("member_id")?.as_str()?.to_string();
    let leader = resp.get("leader")?.as_str()?.to_string();
    Some((member, leader))
}

/// The message of a gateway error body (`{"error": "...", "code": 14}`), or the raw text.
pub fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").or_else(|| v.get("message")).and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_defaults_are_read_as_the_gateway_means_them() {
        assert_eq!(range_value(&json!({"header": {}})), Ok(None));
        assert_eq!(range_value(&json!({"kvs": [{"key": b64("k"), "value": b64("3")}], "count": "1"})), Ok(Some(3)));
        assert!(range_value(&json!({"kvs": [{"value": b64("x")}]})).is_err());
        assert!(!txn_succeeded(&json!({"header": {}})));
        assert!(txn_succeeded(&json!({"succeeded": true})));
        assert_eq!(
            status_ids(&json!({"header": {"member_id": "12"}, "leader": "34"})),
            Some(("12".into(), "34".into()))
        );
        assert_eq!(
            error_message(r#"{"error":"etcdserver: request timed out","code":14}"#),
            "etcdserver: request timed out"
        );
    }

    #[test]
    fn prefix_ranges_end_after_the_prefix() {
        assert_eq!(range_prefix("a/", false), json!({"key": "YS8=", "range_end": "YTA="}));
        let resp = json!({"kvs": [{"value": b64("1")}, {"value": b64("7")}], "count": "2"});
        assert_eq!(range_values(&resp), Ok(vec![1, 7]));
        assert_eq!(range_values(&json!({})), Ok(vec![]));
    }

    #[test]
    fn txn_reads_line_up_with_their_micro_ops() {
        let mops = [Mop::Read(1), Mop::Write(2, 5), Mop::Read(3)];
        assert_eq!(txn(&mops)["success"][1]["request_put"]["value"], b64("5"));
        let resp = json!({"succeeded": true, "responses": [
            {"response_range": {"kvs": [{"value": b64("4")}], "count": "1"}},
            {"response_put": {}},
            {"response_range": {"header": {}}}
        ]});
        assert_eq!(txn_reads(&mops, &resp), Ok(vec![Some(4), None]));
        assert!(txn_reads(&mops, &json!({"succeeded": true})).is_err());
    }

    #[test]
    fn guarded_puts_compare_every_revision_read() {
        let resp = json!({"succeeded": true, "responses": [
            {"response_range": {"kvs": [{"value": b64("[1,2]"), "mod_revision": "17"}], "count": "1"}},
            {"response_range": {"header": {}}}
        ]});
        let read = versions(&resp, 2).unwrap();
        assert_eq!(read[0], Version { value: Some("[1,2]".into()), mod_revision: "17".into() });
        assert_eq!(read[1], Version { value: None, mod_revision: "0".into() });
        assert!(versions(&resp, 3).is_err());
        let keys = [list_key(1), list_key(2)];
        assert_eq!(read_keys(&keys, true)["success"][1]["request_range"]["serializable"], true);
        let pairs: Vec<(String, Version)> = keys.iter().cloned().zip(read).collect();
        let body = guarded_puts(&pairs, &[(list_key(2), "[5]".into())]);
        assert_eq!(body["compare"][0]["mod_revision"], "17");
        assert_eq!(
            (body["compare"][1]["target"].as_str(), body["compare"][1]["mod_revision"].as_str()),
            (Some("MOD"), Some("0"))
        );
        assert_eq!(body["success"][0]["request_put"]["value"], b64("[5]"));
    }

    #[test]
    fn fenced_writes_compare_tokens_as_text() {
        let w = fenced_write(12, 5);
        let bound = String::from_utf8(B64.decode(w["compare"][0]["value"].as_str().unwrap()).unwrap()).unwrap();
        // A register written under a higher token compares greater; the same or a lower one does not.
        assert!(guarded(13, 0) > bound && guarded(12, 99) < bound && guarded(9, 7) < bound);
        assert_eq!(w["failure"][0]["request_put"]["value"], b64("00000000000000000012 5"));
        let resp = json!({"kvs": [{"value": b64(&guarded(12, 5)), "create_revision": "40"}]});
        assert_eq!(guarded_value(&resp), Ok(Some((12, 5))));
        assert_eq!(guarded_value(&json!({})), Ok(None));
        assert!(guarded_value(&json!({"kvs": [{"value": b64("7")}]})).is_err());
        assert_eq!(create_revision(&resp), Some(40));
        assert_eq!(lease_id(&json!({"ID": "7587861", "TTL": "2"})), Ok(7587861));
        assert_eq!(lock_key(&json!({"key": b64("faultline/lock/694d")})), Ok("faultline/lock/694d".into()));
    }

    #[test]
    fn requests_encode_keys_and_values() {
        assert_eq!(range("a", true), json!({"key": "YQ==", "serializable": true}));
        assert_eq!(put("a", 4), json!({"key": "YQ==", "value": "NA=="}));
        assert_eq!(cas("a", 1, 2)["compare"][0]["result"], "EQUAL");
    }
}
