//! faultline's own history format: JSON Lines, a header object first, then one op per line.
//! The writer streams (nothing is held in memory); the reader reads line by line, building each
//! op directly (strings interned, values compact), drops a torn last line (a crash mid-write)
//! with a warning when good op lines came before it, and rejects any other malformed line.

use std::io::{self, Write};

use std::fmt;
use std::io::BufRead;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::atom::Atoms;
use super::builder::{Builder, Interning};
use super::error::{torn_line, HistoryError, Location};
use super::input::{cuts, Input, BATCH_BYTES};
use super::loaded::History;
use super::op::{Atom, Header, Op, OpType, Process, FORMAT_NAME, FORMAT_VERSION};
use super::value::Value;

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

/// Parses a JSONL history, a batch of lines at a time: each batch is cut into pieces at line
/// ends, parsed in parallel, each with its own [`Builder`]. While a batch is parsed, the next
/// is read and the ops of the one before are moved into the history. Validation is the
/// caller's ([`History::validate`]).
pub(crate) fn parse<R: BufRead + Send>(mut input: Input<R>, file: &str) -> Result<History, HistoryError> {
    let mut history = History { places_are_lines: true, ..History::default() };
    let (mut batch, mut next) = (Vec::new(), Vec::new());
    // The pieces of the batch being parsed, and of the one before (being merged meanwhile).
    let (mut parsing, mut parsed): (Vec<Piece>, Vec<Piece>) = (Vec::new(), Vec::new());
    let mut to_merge: Option<Parsed> = None;
    let mut first_line = input.line;
    let mut more = input
        .read_lines(&mut batch, BATCH_BYTES)
        .map_err(|e| HistoryError::malformed(file, input.line, e.message()))?;
    while !batch.is_empty() {
        let torn_end = !more && batch.last().is_some_and(|&b| b != b'\n');
        let cuts = cuts(&batch, rayon::current_num_threads() * 2, None);
        let pieces: Vec<&[u8]> = cuts.windows(2).map(|w| &batch[w[0]..w[1]]).collect();
        parsing.resize_with(parsing.len().max(pieces.len()), Piece::default);
        let last = pieces.len().saturating_sub(1);
        let (progress, next_line) = (input.progress(), input.line);
        let ((read_next, merged), ()) = rayon::join(
            || {
                let merged = to_merge.map_or(Ok(()), |done| merge(&mut history, &mut parsed, done, file));
                let read_next =
                    if more && merged.is_ok() { input.read_lines(&mut next, BATCH_BYTES) } else { Ok(false) };
                (read_next, merged)
            },
            || {
                parsing.par_iter_mut().zip(pieces.par_iter()).enumerate().for_each(|(i, (piece, bytes))| {
                    piece.parse(bytes, first_line == 1 && i == 0, torn_end && i == last)
                })
            },
        );
        merged?;
        std::mem::swap(&mut parsing, &mut parsed);
        to_merge = Some(Parsed { first_line, pieces: pieces.len(), progress });
        if !more {
            break;
        }
        more = match read_next {
            Ok(more) => more,
            Err(e) => {
                // What was read before the failure comes first: its errors are the file's first.
                if let Some(done) = to_merge {
                    merge(&mut history, &mut parsed, done, file)?;
                }
                return Err(HistoryError::malformed(file, input.line, e.message()));
            }
        };
        std::mem::swap(&mut batch, &mut next);
        first_line = next_line;
    }
    if let Some(done) = to_merge {
        merge(&mut history, &mut parsed, done, file)?;
    }
    Ok(history)
}

/// A parsed batch waiting to be merged: its first line, how many pieces it was cut into, and
/// how far the input had been read when it was (see [`reserve_for_all`]).
#[derive(Clone, Copy)]
struct Parsed {
    first_line: u32,
    pieces: usize,
    progress: (u64, u64),
}

/// Moves the ops of a parsed batch's pieces into the history, in order; the first piece that
/// stopped at a bad line gives the error.
fn merge(history: &mut History, pieces: &mut [Piece], batch: Parsed, file: &str) -> Result<(), HistoryError> {
    let pieces = &mut pieces[..batch.pieces];
    if batch.first_line == 1 {
        reserve_for_all(history, pieces, batch.progress);
    }
    let mut line = batch.first_line;
    for piece in pieces {
        history.header = history.header.take().or(piece.header.take());
        history.places.extend(piece.places.drain(..).map(|local| line + local));
        history.ops.append(&mut piece.ops);
        match piece.stop.take() {
            None => {}
            Some(Stop::Torn(local, e)) if !history.ops.is_empty() => {
                history.warnings.push(torn_line(file, line + local, e));
            }
            Some(Stop::Torn(local, e) | Stop::BadOp(local, e)) => return Err(op_error(file, line + local, &e)),
            Some(Stop::BadHeader(local, message)) => return Err(HistoryError::malformed(file, line + local, message)),
        }
        line += piece.lines;
    }
    Ok(())
}

/// Reserves room for the whole file's ops, judged by the first batch's ops per byte, so the
/// history's vectors are not copied as they grow (room reserved and never used costs address
/// space, not memory).
fn reserve_for_all(history: &mut History, first: &[Piece], (read, expected): (u64, u64)) {
    let ops: usize = first.iter().map(|piece| piece.ops.len()).sum();
    if read == 0 || expected <= read {
        return;
    }
    let all = (ops as f64 * expected as f64 / read as f64 * 1.05) as usize;
    history.ops.reserve(all);
    history.places.reserve(all);
}

/// The ops of one piece of a batch, with lines counted from the piece's first (0). Its vectors
/// are emptied into the history, and they and its builder are reused for the next batch.
#[derive(Default)]
struct Piece {
    builder: Builder,
    header: Option<Header>,
    ops: Vec<Op>,
    places: Vec<u32>,
    /// How many line ends the piece holds.
    lines: u32,
    /// Why parsing stopped before the piece's end.
    stop: Option<Stop>,
}

/// Why a piece stopped early, at which of its lines.
enum Stop {
    /// The header line is bad.
    BadHeader(u32, String),
    /// A line is not an op.
    BadOp(u32, serde_json::Error),
    /// The file's last line, which has no line end, is not an op: a crash mid-write.
    Torn(u32, serde_json::Error),
}

impl Piece {
    /// Parses the lines of `bytes`; `starts_file` when its first line is the file's first (the
    /// header's place), `torn_end` when its last line is the file's and lacks its line end.
    fn parse(&mut self, bytes: &[u8], starts_file: bool, torn_end: bool) {
        self.lines = 0;
        let mut rest = bytes;
        while !rest.is_empty() {
            let (line, tail) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            let (number, is_last) = (self.lines, tail.is_empty());
            self.lines += u32::from(line.len() < rest.len());
            rest = tail;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if starts_file && number == 0 && is_header(line) {
                match read_header(line) {
                    Ok(header) => self.header = Some(header),
                    Err(message) => {
                        self.stop = Some(Stop::BadHeader(number, message));
                        break;
                    }
                }
                continue;
            }
            let mut de = serde_json::Deserializer::from_slice(line);
            match OpSeed(&mut self.builder).deserialize(&mut de).and_then(|op| de.end().map(|()| op)) {
                Ok(op) => {
                    self.ops.push(op);
                    self.places.push(number);
                }
                Err(e) => {
                    self.stop = Some(if torn_end && is_last { Stop::Torn(number, e) } else { Stop::BadOp(number, e) });
                    break;
                }
            }
        }
    }
}

/// The header line, or why it is refused.
fn read_header(line: &[u8]) -> Result<Header, String> {
    let header: Header = serde_json::from_slice(line).map_err(|e| format!("bad header: {e}"))?;
    if header.format != FORMAT_NAME || header.version != FORMAT_VERSION {
        return Err(format!(
            "header says format {:?} version {}; this build reads {FORMAT_NAME:?} version {FORMAT_VERSION}",
            header.format, header.version
        ));
    }
    Ok(header)
}

/// The error for line `number`, which is not an op.
fn op_error(file: &str, number: u32, e: &serde_json::Error) -> HistoryError {
    let message = e.to_string();
    if let Some(kind) = message.strip_prefix(UNKNOWN_TYPE) {
        return HistoryError::Invalid {
            file: file.to_string(),
            at: Location::Line(number),
            rule: "unknown-type",
            message: format!(
                "type {} is none of invoke, ok, fail, info",
                kind.split(" at line").next().unwrap_or(kind)
            ),
        };
    }
    HistoryError::malformed(
        file,
        number,
        format!("not an op: {e}; each line must be one JSON object with index, time, type, process, f"),
    )
}

/// The start of the error an op line with an unknown `type` gives.
const UNKNOWN_TYPE: &str = "unknown op type ";

fn is_header(line: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct HasFormat {
        format: Option<de::IgnoredAny>,
    }
    serde_json::from_slice::<HasFormat>(line).is_ok_and(|h| h.format.is_some())
}

/// The fields of an op line.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Index,
    Time,
    Type,
    Process,
    F,
    Value,
    Node,
    Error,
}

/// Deserializes one op line, interning its strings.
struct OpSeed<'a>(&'a mut Builder);

impl<'de> DeserializeSeed<'de> for OpSeed<'_> {
    type Value = Op;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Op, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OpSeed<'_> {
    type Value = Op;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an op object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Op, A::Error> {
        let builder = self.0;
        let (mut index, mut time, mut kind, mut process, mut f) = (None, None, None, None, None);
        let (mut value, mut node, mut error) = (Value::Null, None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Index => index = Some(map.next_value::<u64>()?),
                Field::Time => time = Some(map.next_value::<u64>()?),
                Field::Type => {
                    let name = map.next_value::<std::borrow::Cow<'de, str>>()?;
                    kind =
                        Some(OpType::parse(&name).ok_or_else(|| de::Error::custom(format!("{UNKNOWN_TYPE}{name:?}")))?);
                }
                Field::Process => {
                    process = Some(match map.next_value::<RawProcess<'de>>()? {
                        RawProcess::Number(n) => Process::Client(n),
                        RawProcess::Name(name) => Process::Named(builder.atoms.get(&name)),
                    })
                }
                Field::F => f = map.next_value_seed(AtomSeed(&mut builder.atoms))?,
                Field::Value => {
                    map.next_value_seed(Interning(builder))?;
                    value = builder.pop();
                }
                Field::Node => node = map.next_value_seed(AtomSeed(&mut builder.atoms))?,
                Field::Error => error = map.next_value_seed(AtomSeed(&mut builder.atoms))?,
            }
        }
        Ok(Op {
            index: index.ok_or_else(|| de::Error::missing_field("index"))?,
            time: time.ok_or_else(|| de::Error::missing_field("time"))?,
            kind: kind.ok_or_else(|| de::Error::missing_field("type"))?,
            process: process.ok_or_else(|| de::Error::missing_field("process"))?,
            f: f.ok_or_else(|| de::Error::missing_field("f"))?,
            value,
            node,
            error,
        })
    }
}

/// A string (interned) or null.
struct AtomSeed<'a>(&'a mut Atoms);

impl<'de> DeserializeSeed<'de> for AtomSeed<'_> {
    type Value = Option<Atom>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Atom>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AtomSeed<'_> {
    type Value = Option<Atom>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or null")
    }

    fn visit_str<E>(self, text: &str) -> Result<Option<Atom>, E> {
        Ok(Some(self.0.get(text)))
    }

    fn visit_unit<E>(self) -> Result<Option<Atom>, E> {
        Ok(None)
    }
}

/// A process as written: a non-negative integer or a name.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawProcess<'a> {
    Number(u64),
    Name(#[serde(borrow)] std::borrow::Cow<'a, str>),
}
