//! The scan pipeline as named stages: [`prewalk`] then [`hash_task`] per
//! file, run by [`start`] on a coordinator thread with a job-owned pool.

use std::cell::RefCell;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Sender, bounded};
use rayon::prelude::*;

use super::{
    CancelToken, FileRecord, Notify, Outcome, RecordSink, ScanEvent, ScanOptions, ScanProgress,
    ScanSummary, Stage,
};
use crate::classify::classify;
use crate::error::{ItemError, Op, ScanError};
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
    let failed = |e: ItemError, meta: Meta| FileRecord {
        rel_path: task.rel_path.clone(),
        kind: Some(EntryKind::File),
        meta: Some(meta),
        link_target: None,
        outcome: Outcome::Failed(e),
        hits: Vec::new(),
    };
    let file = match root.open_file(&task.rel_path) {
        Ok(f) => f,
        Err(e) => return failed(e, task.meta),
    };
    let meta = file.meta;
    let mut reader = Counted {
        inner: file,
        progress,
    };
    let hashed = match hashing::hash_stream(&mut reader, algorithms, buf) {
        Ok(h) => h,
        Err(e) => return failed(ItemError::new(&task.rel_path, Op::Read, e), meta),
    };
    let changed = hashed.len != meta.size || reader.inner.changed_since_open().unwrap_or(true);
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

thread_local! {
    /// One read buffer per hashing thread, reused for every file.
    static READ_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
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
}

/// Walk then hash. Returns whether the scan ran to the end.
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
    let tasks = prewalk(&root, &walk_opts, cancel, Some(r.progress), &mut |rec| {
        send(rec)
    })
    .map_err(|source| ScanError::Root {
        path: opts.root().to_path_buf(),
        source,
    })?;
    let Some(tasks) = tasks else {
        return Ok(false);
    };

    (r.stage)(Stage::Hashing);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.thread_count())
        .thread_name(|i| format!("ferret-hash-{i}"))
        .build()
        .map_err(|e| ScanError::Workers(e.to_string()))?;
    let algorithms = opts.selected_algorithms();
    let catalog = opts.catalog();
    pool.install(|| {
        tasks.par_iter().for_each(|task| {
            if cancel.is_cancelled() {
                return;
            }
            let rec = READ_BUF.with_borrow_mut(|buf| {
                hash_task(&root, task, algorithms, catalog, buf, Some(r.progress))
            });
            if rec.error().is_some() {
                r.progress.error();
            }
            if let Outcome::Hashed { class, .. } = &rec.outcome {
                use crate::hashsets::catalog::Verdict;
                let v = rec.verdict();
                r.progress
                    .classified(v == Verdict::Alert, v == Verdict::KnownGood, class.mismatch);
            }
            r.progress.file_done();
            send(rec);
        });
    });
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
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        run(Run {
            options,
            emit,
            progress,
            stage: &stage,
            records: tx,
        })
    }));
    stage(Stage::Finishing);
    let (mut summary, sink_error) = writer
        .join()
        .map_err(|_| ScanError::Sink(io::Error::other("record sink panicked")))?;
    summary.started = Some(started_at);
    summary.finished = Some(UtcTime::now());
    summary.elapsed = started.elapsed();
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
