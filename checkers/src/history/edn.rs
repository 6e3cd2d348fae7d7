//! Import of histories recorded elsewhere: Jepsen/Knossos `history.edn` (one vector of ops, or
//! one map per line; keywords, tagged records) and the same ops as a JSON array.
//!
//! One streaming reader serves both: it reads bytes and builds each op as it goes (no generic
//! tree, no JSON tree), so memory is the ops themselves. JSON is read as EDN whose map keys are
//! followed by `:`. Nesting deeper than [`MAX_NESTING`] is an error naming the line.
//!
//! Imports carry no header. Missing fields get Jepsen's defaults, said in one warning per file:
//! no `:index` → file position; no `:time` → file position (real-time order = file order);
//! no `:process` → one process 0; no `:f` → `txn`. File order is the real-time order (as in
//! Knossos): a `:time` earlier than an op before it is raised to that op's time. An op with a
//! `:key` (Porcupine's key-value histories) gets the value `[key value]`, as independent keys do.

use std::io::BufRead;

use rayon::prelude::*;

use super::atom::Atoms;
use super::builder::Builder;
use super::error::{torn_line, HistoryError, Location};
use super::input::{cuts, Input, InputError, BATCH_BYTES, MAX_NESTING};
use super::loaded::History;
use super::op::{Op, OpType, Process, Value};

/// Parses an EDN history, or a JSON array of op objects (`json`). Validation is the caller's.
/// A file of one op map per line is read in batches of lines parsed in parallel pieces; any
/// other (a vector of ops, JSON) is read as one stream.
pub(crate) fn parse<R: BufRead>(mut input: Input<R>, file: &str, json: bool) -> Result<History, HistoryError> {
    let line = input.line;
    let head = input.peek_buf().map_err(|e| HistoryError::malformed(file, line, e.message()))?;
    // An op map, or a tagged one; not `#_`, which discards a form (perhaps before a vector).
    let op_per_line = matches!(head, [b'{', ..]) || matches!(head, [b'#', second, ..] if *second != b'_');
    let mut read = Read::default();
    if !json && op_per_line {
        parse_lines(input, file, &mut read)?;
    } else {
        parse_forms(input, file, json, &mut read)?;
    }
    read.defaults.settle(&mut read.ops, file, &mut read.warnings);
    Ok(History { header: None, ops: read.ops, places: read.places, warnings: read.warnings, places_are_lines: true })
}

/// The ops read so far, with their lines, the fields they lacked and the reader's warnings.
#[derive(Default)]
struct Read {
    ops: Vec<Op>,
    places: Vec<u32>,
    defaults: Defaults,
    warnings: Vec<String>,
}

/// The error for `e`, found at `line` unless it names its own.
fn read_error(file: &str, e: ReadError, line: u32) -> HistoryError {
    let line = e.line.unwrap_or(line);
    match e.rule {
        Some(rule) => {
            HistoryError::Invalid { file: file.to_string(), at: Location::Line(line), rule, message: e.message }
        }
        None => HistoryError::malformed(file, line, e.message),
    }
}

/// Reads the rest of the input as one stream of forms, after the ops in `read`: a vector (or
/// list) of op maps, or op maps.
fn parse_forms<R: BufRead>(input: Input<R>, file: &str, json: bool, read: &mut Read) -> Result<(), HistoryError> {
    let mut reader = Reader::new(input, json);
    let mut in_vector = false;
    loop {
        let fail = |e: ReadError, r: &Reader<R>| read_error(file, e, r.input.line);
        reader.skip_blank().map_err(|e| fail(e, &reader))?;
        let start = reader.input.line;
        let Some(b) = reader.input.peek().map_err(|e| fail(e.into(), &reader))? else { break };
        if read.ops.is_empty() && !in_vector && (b == b'[' || b == b'(') {
            reader.input.next_byte().map_err(|e| fail(e.into(), &reader))?;
            in_vector = true;
            let close = if b == b'[' { b']' } else { b')' };
            loop {
                reader.skip_blank().map_err(|e| fail(e, &reader))?;
                let line = reader.input.line;
                match reader.input.peek().map_err(|e| fail(e.into(), &reader))? {
                    Some(c) if c == close => {
                        reader.input.next_byte().map_err(|e| fail(e.into(), &reader))?;
                        break;
                    }
                    None => {
                        return Err(HistoryError::malformed(
                            file,
                            line,
                            format!("the vector of ops never ends; expected `{}`", close as char),
                        ))
                    }
                    Some(_) => {
                        let op = reader.op(&mut read.defaults).map_err(|e| fail(e, &reader))?;
                        read.ops.push(op);
                        read.places.push(line);
                    }
                }
            }
            continue;
        }
        match reader.op(&mut read.defaults) {
            Ok(op) => {
                read.ops.push(op);
                read.places.push(start);
            }
            Err(e) if e.at_end && !read.ops.is_empty() && reader.input.line == start => {
                read.warnings.push(torn_line(file, start, &e.message));
                break;
            }
            Err(e) => return Err(fail(e, &reader)),
        }
    }
    Ok(())
}

/// Reads one op map per line, a batch of lines at a time, each batch cut into pieces at lines
/// that start with `{` and parsed in parallel. A cut can fall inside a form that spans lines
/// (a string holding a line break): the piece before it then ends mid-form, so the pieces after
/// it are dropped and reading goes on from that piece's last whole op: in the next batch, or,
/// when it was the batch's first piece, as one stream to the end. So the ops are always those a
/// stream reader would read.
fn parse_lines<R: BufRead>(mut input: Input<R>, file: &str, read: &mut Read) -> Result<(), HistoryError> {
    let (mut batch, mut carry) = (Vec::new(), Vec::new());
    let mut first_line = input.line;
    loop {
        let more = input
            .read_lines(&mut batch, BATCH_BYTES)
            .map_err(|e| HistoryError::malformed(file, input.line, e.message()))?;
        batch.splice(0..0, carry.drain(..));
        if batch.is_empty() {
            return Ok(());
        }
        let cuts = cuts(&batch, rayon::current_num_threads() * 2, Some(b'{'));
        let pieces: Vec<Piece> = cuts.par_windows(2).map(|w| Piece::parse(&batch[w[0]..w[1]])).collect();
        let mut line = first_line;
        for (k, piece) in pieces.into_iter().enumerate() {
            read.ops.extend(piece.ops);
            read.places.extend(piece.places.iter().map(|local| line + local));
            read.defaults.merge(&piece.defaults);
            let Some(e) = piece.stop else {
                line += piece.lines;
                continue;
            };
            let e = ReadError { line: e.line.map(|local| line + local), ..e };
            let clean_line = line + piece.clean_lines;
            if !e.at_end {
                return Err(read_error(file, e, clean_line));
            }
            if k + 2 == cuts.len() && !more {
                if read.ops.is_empty() || piece.torn_lines > 0 {
                    return Err(read_error(file, e, clean_line));
                }
                read.warnings.push(torn_line(file, clean_line, &e.message));
                return Ok(());
            }
            let rest = batch[cuts[k] + piece.clean_bytes..].to_vec();
            if k == 0 {
                return parse_forms(input.after(rest, clean_line), file, false, read);
            }
            carry = rest;
            line = clean_line;
            break;
        }
        first_line = if carry.is_empty() { input.line } else { line };
        if carry.is_empty() && !more {
            return Ok(());
        }
    }
}

/// The ops of one piece, lines counted from its first (0), and where its last whole op ended.
#[derive(Default)]
struct Piece {
    ops: Vec<Op>,
    places: Vec<u32>,
    defaults: Defaults,
    /// Line ends in the piece (when it was read to its end).
    lines: u32,
    /// Bytes and line ends up to the end of the last whole op (and the blanks after it).
    clean_bytes: usize,
    clean_lines: u32,
    /// Line ends between the last whole op and the end (when it stopped at the end mid-form).
    torn_lines: u32,
    /// Why it stopped before its end.
    stop: Option<ReadError>,
}

impl Piece {
    fn parse(bytes: &[u8]) -> Piece {
        let limits = super::input::ReadLimits { max_bytes: u64::MAX };
        let mut reader = Reader::new(Input::new(bytes, limits), false);
        let mut piece = Piece::default();
        loop {
            if let Err(e) = reader.skip_blank() {
                piece.stop = Some(e.local(reader.input.line - 1));
                break;
            }
            (piece.clean_bytes, piece.clean_lines) = (reader.input.progress().0 as usize, reader.input.line - 1);
            match reader.input.peek() {
                Ok(None) => break,
                Ok(Some(_)) => {}
                Err(e) => {
                    piece.stop = Some(ReadError::from(e).local(reader.input.line - 1));
                    break;
                }
            }
            match reader.op(&mut piece.defaults) {
                Ok(op) => {
                    piece.ops.push(op);
                    piece.places.push(piece.clean_lines);
                }
                Err(e) => {
                    let here = reader.input.line - 1;
                    if e.at_end {
                        piece.torn_lines = here - piece.clean_lines;
                    }
                    piece.stop = Some(e.local(here));
                    break;
                }
            }
        }
        piece.lines = reader.input.line - 1;
        piece
    }
}

/// What a reader found wrong; `at_end` when the input ended mid-form (a torn last line).
struct ReadError {
    message: String,
    line: Option<u32>,
    at_end: bool,
    /// The rule broken, for ops that parse but break one (`unknown-type`).
    rule: Option<&'static str>,
}

impl From<InputError> for ReadError {
    fn from(e: InputError) -> ReadError {
        ReadError { message: e.message(), line: None, at_end: false, rule: None }
    }
}

impl ReadError {
    /// The same error with its line counted in a piece, from 0: the reader's line (from 1)
    /// less one, or `here` when it names none.
    fn local(self, here: u32) -> ReadError {
        ReadError { line: Some(self.line.map_or(here, |l| l - 1)), ..self }
    }
}

fn bad(message: impl Into<String>) -> ReadError {
    ReadError { message: message.into(), line: None, at_end: false, rule: None }
}

fn ended() -> ReadError {
    ReadError {
        message: "the file ends in the middle of a form; give one vector of op maps or one map per line".to_string(),
        line: None,
        at_end: true,
        rule: None,
    }
}

/// Which ops lacked which fields, to default them once the whole file is read.
#[derive(Default)]
struct Defaults {
    no_index: bool,
    no_time: bool,
    no_process: bool,
    no_f: bool,
}

impl Defaults {
    /// Adds what another piece of the file lacked.
    fn merge(&mut self, other: &Defaults) {
        self.no_index |= other.no_index;
        self.no_time |= other.no_time;
        self.no_process |= other.no_process;
        self.no_f |= other.no_f;
    }

    /// Gives every op file positions when any op lacked `:index` (or `:time`), raises times to
    /// keep file order, and says what was assumed in one warning.
    fn settle(&self, ops: &mut [Op], file: &str, warnings: &mut Vec<String>) {
        let mut latest = 0;
        let mut raised = 0usize;
        for (position, op) in ops.iter_mut().enumerate() {
            if self.no_index {
                op.index = position as u64;
            }
            if self.no_time {
                op.time = position as u64;
            }
            if op.time < latest {
                raised += 1;
                op.time = latest;
            }
            latest = op.time;
        }
        let mut assumed = Vec::new();
        if self.no_index {
            assumed.push(":index (using file position)");
        }
        if self.no_time {
            assumed.push(":time (using file position: real-time order is file order)");
        }
        if self.no_process {
            assumed.push(":process (using process 0)");
        }
        if self.no_f {
            assumed.push(":f (using \"txn\")");
        }
        let mut said = Vec::new();
        if !assumed.is_empty() && !ops.is_empty() {
            said.push(format!("some ops have no usable {}", assumed.join(", ")));
        }
        if raised > 0 {
            said.push(format!(
                "{raised} ops have a :time earlier than an op before them, raised to keep file order (Jepsen's real-time order)"
            ));
        }
        if !said.is_empty() {
            warnings.push(format!("{file}: {}", said.join("; ")));
        }
    }
}

/// A streaming EDN (and JSON) reader that builds [`Value`]s directly.
struct Reader<R> {
    input: Input<R>,
    builder: Builder,
    scratch: Vec<u8>,
    depth: usize,
    json: bool,
}

/// The name of the keyword [`Reader::keyword_token`] read (`::name` too: without its colons).
fn keyword(scratch: &[u8]) -> Result<&str, ReadError> {
    utf8(scratch).map(|name| name.trim_start_matches(':'))
}

/// The bytes as text.
fn utf8(bytes: &[u8]) -> Result<&str, ReadError> {
    std::str::from_utf8(bytes).map_err(|_| bad("text that is not UTF-8"))
}

/// A plain decimal integer of at most 18 digits (the common case), read without UTF-8 checks.
fn small_int(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    Some(if negative { -n } else { n })
}

/// Whitespace and commas, which EDN reads as whitespace.
fn is_blank(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b','
}

/// Bytes that end a symbol, keyword or number.
fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';')
}

impl<R: BufRead> Reader<R> {
    fn new(input: Input<R>, json: bool) -> Reader<R> {
        Reader { input, builder: Builder::default(), scratch: Vec::new(), depth: 0, json }
    }

    /// Skips whitespace, commas, `;` comments and `#_` discarded forms.
    fn skip_blank(&mut self) -> Result<(), ReadError> {
        loop {
            match self.input.peek()? {
                Some(b) if is_blank(b) => {
                    let n = self.input.peek_buf()?.iter().take_while(|&&b| is_blank(b)).count();
                    self.input.consume(n);
                }
                Some(b';') => while !matches!(self.input.next_byte()?, None | Some(b'\n')) {},
                Some(b'#') if !self.json => {
                    let buf = self.input.peek_buf()?;
                    if buf.get(1) != Some(&b'_') {
                        return Ok(());
                    }
                    self.input.next_byte()?;
                    self.input.next_byte()?;
                    self.value()?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// The next byte after blanks, consumed; an error at the end of the input.
    fn expect_byte(&mut self) -> Result<u8, ReadError> {
        self.skip_blank()?;
        self.input.next_byte()?.ok_or_else(ended)
    }

    /// Reads one op map (tags such as `#jepsen.history.Op` are looked through).
    fn op(&mut self, defaults: &mut Defaults) -> Result<Op, ReadError> {
        let line = self.input.line;
        let at = |mut e: ReadError| {
            e.line.get_or_insert(line);
            e
        };
        self.skip_tags()?;
        match self.expect_byte()? {
            b'{' => {}
            other => {
                return Err(at(bad(format!(
                    "expected an op map like {{:process 0, :type :invoke, :f :read}}, found `{}`",
                    other as char
                ))))
            }
        }
        let mut fields = Fields::default();
        self.depth += 1;
        loop {
            self.skip_blank()?;
            if self.input.peek()? == Some(b'}') {
                self.input.next_byte()?;
                break;
            }
            let key = self.value()?;
            self.json_colon()?;
            let value = self.value()?;
            match key.as_str() {
                Some("index") => fields.index = value.as_u64(),
                Some("time") => fields.time = value.as_u64(),
                Some("type") => fields.kind = Some(value),
                Some("process") => fields.process = Some(value),
                Some("f") => fields.f = Some(value),
                Some("value") => fields.value = value,
                Some("key") => fields.key = Some(value),
                Some("node") => fields.node = value.as_str().map(|n| self.builder.atoms.get(n)),
                Some("error") => fields.error = Some(value),
                _ => {}
            }
        }
        self.depth -= 1;
        fields.into_op(defaults, &mut self.builder.atoms).map_err(at)
    }

    /// In JSON, the `:` between a key and its value.
    fn json_colon(&mut self) -> Result<(), ReadError> {
        if self.json && self.expect_byte()? != b':' {
            return Err(bad("expected `:` after a key in a JSON object"));
        }
        Ok(())
    }

    /// Skips `#tag` prefixes (`#jepsen.history.Op`, `#object`, `#inst`) and `^meta`.
    fn skip_tags(&mut self) -> Result<(), ReadError> {
        loop {
            self.skip_blank()?;
            match self.input.peek()? {
                Some(b'#') if !self.json => {
                    if self.input.peek_buf()?.get(1).is_some_and(|&b| b == b'{' || b == b'_') {
                        return Ok(());
                    }
                    self.input.next_byte()?;
                    self.token()?;
                }
                Some(b'^') if !self.json => {
                    self.input.next_byte()?;
                    self.value()?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// Reads the bytes of a symbol, keyword name or number into `scratch`.
    fn token(&mut self) -> Result<(), ReadError> {
        self.scratch.clear();
        loop {
            let buf = self.input.peek_buf()?;
            let n = buf.iter().position(|&b| is_delimiter(b)).unwrap_or(buf.len());
            self.scratch.extend_from_slice(&buf[..n]);
            let done = n < buf.len() || buf.is_empty();
            self.input.consume(n);
            if done {
                return Ok(());
            }
            if self.scratch.len() > super::input::MAX_LINE_BYTES {
                return Err(bad("a symbol longer than a line may be"));
            }
        }
    }

    /// Reads one form as a [`Value`].
    fn value(&mut self) -> Result<Value, ReadError> {
        self.item()?;
        Ok(self.builder.pop())
    }

    /// Reads one form onto the builder's stack.
    fn item(&mut self) -> Result<(), ReadError> {
        self.skip_tags()?;
        let b = self.input.peek()?.ok_or_else(ended)?;
        match b {
            b'[' | b'(' => {
                self.input.next_byte()?;
                self.list(if b == b'[' { b']' } else { b')' })
            }
            b'#' => {
                self.input.next_byte()?;
                self.input.next_byte()?;
                self.list(b'}')
            }
            b':' => {
                self.keyword_token()?;
                self.builder.push_str(keyword(&self.scratch)?);
                Ok(())
            }
            _ => {
                let value = self.single()?;
                self.builder.push(value);
                Ok(())
            }
        }
    }

    /// Reads a keyword (the colon next) into `scratch`; [`keyword`] names it.
    fn keyword_token(&mut self) -> Result<(), ReadError> {
        self.input.next_byte()?;
        self.token()
    }

    /// Reads one form that is not a list.
    fn single(&mut self) -> Result<Value, ReadError> {
        let b = self.input.peek()?.ok_or_else(ended)?;
        match b {
            b'{' => {
                self.input.next_byte()?;
                self.map()
            }
            b'"' => {
                self.input.next_byte()?;
                self.string()
            }
            b':' => {
                self.keyword_token()?;
                Ok(Value::String(self.builder.atoms.get(keyword(&self.scratch)?)))
            }
            b'\\' => {
                self.input.next_byte()?;
                self.token()?;
                let c = match utf8(&self.scratch)? {
                    "newline" => "\n".to_string(),
                    "space" => " ".to_string(),
                    "tab" => "\t".to_string(),
                    "" => self.input.next_byte()?.map(|b| (b as char).to_string()).unwrap_or_default(),
                    other => other.chars().next().map(String::from).unwrap_or_default(),
                };
                Ok(Value::String(self.builder.atoms.get(&c)))
            }
            b')' | b']' | b'}' => Err(bad(format!("unexpected `{}`", b as char))),
            _ => {
                self.token()?;
                if self.scratch.is_empty() {
                    return Err(bad(format!("unexpected `{}`", b as char)));
                }
                self.scalar()
            }
        }
    }

    /// A symbol or number in `scratch`.
    fn scalar(&mut self) -> Result<Value, ReadError> {
        if let Some(n) = small_int(&self.scratch) {
            return Ok(Value::Int(n));
        }
        let text = utf8(&self.scratch)?;
        let first = text.as_bytes()[0];
        let numeric = first.is_ascii_digit()
            || ((first == b'-' || first == b'+') && text.as_bytes().get(1).is_some_and(u8::is_ascii_digit));
        if !numeric {
            return Ok(match text {
                "nil" | "null" => Value::Null,
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                symbol => Value::String(self.builder.atoms.get(symbol)),
            });
        }
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Value::Int(n));
        }
        let digits = text.trim_end_matches(['N', 'M']);
        if let Ok(n) = digits.parse::<i64>() {
            return Ok(Value::Int(n));
        }
        if let Ok(n) = digits.parse::<u64>() {
            return Ok(Value::from(n));
        }
        let number = match digits.split_once('/') {
            Some((n, d)) => n.parse::<f64>().ok().zip(d.parse::<f64>().ok()).map(|(n, d)| n / d),
            None => digits.parse::<f64>().ok(),
        };
        match number.and_then(serde_json::Number::from_f64) {
            Some(n) => Ok(Value::Other(Box::new(n.into()))),
            None => Err(bad(format!("{text:?} is not a number"))),
        }
    }

    fn enter(&mut self) -> Result<(), ReadError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(bad(format!("lists and maps nested deeper than {MAX_NESTING} levels")));
        }
        Ok(())
    }

    /// The items of a list up to `close`, onto the builder's stack as one item.
    fn list(&mut self, close: u8) -> Result<(), ReadError> {
        self.enter()?;
        let mark = self.builder.open();
        loop {
            self.skip_blank()?;
            match self.input.peek()? {
                None => return Err(ended()),
                Some(b) if b == close => {
                    self.input.next_byte()?;
                    break;
                }
                Some(_) => self.item()?,
            }
        }
        self.depth -= 1;
        self.builder.close(mark);
        Ok(())
    }

    /// A map value, as a JSON object keyed by each key's text.
    fn map(&mut self) -> Result<Value, ReadError> {
        self.enter()?;
        let mut map = serde_json::Map::new();
        loop {
            self.skip_blank()?;
            match self.input.peek()? {
                None => return Err(ended()),
                Some(b'}') => {
                    self.input.next_byte()?;
                    break;
                }
                Some(_) => {
                    let key = self.value()?;
                    self.json_colon()?;
                    let value = self.value()?;
                    let key = match key {
                        Value::String(s) => s.to_string(),
                        other => other.to_string(),
                    };
                    map.insert(key, value.to_json());
                }
            }
        }
        self.depth -= 1;
        Ok(Value::Other(Box::new(serde_json::Value::Object(map))))
    }

    /// A string after its opening quote, with EDN/JSON escapes.
    fn string(&mut self) -> Result<Value, ReadError> {
        self.scratch.clear();
        loop {
            let buf = self.input.peek_buf()?;
            if buf.is_empty() {
                return Err(ended());
            }
            let n = buf.iter().position(|&b| b == b'"' || b == b'\\').unwrap_or(buf.len());
            self.scratch.extend_from_slice(&buf[..n]);
            let stop = buf.get(n).copied();
            self.input.consume(n);
            match stop {
                None => {}
                Some(b'"') => {
                    self.input.next_byte()?;
                    break;
                }
                Some(_) => {
                    self.input.next_byte()?;
                    let escaped = self.input.next_byte()?.ok_or_else(ended)?;
                    let c = match escaped {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let mut code = 0u32;
                            for _ in 0..4 {
                                let d = self.input.next_byte()?.ok_or_else(ended)?;
                                code = code * 16
                                    + (d as char)
                                        .to_digit(16)
                                        .ok_or_else(|| bad("a \\u escape needs four hex digits"))?;
                            }
                            char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
                        }
                        other => other as char,
                    };
                    let mut utf8 = [0; 4];
                    self.scratch.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
            }
            if self.scratch.len() > super::input::MAX_LINE_BYTES {
                return Err(bad("a string longer than a line may be"));
            }
        }
        let text = std::str::from_utf8(&self.scratch).map_err(|_| bad("a string that is not UTF-8"))?;
        Ok(Value::String(self.builder.atoms.get(text)))
    }
}

/// The fields of one op map as read.
#[derive(Default)]
struct Fields {
    index: Option<u64>,
    time: Option<u64>,
    kind: Option<Value>,
    process: Option<Value>,
    f: Option<Value>,
    value: Value,
    /// Porcupine's key-value histories name the key beside the value.
    key: Option<Value>,
    node: Option<super::op::Atom>,
    error: Option<Value>,
}

impl Fields {
    fn into_op(self, defaults: &mut Defaults, atoms: &mut Atoms) -> Result<Op, ReadError> {
        let kind = match &self.kind {
            Some(Value::String(t)) => OpType::parse(t),
            _ => None,
        };
        let Some(kind) = kind else {
            return Err(match self.kind {
                None => bad("op has no :type; every op needs :type :invoke, :ok, :fail or :info"),
                Some(t) => ReadError {
                    rule: Some("unknown-type"),
                    ..bad(format!("type {t} is none of invoke, ok, fail, info"))
                },
            });
        };
        let process = match self.process {
            None | Some(Value::Null) => {
                defaults.no_process = true;
                Process::Client(0)
            }
            Some(Value::String(name)) => Process::Named(name),
            Some(other) => match other.as_u64() {
                Some(n) => Process::Client(n),
                None => return Err(bad(format!(":process {other} is neither a non-negative integer nor a name"))),
            },
        };
        let f = match self.f {
            None => {
                defaults.no_f = true;
                atoms.get("txn")
            }
            Some(Value::String(f)) => f,
            Some(other) => atoms.get(&other.to_string()),
        };
        defaults.no_index |= self.index.is_none();
        defaults.no_time |= self.time.is_none();
        let error = self.error.map(|e| match e {
            Value::String(s) => s,
            other => atoms.get(&other.to_string()),
        });
        Ok(Op {
            index: self.index.unwrap_or_default(),
            time: self.time.unwrap_or_default(),
            kind,
            process,
            f,
            value: match self.key {
                Some(key) => Value::Array(Box::new([key, self.value])),
                None => self.value,
            },
            node: self.node,
            error,
        })
    }
}
