//! Typed errors.
//!
//! A failure on one evidence entry never ends a scan: it becomes an
//! [`ItemError`] carrying the forensic coordinates (path, operation, OS error)
//! and is recorded like any other entry. [`ScanError`] is reserved for what
//! ends a whole scan (bad root, cancelled, output failure).

use std::fmt;
use std::io;
use std::path::PathBuf;

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
    /// Listing an entry's named data streams.
    ListStreams,
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
            Op::ListStreams => "list_streams",
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

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
