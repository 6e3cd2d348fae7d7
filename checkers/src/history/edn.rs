//! Import of histories recorded elsewhere: Jepsen/Knossos `history.edn` (one vector of ops, or
//! one map per line; keywords, tagged records) and the same ops as a JSON array.
//!
//! Imports carry no header. Missing fields get Jepsen's defaults, each said in a warning:
//! no `:index` → file position; no `:time` → file position (real-time order = file order);
//! no `:process` → one process 0; no `:f` → `txn`. File order is the real-time order (as in
//! Knossos): a `:time` earlier than an op before it is raised to that op's time.

use clojure_reader::edn::{self, Edn};
use serde_json::{Map, Number};

use super::load::{History, HistoryError, Location};
use super::op::{Op, OpType, Process, Value};

/// An op read from a file, before indices and times are settled.
struct Imported {
    fields: Map<String, Value>,
    place: u32,
}

/// Parses an EDN history, or a JSON array of op objects. Validation is the caller's.
pub(crate) fn parse(text: &str, file: &str) -> Result<History, HistoryError> {
    let (maps, places_are_lines, mut warnings) =
        if is_json_array(text) { (json_array(text, file)?, false, Vec::new()) } else { edn_forms(text, file)? };
    let ops = settle(maps, file, places_are_lines, &mut warnings)?;
    let places = ops.iter().map(|(_, place)| *place).collect();
    Ok(History { header: None, ops: ops.into_iter().map(|(op, _)| op).collect(), warnings, places, places_are_lines })
}

fn is_json_array(text: &str) -> bool {
    let mut chars = text.chars().filter(|c| !c.is_whitespace());
    matches!((chars.next(), chars.next(), chars.next()), (Some('['), Some('{'), Some('"')) | (Some('['), Some(']'), _))
}

fn json_array(text: &str, file: &str) -> Result<Vec<Imported>, HistoryError> {
    let items: Vec<Value> = serde_json::from_str(text).map_err(|e| HistoryError::Malformed {
        file: file.to_string(),
        at: Location::Line(e.line() as u32),
        message: format!("not a JSON array of ops: {e}"),
    })?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(fields) => Ok(Imported { fields, place: i as u32 + 1 }),
            other => {
                Err(malformed(file, Location::OpNumber(i as u32 + 1), format!("expected an op object, found {other}")))
            }
        })
        .collect()
}

/// Reads every top-level form: one vector of ops, or a sequence of op maps.
fn edn_forms(text: &str, file: &str) -> Result<(Vec<Imported>, bool, Vec<String>), HistoryError> {
    let mut rest = skip_blank(text);
    let mut line = line_count(&text[..text.len() - rest.len()]) + 1;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut places_are_lines = true;
    while !rest.is_empty() {
        let (form, remaining) = match edn::read(rest) {
            Ok(read) => read,
            Err(e) if !rest.contains('\n') && !text.ends_with('\n') && !out.is_empty() => {
                warnings.push(format!("{file}: line {line}: dropped a torn last line ({:?})", e.code));
                break;
            }
            Err(e) => {
                let at = Location::Line(line + e.line.map_or(0, |l| l.saturating_sub(1)) as u32);
                return Err(malformed(
                    file,
                    at,
                    format!("not EDN: {:?}; give one vector of op maps or one map per line", e.code),
                ));
            }
        };
        let next = skip_blank(remaining);
        let form_line = line;
        line += line_count(&rest[..rest.len() - next.len()]);
        rest = next;
        match untag(&form) {
            Edn::Vector(items) | Edn::List(items) if out.is_empty() => {
                places_are_lines = false;
                for (i, item) in items.iter().enumerate() {
                    let at = Location::OpNumber(i as u32 + 1);
                    out.push(Imported {
                        fields: op_map(item).map_err(|m| malformed(file, at, m))?,
                        place: i as u32 + 1,
                    });
                }
            }
            form => {
                let fields = op_map(form).map_err(|m| malformed(file, Location::Line(form_line), m))?;
                out.push(Imported { fields, place: form_line });
            }
        }
    }
    Ok((out, places_are_lines, warnings))
}

/// Skips whitespace, commas and `;` comments.
fn skip_blank(mut s: &str) -> &str {
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        match s.strip_prefix(';') {
            Some(comment) => s = comment.split_once('\n').map_or("", |(_, after)| after),
            None => return s,
        }
    }
}

fn line_count(s: &str) -> u32 {
    s.bytes().filter(|&b| b == b'\n').count() as u32
}

fn malformed(file: &str, at: Location, message: String) -> HistoryError {
    HistoryError::Malformed { file: file.to_string(), at, message }
}

/// Unwraps tagged literals (`#jepsen.history.Op{...}`, `#object[...]`) to their contents.
fn untag<'a, 'e>(form: &'a Edn<'e>) -> &'a Edn<'e> {
    match form {
        Edn::Tagged(_, inner) => untag(inner),
        other => other,
    }
}

fn op_map(form: &Edn) -> Result<Map<String, Value>, String> {
    match to_json(form) {
        Value::Object(map) => Ok(map),
        other => Err(format!("expected an op map like {{:process 0, :type :invoke, :f :read}}, found {other}")),
    }
}

/// EDN → JSON-shaped value: keywords and symbols become strings without the colon; vectors,
/// lists and sets become arrays; map keys become their text.
fn to_json(form: &Edn) -> Value {
    match untag(form) {
        Edn::Vector(items) | Edn::List(items) => Value::Array(items.iter().map(to_json).collect()),
        Edn::Set(items) => Value::Array(items.iter().map(to_json).collect()),
        Edn::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (key_text(k), to_json(v))).collect()),
        Edn::Key(s) | Edn::Symbol(s) | Edn::Str(s) => Value::String(s.trim_start_matches(':').to_string()),
        Edn::Int(n) => Value::Number((*n).into()),
        Edn::Double(x) => Number::from_f64(x.into_inner()).map_or(Value::Null, Value::Number),
        Edn::Rational((n, d)) => Number::from_f64(*n as f64 / *d as f64).map_or(Value::Null, Value::Number),
        Edn::Char(c) => Value::String(c.to_string()),
        Edn::Bool(b) => Value::Bool(*b),
        Edn::Nil => Value::Null,
        other => Value::String(other.to_string()),
    }
}

fn key_text(key: &Edn) -> String {
    match to_json(key) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Turns field maps into ops, filling missing index, time, process and f as the module says.
fn settle(
    items: Vec<Imported>,
    file: &str,
    lines: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<(Op, u32)>, HistoryError> {
    let all_have = |field: &str| items.iter().all(|i| i.fields.get(field).is_some_and(Value::is_u64));
    let (has_index, has_time) = (all_have("index"), all_have("time"));
    let missing = |field: &str| items.iter().any(|i| !i.fields.contains_key(field));
    for (field, default) in [
        ("index", "file position"),
        ("time", "file position: real-time order is file order"),
        ("process", "process 0"),
        ("f", "\"txn\""),
    ] {
        let absent = match field {
            "index" => !has_index,
            "time" => !has_time,
            _ => missing(field),
        };
        if absent && !items.is_empty() {
            warnings.push(format!("{file}: some ops have no usable :{field}; using {default}"));
        }
    }
    let mut clamped = 0usize;
    let mut latest = 0u64;
    let ops = items
        .into_iter()
        .enumerate()
        .map(|(position, item)| {
            let at = if lines { Location::Line(item.place) } else { Location::OpNumber(item.place) };
            let op = to_op(item.fields, position as u64, has_index, has_time).map_err(|m| match m {
                FieldError::UnknownType(t) => HistoryError::Invalid {
                    file: file.to_string(),
                    at,
                    rule: "unknown-type",
                    message: format!("type {t:?} is none of invoke, ok, fail, info"),
                },
                FieldError::Bad(message) => malformed(file, at, message),
            })?;
            Ok((op, item.place))
        })
        .map(|result: Result<(Op, u32), HistoryError>| {
            result.map(|(mut op, place)| {
                if op.time < latest {
                    clamped += 1;
                    op.time = latest;
                }
                latest = op.time;
                (op, place)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if clamped > 0 {
        warnings.push(format!(
            "{file}: {clamped} ops have a :time earlier than an op before them; raised to keep file order (Jepsen's real-time order)"
        ));
    }
    Ok(ops)
}

enum FieldError {
    UnknownType(String),
    Bad(String),
}

fn to_op(mut fields: Map<String, Value>, position: u64, has_index: bool, has_time: bool) -> Result<Op, FieldError> {
    let kind = match fields.remove("type") {
        Some(Value::String(t)) => OpType::parse(&t).ok_or(FieldError::UnknownType(t))?,
        Some(other) => return Err(FieldError::UnknownType(other.to_string())),
        None => {
            return Err(FieldError::Bad(
                "op has no :type; every op needs :type :invoke, :ok, :fail or :info".to_string(),
            ))
        }
    };
    let process = match fields.remove("process") {
        None | Some(Value::Null) => Process::Client(0),
        Some(Value::Number(n)) if n.is_u64() => Process::Client(n.as_u64().unwrap_or_default()),
        Some(Value::String(name)) => Process::Named(name),
        Some(other) => {
            return Err(FieldError::Bad(format!(":process {other} is neither a non-negative integer nor a name")))
        }
    };
    let f = match fields.remove("f") {
        None => "txn".to_string(),
        Some(Value::String(f)) => f,
        Some(other) => other.to_string(),
    };
    let index = fields.remove("index").and_then(|v| v.as_u64()).filter(|_| has_index).unwrap_or(position);
    let time = fields.remove("time").and_then(|v| v.as_u64()).filter(|_| has_time).unwrap_or(position);
    let error = fields.remove("error").map(|e| match e {
        Value::String(s) => s,
        other => other.to_string(),
    });
    let node = fields.remove("node").and_then(|n| n.as_str().map(str::to_string));
    Ok(Op { index, time, kind, process, f, value: fields.remove("value").unwrap_or(Value::Null), node, error })
}
