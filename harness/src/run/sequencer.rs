//! The sequencer: one lock around the index counter, the clock read and the hand-off to the
//! history writer, so file order = index order = time order. The writer thread streams the
//! history to disk and flushes at least every second.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use checkers::history::jsonl::HistoryWriter;
use checkers::history::Header;
use checkers::{Op, OpType, Process, Value};

/// Stamps ops and hands them to the writer.
pub struct Sequencer {
    start: Instant,
    state: Mutex<(u64, Option<mpsc::Sender<Op>>)>,
}

/// The writer thread; [`Sequencer::close`] ends it.
pub struct Writer(JoinHandle<std::io::Result<()>>);

impl Writer {
    /// Waits for the writer to flush everything and close the file.
    pub fn join(self) -> Result<(), String> {
        self.0.join().map_err(|_| "the history writer panicked".to_string())?.map_err(|e| format!("history.jsonl: {e}"))
    }
}

impl Sequencer {
    /// Starts a history at `path` with `header`; time 0 is now.
    pub fn start(path: &Path, header: &Header) -> std::io::Result<(Sequencer, Writer)> {
        let mut writer = HistoryWriter::new(results::fsx::create_new(path).map_err(std::io::Error::other)?, header)?;
        writer.flush()?;
        let (tx, rx) = mpsc::channel::<Op>();
        let handle = std::thread::spawn(move || -> std::io::Result<()> {
            let mut last_flush = Instant::now();
            loop {
                match rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(op) => writer.write(&op)?,
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if last_flush.elapsed() >= Duration::from_millis(500) {
                    writer.flush()?;
                    last_flush = Instant::now();
                }
            }
            writer.finish().map(|_| ())
        });
        Ok((Sequencer { start: Instant::now(), state: Mutex::new((0, Some(tx))) }, Writer(handle)))
    }

    /// Time since the run started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Records one op; returns it as stamped.
    pub fn record(
        &self,
        process: Process,
        kind: OpType,
        f: &str,
        value: impl Into<Value>,
        node: Option<&str>,
        error: Option<String>,
    ) -> Op {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let op = Op {
            index: state.0,
            time: self.start.elapsed().as_nanos() as u64,
            kind,
            process,
            f: f.into(),
            value: value.into(),
            node: node.map(Into::into),
            error: error.map(Into::into),
        };
        state.0 += 1;
        if let Some(tx) = &state.1 {
            let _ = tx.send(op.clone());
        }
        op
    }

    /// Ends the history: later records are not written.
    pub fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = None;
    }
}
