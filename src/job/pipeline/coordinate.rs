//! The coordinator: [`start`] spawns the job's thread, which starts the
//! sink and the set check, runs walk, order and hash (choosing readers for
//! the device), and turns how they ended into the job's one `Finished`
//! result. No hashed file reaches the sink or the progress before the set
//! check has passed (`deliver`), so a damaged hash set fails the scan
//! before any of its hits is used.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Sender, bounded};

use super::check::SetCheck;
use super::hash::{
    LOAD_MAX, LOADED_DEPTH, Loaded, NotLoaded, OpenedFile, expand_archive, finish_task,
    hash_loaded_files, hash_task_with, load_task, open_task,
};
use super::sink::sink_thread;
use super::walk::{FileTask, prewalk_resuming};
use crate::evidence::{EvidenceRoot, UtcTime, WalkOptions};
use crate::hashing::MultiBuffer;
use crate::job::ScanError;
use crate::job::order::Looks;
use crate::job::{
    DeviceKind, DeviceProfile, FileRecord, Notify, Outcome, RecordSink, ScanEvent, ScanOptions,
    ScanProgress, ScanSummary, Stage,
};

/// Records in flight between workers and the sink: enough to keep workers
/// busy while the sink writes a batch, small enough to bound memory.
const CHANNEL_DEPTH: usize = 4096;

struct Run<'a> {
    options: &'a ScanOptions,
    emit: &'a dyn Fn(ScanEvent),
    progress: &'a ScanProgress,
    stage: &'a dyn Fn(Stage),
    records: Sender<FileRecord>,
    device: &'a mut Option<DeviceProfile>,
    ordering: &'a mut crate::job::OrderReport,
    sets: &'a SetCheck,
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
    if let Some(w) = root.stream_interface().warning() {
        (r.emit)(ScanEvent::StreamsHidden(w));
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
    let (kind, rotational) = (device.kind, device.kind == DeviceKind::Rotational);
    (r.stage)(Stage::Ordering);
    // An archive whose directory names pictures is hashed (and opened)
    // with the pictures: its directory is read now, within a budget.
    let peek_started = std::time::Instant::now();
    let mut peeked = 0usize;
    let looks_inside = opts.archive_limits().is_some();
    let mut peek = |t: &FileTask| -> Option<u8> {
        if !looks_inside
            || peeked >= crate::job::order::PEEK_MAX
            || peek_started.elapsed() > crate::job::order::PEEK_BUDGET
            || cancel.is_cancelled()
        {
            return None;
        }
        peeked += 1;
        let file = root.open_item(&t.rel_path, t.stream.as_deref()).ok()?;
        let names = crate::archive::peek_names(file, crate::job::order::PEEK_NAMES)?;
        crate::job::order::member_band(&names)
    };
    // A picture or video under another name is lifted by its first bytes:
    // on solid state every candidate is looked at now; on a spinning disk
    // those in distributed locations now, the rest once the pictures in
    // distributed locations are hashed (below).
    let hits_first = opts.hashing_order() == crate::job::Order::HitsFirst;
    let model = crate::job::order::CostModel::of(kind);
    let (files, bytes) = crate::job::order::totals(&tasks);
    let mut budget = super::peek::LookBudget {
        which: if rotational { Looks::Near } else { Looks::All },
        modeled: model.head_budget(files, bytes),
        scan: model.scan_secs(files, bytes),
        cap: crate::job::order::HEAD_MAX,
    };
    let threads = opts.thread_count();
    let mut keys = Vec::new();
    if hits_first {
        let (lifted, looks) =
            super::peek::lift_by_heads(&root, &tasks, kind, threads, cancel, &budget);
        *r.ordering = looks;
        keys = crate::job::order::sort_keys(&tasks, kind, &mut peek, &lifted);
        crate::job::order::sort_by_keys(&mut tasks, &mut keys);
    }
    // A spinning disk's first round: the pictures in distributed locations
    // (stage 0, band 0, tier 0), where first alerts come from.
    let first_round = if hits_first && rotational {
        keys.iter()
            .take_while(|k| (k.0, k.1, k.2) == (0, 0, 0))
            .count()
    } else {
        tasks.len()
    };
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
    let algorithms = opts.computed_algorithms();
    let catalog = opts.catalog();
    let deliver = |rec: FileRecord| {
        // Hits are used from here on (progress, sink): not before every set
        // is verified, and never from a set found damaged. Such a record is
        // dropped and the scan stopped; `coordinate` reports why.
        if matches!(rec.outcome, Outcome::Hashed { .. })
            && !catalog.is_empty()
            && (r.sets.wait() != &Ok(true) || catalog.damage().is_some())
        {
            cancel.cancel();
            return;
        }
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
    // An archive's members go first, then the archive with what was
    // found inside it (its limits reached, its errors).
    let limits = opts.archive_limits();
    let stopped = || cancel.is_cancelled();
    let pdq = opts.pdq_enabled();
    let with_members = |task: &FileTask, mut rec: FileRecord| {
        if pdq {
            rec.perceptual = super::perceptual::of_file(&root, task, &rec);
            super::perceptual::match_sets(rec.perceptual.as_ref(), catalog, &mut rec.hits);
        }
        if let Some(limits) = limits {
            expand_archive(
                &root, task, &mut rec, algorithms, catalog, limits, pdq, &stopped, &deliver,
            );
        }
        deliver(rec);
    };
    let hash_one = |task: &FileTask, buf: &mut Vec<u8>, split: bool| {
        with_members(
            task,
            hash_task_with(
                &root,
                task,
                algorithms,
                catalog,
                buf,
                Some(r.progress),
                split,
            ),
        );
    };
    // Hashes `tasks` in order: one reader on a spinning disk, one per
    // thread on solid state.
    let paths = opts.digest_paths_used();
    let hash_all = |tasks: &[FileTask]| -> Result<(), ScanError> {
        // A solid-state reader's files in SIMD lanes, sixteen in flight,
        // taken in order from the shared cursor; a file large enough to
        // split is hashed on its own as it comes (the lanes wait).
        // False when no digest runs in lanes here.
        let in_lanes = |next: &AtomicUsize, buf: &mut Vec<u8>| {
            let Some(mut lanes) = MultiBuffer::<usize, OpenedFile>::new(algorithms, paths) else {
                return false;
            };
            let deliver_done = |done: Vec<crate::hashing::Finished<usize, OpenedFile>>| {
                for done in done {
                    if let Some(task) = tasks.get(done.tag) {
                        with_members(task, finish_task(task, &done.reader, done.hashed, catalog));
                    }
                }
            };
            let mut taking = true;
            loop {
                while taking && lanes.free() > 0 {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(task) = tasks.get(i).filter(|_| !cancel.is_cancelled()) else {
                        taking = false;
                        break;
                    };
                    if task.meta.size >= split_min {
                        let left = tasks.len() - i - 1;
                        hash_one(task, buf, left < readers);
                        continue;
                    }
                    // Sixteen files a reader are open: should this one fail to
                    // open (a low open-file limit), it is tried again once the
                    // files in flight are done, before it is recorded failed.
                    let mut opened = open_task(&root, task, Some(r.progress));
                    if opened.is_err() && !lanes.is_empty() {
                        deliver_done(lanes.drain());
                        opened = open_task(&root, task, Some(r.progress));
                    }
                    match opened {
                        Ok(file) => {
                            if let Err((_, mut file)) = lanes.add(i, file) {
                                let hashed =
                                    crate::hashing::hash_stream(&mut file, algorithms, buf);
                                with_members(task, finish_task(task, &file, hashed, catalog));
                            }
                        }
                        Err(rec) => with_members(task, *rec),
                    }
                }
                // Cancelled: the files in flight are dropped unrecorded (one
                // stream would finish its one file first); a resumed scan
                // hashes every file that has no record.
                if cancel.is_cancelled() || (!taking && lanes.is_empty()) {
                    break;
                }
                // Once no file is left to take, the last few finish alone.
                deliver_done(if taking { lanes.step() } else { lanes.drain() });
            }
            true
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
                        let with_members = &with_members;
                        std::thread::Builder::new()
                            .name(format!("ferret-hash-{i}"))
                            .spawn_scoped(s, move || {
                                hash_loaded_files(
                                    rx,
                                    tasks,
                                    algorithms,
                                    paths,
                                    catalog,
                                    with_members,
                                );
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
                            Err(NotLoaded::Failed(rec)) => deliver(*rec),
                            // Grown past the load limit since the walk.
                            Err(NotLoaded::TooLarge) => hash_one(task, &mut buf, false),
                        }
                    } else {
                        hash_one(task, &mut buf, task.meta.size >= split_min);
                    }
                }
                true
            });
            if ran {
                return Ok(());
            }
        }
        // Files are taken strictly in order (a shared cursor, not work
        // stealing), so the hits-first order holds across readers (in lanes
        // a reader has up to sixteen in flight, each delivered as it ends).
        let next = AtomicUsize::new(0);
        let worker = || {
            let mut buf = Vec::new();
            if in_lanes(&next, &mut buf) {
                return;
            }
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
        Ok(())
    };
    let (first, rest) = tasks.split_at_mut(first_round);
    if !first.is_empty() {
        hash_all(first)?;
    }
    if !rest.is_empty() && !cancel.is_cancelled() {
        if hits_first {
            // The spinning disk's second round of looks, with what is left
            // of the budget, before the rest is hashed.
            budget.which = Looks::Far;
            budget.modeled -= r.ordering.modeled.as_secs_f64();
            budget.cap = budget.cap.saturating_sub(r.ordering.elapsed);
            let rest_keys = keys.get_mut(first_round..).unwrap_or_default();
            let (lifted, looks) =
                super::peek::lift_by_heads(&root, rest, kind, threads, cancel, &budget);
            r.ordering.add_looks(&looks);
            crate::job::order::lift_keys(rest, rest_keys, kind, &lifted);
            crate::job::order::sort_by_keys(rest, rest_keys);
        }
        hash_all(rest)?;
    }
    r.ordering.order_modeled = std::time::Duration::from_secs_f64(model.order_secs(kind, &tasks));
    Ok(!cancel.is_cancelled())
}

/// Spawns the coordinator thread of a job.
pub(in crate::job) fn start(
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
    let mut ordering = crate::job::OrderReport::default();
    let sets = SetCheck::start(options.catalog(), options.cancel_token());
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        run(Run {
            options,
            emit,
            progress,
            stage: &stage,
            records: tx,
            device: &mut device,
            ordering: &mut ordering,
            sets: &sets,
        })
    }));
    stage(Stage::Finishing);
    // Joined whatever happened (a scan with no file to hash still fails on
    // a damaged set); a damage a lookup met counts the same.
    let damage = match sets.wait() {
        Err(d) => Some(d.clone()),
        Ok(_) => options.catalog().damage().cloned(),
    };
    let (mut summary, sink_error) = writer
        .join()
        .map_err(|_| ScanError::Sink(io::Error::other("record sink panicked")))?;
    summary.started = Some(started_at);
    summary.finished = Some(UtcTime::now());
    summary.elapsed = started.elapsed();
    summary.first_alert = progress.first_alert();
    summary.device = device;
    summary.alert_bytes = progress.alert_bytes();
    summary.ordering = ordering;
    if let Some(d) = damage {
        return Err(ScanError::SetDamaged {
            name: d.name,
            reason: d.reason,
        });
    }
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
