//! Typed errors.
//!
//! A failure on one evidence entry never ends a scan: it becomes an
//! [`ItemError`] carrying the forensic coordinates (path, operation, OS error)
//! and is recorded like any other entry. [`ScanError`] is reserved for what
//! ends a whole scan (bad root, cancelled, output failure).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::job::ScanSummary;

/// The operation that failed on an evidence entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Opening a directory for listing.
    OpenDir,
    /// Listing a directory's entries.
    ReadDir,
    /// Reading an entry's metadata (`lstat`/`statx`).
    Stat,
    /// Reading a symbolic link's target.
    ReadLink,
    /// Opening a file for reading.
    Open,
    /// Reading a file's content.
    Read,
}

impl Op {
    /// Stable lower-case name, as written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::OpenDir => "open_dir",
            Op::ReadDir => "read_dir",
            Op::Stat => "stat",
            Op::ReadLink => "read_link",
            Op::Open => "open",
            Op::Read => "read",
        }
    }
}

/// A failure on one evidence entry: recorded, never fatal.
#[derive(Debug, thiserror::Error)]
#[error("{}: {op}: {source}", crate::pathfmt::escape_path(.path))]
pub struct ItemError {
    /// Path of the entry (relative to the evidence root, raw bytes).
    pub path: PathBuf,
    /// What Ferret was doing.
    pub op: Op,
    /// Error class, for counting and filtering.
    pub kind: io::ErrorKind,
    /// The OS error as returned.
    #[source]
    pub source: io::Error,
}

impl ItemError {
    /// Wraps an I/O error with the entry's coordinates.
    pub fn new(path: impl Into<PathBuf>, op: Op, source: io::Error) -> Self {
        ItemError {
            path: path.into(),
            op,
            kind: source.kind(),
            source,
        }
    }

    /// The raw OS error number, when there is one (e.g. `13` for EACCES).
    pub fn os_code(&self) -> Option<i32> {
        self.source.raw_os_error()
    }
}

/// Why a whole scan ended without completing.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The evidence root could not be opened or is not a directory.
    #[error("cannot open evidence root {}: {source}", crate::pathfmt::escape_path(.path))]
    Root {
        /// The root as given.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The scan was cancelled; the summary says what was done before it stopped.
    #[error("scan cancelled after {} entries", summary.entries)]
    Cancelled {
        /// Counts of what was recorded before the cancel took effect.
        summary: Box<ScanSummary>,
    },
    /// The record sink (output file, case writer) failed.
    #[error("cannot write scan output: {0}")]
    Sink(#[source] io::Error),
    /// The job's worker threads could not be created.
    #[error("cannot start scan workers: {0}")]
    Workers(String),
    /// A worker thread panicked (a bug); the scan is incomplete.
    #[error("internal error: scan worker panicked")]
    Panicked,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
