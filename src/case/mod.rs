//! The case file: one SQLite database per case, written in the field and
//! reopened in the lab.
//!
//! - `application_id` "FRRT" and `user_version` mark it; a file that is not
//!   a case, is from a newer Ferret, or is damaged is refused with a clear
//!   message, after being opened read-only, so it is never modified.
//! - WAL journal: readers (GUI, reports) never block the single writer.
//! - Files are keyed by (evidence, raw path): a resumed scan replaces, never
//!   duplicates.
//! - Every change that matters is an audit row in a hash chain ([`audit`]).
// Data read from evidence, a case file or a report folder never indexes
// unchecked and never unwraps: a hostile input is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

pub mod audit;
pub mod categories;
mod evidence;
pub mod integrity;
mod open;
pub mod queries;
pub mod review;
mod scans;
pub mod schema;
pub mod similar;
pub mod writer;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

pub use categories::{CategoryCounts, ItemCategory, category_text, parse_category};
pub use integrity::{AuditAnchor, Check, ResultsDigest, Verification};
pub use queries::{AlertCategoryCount, HashSetUsed, ReportRow, Scope, UnreadableItem};
pub use scans::{ScanRecord, ScanStatus};
pub use writer::CaseWriter;

/// Why a case could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The file is not a Ferret case.
    #[error("{}: not a Ferret case file", .0.display())]
    NotACase(PathBuf),
    /// Written by a newer Ferret.
    #[error("{}: case schema version {found} is newer than this Ferret supports ({supported}); use a newer Ferret", path.display())]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i32,
        /// Ours.
        supported: i32,
    },
    /// Damaged or unreadable.
    #[error("{}: the case file is damaged or unreadable: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        reason: String,
    },
    /// Creating a case over an existing file.
    #[error("{}: a file already exists there", .0.display())]
    Exists(PathBuf),
    /// No such file.
    #[error("{}: no such case file", .0.display())]
    Missing(PathBuf),
    /// Any other database error.
    #[error("case database: {0}")]
    Db(#[from] rusqlite::Error),
    /// Asked for something the case does not hold.
    #[error("{0}")]
    NotFound(String),
    /// Near-duplicate grouping could not be done (more pictures than an
    /// index holds, or no memory for it).
    #[error("near-duplicate grouping: {0}")]
    Grouping(String),
    /// The case is on read-only (or write-blocked) media: it can only be
    /// opened read-only.
    #[error("{}: the case is on read-only media (its folder cannot be written): open it read-only", .0.display())]
    ReadOnlyMedia(PathBuf),
    /// On read-only media with unsaved changes in its `-wal` file.
    #[error("{}: the case is on read-only media and its -wal file holds changes not yet in the case file; copy the case and its -wal file to writable storage to open it", .0.display())]
    UnsavedOnReadOnlyMedia(PathBuf),
    /// A change was asked of a case opened read-only.
    #[error("the case is open read-only: nothing can be recorded")]
    ReadOnly,
    /// The scan was resumed by another run, or is no longer the newest.
    #[error("scan {0} cannot be resumed now: another resume took it, or a newer scan exists")]
    NotResumable(i64),
    /// A value given for the case is not one it can hold.
    #[error("{0}")]
    Invalid(String),
    /// A case needs a number.
    #[error("a case number is required")]
    CaseNumberRequired,
    /// The case file could not be created.
    #[error(transparent)]
    Create(crate::evidence::GuardError),
}

/// Who the case belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInfo {
    /// Case number (required).
    pub case_number: String,
    /// Title.
    pub title: String,
    /// Examiner name.
    pub examiner: String,
    /// Examiner id / badge.
    pub examiner_id: String,
    /// Agency.
    pub agency: String,
    /// Notes.
    pub notes: String,
    /// Time zone for display (IANA name); storage is always UTC.
    pub display_tz: String,
}

/// An evidence item of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// Row id.
    pub id: i64,
    /// Exhibit number.
    pub exhibit: String,
    /// Description.
    pub description: String,
    /// Root folder as given (raw bytes).
    pub root: PathBuf,
    /// The path convention of the system it was read on.
    pub path_style: crate::pathfmt::PathStyle,
    /// How its filesystem showed named data streams (`ntfs-3g xattr`,
    /// `windows`, `none`; unknown for cases older than schema 3).
    pub streams: Option<String>,
    /// Read-only as detected (None: unknown).
    pub read_only: Option<bool>,
    /// Filesystem type, device and mount options as detected.
    pub mount: Option<crate::evidence::MountInfo>,
}

impl EvidenceRecord {
    /// The root as reports show it: escaped in its path convention, a
    /// Windows verbatim prefix (`\\?\`) left out.
    pub fn root_text(&self) -> String {
        let bytes = crate::pathfmt::path_bytes(&self.root);
        self.path_style
            .escape(crate::pathfmt::without_verbatim_prefix(bytes))
    }
}

/// What a case holds (fields in name order: reports serialise them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CaseCounts {
    /// Files with an alert hit.
    pub alerts: u64,
    /// Bytes hashed.
    pub bytes: u64,
    /// Entries recorded.
    pub entries: u64,
    /// Entries that could not be read.
    pub errors: u64,
    /// Files hashed.
    pub hashed: u64,
    /// Files with only known-good hits.
    pub known_good: u64,
    /// Extension mismatches.
    pub mismatches: u64,
    /// Entries recorded without hashing.
    pub not_hashed: u64,
}

/// An open case.
pub struct CaseStore {
    conn: Connection,
    path: PathBuf,
    read_only: bool,
}

impl CaseStore {
    /// The case file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opened read-only: nothing can be recorded (review marks, exports).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Case details.
    pub fn info(&self) -> Result<CaseInfo, CaseError> {
        Ok(self.conn.query_row(
            "SELECT case_number, title, examiner, examiner_id, agency, notes, display_tz FROM case_info WHERE id = 1",
            [],
            |r| {
                Ok(CaseInfo {
                    case_number: r.get(0)?,
                    title: r.get(1)?,
                    examiner: r.get(2)?,
                    examiner_id: r.get(3)?,
                    agency: r.get(4)?,
                    notes: r.get(5)?,
                    display_tz: r.get(6)?,
                })
            },
        )?)
    }

    /// Appends an audit row.
    pub fn audit(&self, actor: &str, action: &str, detail: &str) -> Result<(), CaseError> {
        audit::append(&self.conn, actor, action, detail)
    }

    /// Every audit row, oldest first.
    pub fn audit_rows(&self) -> Result<Vec<audit::AuditRow>, CaseError> {
        audit::rows(&self.conn)
    }

    /// Recomputes the audit chain.
    pub fn verify_audit(&self) -> Result<Result<u64, audit::BrokenLink>, CaseError> {
        audit::verify(&self.conn)
    }
}
