//! The evidence walk: depth-first, handle-relative, no filters.
//!
//! Each directory is opened (`O_NOATIME | O_DIRECTORY | O_NOFOLLOW`) relative
//! to its parent and listed through that handle, so listing moves no atime and
//! depth is bounded only by open handles, not by `PATH_MAX`. Names are visited
//! in byte order so two walks of the same tree agree.

use std::ffi::OsString;
use std::path::PathBuf;

use super::open::EvidenceRoot;
use super::sys::{self, DirHandle};
use super::{EntryKind, EvidenceItem};
use crate::error::{ItemError, Op};

/// What the walk may do beyond the root's own filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Descend into directories on other filesystems (mount points).
    pub cross_filesystems: bool,
    /// Read symbolic links' targets. `readlink` updates a link's access time
    /// on a writable, atime-updating mount and no flag prevents it.
    pub read_link_targets: bool,
}

/// Note on a link whose target was deliberately not read.
pub const LINK_TARGET_NOT_READ: &str = "symbolic link (target not read: the evidence is mounted \
     read-write and reading a link target would update its access time)";

/// One result of the walk.
#[derive(Debug)]
pub enum WalkEntry {
    /// An entry, examined.
    Item(EvidenceItem),
    /// An entry that could not be (fully) examined: with what was learned
    /// before the failure (e.g. a directory's metadata when it cannot be
    /// opened), and the error.
    Failed {
        /// What is known of the entry, if its metadata could be read.
        item: Option<EvidenceItem>,
        /// What failed.
        error: ItemError,
    },
}

fn failed(item: Option<EvidenceItem>, error: ItemError) -> WalkEntry {
    WalkEntry::Failed { item, error }
}

struct Frame {
    dir: DirHandle,
    rel: PathBuf,
    /// Names still to visit, in reverse order (popped from the end).
    pending: Vec<OsString>,
}

fn listed(mut dir: DirHandle, rel: PathBuf, visit: &mut dyn FnMut(WalkEntry)) -> Frame {
    let (mut names, err) = sys::list_dir(&mut dir);
    if let Some(e) = err {
        visit(failed(None, ItemError::new(rel.clone(), Op::ReadDir, e)));
    }
    names.sort_unstable_by(|a, b| b.as_encoded_bytes().cmp(a.as_encoded_bytes()));
    Frame {
        dir,
        rel,
        pending: names,
    }
}

/// Walks everything below `root` and calls `visit` once per entry (the root
/// itself is not an entry). Returns `false` if `stop` asked it to end early.
///
/// Errors on single entries are passed to `visit`; only a root that cannot be
/// listed at all ends the walk with an error.
pub fn walk(
    root: &EvidenceRoot,
    opts: &WalkOptions,
    stop: &dyn Fn() -> bool,
    visit: &mut dyn FnMut(WalkEntry),
) -> std::io::Result<bool> {
    let root_dir = sys::list_root(root.handle())?;
    let root_dev = sys::stat_at(&root_dir, std::ffi::OsStr::new("."))?.dev;
    let mut stack = vec![listed(root_dir, PathBuf::new(), visit)];

    while let Some(frame) = stack.last_mut() {
        let Some(name) = frame.pending.pop() else {
            stack.pop();
            continue;
        };
        if stop() {
            return Ok(false);
        }
        let rel = frame.rel.join(&name);
        let meta = match sys::stat_at(&frame.dir, &name) {
            Ok(m) => m,
            Err(e) => {
                visit(failed(None, ItemError::new(rel, Op::Stat, e)));
                continue;
            }
        };
        let kind = sys::kind_of(&meta);
        let mut item = EvidenceItem {
            rel_path: rel,
            kind,
            meta,
            link_target: None,
            note: None,
        };
        match kind {
            EntryKind::Symlink if !opts.read_link_targets => {
                item.note = Some(LINK_TARGET_NOT_READ);
            }
            EntryKind::Symlink => match sys::readlink_at(&frame.dir, &name) {
                Ok(target) => item.link_target = Some(target),
                Err(e) => {
                    let err = ItemError::new(item.rel_path.clone(), Op::ReadLink, e);
                    visit(failed(Some(item), err));
                    continue;
                }
            },
            EntryKind::Dir if !opts.cross_filesystems && meta.dev != root_dev => {
                item.note = Some("mount point of another filesystem");
            }
            EntryKind::Dir => {
                let sub = match sys::open_subdir(&frame.dir, &name) {
                    Ok(d) => d,
                    Err(e) => {
                        let err = ItemError::new(item.rel_path.clone(), Op::OpenDir, e);
                        visit(failed(Some(item), err));
                        continue;
                    }
                };
                let rel = item.rel_path.clone();
                visit(WalkEntry::Item(item));
                let child = listed(sub, rel, visit);
                stack.push(child);
                continue;
            }
            _ => {}
        }
        visit(WalkEntry::Item(item));
    }
    Ok(true)
}
