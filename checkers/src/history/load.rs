//! Loading a history from any supported file: the format is detected by content, the ops are
//! read as a stream under [`ReadLimits`] and validated, and every problem names the file, the
//! place and the rule.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::error::HistoryError;
use super::input::{Input, ReadLimits};
use super::loaded::History;
use super::{edn, jsonl};

/// Reads, parses and validates the history in `path` (faultline JSONL, Jepsen EDN, or a JSON
/// array of ops), detecting the format by its content, with the default [`ReadLimits`].
pub fn load_path(path: &Path) -> Result<History, HistoryError> {
    load_path_with(path, ReadLimits::default())
}

/// [`load_path`] with the given limits (`--max-history-bytes`).
pub fn load_path_with(path: &Path, limits: ReadLimits) -> Result<History, HistoryError> {
    let file = path.display().to_string();
    let opened =
        std::fs::File::open(path).map_err(|e| HistoryError::Io { file: file.clone(), message: e.to_string() })?;
    let size = opened.metadata().map_or(0, |m| m.len());
    load_input(Input::new(BufReader::with_capacity(1 << 20, opened), limits).expecting(size), &file)
}

/// Parses and validates a history held in memory; `file` names it in errors.
pub fn load_str(text: &str, file: &str) -> Result<History, HistoryError> {
    load_reader(text.as_bytes(), file, ReadLimits::default())
}

/// Parses and validates a history from any buffered reader (one that may be read on another
/// thread: the next batch is read while the last is parsed); `file` names it in errors.
pub fn load_reader<R: BufRead + Send>(reader: R, file: &str, limits: ReadLimits) -> Result<History, HistoryError> {
    load_input(Input::new(reader, limits), file)
}

fn load_input<R: BufRead + Send>(mut input: Input<R>, file: &str) -> Result<History, HistoryError> {
    let history = match detect(&mut input).map_err(|message| HistoryError::malformed(file, input.line, message))? {
        Format::Jsonl => jsonl::parse(input, file)?,
        Format::Edn => edn::parse(input, file, false)?,
        Format::JsonArray => edn::parse(input, file, true)?,
    };
    history.validate(file)?;
    Ok(history)
}

enum Format {
    Jsonl,
    Edn,
    JsonArray,
}

/// Looks at the first bytes (after leading whitespace, which it consumes): JSONL starts with
/// `{"`, a JSON array of ops with `[{"` or `[]`; EDN with `[`, `(`, `{`, `#` or a `;` comment.
/// Anything else (binary data, an empty file) is refused here, before any of it is buffered.
fn detect<R: BufRead>(input: &mut Input<R>) -> Result<Format, String> {
    loop {
        let buf = input.peek_buf().map_err(|e| e.message())?;
        let blank = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if blank == 0 {
            break;
        }
        input.consume(blank);
    }
    let head: Vec<u8> = input.peek_buf().map_err(|e| e.message())?.iter().take(256).copied().collect();
    let mut significant = head.iter().copied().filter(|b| !b.is_ascii_whitespace());
    match (significant.next(), significant.next(), significant.next()) {
        (None, _, _) => Err("the file holds no ops; give a JSONL or EDN history".to_string()),
        (Some(b'{'), Some(b'"'), _) => Ok(Format::Jsonl),
        (Some(b'['), Some(b'{'), Some(b'"')) | (Some(b'['), Some(b']'), _) => Ok(Format::JsonArray),
        (Some(b'[' | b'(' | b'{' | b'#' | b';'), _, _) => Ok(Format::Edn),
        (Some(b), _, _) => Err(format!(
            "the file starts with {:?}, which begins no history; give a JSONL history (one JSON object per line), a Jepsen EDN history or a JSON array of ops",
            String::from_utf8_lossy(&[b])
        )),
    }
}
