//! The scan pipeline as named stages: [`prewalk`], [`arrange`](super::arrange)
//! then [`hash_task`] per file, run by [`start`] on a coordinator thread
//! with job-owned reader threads.

use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Sender, bounded};

use super::ScanError;
use super::{
    CancelToken, DeviceKind, DeviceProfile, FileRecord, Notify, Outcome, RecordSink, ScanEvent,
    ScanOptions, ScanProgress, ScanSummary, Stage,
};
use crate::classify::classify;
use crate::error::{ItemError, Op};
use crate::evidence::{EntryKind, EvidenceRoot, Meta, UtcTime, WalkEntry, WalkOptions, walk};
use crate::hashing::{self, AlgorithmSet};
use crate::hashsets::HashSetCatalog;

/// Records in flight between workers and the sink: enough to keep workers
/// busy while the sink writes a batch, small enough to bound memory.
const CHANNEL_DEPTH: usize = 4096;

/// A regular file found by the walk, waiting to be hashed.
#[derive(Debug, Clone)]
pub struct FileTask {
    /// Path relative to the root.
    pub rel_path: PathBuf,
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
    done: Option<&super::ResumeSet>,
    record: &mut dyn FnMut(FileRecord),
) -> io::Result<Option<Vec<FileTask>>> {
    let mut tasks = Vec::new();
    let skip = |item: &crate::evidence::EvidenceItem| {
        done.is_some_and(|d| d.is_done(&item.rel_path, &item.meta))
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
                    meta: item.meta,
                });
            }
            WalkEntry::Item(item) => {
                let reason = item.note.unwrap_or_else(|| not_hashed_reason(item.kind));
                record(FileRecord {
                    rel_path: item.rel_path,
                    kind: Some(item.kind),
                    meta: Some(item.meta),
                    link_target: item.link_target,
                    outcome: Outcome::NotHashed { reason },
                    hits: Vec::new(),
                });
            }
            WalkEntry::Failed { item, error } => {
                if let Some(p) = progress {
                    p.error();
                }
                record(FileRecord {
                    rel_path: error.path.clone(),
                    kind: item.as_ref().map(|i| i.kind),
                    meta: item.as_ref().map(|i| i.meta),
                    link_target: None,
                    outcome: Outcome::Failed(error),
                    hits: Vec::new(),
                });
            }
        }
    })?;
    Ok(complete.then_some(tasks))
}

/// Counts bytes into the progress as they are read.
struct Counted<'a, R> {
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
fn hash_task_with(
    root: &EvidenceRoot,
    task: &FileTask,
    algorithms: AlgorithmSet,
    catalog: &HashSetCatalog,
    buf: &mut Vec<u8>,
    progress: Option<&ScanProgress>,
    split: bool,
) -> FileRecord {
    let failed = |e: ItemError, meta: Meta| failed_record(task, e, meta);
    let file = match root.open_file(&task.rel_path) {
        Ok(f) => f,
        Err(e) => return failed(e, task.meta),
    };
    let meta = file.meta;
    let mut reader = Counted {
        inner: file,
        progress,
    };
    let hashed = if split {
        hashing::hash_stream_split(&mut reader, algorithms, buf)
    } else {
        hashing::hash_stream(&mut reader, algorithms, buf)
    };
    let hashed = match hashed {
        Ok(h) => h,
        Err(e) => return failed(ItemError::new(&task.rel_path, Op::Read, e), meta),
    };
    let changed = hashed.len != meta.size || reader.inner.changed_since_open().unwrap_or(true);
    hashed_record(task, meta, hashed, changed, catalog)
}

/// The record of a regular file that could not be opened or read.
fn failed_record(task: &FileTask, e: ItemError, meta: Meta) -> FileRecord {
    FileRecord {
        rel_path: task.rel_path.clone(),
        kind: Some(EntryKind::File),
        meta: Some(meta),
        link_target: None,
        outcome: Outcome::Failed(e),
        hits: Vec::new(),
    }
}

/// A small file read whole by a spinning disk's reader, to be hashed on
/// another thread.
struct Loaded {
    index: usize,
    meta: Meta,
    data: Vec<u8>,
    changed: bool,
}

/// Files up to this size are read whole by the spinning disk's reader and
/// hashed elsewhere (at most [`LOADED_DEPTH`] of them wait: bounded memory).
const LOAD_MAX: u64 = 1 << 20;
const LOADED_DEPTH: usize = 64;

/// Reads a small file whole (the reader's half of [`hash_task`]).
fn load_task(
    root: &EvidenceRoot,
    index: usize,
    task: &FileTask,
    progress: Option<&ScanProgress>,
) -> Result<Loaded, Box<FileRecord>> {
    let failed = |e: ItemError, meta: Meta| Box::new(failed_record(task, e, meta));
    let mut file = root
        .open_file(&task.rel_path)
        .map_err(|e| failed(e, task.meta))?;
    let meta = file.meta;
    let mut data = Vec::with_capacity(
        usize::try_from(meta.size)
            .unwrap_or(0)
            .min(LOAD_MAX as usize)
            + 1,
    );
    loop {
        match file.read_to_end(&mut data) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(ItemError::new(&task.rel_path, Op::Read, e), meta)),
        }
    }
    if let Some(p) = progress {
        p.hashed_bytes(data.len() as u64);
    }
    let changed = data.len() as u64 != meta.size || file.changed_since_open().unwrap_or(true);
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

/// The record of a file read to the end: classification and set matches.
fn hashed_record(
    task: &FileTask,
    meta: Meta,
    hashed: hashing::HashedStream,
    changed: bool,
    catalog: &HashSetCatalog,
) -> FileRecord {
    let class = classify(&hashed.header, &task.rel_path);
    let hits = if catalog.is_empty() {
        Vec::new()
    } else {
        catalog.lookup(&hashed.digests)
    };
    FileRecord {
        rel_path: task.rel_path.clone(),
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
    }
}

/// The sink thread: accepts records, counts them, and remembers the first
/// error (after which it drains the channel so workers never block).
fn sink_thread(
    mut sink: Box<dyn RecordSink>,
    rx: crossbeam_channel::Receiver<FileRecord>,
    cancel: CancelToken,
    catalog: HashSetCatalog,
) -> io::Result<JoinHandle<(ScanSummary, Option<io::Error>)>> {
    std::thread::Builder::new()
        .name("ferret-sink".into())
        .spawn(move || {
            let mut summary = ScanSummary::default();
            let mut tally = MatchTally::new(&catalog);
            let mut error = None;
            for rec in rx {
                if error.is_some() {
                    continue;
                }
                let mut counted = summary.clone();
                counted.count(&rec);
                let hits = rec.hits.clone();
                match sink.accept(rec) {
                    Ok(()) => {
                        summary = counted;
                        tally.add(&hits);
                    }
                    Err(e) => {
                        error = Some(e);
                        cancel.cancel();
                    }
                }
            }
            if let Err(e) = sink.finish() {
                error.get_or_insert(e);
            }
            summary.sets = tally.finish();
            (summary, error)
        })
}

/// Per-set counters with hashdeep audit semantics: files matched, and which
/// entries were matched at least once (the rest are "unused").
struct MatchTally {
    files: Vec<u64>,
    used: Vec<Vec<u64>>,
    entries: Vec<u64>,
}

impl MatchTally {
    fn new(catalog: &HashSetCatalog) -> Self {
        let entries: Vec<u64> = catalog.sets().iter().map(|s| s.entry_count()).collect();
        MatchTally {
            files: vec![0; entries.len()],
            used: entries
                .iter()
                .map(|&n| vec![0u64; n.div_ceil(64) as usize])
                .collect(),
            entries,
        }
    }

    fn add(&mut self, hits: &[crate::hashsets::Hit]) {
        let mut last = None;
        for h in hits {
            let s = usize::from(h.set);
            if last != Some(s) {
                self.files[s] += 1;
                last = Some(s);
            }
            let e = h.entry as usize;
            self.used[s][e / 64] |= 1 << (e % 64);
        }
    }

    fn finish(self) -> Vec<super::SetTally> {
        self.files
            .iter()
            .zip(&self.used)
            .zip(&self.entries)
            .map(|((&files, used), &entries)| {
                let matched: u64 = used.iter().map(|w| u64::from(w.count_ones())).sum();
                super::SetTally {
                    matched_files: files,
                    matched_entries: matched,
                    unused_entries: entries - matched,
                }
            })
            .collect()
    }
}

struct Run<'a> {
    options: &'a ScanOptions,
    emit: &'a dyn Fn(ScanEvent),
    progress: &'a ScanProgress,
    stage: &'a dyn Fn(Stage),
    records: Sender<FileRecord>,
    device: &'a mut Option<DeviceProfile>,
}

/// Walk, order, then hash. Returns whether the scan ran to the end.
fn run(r: Run<'_>) -> Result<bool, ScanError> {
    let opts = r.options;
    let cancel = opts.cancel_token();
    let root = EvidenceRoot::open(opts.root()).map_err(|source| ScanError::Root {
        path: opts.root().to_path_buf(),
        source,
    })?;
    let mount = root.mount_state().ok();
    if let Some(m) = mount {
        (r.emit)(ScanEvent::EvidenceMount(m));
    }
    (r.stage)(Stage::Walking);
    let walk_opts = WalkOptions {
        cross_filesystems: opts.crosses_filesystems(),
        read_link_targets: opts
            .link_targets()
            .unwrap_or_else(|| mount.is_some_and(|m| !m.atime_updates)),
    };
    let send = |rec: FileRecord| {
        // A closed channel means the sink failed; that is reported at the end.
        let _ = r.records.send(rec);
    };
    let tasks = prewalk_resuming(
        &root,
        &walk_opts,
        cancel,
        Some(r.progress),
        opts.resume_set(),
        &mut |rec| send(rec),
    )
    .map_err(|source| ScanError::Root {
        path: opts.root().to_path_buf(),
        source,
    })?;
    let Some(mut tasks) = tasks else {
        return Ok(false);
    };

    let device = match opts.device_override() {
        Some(kind) => DeviceProfile::forced(kind),
        None => {
            let info = crate::evidence::mount_info(opts.root());
            DeviceProfile::detect(opts.root(), info.as_ref().map(|m| m.device.as_str()))
        }
    };
    let rotational = device.kind == DeviceKind::Rotational;
    super::arrange(&mut tasks, opts.hashing_order(), device.kind);
    *r.device = Some(device);

    (r.stage)(Stage::Hashing);
    // Solid state: one reader per thread (a spinning disk gets one reader,
    // below, since parallel readers make it seek).
    let readers = opts.thread_count();
    let split_min = if rotational {
        opts.split_threshold().min(LOAD_MAX)
    } else {
        opts.split_threshold()
    };
    let algorithms = opts.selected_algorithms();
    let catalog = opts.catalog();
    let deliver = |rec: FileRecord| {
        if rec.error().is_some() {
            r.progress.error();
        }
        if let Outcome::Hashed { class, .. } = &rec.outcome {
            use crate::hashsets::catalog::Verdict;
            let v = rec.verdict();
            r.progress
                .classified(v == Verdict::Alert, v == Verdict::KnownGood, class.mismatch);
            if v == Verdict::Alert {
                let mut sets: Vec<String> = rec
                    .hits
                    .iter()
                    .filter(|h| h.kind == crate::hashsets::SetKind::Alert)
                    .filter_map(|h| catalog.sets().get(usize::from(h.set)))
                    .map(|s| s.provenance().name.clone())
                    .collect();
                sets.dedup();
                r.progress.note_alert(&rec.rel_path, sets);
            }
        }
        r.progress.file_done();
        send(rec);
    };
    let hash_one = |task: &FileTask, buf: &mut Vec<u8>, split: bool| {
        deliver(hash_task_with(
            &root,
            task,
            algorithms,
            catalog,
            buf,
            Some(r.progress),
            split,
        ));
    };
    if rotational {
        // One reader in order; small files are read whole and hashed on
        // one thread per core (the reader mostly waits for the disk, so it
        // does not count as one), large ones stream with their digests split.
        let hashers = opts.thread_count();
        let ran = std::thread::scope(|s| {
            let (tx, rx) = bounded::<Loaded>(LOADED_DEPTH);
            let started = (0..hashers)
                .filter(|i| {
                    let rx = rx.clone();
                    let (tasks, deliver) = (&tasks, &deliver);
                    std::thread::Builder::new()
                        .name(format!("ferret-hash-{i}"))
                        .spawn_scoped(s, move || {
                            for loaded in rx {
                                let task = &tasks[loaded.index];
                                deliver(hash_loaded(task, loaded, algorithms, catalog));
                            }
                        })
                        .is_ok()
                })
                .count();
            if started == 0 {
                return false;
            }
            let mut buf = Vec::new();
            for (i, task) in tasks.iter().enumerate() {
                if cancel.is_cancelled() {
                    break;
                }
                if task.meta.size <= LOAD_MAX {
                    match load_task(&root, i, task, Some(r.progress)) {
                        Ok(l) => {
                            if tx.send(l).is_err() {
                                break;
                            }
                        }
                        Err(rec) => deliver(*rec),
                    }
                } else {
                    hash_one(task, &mut buf, task.meta.size >= split_min);
                }
            }
            true
        });
        if ran {
            return Ok(!cancel.is_cancelled());
        }
    }
    // Files are taken strictly in order (a shared cursor, not work
    // stealing), so the hits-first order holds across readers.
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut buf = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(task) = tasks.get(i) else { break };
            if cancel.is_cancelled() {
                break;
            }
            // Split a large file when a core would otherwise idle: on the
            // single reader of a spinning disk, or when fewer files are left
            // than readers.
            let left = tasks.len() - i - 1;
            let split = task.meta.size >= split_min && (rotational || left < readers);
            hash_one(task, &mut buf, split);
        }
    };
    let started = std::thread::scope(|s| {
        (0..readers)
            .filter(|i| {
                std::thread::Builder::new()
                    .name(format!("ferret-hash-{i}"))
                    .spawn_scoped(s, worker)
                    .is_ok()
            })
            .count()
    });
    if started == 0 {
        return Err(ScanError::Workers("cannot start a hashing thread".into()));
    }
    Ok(!cancel.is_cancelled())
}

/// Spawns the coordinator thread of a job.
pub(super) fn start(
    options: ScanOptions,
    sink: Box<dyn RecordSink>,
    notify: Notify,
    events: Sender<ScanEvent>,
    progress: Arc<ScanProgress>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ferret-scan".into())
        .spawn(move || {
            let emit = |ev: ScanEvent| {
                let _ = events.send(ev);
                notify();
            };
            let result = coordinate(&options, sink, &progress, &emit);
            progress.set_stage(Stage::Done);
            emit(ScanEvent::Finished(result));
        })
}

fn coordinate(
    options: &ScanOptions,
    sink: Box<dyn RecordSink>,
    progress: &ScanProgress,
    emit: &dyn Fn(ScanEvent),
) -> Result<ScanSummary, ScanError> {
    let started_at = UtcTime::now();
    let started = Instant::now();
    let stage = |s: Stage| {
        progress.set_stage(s);
        emit(ScanEvent::Stage(s));
    };
    let (tx, rx) = bounded(CHANNEL_DEPTH);
    let writer = sink_thread(
        sink,
        rx,
        options.cancel_token().clone(),
        options.catalog().clone(),
    )
    .map_err(|e| ScanError::Workers(e.to_string()))?;
    let mut device = None;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        run(Run {
            options,
            emit,
            progress,
            stage: &stage,
            records: tx,
            device: &mut device,
        })
    }));
    stage(Stage::Finishing);
    let (mut summary, sink_error) = writer
        .join()
        .map_err(|_| ScanError::Sink(io::Error::other("record sink panicked")))?;
    summary.started = Some(started_at);
    summary.finished = Some(UtcTime::now());
    summary.elapsed = started.elapsed();
    summary.first_alert = progress.first_alert();
    summary.device = device;
    match (outcome, sink_error) {
        (Err(_), _) => Err(ScanError::Panicked),
        (Ok(Err(e)), _) => Err(e),
        (Ok(Ok(_)), Some(e)) => Err(ScanError::Sink(e)),
        (Ok(Ok(false)), None) => Err(ScanError::Cancelled {
            summary: Box::new(summary),
        }),
        (Ok(Ok(true)), None) => Ok(summary),
    }
}
