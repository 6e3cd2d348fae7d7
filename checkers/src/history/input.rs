//! Bytes in, with limits: every history is read through an [`Input`] that stops at a size cap
//! (so `/dev/zero` or a runaway file is an error, not unbounded memory), counts lines for
//! error messages, and hands the readers either batches of whole lines (JSONL) or single bytes (EDN).

use std::io::BufRead;

/// The default cap on the bytes of one history file: 4 GiB. `--max-history-bytes` raises it.
pub const DEFAULT_MAX_HISTORY_BYTES: u64 = 4 << 30;

/// The deepest nesting of lists and maps a reader accepts (JSON and EDN alike); deeper input is
/// refused with an error rather than risking the stack.
pub const MAX_NESTING: usize = 128;

/// The longest single line (one JSONL op) a reader accepts: 256 MiB.
pub const MAX_LINE_BYTES: usize = 256 << 20;

/// Bytes of whole lines the parallel readers take at a time.
pub(crate) const BATCH_BYTES: usize = 16 << 20;

/// The smallest piece of a batch worth a thread of its own.
const MIN_PIECE_BYTES: usize = 256 << 10;

/// Where to cut `batch` into about `n` pieces: just after a line end, and, given `line_start`,
/// only before a line that begins with it. The offsets start at 0 and end at the batch's end.
pub(crate) fn cuts(batch: &[u8], n: usize, line_start: Option<u8>) -> Vec<usize> {
    let size = batch.len().div_ceil(n.max(1)).max(MIN_PIECE_BYTES);
    let mut cuts = vec![0];
    let mut at = size;
    while at < batch.len() {
        let starts_line = |i: &usize| line_start.is_none_or(|b| batch.get(at + i + 1) == Some(&b));
        let found = memchr::memchr_iter(b'\n', &batch[at..]).find(starts_line).filter(|&i| at + i + 1 < batch.len());
        let Some(i) = found else { break };
        cuts.push(at + i + 1);
        at += i + 1 + size;
    }
    cuts.push(batch.len());
    cuts
}

/// How a history is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Refuse files longer than this many bytes.
    pub max_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        ReadLimits { max_bytes: DEFAULT_MAX_HISTORY_BYTES }
    }
}

/// Why reading stopped.
#[derive(Debug)]
pub(crate) enum InputError {
    /// The operating system's error.
    Io(std::io::Error),
    /// More bytes than the cap.
    TooBig(u64),
    /// A line longer than [`MAX_LINE_BYTES`].
    LineTooLong,
}

impl InputError {
    /// The problem in words, with the fix.
    pub(crate) fn message(&self) -> String {
        match self {
            InputError::Io(e) => e.to_string(),
            InputError::TooBig(cap) => format!(
                "the file is larger than the cap of {cap} bytes; raise it with --max-history-bytes if the file is a real history"
            ),
            InputError::LineTooLong => {
                format!("a line is longer than {MAX_LINE_BYTES} bytes; one op per line is expected")
            }
        }
    }
}

/// A capped byte source with a line counter.
pub(crate) struct Input<R> {
    inner: R,
    read: u64,
    cap: u64,
    /// How many bytes the input is expected to hold (0: unknown).
    size_hint: u64,
    /// The 1-based line of the next byte.
    pub(crate) line: u32,
}

impl<R: BufRead> Input<R> {
    /// Reads `inner` up to `limits.max_bytes`.
    pub(crate) fn new(inner: R, limits: ReadLimits) -> Input<R> {
        Input { inner, read: 0, cap: limits.max_bytes, size_hint: 0, line: 1 }
    }

    /// The same input, expected to hold `bytes` (a file's length), so readers can size their
    /// vectors once.
    pub(crate) fn expecting(self, bytes: u64) -> Input<R> {
        Input { size_hint: bytes, ..self }
    }

    /// The rest of the input with `bytes` (read from it already, from line `line` on) before it.
    pub(crate) fn after(self, bytes: Vec<u8>, line: u32) -> Input<std::io::Chain<std::io::Cursor<Vec<u8>>, R>> {
        let read = self.read - bytes.len() as u64;
        Input {
            inner: std::io::Read::chain(std::io::Cursor::new(bytes), self.inner),
            read,
            cap: self.cap,
            size_hint: self.size_hint,
            line,
        }
    }

    /// The bytes read so far and the bytes expected in all (0 when unknown).
    pub(crate) fn progress(&self) -> (u64, u64) {
        (self.read, self.size_hint)
    }

    /// The next bytes without consuming them (empty at the end).
    #[inline]
    pub(crate) fn peek_buf(&mut self) -> Result<&[u8], InputError> {
        if self.read >= self.cap {
            return self.past_cap();
        }
        let room = (self.cap - self.read).min(usize::MAX as u64) as usize;
        let buf = self.inner.fill_buf().map_err(InputError::Io)?;
        Ok(&buf[..buf.len().min(room)])
    }

    /// At the cap: the end of the input, or [`InputError::TooBig`] when there is more.
    #[cold]
    fn past_cap(&mut self) -> Result<&[u8], InputError> {
        // One byte past the cap tells a file of exactly `cap` bytes from a longer one.
        let more = !self.inner.fill_buf().map_err(InputError::Io)?.is_empty();
        if more {
            Err(InputError::TooBig(self.cap))
        } else {
            Ok(&[])
        }
    }

    /// Consumes `n` bytes of those [`Input::peek_buf`] returned, counting their newlines.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            self.line += memchr_count(&buf[..n.min(buf.len())]);
        }
        self.inner.consume(n);
        self.read += n as u64;
    }

    /// The next byte, consumed; `None` at the end.
    #[inline]
    pub(crate) fn next_byte(&mut self) -> Result<Option<u8>, InputError> {
        let b = match self.peek_buf()?.first() {
            Some(&b) => b,
            None => return Ok(None),
        };
        self.inner.consume(1);
        self.read += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Ok(Some(b))
    }

    /// The next byte, not consumed.
    #[inline]
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, InputError> {
        Ok(self.peek_buf()?.first().copied())
    }

    /// Reads whole lines into `out` (emptied first) until it holds at least `target` bytes;
    /// false when the input has ended (its last line may then lack its `\n`).
    pub(crate) fn read_lines(&mut self, out: &mut Vec<u8>, target: usize) -> Result<bool, InputError> {
        out.clear();
        let mut line_start = 0;
        loop {
            let buf = self.peek_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let take = if out.len() < target {
                buf.len().min(target - out.len())
            } else {
                memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1)
            };
            let chunk = &buf[..take];
            let newlines = memchr_count(chunk);
            if let Some(i) = memchr::memrchr(b'\n', chunk) {
                line_start = out.len() + i + 1;
            }
            out.extend_from_slice(chunk);
            self.inner.consume(take);
            self.read += take as u64;
            self.line += newlines;
            if out.len() - line_start > MAX_LINE_BYTES {
                return Err(InputError::LineTooLong);
            }
            if out.len() >= target && line_start == out.len() {
                return Ok(true);
            }
        }
    }
}

fn memchr_count(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u32
}
