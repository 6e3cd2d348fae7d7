//! The harness log: tracing events go to the current run folder's harness.log.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Where log lines go now; switched at the start of each run.
#[derive(Clone, Default)]
pub struct LogSink(Arc<Mutex<Option<File>>>);

/// A writer handle for tracing-subscriber.
pub struct LogWriter(LogSink);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut *self.0 .0.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(file) => file.write(buf),
            None => Ok(buf.len()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut *self.0 .0.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

impl LogSink {
    /// Installs the global subscriber writing into this sink (once per process).
    pub fn install(&self) {
        let sink = self.clone();
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("FAULTLINE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .with_writer(move || LogWriter(sink.clone()))
            .try_init();
    }

    /// Sends later lines to `path`.
    pub fn switch(&self, path: &Path) -> std::io::Result<()> {
        let file = results::fsx::create_new(path).map_err(std::io::Error::other)?;
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(file);
        Ok(())
    }
}
