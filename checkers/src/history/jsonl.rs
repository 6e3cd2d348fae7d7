//! faultline's own history format: JSON Lines, a header object first, then one op per line.
//! The writer streams (nothing is held in memory); the reader drops a torn last line (a crash
//! mid-write) with a warning and rejects any other malformed line.

use std::io::{self, Write};

use serde::Deserialize;

use super::load::{History, HistoryError, Location};
use super::op::{Header, Op, OpType, Process, Value, FORMAT_NAME, FORMAT_VERSION};

/// Streams a history to any writer: the header, then ops in the order they are given.
/// Callers (the harness's sequencer) hand ops over in index order.
pub struct HistoryWriter<W: Write> {
    out: io::BufWriter<W>,
}

impl<W: Write> HistoryWriter<W> {
    /// Starts a history by writing its header line.
    pub fn new(out: W, header: &Header) -> io::Result<HistoryWriter<W>> {
        let mut writer = HistoryWriter { out: io::BufWriter::new(out) };
        writer.line(header)?;
        Ok(writer)
    }

    /// Appends one op (buffered; call [`HistoryWriter::flush`] to push it to the file).
    pub fn write(&mut self, op: &Op) -> io::Result<()> {
        self.line(op)
    }

    /// Pushes buffered lines to the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }

    fn line<T: serde::Serialize>(&mut self, item: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, item)?;
        self.out.write_all(b"\n")
    }
}

/// An op line as written, borrowing strings where it can; converted after checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOp<'a> {
    index: u64,
    time: u64,
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
    process: Process,
    f: String,
    #[serde(default)]
    value: Value,
    #[serde(default)]
    node: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Parses a JSONL history. Validation is the caller's ([`History::validate`]).
pub(crate) fn parse(text: &str, file: &str) -> Result<History, HistoryError> {
    let mut history = History { places_are_lines: true, ..History::default() };
    let torn_tail = !text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let number = i as u32 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let malformed =
            |message: String| HistoryError::Malformed { file: file.to_string(), at: Location::Line(number), message };
        if i == 0 && is_header(line) {
            let header: Header = serde_json::from_str(line).map_err(|e| malformed(format!("bad header: {e}")))?;
            if header.format != FORMAT_NAME || header.version != FORMAT_VERSION {
                return Err(malformed(format!(
                    "header says format {:?} version {}; this build reads {FORMAT_NAME:?} version {FORMAT_VERSION}",
                    header.format, header.version
                )));
            }
            history.header = Some(header);
            continue;
        }
        let raw: RawOp = match serde_json::from_str(line) {
            Ok(raw) => raw,
            Err(e) if torn_tail && i + 1 == last => {
                history.warnings.push(format!("{file}: line {number}: dropped a torn last line ({e})"));
                continue;
            }
            Err(e) => {
                return Err(malformed(format!(
                    "not an op: {e}; each line must be one JSON object with index, time, type, process, f"
                )))
            }
        };
        let Some(kind) = OpType::parse(&raw.kind) else {
            return Err(HistoryError::Invalid {
                file: file.to_string(),
                at: Location::Line(number),
                rule: "unknown-type",
                message: format!("type {:?} is none of invoke, ok, fail, info", raw.kind),
            });
        };
        history.ops.push(Op {
            index: raw.index,
            time: raw.time,
            kind,
            process: raw.process,
            f: raw.f,
            value: raw.value,
            node: raw.node,
            error: raw.error,
        });
        history.places.push(number);
    }
    Ok(history)
}

fn is_header(line: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, Value>>(line).is_ok_and(|m| m.contains_key("format"))
}
