//! The job API: events, cancellation, progress, pool ownership.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferret::{
    CancelToken, FileRecord, MemorySink, RecordSink, ScanError, ScanEvent, ScanJob, ScanOptions,
    Stage,
};

fn many_files(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let sub = dir.path().join(format!("d{}", i % 10));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("f{i}.bin")), vec![i as u8; 1000 + i]).unwrap();
    }
    dir
}

/// Cancels the scan after it has accepted `after` records.
struct CancelAfter {
    inner: MemorySink,
    token: CancelToken,
    after: usize,
    seen: usize,
}

impl RecordSink for CancelAfter {
    fn accept(&mut self, rec: FileRecord) -> io::Result<()> {
        self.seen += 1;
        if self.seen == self.after {
            self.token.cancel();
        }
        self.inner.accept(rec)
    }
}

#[test]
fn cancel_mid_scan_finishes_with_cancelled_and_consistent_counts() {
    // More files than the record channel holds (4,096): workers must still
    // be running when the sink cancels, however the threads are scheduled.
    let dir = many_files(12_000);
    let token = CancelToken::new();
    let memory = MemorySink::default();
    let sink = CancelAfter {
        inner: memory.clone(),
        token: token.clone(),
        after: 200,
        seen: 0,
    };
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = Arc::clone(&wakes);
    let job = ScanJob::spawn(
        ScanOptions::new(dir.path())
            .with_cancel_token(token)
            .threads(2),
        Box::new(sink),
        Arc::new(move || {
            w.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .unwrap();
    let mut events = Vec::new();
    while let Some(ev) = job.next_event(std::time::Duration::from_secs(30)) {
        let last = matches!(ev, ScanEvent::Finished(_));
        events.push(ev);
        if last {
            break;
        }
    }
    let Some(ScanEvent::Finished(Err(ScanError::Cancelled { summary }))) = events.last() else {
        panic!("last event is not Finished(Err(Cancelled)): {events:?}");
    };
    let records = memory.take();
    assert_eq!(summary.entries, records.len() as u64);
    assert_eq!(
        summary.entries,
        summary.files_hashed + summary.not_hashed + summary.errors
    );
    assert!(
        summary.entries >= 200 && summary.entries < 12_010,
        "{}",
        summary.entries
    );
    assert_eq!(job.progress().stage, Stage::Done);
    assert!(wakes.load(Ordering::Relaxed) >= events.len());
    assert!(job.try_event().is_none(), "nothing after Finished");
}

#[test]
fn finished_is_always_last_and_stages_are_in_order() {
    let dir = many_files(50);
    let job = ScanJob::spawn(
        ScanOptions::new(dir.path()),
        Box::new(MemorySink::default()),
        Arc::new(|| {}),
    )
    .unwrap();
    let mut stages = Vec::new();
    let mut mount = None;
    let summary = loop {
        match job
            .next_event(std::time::Duration::from_secs(30))
            .expect("event")
        {
            ScanEvent::EvidenceMount(m) => {
                assert!(stages.is_empty(), "mount state comes before the walk");
                mount = Some(m);
            }
            ScanEvent::Stage(s) => stages.push(s),
            ScanEvent::Finished(r) => break r.expect("completes"),
        }
    };
    assert_eq!(stages, [Stage::Walking, Stage::Hashing, Stage::Finishing]);
    // A temp dir is on a writable mount.
    assert!(mount.is_some_and(|m| !m.read_only));
    assert_eq!(summary.files_hashed, 50);
    assert_eq!(summary.not_hashed, 10);
    let p = job.progress();
    assert_eq!((p.files_total, p.files_done), (50, 50));
    assert_eq!(p.bytes_total, p.bytes_hashed);
    assert_eq!(p.bytes_total, (0..50).map(|i| 1000 + i as u64).sum::<u64>());
}

#[test]
fn missing_root_fails_with_root_error() {
    let (records, result) = crate::util::scan(ScanOptions::new("/nonexistent/ferret/root"));
    assert!(records.is_empty());
    let err = result.unwrap_err();
    assert!(matches!(err, ScanError::Root { .. }), "{err}");
    assert!(err.to_string().contains("cannot open evidence root"));
}

/// A sink whose writes fail, like a full disk.
struct FullDisk;

impl RecordSink for FullDisk {
    fn accept(&mut self, _: FileRecord) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"))
    }
}

#[test]
fn failing_output_ends_the_scan_with_sink_error() {
    let dir = many_files(100);
    let job = ScanJob::spawn(
        ScanOptions::new(dir.path()),
        Box::new(FullDisk),
        Arc::new(|| {}),
    )
    .unwrap();
    let err = job.join().unwrap_err();
    assert!(matches!(err, ScanError::Sink(_)), "{err}");
}

#[test]
fn digests_are_identical_whatever_the_thread_count() {
    let dir = many_files(300);
    let run = |threads| {
        let (mut recs, r) = crate::util::scan(ScanOptions::new(dir.path()).threads(threads));
        r.unwrap();
        recs.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
        recs.iter()
            .map(|r| (r.rel_path.clone(), r.digests().copied()))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(2));
}
