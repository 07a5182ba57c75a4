//! Read-only access to evidence.
//!
//! Guarantees (DESIGN §1, forensic invariants 1–4):
//! - directories and files are opened read-only, with `O_NOATIME` where the OS
//!   allows it, and relative to their parent's handle so no path is re-resolved
//!   through a link and paths longer than `PATH_MAX` stay reachable;
//! - symbolic links are recorded with their target and never followed; FIFOs,
//!   sockets and device nodes are recorded by kind and never opened;
//! - every entry the walk sees yields an [`EvidenceItem`] or an
//!   [`ItemError`](crate::ItemError); nothing is silently dropped;
//! - names stay raw bytes.
// Data read from evidence, a case file or a report folder never indexes
// unchecked and never unwraps: a hostile input is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

pub(crate) mod attributes;
pub mod guard;
mod meta;
mod mounts;
mod open;
pub mod streams;
mod sys;
mod walk;
#[cfg(windows)]
mod windows;

pub use guard::{GuardError, OutputTarget};
pub use meta::{EntryKind, Meta, UtcTime};
pub(crate) use mounts::MountTable;
pub use mounts::{
    Drive, DriveSources, MountInfo, drives, drives_from, drives_in_mountinfo, mount_info,
};
pub use open::{EvidenceFile, EvidenceRoot};
pub use streams::{StreamInfo, StreamInterface};
pub use walk::{LINK_TARGET_NOT_READ, WalkEntry, WalkOptions, walk};

use std::path::PathBuf;

/// One entry seen by the walk.
#[derive(Debug, Clone)]
pub struct EvidenceItem {
    /// Path relative to the evidence root, as raw bytes.
    pub rel_path: PathBuf,
    /// What the entry is.
    pub kind: EntryKind,
    /// Metadata as seen by the walk (`lstat`: links are not followed).
    pub meta: Meta,
    /// Target of a symbolic link, as stored in the link (never resolved).
    pub link_target: Option<PathBuf>,
    /// Why the entry was recorded without its usual detail (a directory not
    /// descended into, a link whose target was not read).
    pub note: Option<&'static str>,
    /// The named data stream of the entry at `rel_path` that this item is
    /// (NTFS alternate data stream); `None` for the entry itself.
    pub stream: Option<std::ffi::OsString>,
}

/// How the evidence filesystem is mounted, as far as the OS tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountState {
    /// Mounted read-only.
    pub read_only: bool,
    /// Reading may update access times (writable and not `noatime`). File
    /// and directory reads avoid it with `O_NOATIME`; reading a symbolic
    /// link's target cannot, so targets are then not read unless asked.
    pub atime_updates: bool,
}
