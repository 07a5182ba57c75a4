//! Running a scan into a case: the steps both front ends take (begin the
//! scan row, open the writer, spawn the job; at the end, record status and
//! counters), so the CLI and the GUI cannot drift apart.

use std::path::Path;

use super::{CaseStore, CaseWriter, StoredOptions};
use crate::error::ScanError;
use crate::hashing::AlgorithmSet;
use crate::hashsets::HashSetCatalog;
use crate::job::{Notify, ResumeSet, ScanJob, ScanOptions, ScanSummary};

/// A scan running into a case.
pub struct CaseScan {
    /// The engine job.
    pub job: ScanJob,
    /// The scan's row id.
    pub scan_id: i64,
}

/// Starts scanning `root` into the case: records the scan and the hash sets,
/// opens the batched writer, spawns the job. `configure` may add options
/// (threads, link targets, a cancel token) before the job starts.
#[allow(clippy::too_many_arguments)]
pub fn start_scan(
    store: &CaseStore,
    evidence_id: i64,
    root: &Path,
    stored: &StoredOptions,
    catalog: &HashSetCatalog,
    resumes: Option<i64>,
    actor: &str,
    configure: impl FnOnce(ScanOptions) -> ScanOptions,
    notify: Notify,
) -> Result<CaseScan, String> {
    let resume_set: Option<ResumeSet> = match resumes {
        Some(_) => Some(store.resume_set(evidence_id).map_err(|e| e.to_string())?),
        None => None,
    };
    // Rows may exist (a resume, or a re-scan of the same evidence): their old
    // hits and flags must then be replaced, not added to.
    let had_rows = store
        .counts(Some(evidence_id))
        .map_or(true, |c| c.get("entries").copied().unwrap_or(0) > 0);
    let (scan_id, set_ids) = store
        .begin_scan(evidence_id, stored, catalog, resumes, actor)
        .map_err(|e| e.to_string())?;
    let writer = CaseWriter::open(store.path(), evidence_id, scan_id, set_ids, catalog.clone())
        .map_err(|e| e.to_string())?
        .resuming(resumes.is_some() || had_rows);
    let algorithms = stored.algorithms.parse().unwrap_or(AlgorithmSet::ALL);
    let mut options = ScanOptions::new(root)
        .algorithms(algorithms)
        .cross_filesystems(stored.cross_filesystems)
        .hash_sets(catalog.clone());
    if let Ok(order) = stored.order.parse() {
        options = options.order(order);
    }
    if let Ok(kind) = stored.device.parse() {
        options = options.device(kind);
    }
    if let Some(r) = resume_set {
        options = options.resume(r);
    }
    let job =
        ScanJob::spawn(configure(options), Box::new(writer), notify).map_err(|e| e.to_string())?;
    Ok(CaseScan { job, scan_id })
}

/// Records how a scan ended; returns the status written
/// (`complete`, `cancelled` or `failed`).
pub fn finish_scan(
    store: &CaseStore,
    scan_id: i64,
    result: &Result<ScanSummary, ScanError>,
    actor: &str,
) -> Result<&'static str, String> {
    let (status, summary) = match result {
        Ok(s) => ("complete", Some(s)),
        Err(ScanError::Cancelled { summary }) => ("cancelled", Some(&**summary)),
        Err(_) => ("failed", None),
    };
    let counters = summary.map_or(serde_json::Value::Null, |s| {
        serde_json::json!({
            "entries": s.entries, "files_hashed": s.files_hashed, "bytes_hashed": s.bytes_hashed,
            "not_hashed": s.not_hashed, "errors": s.errors, "alerts": s.alerts,
            "known_good": s.known_good, "mismatches": s.mismatches,
            "changed_during_read": s.changed_during_read, "elapsed_s": s.elapsed.as_secs_f64(),
        })
    });
    store
        .finish_scan(scan_id, status, &counters, actor)
        .map_err(|e| e.to_string())?;
    Ok(status)
}
