//! Loose reading of the JSON files other programs leave in the store: a problem becomes a
//! one-line reason for the row, never an error of the scan.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::campaign::Verdict;

/// Files larger than this are not parsed (a listing reads every run's file on every request).
const MAX_BYTES: u64 = 64 << 20;

/// `dir/file` as a JSON object, or the reason it cannot be had.
pub(super) fn read_object(dir: &Path, file: &str) -> Result<Map<String, Value>, String> {
    let path = dir.join(file);
    let size = std::fs::metadata(&path).map_err(|e| format!("cannot read {file}: {e}"))?.len();
    if size > MAX_BYTES {
        return Err(format!("{file} is {} MB, more than the {} MB a listing reads", size >> 20, MAX_BYTES >> 20));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {file}: {e}"))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(doc)) => Ok(doc),
        Ok(_) => Err(format!("{file} is not a JSON object")),
        Err(e) => Err(format!("{file} is not valid JSON ({e}); it may still be being written")),
    }
}

/// The string at `key`, if it is one.
pub(super) fn string(doc: &Map<String, Value>, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The array at `key` (empty when it is missing or not an array).
pub(super) fn array<'a>(doc: &'a Map<String, Value>, key: &str) -> &'a [Value] {
    doc.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The verdict word at `key` (`valid`, `invalid`, `unknown`, `crashed`), if it is one.
pub(super) fn verdict(doc: &Map<String, Value>, key: &str) -> Option<Verdict> {
    doc.get(key).and_then(|v| Verdict::deserialize(v).ok())
}

/// The strings among `values`, each once, in the order they first appear.
pub(super) fn distinct_strings<'a>(values: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in values.into_iter().filter_map(Value::as_str) {
        if !out.iter().any(|k| k == s) {
            out.push(s.to_string());
        }
    }
    out
}
