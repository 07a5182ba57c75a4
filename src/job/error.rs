//! Why a whole scan ended without completing (a failure on one entry is an
//! [`ItemError`](crate::ItemError) instead, recorded and never fatal).

use std::io;
use std::path::PathBuf;

use super::ScanSummary;

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
    /// A selected hash set is damaged (its checksum or structure does not
    /// hold): no hit from it can be trusted, so the scan stops before one
    /// is used.
    #[error(
        "hash set {name} is damaged ({reason}): run `ferret hashset verify {name}` to rebuild it \
         from its source, or re-import it"
    )]
    SetDamaged {
        /// The set's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A worker thread panicked (a bug); the scan is incomplete.
    #[error("internal error: scan worker panicked")]
    Panicked,
}
