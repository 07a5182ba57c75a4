//! Live counters, bumped by workers and sampled by front ends.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where a scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Not started.
    Starting,
    /// Metadata walk: counting entries, files and bytes.
    Walking,
    /// Ordering the files: archive directories and first bytes looked at
    /// (hits-first).
    Ordering,
    /// Reading and hashing files.
    Hashing,
    /// Flushing output.
    Finishing,
    /// Done (completed, cancelled or failed).
    Done,
}

impl Stage {
    fn from_u8(v: u8) -> Stage {
        match v {
            1 => Stage::Walking,
            2 => Stage::Ordering,
            3 => Stage::Hashing,
            4 => Stage::Finishing,
            5 => Stage::Done,
            _ => Stage::Starting,
        }
    }

    /// Human-readable name.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Starting => "starting",
            Stage::Walking => "walking",
            Stage::Ordering => "ordering",
            Stage::Hashing => "hashing",
            Stage::Finishing => "finishing",
            Stage::Done => "done",
        }
    }
}

/// Atomic counters of a running scan. Relaxed ordering: they are for display.
#[derive(Debug)]
pub struct ScanProgress {
    stage: AtomicU8,
    entries_seen: AtomicU64,
    files_total: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    bytes_hashed: AtomicU64,
    errors: AtomicU64,
    alerts: AtomicU64,
    known_good: AtomicU64,
    mismatches: AtomicU64,
    started: Instant,
    first_alert: OnceLock<FirstAlert>,
    alert_bytes: Mutex<Vec<u64>>,
    recent_alerts: Mutex<VecDeque<AlertNote>>,
}

/// Alerts kept for live display (the case holds them all).
const RECENT_ALERTS: usize = 50;

/// One alert hit, for live display while the scan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertNote {
    /// Path relative to the evidence root.
    pub rel_path: PathBuf,
    /// Names of the alert sets that matched.
    pub sets: Vec<String>,
    /// Time since the scan started.
    pub after: Duration,
}

/// The moment the first alert hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstAlert {
    /// Time since the scan started.
    pub after: Duration,
    /// Bytes read by then (all files, including ones still being read).
    pub bytes_read: u64,
    /// Files finished by then.
    pub files_done: u64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressSnapshot {
    /// Current stage.
    pub stage: Stage,
    /// Entries seen by the walk so far.
    pub entries_seen: u64,
    /// Regular files found by the walk (final once hashing starts).
    pub files_total: u64,
    /// Bytes in those files.
    pub bytes_total: u64,
    /// Files finished (hashed or failed).
    pub files_done: u64,
    /// Bytes hashed so far (grows within large files too).
    pub bytes_hashed: u64,
    /// Entries that could not be examined so far.
    pub errors: u64,
    /// Files with an alert hit so far.
    pub alerts: u64,
    /// Files filtered as known-good so far.
    pub known_good: u64,
    /// Extension mismatches so far.
    pub mismatches: u64,
    /// Time since the scan started.
    pub elapsed: Duration,
}

impl ProgressSnapshot {
    /// Fraction of bytes done (0–1), once totals are known.
    pub fn fraction(&self) -> Option<f64> {
        (self.stage == Stage::Hashing || self.stage == Stage::Finishing).then(|| {
            if self.bytes_total == 0 {
                1.0
            } else {
                (self.bytes_hashed as f64 / self.bytes_total as f64).min(1.0)
            }
        })
    }
}

impl ScanProgress {
    pub(crate) fn new() -> Self {
        ScanProgress {
            stage: AtomicU8::new(0),
            entries_seen: AtomicU64::new(0),
            files_total: AtomicU64::new(0),
            bytes_total: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            bytes_hashed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            alerts: AtomicU64::new(0),
            known_good: AtomicU64::new(0),
            mismatches: AtomicU64::new(0),
            started: Instant::now(),
            first_alert: OnceLock::new(),
            alert_bytes: Mutex::new(Vec::new()),
            recent_alerts: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn set_stage(&self, s: Stage) {
        self.stage.store(s as u8, Ordering::Relaxed);
    }

    pub(crate) fn saw_entry(&self) {
        self.entries_seen.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn found_file(&self, size: u64) {
        self.files_total.fetch_add(1, Ordering::Relaxed);
        self.bytes_total.fetch_add(size, Ordering::Relaxed);
    }

    pub(crate) fn hashed_bytes(&self, n: u64) {
        self.bytes_hashed.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn file_done(&self) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a hashed file's verdict and mismatch, for live display.
    pub(crate) fn classified(&self, alert: bool, known_good: bool, mismatch: bool) {
        let add = |a: &AtomicU64, yes: bool| {
            if yes {
                a.fetch_add(1, Ordering::Relaxed);
            }
        };
        if alert {
            // Read under the lock, so the list is in order whatever the
            // threads (a poisoned lock only loses the list: never fatal).
            let mut list = self.alert_bytes.lock().ok();
            let bytes_read = self.bytes_hashed.load(Ordering::Relaxed);
            self.first_alert.get_or_init(|| FirstAlert {
                after: self.started.elapsed(),
                bytes_read,
                files_done: self.files_done.load(Ordering::Relaxed),
            });
            if let Some(v) = list.as_mut() {
                v.push(bytes_read);
            }
        }
        add(&self.alerts, alert);
        add(&self.known_good, known_good);
        add(&self.mismatches, mismatch);
    }

    /// Remembers an alert hit for live display (newest kept).
    pub(crate) fn note_alert(&self, rel_path: &Path, sets: Vec<String>) {
        let note = AlertNote {
            rel_path: rel_path.to_path_buf(),
            sets,
            after: self.started.elapsed(),
        };
        // A poisoned lock only means a display list is lost: never fatal.
        if let Ok(mut q) = self.recent_alerts.lock() {
            if q.len() == RECENT_ALERTS {
                q.pop_front();
            }
            q.push_back(note);
        }
    }

    /// The latest alert hits, newest first (at most 50).
    pub fn recent_alerts(&self) -> Vec<AlertNote> {
        self.recent_alerts
            .lock()
            .map(|q| q.iter().rev().cloned().collect())
            .unwrap_or_default()
    }

    /// The first alert hit, once there is one.
    pub fn first_alert(&self) -> Option<FirstAlert> {
        self.first_alert.get().copied()
    }

    /// Bytes read when each alert-flagged file was found, in order.
    pub fn alert_bytes(&self) -> Vec<u64> {
        self.alert_bytes
            .lock()
            .map(|v| v.clone())
            .unwrap_or_default()
    }

    /// Reads all counters.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ProgressSnapshot {
            stage: Stage::from_u8(self.stage.load(Ordering::Relaxed)),
            entries_seen: r(&self.entries_seen),
            files_total: r(&self.files_total),
            bytes_total: r(&self.bytes_total),
            files_done: r(&self.files_done),
            bytes_hashed: r(&self.bytes_hashed),
            errors: r(&self.errors),
            alerts: r(&self.alerts),
            known_good: r(&self.known_good),
            mismatches: r(&self.mismatches),
            elapsed: self.started.elapsed(),
        }
    }
}
