//! Stage 1, the walk: finds every entry under the root, records what will
//! not be hashed (non-files, walk errors, what a resumed scan already has)
//! at once, and hands the regular files on as [`FileTask`]s.

use std::io;
use std::path::PathBuf;

use crate::evidence::{EntryKind, EvidenceRoot, Meta, WalkEntry, WalkOptions, walk};
use crate::job::{CancelToken, FileRecord, Outcome, ScanProgress};

/// A regular file found by the walk, waiting to be hashed.
#[derive(Debug, Clone)]
pub struct FileTask {
    /// Path relative to the root.
    pub rel_path: PathBuf,
    /// The named data stream of that entry to hash, if any.
    pub stream: Option<std::ffi::OsString>,
    /// Metadata as the walk saw it.
    pub meta: Meta,
}

fn not_hashed_reason(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Dir => "directory",
        EntryKind::Symlink => "symbolic link (recorded, not followed)",
        EntryKind::Fifo => "named pipe (never opened)",
        EntryKind::Socket => "socket (never opened)",
        EntryKind::BlockDevice => "block device (never opened)",
        EntryKind::CharDevice => "character device (never opened)",
        EntryKind::File | EntryKind::Other => "not a regular file",
    }
}

/// Stage 1: walks the root. Every non-file entry and every walk error is
/// passed to `record` at once; regular files are returned for hashing.
/// Returns `Ok(None)` if cancelled.
pub fn prewalk(
    root: &EvidenceRoot,
    opts: &WalkOptions,
    cancel: &CancelToken,
    progress: Option<&ScanProgress>,
    record: &mut dyn FnMut(FileRecord),
) -> io::Result<Option<Vec<FileTask>>> {
    prewalk_resuming(root, opts, cancel, progress, None, record)
}

/// [`prewalk`], skipping what `done` already holds (a resumed scan).
pub fn prewalk_resuming(
    root: &EvidenceRoot,
    opts: &WalkOptions,
    cancel: &CancelToken,
    progress: Option<&ScanProgress>,
    done: Option<&crate::job::ResumeSet>,
    record: &mut dyn FnMut(FileRecord),
) -> io::Result<Option<Vec<FileTask>>> {
    let mut tasks = Vec::new();
    let skip = |item: &crate::evidence::EvidenceItem| {
        done.is_some_and(|d| d.is_done(&item.rel_path, item.stream.as_deref(), &item.meta))
    };
    let stop = || cancel.is_cancelled();
    let complete = walk(root, opts, &stop, &mut |entry| {
        if let Some(p) = progress {
            p.saw_entry();
        }
        match entry {
            WalkEntry::Item(item) if skip(&item) => {}
            WalkEntry::Item(item) if item.kind == EntryKind::File => {
                if let Some(p) = progress {
                    p.found_file(item.meta.size);
                }
                tasks.push(FileTask {
                    rel_path: item.rel_path,
                    stream: item.stream,
                    meta: item.meta,
                });
            }
            WalkEntry::Item(item) => {
                let reason = item.note.unwrap_or_else(|| not_hashed_reason(item.kind));
                record(FileRecord {
                    rel_path: item.rel_path,
                    stream: item.stream,
                    members: Vec::new(),
                    member_ordinals: Vec::new(),
                    archive: None,
                    kind: Some(item.kind),
                    meta: Some(item.meta),
                    link_target: item.link_target,
                    outcome: Outcome::NotHashed { reason },
                    hits: Vec::new(),
                    perceptual: None,
                });
            }
            WalkEntry::Failed { item, error } => {
                if let Some(p) = progress {
                    p.error();
                }
                record(FileRecord {
                    rel_path: error.path.clone(),
                    stream: item.as_ref().and_then(|i| i.stream.clone()),
                    members: Vec::new(),
                    member_ordinals: Vec::new(),
                    archive: None,
                    kind: item.as_ref().map(|i| i.kind),
                    meta: item.as_ref().map(|i| i.meta),
                    link_target: None,
                    outcome: Outcome::Failed(error),
                    hits: Vec::new(),
                    perceptual: None,
                });
            }
        }
    })?;
    Ok(complete.then_some(tasks))
}
