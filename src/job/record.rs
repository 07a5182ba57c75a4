//! What a scan records for each entry, and where records go.

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::classify::Classification;
use crate::error::ItemError;
use crate::evidence::{EntryKind, Meta};
use crate::hashing::DigestSet;
use crate::hashsets::{Hit, catalog::Verdict};

/// What happened to one entry.
#[derive(Debug)]
pub enum Outcome {
    /// Read once and hashed.
    Hashed {
        /// Digests of the bytes read.
        digests: DigestSet,
        /// Bytes read.
        len: u64,
        /// Signature classification.
        class: Classification,
        /// Size or mtime changed while the file was read.
        changed_during_read: bool,
    },
    /// Recorded without reading (directory, link, FIFO, socket, device…).
    NotHashed {
        /// Why it was not read.
        reason: &'static str,
    },
    /// An archive member whose data was not read, and why (a directory, a
    /// link, encrypted, a method not supported, a limit reached).
    NotRead {
        /// Why.
        reason: String,
    },
    /// Could not be examined.
    Failed(ItemError),
}

pub use crate::perceptual::Perceptual;

/// One entry of the evidence, as the scan recorded it.
#[derive(Debug)]
pub struct FileRecord {
    /// Path relative to the evidence root (raw bytes).
    pub rel_path: PathBuf,
    /// The named data stream of that entry this record is, if any.
    pub stream: Option<std::ffi::OsString>,
    /// For a member of an archive: the member names from the top-level
    /// archive (the entry, or its stream) down to it. Empty otherwise.
    pub members: Vec<Vec<u8>>,
    /// For each name of `members`, which occurrence of that name in its
    /// archive it is (1 for the first).
    pub member_ordinals: Vec<u32>,
    /// The entry is an archive: its format, and what was found inside
    /// (members, limits reached, errors).
    pub archive: Option<crate::archive::ArchiveSummary>,
    /// Entry kind, when it could be determined.
    pub kind: Option<EntryKind>,
    /// Metadata (of the open handle for hashed files), when available.
    pub meta: Option<Meta>,
    /// A link's stored target.
    pub link_target: Option<PathBuf>,
    /// What happened.
    pub outcome: Outcome,
    /// Hash-set matches (hashed files only).
    pub hits: Vec<Hit>,
    /// For a still picture when perceptual hashing is on: its PDQ hash, or
    /// why it has none. `None` otherwise.
    pub perceptual: Option<Perceptual>,
}

impl FileRecord {
    /// The error, if the entry failed.
    pub fn error(&self) -> Option<&ItemError> {
        match &self.outcome {
            Outcome::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// How the hash-set matches classify the entry.
    pub fn verdict(&self) -> Verdict {
        crate::hashsets::catalog::verdict(&self.hits)
    }

    /// The digests, if the entry was hashed.
    pub fn digests(&self) -> Option<&DigestSet> {
        match &self.outcome {
            Outcome::Hashed { digests, .. } => Some(digests),
            _ => None,
        }
    }
}

/// Receives every record of a scan, on one dedicated thread, in the order
/// they complete. An error ends the scan (`ScanError::Sink`).
pub trait RecordSink: Send {
    /// Takes one record.
    fn accept(&mut self, record: FileRecord) -> io::Result<()>;
    /// Called once after the last record (also after a cancel).
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Collects records in memory (tests, small trees); the handle stays
/// readable after the job took the sink.
#[derive(Debug, Clone, Default)]
pub struct MemorySink(pub Arc<Mutex<Vec<FileRecord>>>);

impl MemorySink {
    /// Takes the records collected so far.
    pub fn take(&self) -> Vec<FileRecord> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl RecordSink for MemorySink {
    fn accept(&mut self, record: FileRecord) -> io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
        Ok(())
    }
}
