//! faultline's own history format: JSON Lines, a header object first, then one op per line.
//! The writer streams (nothing is held in memory); the reader reads line by line, building each
//! op directly (strings interned, values compact), drops a torn last line (a crash mid-write)
//! with a warning when good op lines came before it, and rejects any other malformed line.

use std::io::{self, Write};

use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::atom::Atoms;
use super::error::{HistoryError, Location};
use super::input::Input;
use super::loaded::History;
use super::op::{Atom, Header, Op, OpType, Process, FORMAT_NAME, FORMAT_VERSION};
use super::value::{Builder, Interning, Value};

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

/// Parses a JSONL history line by line. Validation is the caller's ([`History::validate`]).
pub(crate) fn parse<R: BufRead>(mut input: Input<R>, file: &str) -> Result<History, HistoryError> {
    let mut history = History { places_are_lines: true, ..History::default() };
    let mut builder = Builder::default();
    let mut line = Vec::new();
    let mut ended = false;
    loop {
        let number = input.line;
        let malformed =
            |message: String| HistoryError::Malformed { file: file.to_string(), at: Location::Line(number), message };
        if !input.read_line(&mut line, &mut ended).map_err(|e| malformed(e.message()))? {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if number == 1 && is_header(&line) {
            let header: Header = serde_json::from_slice(&line).map_err(|e| malformed(format!("bad header: {e}")))?;
            if header.format != FORMAT_NAME || header.version != FORMAT_VERSION {
                return Err(malformed(format!(
                    "header says format {:?} version {}; this build reads {FORMAT_NAME:?} version {FORMAT_VERSION}",
                    header.format, header.version
                )));
            }
            history.header = Some(header);
            continue;
        }
        let mut de = serde_json::Deserializer::from_slice(&line);
        let parsed = OpSeed(&mut builder).deserialize(&mut de).and_then(|op| de.end().map(|()| op));
        let op = match parsed {
            Ok(op) => op,
            Err(e) if !ended && !history.ops.is_empty() => {
                history.warnings.push(format!("{file}: line {number}: dropped a torn last line ({e})"));
                continue;
            }
            Err(e) => {
                let message = e.to_string();
                if let Some(kind) = message.strip_prefix(UNKNOWN_TYPE) {
                    return Err(HistoryError::Invalid {
                        file: file.to_string(),
                        at: Location::Line(number),
                        rule: "unknown-type",
                        message: format!(
                            "type {} is none of invoke, ok, fail, info",
                            kind.split(" at line").next().unwrap_or(kind)
                        ),
                    });
                }
                return Err(malformed(format!(
                    "not an op: {e}; each line must be one JSON object with index, time, type, process, f"
                )));
            }
        };
        history.ops.push(op);
        history.places.push(number);
    }
    Ok(history)
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
                Field::Value => value = map.next_value_seed(Interning(builder))?,
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
