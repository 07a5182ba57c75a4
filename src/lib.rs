//! Ferret: forensic disk triage.
//!
//! The library holds the whole engine — read-only evidence walk, one-pass
//! multi-digest hashing, signature classification, the scan job — plus the two
//! thin front ends (`cli`, `gui`). Engine modules never import a front-end
//! crate; front ends only configure the engine and render what it reports.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod archive;
pub mod case;
pub mod classify;
pub mod error;
pub mod evidence;
pub mod hashing;
pub mod hashsets;
pub mod job;
pub mod pathfmt;
pub mod perceptual;
pub mod report;
pub mod thumbnail;
pub mod workflow;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "gui")]
pub mod gui;

pub use classify::{Classification, MediaKind};
pub use error::{ItemError, Op};
pub use evidence::{EntryKind, EvidenceItem, Meta, UtcTime};
pub use hashing::{Algorithm, AlgorithmSet, DigestSet};
pub use job::{
    CancelToken, FileRecord, MemorySink, Outcome, ProgressSnapshot, RecordSink, ScanError,
    ScanEvent, ScanJob, ScanOptions, ScanProgress, ScanSettings, ScanSummary, SetTally, Stage,
};

/// Tool version as reported in every output header.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Source revision of this build (`git describe`), or `unknown`.
pub const BUILD: &str = env!("FERRET_BUILD");
/// Tool name as reported in every output header.
pub const TOOL_NAME: &str = "ferret";
