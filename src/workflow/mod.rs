//! What a front end asks for, done once for both: create a case and plan a
//! scan into it (new, resumed, or the demo), start it, record its end;
//! import a hash set; export a report.
//!
//! The CLI and the GUI only collect input, call these functions and render
//! progress and results. Every rule that decides *what* runs lives here or
//! below, never in a front end:
//! - the resume rule ([`resumable_scan`]): only the newest scan of a case
//!   may be continued, and only if it did not finish; continuing it marks
//!   it superseded;
//! - the evidence guard ([`crate::evidence::guard`]) on the case file;
//! - the digest union ([`crate::job::ScanOptions::computed_algorithms`]):
//!   what the selected sets need is always computed.

mod demo;
mod export;
mod grow;
mod import;
mod scan;

pub use demo::{demo_dir, demo_request};
pub use export::{ExportError, ExportJob, ExportRequest};
pub use grow::{GrowOutcome, add_categorised_to_library};
pub use import::{ImportJob, ImportRequest, import_set};
pub use scan::{
    EvidenceSpec, FinishedScan, NewCase, RunningScan, Runtime, ScanPlan, ScanRequest, actor_of,
    load_sets, plan_scan, resumable_scan,
};

use std::path::PathBuf;

use crate::case::CaseError;
use crate::evidence::GuardError;
use crate::hashsets::HashSetError;
use crate::job::{ScanError, SettingsError};
use crate::pathfmt::escape_path;

/// The answer of a job's worker thread once it ended (`None` while it
/// runs); a worker that died without one is an error, never a job that
/// looks alive forever.
fn poll_worker<T, E: From<WorkflowError>>(
    done: &std::sync::mpsc::Receiver<Result<T, E>>,
    what: &'static str,
) -> Option<Result<T, E>> {
    use std::sync::mpsc::TryRecvError;
    match done.try_recv() {
        Ok(r) => Some(r),
        Err(TryRecvError::Empty) => None,
        Err(TryRecvError::Disconnected) => Some(Err(WorkflowError::WorkerLost(what).into())),
    }
}

/// Why a workflow step could not be done.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The case file could not be created, opened, read or written.
    #[error(transparent)]
    Case(#[from] CaseError),
    /// A hash set could not be loaded or imported.
    #[error("hash set {name}: {source}")]
    HashSet {
        /// The set's name (or source file).
        name: String,
        /// What went wrong.
        #[source]
        source: HashSetError,
    },
    /// The hash library could not be opened.
    #[error("hash library {}: {source}", escape_path(.dir))]
    Library {
        /// The library folder.
        dir: PathBuf,
        /// What went wrong.
        #[source]
        source: HashSetError,
    },
    /// The evidence folder cannot be opened.
    #[error("cannot open evidence root {}: {source}", escape_path(.path))]
    Evidence {
        /// The folder as given.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An output would land inside the evidence, or exists.
    #[error(transparent)]
    Guard(#[from] GuardError),
    /// Every scan of the case finished: nothing to resume.
    #[error("nothing to resume: the newest scan of this case {0}")]
    NothingToResume(&'static str),
    /// The newest scan is still running in another process.
    #[error("scan {0} is still running (another ferret has the case open)")]
    StillRunning(i64),
    /// The scan names an evidence item the case does not hold.
    #[error("the scan's evidence item {0} is missing from the case")]
    EvidenceMissing(i64),
    /// The folder at an evidence root is not the exhibit recorded there.
    #[error(
        "exhibit {exhibit}: {why}; mount the original exhibit there, or scan this one as another exhibit"
    )]
    EvidenceChanged {
        /// The exhibit number.
        exhibit: String,
        /// What differs.
        why: String,
    },
    /// A scan's stored settings differ from what its audit row recorded.
    #[error(
        "scan {0}: its stored settings differ from the audit log's record of its start (the case was edited); not resumed"
    )]
    SettingsNotAudited(i64),
    /// A scan's stored settings are unreadable.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The scan could not be started.
    #[error(transparent)]
    Job(#[from] ScanError),
    /// The case's categorised items could not be added to the library.
    #[error("cannot add the categorised items to the hash library: {0}")]
    Grow(String),
    /// The demo evidence is not where this build expects it.
    #[error("demo evidence not found at {}", escape_path(.0))]
    DemoMissing(PathBuf),
    /// A worker thread ended without an answer (a bug).
    #[error("internal error: the {0} worker stopped without an answer")]
    WorkerLost(&'static str),
    /// A working folder could not be made.
    #[error("{}: {source}", escape_path(.path))]
    Io {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
