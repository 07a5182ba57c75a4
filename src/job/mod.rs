//! The scan job: options, progress, events, cancellation, and the pipeline.
//!
//! ```text
//! spawn ─► coordinator thread ─► walk (records non-files at once, collects files)
//!                              └► order (hits first: a look at first bytes lifts renamed
//!                                        pictures; inode order on a spinning disk)
//!                              └► hash (one reader per worker, or one on a spinning disk;
//!                                       a large file's digests spread over two threads)
//!          records ─► bounded channel ─► sink thread (RecordSink: output file, case writer)
//!          ScanProgress atomics ◄─ sampled by front ends;  ScanEvent ─► few typed events,
//!          always ending with Finished(Result<ScanSummary, ScanError>)
//! ```
//! Workers never message the front end per file: they bump atomics, and the
//! front end is woken through `notify` only for events.

mod cancel;
mod device;
mod error;
mod options;
pub mod order;
mod pipeline;
mod progress;
mod record;
mod resume;
mod settings;

pub use cancel::CancelToken;
pub use device::{DeviceKind, DeviceProfile, virtual_disk};
pub use error::ScanError;
pub use options::ScanOptions;
pub use order::{Order, arrange, band};
pub use pipeline::{FileTask, hash_task, prewalk, prewalk_resuming};
pub use progress::{AlertNote, FirstAlert, ProgressSnapshot, ScanProgress, Stage};
pub use record::{FileRecord, MemorySink, Outcome, Perceptual, RecordSink};
pub use resume::ResumeSet;
pub use settings::{ScanSettings, SettingsError};

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;

use crate::evidence::UtcTime;
use crate::hashsets::catalog::Verdict;

/// Wakes a front end when an event is ready (the GUI passes `request_repaint`).
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// A typed event from a running scan. The last event is always `Finished`.
#[derive(Debug)]
// A handful of events per scan: their size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum ScanEvent {
    /// How the evidence is mounted (sent once, before the walk): front ends
    /// warn loudly when it is writable.
    EvidenceMount(crate::evidence::MountState),
    /// The evidence is NTFS but its named data streams cannot be seen
    /// through this mount (sent once, before the walk): material in them is
    /// missed, so front ends say so loudly.
    StreamsHidden(&'static str),
    /// The scan moved to another stage.
    Stage(Stage),
    /// The scan ended: completed, cancelled, or failed.
    Finished(Result<ScanSummary, ScanError>),
}

/// What one hash set matched during a scan (hashdeep audit semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetTally {
    /// Files that matched at least one entry.
    pub matched_files: u64,
    /// Entries matched by at least one file.
    pub matched_entries: u64,
    /// Entries no file matched.
    pub unused_entries: u64,
}

/// What a scan did, counted from the records the sink accepted, so the
/// counts always agree with the output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanSummary {
    /// Entries recorded (= hashed + not_hashed + errors).
    pub entries: u64,
    /// Regular files read and hashed.
    pub files_hashed: u64,
    /// Bytes read and hashed.
    pub bytes_hashed: u64,
    /// Entries recorded without hashing (directories, links, FIFOs, …).
    pub not_hashed: u64,
    /// Of the entries, members read out of archives (at any depth).
    pub archive_members: u64,
    /// Archives of the evidence not looked through to their end (a limit
    /// reached, damage, a format not read).
    pub archives_not_whole: u64,
    /// Entries that could not be examined (recorded with the reason).
    pub errors: u64,
    /// Files that changed while they were read.
    pub changed_during_read: u64,
    /// Files whose extension disagrees with their signature.
    pub mismatches: u64,
    /// Files with at least one alert hit (flagged).
    pub alerts: u64,
    /// Files with only known-good hits (filtered).
    pub known_good: u64,
    /// Files with only informational hits.
    pub info_only: u64,
    /// Per hash set (catalog order): what matched.
    pub sets: Vec<SetTally>,
    /// Wall time from spawn to the end.
    pub elapsed: Duration,
    /// Start, UTC.
    pub started: Option<UtcTime>,
    /// End, UTC.
    pub finished: Option<UtcTime>,
    /// When the first alert hit was found, and how much had been read.
    pub first_alert: Option<FirstAlert>,
    /// The evidence device as the scan saw it (decides the readers).
    pub device: Option<DeviceProfile>,
    /// Bytes read when each alert-flagged file was found, in order (the
    /// first is [`first_alert`](Self::first_alert)'s).
    pub alert_bytes: Vec<u64>,
    /// How the files were ordered.
    pub ordering: OrderReport,
}

/// How the files were ordered: the looks at first bytes made (hits-first;
/// see [`order::head_plan`]) and what the order costs in the device's
/// model ([`order::CostModel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderReport {
    /// Files planned, within the cost model's allowance.
    pub planned: u64,
    /// Files whose first bytes were read (fewer than planned when the time
    /// cap or a cancel stopped the looks, or a file could not be read).
    pub read: u64,
    /// Files lifted into the picture or video bands.
    pub lifted: u64,
    /// Time taken.
    pub elapsed: Duration,
    /// The looks' cost in the device's model.
    pub modeled: Duration,
    /// Of that, the looks made before hashing started (on a spinning disk
    /// only those in distributed locations): what they hold the first
    /// alert back.
    pub modeled_before: Duration,
    /// The whole scan's time in that model.
    pub scan_modeled: Duration,
    /// The time to read the files in the order chosen, in that model (on
    /// a spinning disk: what the order costs in seeks).
    pub order_modeled: Duration,
}

impl OrderReport {
    /// Adds a later round of looks.
    pub(crate) fn add_looks(&mut self, more: &OrderReport) {
        self.planned += more.planned;
        self.read += more.read;
        self.lifted += more.lifted;
        self.elapsed += more.elapsed;
        self.modeled += more.modeled;
    }
}

impl ScanSummary {
    pub(crate) fn count(&mut self, rec: &FileRecord) {
        self.entries += 1;
        match &rec.outcome {
            Outcome::Hashed {
                len,
                class,
                changed_during_read,
                ..
            } => {
                self.files_hashed += 1;
                self.bytes_hashed += len;
                self.changed_during_read += u64::from(*changed_during_read);
                self.mismatches += u64::from(class.mismatch);
                match rec.verdict() {
                    Verdict::Alert => self.alerts += 1,
                    Verdict::KnownGood => self.known_good += 1,
                    Verdict::Info => self.info_only += 1,
                    Verdict::None => {}
                }
            }
            Outcome::NotHashed { .. } | Outcome::NotRead { .. } => self.not_hashed += 1,
            Outcome::Failed(_) => self.errors += 1,
        }
        if !rec.members.is_empty() {
            self.archive_members += 1;
        }
        if let Some(a) = &rec.archive
            && (a.limit.is_some() || a.error.is_some() || a.encrypted > 0)
            && rec.members.is_empty()
        {
            self.archives_not_whole += 1;
        }
    }

    /// Average hashing rate in MB/s (10^6 bytes) over the elapsed time.
    pub fn mb_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.bytes_hashed as f64 / 1e6 / s
        } else {
            0.0
        }
    }
}

/// A running (or finished) scan.
pub struct ScanJob {
    events: Receiver<ScanEvent>,
    progress: Arc<ScanProgress>,
    cancel: CancelToken,
    thread: Option<JoinHandle<()>>,
}

impl ScanJob {
    /// Starts a scan on its own threads. Records go to `sink` (on a dedicated
    /// thread); `notify` is called after each event is queued. Fails only if
    /// the OS refuses to create a thread.
    pub fn spawn(
        options: ScanOptions,
        sink: Box<dyn RecordSink>,
        notify: Notify,
    ) -> Result<ScanJob, ScanError> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let progress = Arc::new(ScanProgress::new());
        let cancel = options.cancel_token().clone();
        let thread = pipeline::start(options, sink, notify, tx, Arc::clone(&progress))
            .map_err(|e| ScanError::Workers(e.to_string()))?;
        Ok(ScanJob {
            events: rx,
            progress,
            cancel,
            thread: Some(thread),
        })
    }

    /// A consistent-enough snapshot of the counters, for display.
    pub fn progress(&self) -> ProgressSnapshot {
        self.progress.snapshot()
    }

    /// The live progress itself (first alert, latest alert hits).
    pub fn progress_handle(&self) -> &ScanProgress {
        &self.progress
    }

    /// The token that cancels this scan.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    /// Asks the scan to stop; it still finishes cleanly with `Finished(Err(Cancelled))`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// The next event, waiting at most `timeout`. `None` on timeout or after
    /// the last event was taken.
    pub fn next_event(&self, timeout: Duration) -> Option<ScanEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    /// An event if one is queued, without waiting.
    pub fn try_event(&self) -> Option<ScanEvent> {
        self.events.try_recv().ok()
    }

    /// Waits for the end and returns the scan's result (events not yet taken
    /// are discarded).
    pub fn join(mut self) -> Result<ScanSummary, ScanError> {
        let mut result = Err(ScanError::Panicked);
        while let Ok(ev) = self.events.recv() {
            if let ScanEvent::Finished(r) = ev {
                result = r;
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        result
    }
}

impl Drop for ScanJob {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            // Dropping a running job cancels it; never leave a detached scan behind.
            self.cancel.cancel();
            let _ = t.join();
        }
    }
}
