//! The `kv` model (Porcupine's key-value model) on histories in Porcupine's own file format
//! (`{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}`), hand-built so their
//! verdicts are known: concurrent appends either order explains, a get that misses an append
//! completed before it began, a put that resets a key, and keys checked separately (one bad
//! key makes the history invalid; the other keys' searches do not change that).

use checkers::history::load_str;
use checkers::linearizable::{check, ModelKind, Options};
use checkers::Validity;

fn op(process: u32, kind: &str, f: &str, key: &str, value: Option<&str>) -> String {
    let value = value.map_or("nil".to_string(), |v| format!("{v:?}"));
    format!("{{:process {process}, :type :{kind}, :f :{f}, :key {key:?}, :value {value}}}\n")
}

fn verdict(lines: &[String]) -> Validity {
    let history = load_str(&lines.concat(), "kv.edn").expect("a Porcupine-style kv history loads");
    check(&history, ModelKind::Kv, &Options::default()).validity
}

/// Two concurrent appends to key `k`, then a get that returned `seen`.
fn appends_then_get(k: &str, seen: &str) -> Vec<String> {
    vec![
        op(0, "invoke", "append", k, Some("a")),
        op(1, "invoke", "append", k, Some("b")),
        op(0, "ok", "append", k, Some("a")),
        op(1, "ok", "append", k, Some("b")),
        op(2, "invoke", "get", k, None),
        op(2, "ok", "get", k, Some(seen)),
    ]
}

#[test]
fn concurrent_appends_in_either_order_are_valid_and_a_lost_one_is_not() {
    assert_eq!(verdict(&appends_then_get("0", "ab")), Validity::Valid);
    assert_eq!(verdict(&appends_then_get("0", "ba")), Validity::Valid);
    assert_eq!(verdict(&appends_then_get("0", "a")), Validity::Invalid);
    assert_eq!(verdict(&appends_then_get("0", "")), Validity::Invalid);
}

#[test]
fn a_put_replaces_the_string_and_an_empty_key_reads_empty() {
    let mut lines = vec![op(0, "invoke", "get", "9", None), op(0, "ok", "get", "9", Some(""))];
    lines.extend(appends_then_get("9", "ab"));
    lines.extend([op(0, "invoke", "put", "9", Some("z")), op(0, "ok", "put", "9", Some("z"))]);
    let mut stale = lines.clone();
    lines.extend([op(1, "invoke", "get", "9", None), op(1, "ok", "get", "9", Some("z"))]);
    assert_eq!(verdict(&lines), Validity::Valid);
    stale.extend([op(1, "invoke", "get", "9", None), op(1, "ok", "get", "9", Some("abz"))]);
    assert_eq!(verdict(&stale), Validity::Invalid);
}

#[test]
fn keys_are_checked_separately_and_one_bad_key_decides() {
    let mut lines = appends_then_get("1", "ba");
    lines.extend(appends_then_get("2", "ab"));
    assert_eq!(verdict(&lines), Validity::Valid);
    lines.extend(appends_then_get("3", "b"));
    let history = load_str(&lines.concat(), "kv.edn").unwrap();
    let result = check(&history, ModelKind::Kv, &Options::default());
    assert_eq!(result.validity, Validity::Invalid);
    assert_eq!(result.stats["partitions"], 3);
    assert_eq!(result.anomalies.len(), 1, "{:?}", result.anomalies);
}

#[test]
fn a_kv_op_without_a_key_is_an_error_naming_the_op() {
    let history = load_str(
        "{:process 0, :type :invoke, :f :get, :value nil}\n{:process 0, :type :ok, :f :get, :value \"\"}\n",
        "kv.edn",
    )
    .unwrap();
    let result = check(&history, ModelKind::Kv, &Options::default());
    assert_eq!(result.validity, Validity::Unknown);
    assert!(result.unknown_reason.unwrap().contains("[key value]"));
}
