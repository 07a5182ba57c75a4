//! The evidence walk: depth-first, handle-relative, no filters.
//!
//! Each directory is opened (`O_NOATIME | O_DIRECTORY | O_NOFOLLOW`) relative
//! to its parent and listed through that handle, so listing moves no atime and
//! depth is bounded only by open handles, not by `PATH_MAX`. Names are visited
//! in byte order so two walks of the same tree agree.

use std::ffi::OsString;
use std::path::PathBuf;

use super::open::EvidenceRoot;
use super::streams::StreamSource;
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

/// Directory handles the walk keeps open at most. A deeper tree closes the
/// handles of frames higher up and reopens them when their remaining names
/// are visited, so the depth of a tree is never limited by the number of
/// open files (32: far below any usual limit, deep enough that reopening is
/// rare in real trees).
const OPEN_DIRS: usize = 32;

struct Frame {
    /// The directory, while its handle is open.
    dir: Option<DirHandle>,
    rel: PathBuf,
    /// (device, inode) of the directory: a reopened handle must match.
    id: (u64, u64),
    /// Names still to visit, in reverse order (popped from the end).
    pending: Vec<OsString>,
}

fn listed(
    mut dir: DirHandle,
    rel: PathBuf,
    id: (u64, u64),
    visit: &mut dyn FnMut(WalkEntry),
) -> Frame {
    let (mut names, err) = sys::list_dir(&mut dir);
    if let Some(e) = err {
        visit(failed(None, ItemError::new(rel.clone(), Op::ReadDir, e)));
    }
    names.sort_unstable_by(|a, b| b.as_encoded_bytes().cmp(a.as_encoded_bytes()));
    Frame {
        dir: Some(dir),
        rel,
        id,
        pending: names,
    }
}

/// Keeps at most [`OPEN_DIRS`] handles open: closes the highest open one
/// below the root (the root frame keeps its handle: reopening starts there).
fn close_one_if_full(stack: &mut [Frame]) {
    if stack.iter().filter(|f| f.dir.is_some()).count() < OPEN_DIRS {
        return;
    }
    if let Some(f) = stack.iter_mut().skip(1).find(|f| f.dir.is_some()) {
        f.dir = None;
    }
}

/// Leaving a directory whose parent's handle was closed: the parent is
/// reopened as the child's `..` (one open, not one per level), if it is the
/// same directory that was listed; otherwise [`reopen`] does it later.
fn reopen_parent_from(child: &Frame, parent: Option<&mut Frame>) {
    let (Some(parent), Some(dir)) = (parent, child.dir.as_ref()) else {
        return;
    };
    if parent.dir.is_some() {
        return;
    }
    let Ok(up) = sys::open_subdir(dir, std::ffi::OsStr::new("..")) else {
        return;
    };
    if sys::stat_at(&up, std::ffi::OsStr::new(".")).is_ok_and(|m| (m.dev, m.inode) == parent.id) {
        parent.dir = Some(up);
    }
}

/// Reopens the handle of `stack[at]` from its nearest open ancestor, one
/// component at a time, never through a link, and checks that it is the
/// same directory that was listed.
fn reopen(stack: &mut [Frame], at: usize) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    let (above, rest) = stack.split_at_mut(at);
    let Some(frame) = rest.first_mut() else {
        return Err(Error::new(ErrorKind::NotFound, "no such frame"));
    };
    let Some(base) = above.iter().rev().find(|f| f.dir.is_some()) else {
        return Err(Error::new(ErrorKind::NotFound, "no open ancestor"));
    };
    let Some(base_dir) = base.dir.as_ref() else {
        return Err(Error::new(ErrorKind::NotFound, "no open ancestor"));
    };
    let below = frame
        .rel
        .strip_prefix(&base.rel)
        .map_err(|_| Error::new(ErrorKind::InvalidInput, "not below its ancestor"))?;
    let mut held: Option<DirHandle> = None;
    for part in below.components() {
        let std::path::Component::Normal(name) = part else {
            return Err(Error::new(ErrorKind::InvalidInput, "not a plain name"));
        };
        let next = sys::open_subdir(held.as_ref().unwrap_or(base_dir), name)?;
        held = Some(next);
    }
    let dir = held.ok_or_else(|| Error::new(ErrorKind::InvalidInput, "empty path"))?;
    let now = sys::stat_at(&dir, std::ffi::OsStr::new("."))?;
    if (now.dev, now.inode) != frame.id {
        return Err(Error::other(
            "the directory was replaced while the walk was below it",
        ));
    }
    frame.dir = Some(dir);
    Ok(())
}

/// Walks everything below `root` and calls `visit` once per entry (the root
/// itself is not an entry) and once per named data stream of a file or
/// directory, right after it. Returns `false` if `stop` asked it to end
/// early.
///
/// Errors on single entries are passed to `visit`; only a root that cannot be
/// listed at all ends the walk with an error.
pub fn walk(
    root: &EvidenceRoot,
    opts: &WalkOptions,
    stop: &dyn Fn() -> bool,
    visit: &mut dyn FnMut(WalkEntry),
) -> std::io::Result<bool> {
    walk_with(root, opts, &root.stream_interface(), stop, visit)
}

/// The name a failed stream listing is recorded under: empty, which no
/// named stream has, so it never takes a real stream's place.
pub const STREAMS_NOT_LISTED: &str = "";

/// Visits the named data streams of the entry `name` of `dir` (a file or
/// directory at `rel` with `meta`) as items of their own; a listing that
/// fails is recorded as a failed entry. Nothing is done (no syscall, no
/// allocation) where the filesystem shows no streams.
fn visit_streams(
    source: &dyn StreamSource,
    dir: &DirHandle,
    name: &std::ffi::OsStr,
    (rel, meta): (&std::path::Path, super::Meta),
    visit: &mut dyn FnMut(WalkEntry),
) {
    if !source.lists_streams() {
        return;
    }
    let as_stream = |stream: OsString, size: u64| EvidenceItem {
        rel_path: rel.to_path_buf(),
        kind: EntryKind::File,
        meta: super::Meta { size, ..meta },
        link_target: None,
        note: None,
        stream: Some(stream),
    };
    match source.streams(dir, name) {
        Ok(mut streams) => {
            streams.sort_by(|a, b| a.name.as_encoded_bytes().cmp(b.name.as_encoded_bytes()));
            for s in streams {
                visit(WalkEntry::Item(as_stream(s.name, s.size)));
            }
        }
        Err(e) => {
            let err = ItemError::new(rel, Op::ListStreams, e);
            visit(failed(Some(as_stream(STREAMS_NOT_LISTED.into(), 0)), err));
        }
    }
}

/// [`walk`] with the named data streams taken from `streams`.
pub(crate) fn walk_with(
    root: &EvidenceRoot,
    opts: &WalkOptions,
    streams: &dyn StreamSource,
    stop: &dyn Fn() -> bool,
    visit: &mut dyn FnMut(WalkEntry),
) -> std::io::Result<bool> {
    sys::raise_open_file_limit();
    let root_dir = sys::list_root(root.handle())?;
    let root_meta = sys::stat_at(&root_dir, std::ffi::OsStr::new("."))?;
    let root_dev = root_meta.dev;
    // The root folder's own streams (`E:\:hidden`), under the empty path.
    let root_rel = PathBuf::new();
    visit_streams(
        streams,
        &root_dir,
        std::ffi::OsStr::new("."),
        (&root_rel, root_meta),
        visit,
    );
    let mut stack = vec![listed(
        root_dir,
        PathBuf::new(),
        (root_meta.dev, root_meta.inode),
        visit,
    )];

    while let Some(top) = stack.len().checked_sub(1) {
        if stack.get(top).is_some_and(|f| f.pending.is_empty()) {
            if let Some(done) = stack.pop() {
                reopen_parent_from(&done, stack.last_mut());
            }
            continue;
        }
        if stack.get(top).is_some_and(|f| f.dir.is_none())
            && let Err(e) = reopen(&mut stack, top)
        {
            // Its remaining names were listed but cannot be examined now:
            // each is recorded with the reason, none is dropped.
            if let Some(frame) = stack.pop() {
                for name in frame.pending.into_iter().rev() {
                    let why = std::io::Error::new(e.kind(), e.to_string());
                    visit(failed(
                        None,
                        ItemError::new(frame.rel.join(name), Op::Stat, why),
                    ));
                }
            }
            continue;
        }
        let Some(frame) = stack.last_mut() else { break };
        let Some(dir) = frame.dir.as_ref() else {
            continue;
        };
        let Some(name) = frame.pending.pop() else {
            continue;
        };
        if stop() {
            return Ok(false);
        }
        let rel = frame.rel.join(&name);
        let meta = match sys::stat_at(dir, &name) {
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
            stream: None,
        };
        match kind {
            EntryKind::Symlink if !opts.read_link_targets => {
                item.note = Some(LINK_TARGET_NOT_READ);
            }
            EntryKind::Symlink => match sys::readlink_at(dir, &name) {
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
                let sub = match sys::open_subdir(dir, &name) {
                    Ok(d) => d,
                    Err(e) => {
                        // Its streams may still be readable (other rights).
                        let rel = item.rel_path.clone();
                        let err = ItemError::new(rel.clone(), Op::OpenDir, e);
                        visit(failed(Some(item), err));
                        visit_streams(streams, dir, &name, (&rel, meta), visit);
                        continue;
                    }
                };
                let rel = item.rel_path.clone();
                visit(WalkEntry::Item(item));
                visit_streams(streams, dir, &name, (&rel, meta), visit);
                let child = listed(sub, rel, (meta.dev, meta.inode), visit);
                close_one_if_full(&mut stack);
                stack.push(child);
                continue;
            }
            // Only a filesystem that shows streams pays for the path copy.
            EntryKind::File if streams.lists_streams() => {
                let rel = item.rel_path.clone();
                visit(WalkEntry::Item(item));
                visit_streams(streams, dir, &name, (&rel, meta), visit);
                continue;
            }
            _ => {}
        }
        visit(WalkEntry::Item(item));
    }
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::evidence::StreamInfo;
    use std::ffi::OsStr;

    /// Streams as a fake filesystem would list them: by entry name.
    struct FakeStreams;

    impl StreamSource for FakeStreams {
        fn streams(&self, _dir: &DirHandle, name: &OsStr) -> std::io::Result<Vec<StreamInfo>> {
            let s = |n: &str, size| StreamInfo {
                name: n.into(),
                size,
            };
            match name.to_str() {
                Some("notes.txt") => Ok(vec![s("photo.jpg", 4), s("Zone.Identifier", 26)]),
                Some("dir") => Ok(vec![s("in-a-dir.bin", 7)]),
                Some("locked.txt") => {
                    Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
                }
                _ => Ok(Vec::new()),
            }
        }
    }

    #[test]
    fn named_streams_are_items_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"text").unwrap();
        std::fs::write(dir.path().join("locked.txt"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("dir")).unwrap();
        std::fs::write(dir.path().join("dir/plain"), b"p").unwrap();
        let root = EvidenceRoot::open(dir.path()).unwrap();
        let mut seen = Vec::new();
        walk_with(
            &root,
            &WalkOptions::default(),
            &FakeStreams,
            &|| false,
            &mut |e| {
                seen.push(match e {
                    WalkEntry::Item(i) => (i.rel_path, i.stream, i.kind, i.meta.size, None),
                    WalkEntry::Failed { item, error } => {
                        let i = item.unwrap();
                        (i.rel_path, i.stream, i.kind, i.meta.size, Some(error.op))
                    }
                })
            },
        )
        .unwrap();
        let s = |v: &str| Some(std::ffi::OsString::from(v));
        assert_eq!(
            seen,
            [
                ("dir".into(), None, EntryKind::Dir, seen[0].3, None),
                ("dir".into(), s("in-a-dir.bin"), EntryKind::File, 7, None),
                ("dir/plain".into(), None, EntryKind::File, 1, None),
                ("locked.txt".into(), None, EntryKind::File, 1, None),
                // A listing that fails is recorded, under the empty name.
                (
                    "locked.txt".into(),
                    s(""),
                    EntryKind::File,
                    0,
                    Some(Op::ListStreams)
                ),
                ("notes.txt".into(), None, EntryKind::File, 4, None),
                // In name order, each the size its source gave.
                (
                    "notes.txt".into(),
                    s("Zone.Identifier"),
                    EntryKind::File,
                    26,
                    None
                ),
                ("notes.txt".into(), s("photo.jpg"), EntryKind::File, 4, None),
            ]
        );
    }
}
