//! Stage 2, hashing: opens one file safely, reads it once for every digest
//! and its header, and turns it into a record (classification and set
//! matches). A spinning disk's reader uses the split form: [`load_task`]
//! reads a small file whole, [`hash_loaded`] hashes it on another thread.

use std::io::{self, Read};

use super::walk::FileTask;
use crate::classify::classify;
use crate::error::{ItemError, Op};
use crate::evidence::{EntryKind, EvidenceRoot, Meta};
use crate::hashing::{self, AlgorithmSet};
use crate::hashsets::HashSetCatalog;
use crate::job::{FileRecord, Outcome, ScanProgress};

/// Counts bytes into the progress as they are read.
pub(super) struct Counted<'a, R> {
    inner: R,
    progress: Option<&'a ScanProgress>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = self.progress {
            p.hashed_bytes(n as u64);
        }
        Ok(n)
    }
}

/// Stage 2: opens one file safely, reads it once, and returns its record.
/// `buf` is the calling thread's reused read buffer.
pub fn hash_task(
    root: &EvidenceRoot,
    task: &FileTask,
    algorithms: AlgorithmSet,
    catalog: &HashSetCatalog,
    buf: &mut Vec<u8>,
    progress: Option<&ScanProgress>,
) -> FileRecord {
    hash_task_with(root, task, algorithms, catalog, buf, progress, false)
}

/// [`hash_task`], with the digests spread over this thread and a helper
/// when `split` (a large file and a core to spare).
pub(super) fn hash_task_with(
    root: &EvidenceRoot,
    task: &FileTask,
    algorithms: AlgorithmSet,
    catalog: &HashSetCatalog,
    buf: &mut Vec<u8>,
    progress: Option<&ScanProgress>,
    split: bool,
) -> FileRecord {
    let mut reader = match open_task(root, task, progress) {
        Ok(r) => r,
        Err(rec) => return *rec,
    };
    let hashed = if split {
        hashing::hash_stream_split(&mut reader, algorithms, buf)
    } else {
        hashing::hash_stream(&mut reader, algorithms, buf)
    };
    finish_task(task, &reader, hashed, catalog)
}

/// An evidence file opened for hashing: its reads count into the progress.
pub(super) type OpenedFile<'a> = Counted<'a, crate::evidence::EvidenceFile>;

/// Opens one file safely for hashing (read-only, no access-time change);
/// its record when it cannot be opened.
pub(super) fn open_task<'a>(
    root: &EvidenceRoot,
    task: &FileTask,
    progress: Option<&'a ScanProgress>,
) -> Result<OpenedFile<'a>, Box<FileRecord>> {
    match root.open_item(&task.rel_path, task.stream.as_deref()) {
        Ok(inner) => Ok(Counted { inner, progress }),
        Err(e) => Err(Box::new(failed_record(task, e, task.meta))),
    }
}

/// The record of a file read to its end through `reader` (by one stream or
/// in a multi-buffer lane): flagged if it changed since the walk or while
/// being read.
pub(super) fn finish_task(
    task: &FileTask,
    reader: &OpenedFile<'_>,
    hashed: io::Result<hashing::HashedStream>,
    catalog: &HashSetCatalog,
) -> FileRecord {
    let meta = opened_meta(task, reader.inner.meta);
    let hashed = match hashed {
        Ok(h) => h,
        Err(e) => return failed_record(task, ItemError::new(&task.rel_path, Op::Read, e), meta),
    };
    let changed = hashed.len != meta.size
        || changed_since_walk(task, &meta)
        || reader.inner.changed_since_open().unwrap_or(true);
    hashed_record(task, meta, hashed, changed, catalog)
}

/// The metadata of the opened handle, with what only the walk could see
/// (a reparse point's tag, read from its directory entry).
fn opened_meta(task: &FileTask, mut meta: Meta) -> Meta {
    meta.reparse_tag = meta.reparse_tag.or(task.meta.reparse_tag);
    meta.attributes = meta.attributes.or(task.meta.attributes);
    meta
}

/// True when the file opened is not the file the walk saw (size or mtime
/// moved in between): its content is not what the walk recorded.
fn changed_since_walk(task: &FileTask, opened: &Meta) -> bool {
    opened.size != task.meta.size || opened.mtime != task.meta.mtime
}

/// The record of a regular file that could not be opened or read.
fn failed_record(task: &FileTask, e: ItemError, meta: Meta) -> FileRecord {
    FileRecord {
        rel_path: task.rel_path.clone(),
        stream: task.stream.clone(),
        members: Vec::new(),
        member_ordinals: Vec::new(),
        archive: None,
        kind: Some(EntryKind::File),
        meta: Some(meta),
        link_target: None,
        outcome: Outcome::Failed(e),
        hits: Vec::new(),
        perceptual: None,
    }
}

/// A small file read whole by a spinning disk's reader, to be hashed on
/// another thread.
pub(super) struct Loaded {
    pub(super) index: usize,
    meta: Meta,
    data: Vec<u8>,
    changed: bool,
}

/// Files up to this size are read whole by the spinning disk's reader and
/// hashed elsewhere (at most [`LOADED_DEPTH`] of them wait: bounded memory).
pub(super) const LOAD_MAX: u64 = 1 << 20;
pub(super) const LOADED_DEPTH: usize = 64;

/// Why [`load_task`] returned no loaded file.
pub(super) enum NotLoaded {
    /// It could not be opened or read: this is its record.
    Failed(Box<FileRecord>),
    /// It is larger than [`LOAD_MAX`] now (it grew since the walk): the
    /// caller streams it instead, so memory stays bounded.
    TooLarge,
}

/// Reads a small file whole (the reader's half of [`hash_task`]). At most
/// [`LOAD_MAX`] + 1 bytes are ever read, whatever the file has become.
pub(super) fn load_task(
    root: &EvidenceRoot,
    index: usize,
    task: &FileTask,
    progress: Option<&ScanProgress>,
) -> Result<Loaded, NotLoaded> {
    let failed =
        |e: ItemError, meta: Meta| NotLoaded::Failed(Box::new(failed_record(task, e, meta)));
    let file = root
        .open_item(&task.rel_path, task.stream.as_deref())
        .map_err(|e| failed(e, task.meta))?;
    let meta = opened_meta(task, file.meta);
    if meta.size > LOAD_MAX {
        return Err(NotLoaded::TooLarge);
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.size).unwrap_or(0) + 1);
    let mut limited = file.take(LOAD_MAX + 1);
    loop {
        match limited.read_to_end(&mut data) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(ItemError::new(&task.rel_path, Op::Read, e), meta)),
        }
    }
    if data.len() as u64 > LOAD_MAX {
        // It grew while being read: stream it instead.
        return Err(NotLoaded::TooLarge);
    }
    let file = limited.into_inner();
    if let Some(p) = progress {
        p.hashed_bytes(data.len() as u64);
    }
    let changed = data.len() as u64 != meta.size
        || changed_since_walk(task, &meta)
        || file.changed_since_open().unwrap_or(true);
    Ok(Loaded {
        index,
        meta,
        data,
        changed,
    })
}

/// Hashes a loaded file (the hasher's half).
fn hash_loaded(
    task: &FileTask,
    loaded: Loaded,
    algorithms: AlgorithmSet,
    catalog: &HashSetCatalog,
) -> FileRecord {
    let data = &loaded.data;
    let hashed = hashing::HashedStream {
        digests: hashing::hash_bytes(data, algorithms),
        len: data.len() as u64,
        header: data[..data.len().min(hashing::HEADER_LEN)].to_vec(),
    };
    hashed_record(task, loaded.meta, hashed, loaded.changed, catalog)
}

/// What a loaded file's record needs besides its digests, while its bytes
/// are hashed in a multi-buffer lane.
pub(super) struct LoadedTag {
    index: usize,
    meta: Meta,
    changed: bool,
}

impl Loaded {
    /// The file's tag and its bytes as a reader for a lane.
    fn into_lane(self) -> (LoadedTag, io::Cursor<Vec<u8>>) {
        let tag = LoadedTag {
            index: self.index,
            meta: self.meta,
            changed: self.changed,
        };
        (tag, io::Cursor::new(self.data))
    }
}

/// A spinning disk's hasher thread: hashes the files the reader loaded
/// until it stops, and hands each record to `deliver`. Where a digest runs
/// in lanes here, the files fill the lanes as they come; when the reader
/// has nothing more for now, those in flight are finished (the last few
/// alone) rather than waited on.
pub(super) fn hash_loaded_files(
    rx: crossbeam_channel::Receiver<Loaded>,
    tasks: &[FileTask],
    algorithms: AlgorithmSet,
    paths: hashing::DigestPaths,
    catalog: &HashSetCatalog,
    deliver: &dyn Fn(&FileTask, FileRecord),
) {
    use crossbeam_channel::TryRecvError;
    let Some(mut lanes) = hashing::MultiBuffer::new(algorithms, paths) else {
        for loaded in rx {
            if let Some(task) = tasks.get(loaded.index) {
                deliver(task, hash_loaded(task, loaded, algorithms, catalog));
            }
        }
        return;
    };
    loop {
        let next = if lanes.is_empty() {
            rx.recv().map_err(|_| TryRecvError::Disconnected)
        } else {
            rx.try_recv()
        };
        let done = match next {
            Ok(loaded) => {
                let (tag, data) = loaded.into_lane();
                if let Err((tag, mut data)) = lanes.add(tag, data) {
                    let hashed = hashing::hash_stream(&mut data, algorithms, &mut Vec::new());
                    vec![hashing::Finished {
                        tag,
                        reader: data,
                        hashed,
                    }]
                } else if lanes.free() == 0 {
                    lanes.step()
                } else {
                    continue;
                }
            }
            Err(TryRecvError::Disconnected) if lanes.is_empty() => break,
            Err(_) => lanes.drain(),
        };
        for f in done {
            if let Some(task) = tasks.get(f.tag.index) {
                deliver(task, loaded_record(task, f.tag, f.hashed, catalog));
            }
        }
    }
}

/// The record of a loaded file hashed in a lane.
fn loaded_record(
    task: &FileTask,
    tag: LoadedTag,
    hashed: io::Result<hashing::HashedStream>,
    catalog: &HashSetCatalog,
) -> FileRecord {
    match hashed {
        Ok(h) => hashed_record(task, tag.meta, h, tag.changed, catalog),
        Err(e) => failed_record(task, ItemError::new(&task.rel_path, Op::Read, e), tag.meta),
    }
}

/// The record of a file read to the end: classification and set matches.
fn hashed_record(
    task: &FileTask,
    meta: Meta,
    hashed: hashing::HashedStream,
    changed: bool,
    catalog: &HashSetCatalog,
) -> FileRecord {
    // A stream is named by its own name (`photo.jpg` in `notes.txt:photo.jpg`).
    let named = match &task.stream {
        Some(s) => std::path::Path::new(s),
        None => task.rel_path.as_path(),
    };
    let class = classify(&hashed.header, named);
    let hits = if catalog.is_empty() {
        Vec::new()
    } else {
        catalog.lookup(&hashed.digests)
    };
    // An archive (by its signature): looked inside by the caller.
    let archive =
        crate::archive::Format::sniff(&hashed.header).map(|f| crate::archive::ArchiveSummary {
            format: Some(f),
            ..Default::default()
        });
    FileRecord {
        rel_path: task.rel_path.clone(),
        stream: task.stream.clone(),
        members: Vec::new(),
        member_ordinals: Vec::new(),
        archive,
        kind: Some(EntryKind::File),
        meta: Some(meta),
        link_target: None,
        outcome: Outcome::Hashed {
            digests: hashed.digests,
            len: hashed.len,
            class,
            changed_during_read: changed,
        },
        hits,
        perceptual: None,
    }
}

/// Looks inside the archive `rec` is (its format sniffed when it was
/// hashed): every member, at every depth, becomes a record of its own,
/// hashed, classified and matched, handed to `deliver` in archive order
/// (a nested archive after its members); `rec` gets what was found. The
/// archive is read again from the evidence, read-only; nothing is written.
#[allow(clippy::too_many_arguments)]
pub(super) fn expand_archive(
    root: &EvidenceRoot,
    task: &FileTask,
    rec: &mut FileRecord,
    algorithms: AlgorithmSet,
    catalog: &HashSetCatalog,
    limits: &crate::archive::Limits,
    pdq: bool,
    cancel: &dyn Fn() -> bool,
    deliver: &dyn Fn(FileRecord),
) {
    use crate::archive::{MemberKind, MemberOutcome};
    let Some(format) = rec.archive.as_ref().and_then(|a| a.format) else {
        return;
    };
    if !matches!(rec.outcome, Outcome::Hashed { .. }) {
        return;
    }
    let mut file = match root.open_item(&task.rel_path, task.stream.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            if let Some(a) = rec.archive.as_mut() {
                a.error = Some(format!("could not be opened again to look inside: {e}"));
            }
            return;
        }
    };
    // Its members must come from the bytes that were hashed.
    if rec
        .meta
        .is_some_and(|m| m.size != file.meta.size || m.mtime != file.meta.mtime)
    {
        if let Some(a) = rec.archive.as_mut() {
            a.error = Some("changed since it was hashed: not looked inside".into());
        }
        return;
    }
    let size = file.meta.size;
    // A compressed stream's member is named from its container's name.
    let name = match &task.stream {
        Some(s) => s.as_encoded_bytes().to_vec(),
        None => task
            .rel_path
            .file_name()
            .map(|n| n.as_encoded_bytes().to_vec())
            .unwrap_or_default(),
    };
    let mut emit = |m: crate::archive::MemberRecord| {
        let kind = match m.header.kind {
            MemberKind::File => EntryKind::File,
            MemberKind::Dir => EntryKind::Dir,
            MemberKind::Symlink => EntryKind::Symlink,
            MemberKind::HardLink | MemberKind::Other => EntryKind::Other,
        };
        let meta = Meta {
            size: m.header.size.unwrap_or(match &m.outcome {
                MemberOutcome::Hashed { len, .. } => *len,
                _ => 0,
            }),
            mtime: m.header.mtime,
            ..Meta::default()
        };
        let name = m.chain.last().cloned().unwrap_or_default();
        let perceptual = m.perceptual;
        let (outcome, hits, archive) = match m.outcome {
            MemberOutcome::Hashed {
                digests,
                len,
                head,
                archive,
            } => {
                let named = crate::pathfmt::path_from_bytes(name.clone());
                let class = classify(&head, &named);
                let mut hits = if catalog.is_empty() {
                    Vec::new()
                } else {
                    catalog.lookup(&digests)
                };
                super::perceptual::match_sets(perceptual.as_ref(), catalog, &mut hits);
                let outcome = Outcome::Hashed {
                    digests,
                    len,
                    class,
                    changed_during_read: false,
                };
                (outcome, hits, archive)
            }
            MemberOutcome::NotRead(why) => (Outcome::NotRead { reason: why }, Vec::new(), None),
            MemberOutcome::Failed(why) => (
                Outcome::Failed(ItemError::new(
                    &task.rel_path,
                    Op::Read,
                    io::Error::new(io::ErrorKind::InvalidData, why),
                )),
                Vec::new(),
                None,
            ),
        };
        deliver(FileRecord {
            rel_path: task.rel_path.clone(),
            stream: task.stream.clone(),
            members: m.chain,
            member_ordinals: m.ordinals,
            archive,
            kind: Some(kind),
            meta: Some(meta),
            link_target: None,
            outcome,
            hits,
            perceptual,
        });
    };
    let summary = crate::archive::expand_with_pdq(
        &mut file, format, &name, size, algorithms, limits, pdq, cancel, &mut emit,
    );
    rec.archive = Some(summary);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::WalkOptions;
    use crate::job::CancelToken;

    /// Issue 13, finding 6: a file that grows between the walk and its read
    /// is never read whole into memory, is hashed in full by streaming, and
    /// is flagged as changed.
    #[test]
    fn a_small_file_grown_after_the_walk_is_streamed_and_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grows.bin");
        std::fs::write(&path, vec![7u8; 1024]).unwrap();
        let root = EvidenceRoot::open(dir.path()).unwrap();
        let tasks = crate::job::prewalk(
            &root,
            &WalkOptions::default(),
            &CancelToken::new(),
            None,
            &mut |_| {},
        )
        .unwrap()
        .unwrap();
        let task = tasks.iter().find(|t| t.meta.size == 1024).unwrap();
        // Grows to 64 MiB (sparse) after the walk, before the read.
        let grown = 64u64 << 20;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(grown)
            .unwrap();
        assert!(matches!(
            load_task(&root, 0, task, None),
            Err(NotLoaded::TooLarge)
        ));
        let rec = hash_task_with(
            &root,
            task,
            AlgorithmSet::ALL,
            &HashSetCatalog::default(),
            &mut Vec::new(),
            None,
            false,
        );
        let Outcome::Hashed {
            digests,
            len,
            changed_during_read,
            ..
        } = rec.outcome
        else {
            panic!("not hashed: {:?}", rec.outcome);
        };
        assert_eq!(len, grown);
        assert!(changed_during_read);
        let mut whole = vec![7u8; 1024];
        whole.resize(grown as usize, 0);
        assert_eq!(digests, hashing::hash_bytes(&whole, AlgorithmSet::ALL));
        // Grown a little (still below the load limit): loaded, flagged.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(2048)
            .unwrap();
        let loaded = load_task(&root, 0, task, None).ok().unwrap();
        assert!(loaded.changed);
        assert_eq!(loaded.data.len(), 2048);
    }
}
