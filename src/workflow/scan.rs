//! A scan into a case, from request to recorded end: [`plan_scan`] turns a
//! [`ScanRequest`] into a [`ScanPlan`] (case opened or created, evidence
//! recorded, settings fixed, hash sets loaded), [`ScanPlan::start`] runs it,
//! [`RunningScan::finish`] records how it ended.

use std::path::{Path, PathBuf};

use super::WorkflowError;
use crate::case::{CaseError, CaseInfo, CaseStore, CaseWriter, ScanRecord, ScanStatus};
use crate::evidence::{EvidenceRoot, guard};
use crate::hashing::AlgorithmSet;
use crate::hashsets::{HashLibrary, HashSetCatalog};
use crate::job::{CancelToken, Notify, ScanError, ScanJob, ScanOptions, ScanSettings, ScanSummary};

/// A case to create.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// Where the case file goes (never inside the evidence; never over an
    /// existing file or link).
    pub path: PathBuf,
    /// Case number, examiner and the rest.
    pub info: CaseInfo,
}

/// The evidence folder to scan and how the case names it.
#[derive(Debug, Clone)]
pub struct EvidenceSpec {
    /// The mounted evidence folder.
    pub root: PathBuf,
    /// Exhibit number.
    pub exhibit: String,
    /// Description.
    pub description: String,
}

/// What a front end asks for.
pub enum ScanRequest {
    /// Create a case and scan an evidence folder into it.
    NewCase {
        /// The case to create.
        case: NewCase,
        /// What to scan.
        evidence: EvidenceSpec,
        /// How.
        settings: ScanSettings,
    },
    /// Scan an evidence folder into an existing case.
    AddEvidence {
        /// The case file.
        case: PathBuf,
        /// What to scan.
        evidence: EvidenceSpec,
        /// How.
        settings: ScanSettings,
    },
    /// Continue the case's unfinished scan with the settings it ran with.
    Resume {
        /// The case file.
        case: PathBuf,
    },
}

/// A scan ready to start.
pub struct ScanPlan {
    /// The case it writes.
    pub store: CaseStore,
    /// The evidence item scanned.
    pub evidence_id: i64,
    /// The evidence folder.
    pub root: PathBuf,
    /// The settings (stored with the scan).
    pub settings: ScanSettings,
    /// The loaded hash sets, in `settings.hash_sets` order.
    pub catalog: HashSetCatalog,
    /// The scan this one continues.
    pub resumes: Option<i64>,
    /// Who runs it (the audit rows' actor).
    pub actor: String,
}

/// Choices that belong to this machine and run, not to the case.
#[derive(Clone, Default)]
pub struct Runtime {
    /// Hashing threads (default: one per core).
    pub threads: Option<usize>,
    /// A token a Ctrl-C handler already holds.
    pub cancel: Option<CancelToken>,
    /// Size from which one file's digests are split over two threads
    /// (benchmarks; `u64::MAX` never).
    pub split_min: Option<u64>,
}

/// A scan running into a case.
pub struct RunningScan {
    /// The engine job (progress, events, cancel).
    pub job: ScanJob,
    /// The scan's row id.
    pub scan_id: i64,
    /// The case.
    pub store: CaseStore,
    /// The hash sets matched.
    pub catalog: HashSetCatalog,
    /// The scan this one continues.
    pub resumes: Option<i64>,
    actor: String,
}

/// A scan that ended and is recorded.
pub struct FinishedScan {
    /// The case.
    pub store: CaseStore,
    /// The status written.
    pub status: ScanStatus,
    /// The engine's result.
    pub result: Result<ScanSummary, ScanError>,
    /// Whether the end could be written to the case (if not, the case
    /// still says `running`, and is found `interrupted` when next opened).
    pub recorded: Result<(), CaseError>,
}

/// The scan a resume would continue: the newest scan of the case, if it
/// did not finish. This is the one rule for both front ends.
pub fn resumable_scan(store: &CaseStore) -> Result<ScanRecord, WorkflowError> {
    let scans = store.scans()?;
    let Some(newest) = scans.into_iter().max_by_key(|s| s.id) else {
        return Err(WorkflowError::NothingToResume("does not exist"));
    };
    match newest.status {
        s if s.resumable() => Ok(newest),
        ScanStatus::Running => Err(WorkflowError::StillRunning(newest.id)),
        ScanStatus::Superseded => Err(WorkflowError::NothingToResume("was resumed already")),
        _ => Err(WorkflowError::NothingToResume("completed")),
    }
}

/// Loads the named sets from the hash library in `library` (the folder is
/// only opened when a set is named).
pub fn load_sets(names: &[String], library: &Path) -> Result<HashSetCatalog, WorkflowError> {
    if names.is_empty() {
        return Ok(HashSetCatalog::default());
    }
    let lib = HashLibrary::open_existing(library).map_err(|source| WorkflowError::Library {
        dir: library.to_path_buf(),
        source,
    })?;
    let sets = names
        .iter()
        .map(|n| {
            lib.load(n).map_err(|source| WorkflowError::HashSet {
                name: n.clone(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HashSetCatalog::new(sets))
}

/// The actor of audit rows: the case's examiner, else the OS user.
pub fn actor_of(store: &CaseStore) -> String {
    store
        .info()
        .ok()
        .map(|i| i.examiner)
        .filter(|e| !e.trim().is_empty())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .unwrap_or_else(|| "examiner".into())
}

fn evidence_mount(root: &Path) -> Result<crate::evidence::MountState, WorkflowError> {
    EvidenceRoot::open(root)
        .and_then(|r| r.mount_state())
        .map_err(|source| WorkflowError::Evidence {
            path: root.to_path_buf(),
            source,
        })
}

/// Records the evidence item in `store` and makes the plan.
fn plan_into(
    store: CaseStore,
    evidence: EvidenceSpec,
    settings: ScanSettings,
    library: &Path,
) -> Result<ScanPlan, WorkflowError> {
    // The case file (and SQLite's -wal and -shm beside it) must not be
    // inside the evidence it records.
    guard::check_outside(store.path(), &[&evidence.root])?;
    let mount = evidence_mount(&evidence.root)?;
    // The same exhibit at the same folder again (a re-scan): it must still
    // be the same drive.
    let real = std::fs::canonicalize(&evidence.root).unwrap_or_else(|_| evidence.root.clone());
    let exhibit_name = match evidence.exhibit.trim() {
        "" => "1",
        e => e,
    };
    if let Some(known) = store
        .evidence()?
        .into_iter()
        .find(|e| e.root == real && e.exhibit == exhibit_name)
    {
        same_exhibit(&known)?;
    }
    let catalog = load_sets(&settings.hash_sets, library)?;
    let actor = actor_of(&store);
    let exhibit = match evidence.exhibit.trim() {
        "" => "1",
        e => e,
    };
    let evidence_id = store.add_evidence(
        exhibit,
        &evidence.description,
        &evidence.root,
        Some(mount),
        &actor,
    )?;
    Ok(ScanPlan {
        store,
        evidence_id,
        root: evidence.root,
        settings,
        catalog,
        resumes: None,
        actor,
    })
}

/// Turns a request into a plan: opens or creates the case (never inside
/// the evidence), records the evidence item, loads the sets from the hash
/// library in `library`. Nothing is scanned yet.
pub fn plan_scan(request: ScanRequest, library: &Path) -> Result<ScanPlan, WorkflowError> {
    match request {
        ScanRequest::NewCase {
            case,
            evidence,
            settings,
        } => {
            guard::check_outside(&case.path, &[&evidence.root])?;
            // Refused before the case exists: a wrong evidence path leaves
            // no empty case behind.
            evidence_mount(&evidence.root)?;
            let store = CaseStore::create(&case.path, &case.info, &case.info.examiner)?;
            plan_into(store, evidence, settings, library)
        }
        ScanRequest::AddEvidence {
            case,
            evidence,
            settings,
        } => {
            guard::check_outside(&case, &[&evidence.root])?;
            let store = CaseStore::open(&case)?;
            plan_into(store, evidence, settings, library)
        }
        ScanRequest::Resume { case } => {
            // Looked at read-only first: a case inside the evidence is
            // refused before anything (migrations, marking a scan
            // interrupted) is written to it.
            {
                let roots = CaseStore::evidence_roots_of(&case)?;
                let roots: Vec<&Path> = roots.iter().map(PathBuf::as_path).collect();
                guard::check_outside(&case, &roots)?;
            }
            let case = CaseStore::open(&case)?;
            let scan = resumable_scan(&case)?;
            let settings = scan.settings()?;
            settings_as_audited(&case, scan.id, &settings)?;
            let ev = case
                .evidence()?
                .into_iter()
                .find(|e| e.id == scan.evidence_id)
                .ok_or(WorkflowError::EvidenceMissing(scan.evidence_id))?;
            same_exhibit(&ev)?;
            let catalog = load_sets(&settings.hash_sets, library)?;
            let actor = actor_of(&case);
            Ok(ScanPlan {
                store: case,
                evidence_id: ev.id,
                root: ev.root,
                settings,
                catalog,
                resumes: Some(scan.id),
                actor,
            })
        }
    }
}

/// The settings a resume repeats must be the ones the audit log recorded
/// when the scan started (a case edited to drop a hash set is refused).
fn settings_as_audited(
    store: &CaseStore,
    scan: i64,
    settings: &ScanSettings,
) -> Result<(), WorkflowError> {
    let recorded = store.audit_rows()?.into_iter().find_map(|row| {
        if row.action != "scan_started" {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&row.detail).ok()?;
        if v.get("scan").and_then(serde_json::Value::as_i64) != Some(scan) {
            return None;
        }
        let options = v.get("options")?.to_string();
        ScanSettings::from_json(&options).ok()
    });
    match recorded {
        Some(r) if r == *settings => Ok(()),
        _ => Err(WorkflowError::SettingsNotAudited(scan)),
    }
}

/// The folder at a recorded evidence root must still be that exhibit: the
/// same device and filesystem as when it was recorded (a different drive
/// mounted at the same place is refused, not merged into the exhibit).
fn same_exhibit(ev: &crate::case::EvidenceRecord) -> Result<(), WorkflowError> {
    if !ev.root.is_absolute() {
        return Err(WorkflowError::EvidenceChanged {
            exhibit: ev.exhibit.clone(),
            why: format!(
                "its recorded folder {} is not an absolute path",
                crate::pathfmt::escape_path(&ev.root)
            ),
        });
    }
    let Some(was) = &ev.mount else {
        return Ok(());
    };
    let now = crate::evidence::mount_info(&ev.root);
    match now {
        Some(now) if now.device == was.device && now.fs_type == was.fs_type => Ok(()),
        now => Err(WorkflowError::EvidenceChanged {
            exhibit: ev.exhibit.clone(),
            why: format!(
                "{} was {} when recorded and is {} now",
                crate::pathfmt::escape_path(&ev.root),
                was.describe(),
                crate::evidence::MountInfo::describe_or_unknown(now.as_ref())
            ),
        }),
    }
}

impl ScanPlan {
    /// Digests the scan computes beyond those asked for, because a selected
    /// set lists them (front ends say so).
    pub fn digests_added_for_sets(&self) -> AlgorithmSet {
        self.catalog
            .required_algorithms()
            .minus(self.settings.digests)
    }

    /// The selected sets holding PDQ hashes when PDQ was turned off in the
    /// settings: the scan computes PDQ anyway (it would miss their
    /// near-duplicates otherwise), and front ends say so.
    pub fn pdq_added_for_sets(&self) -> Vec<String> {
        if self.settings.pdq {
            Vec::new()
        } else {
            self.catalog.pdq_sets()
        }
    }

    /// Starts the scan: records it (and the sets, with provenance) in the
    /// case, opens the batched writer and spawns the job. A resume skips
    /// what the case holds and marks the scan it continues superseded.
    pub fn start(self, runtime: Runtime, notify: Notify) -> Result<RunningScan, WorkflowError> {
        let ScanPlan {
            store,
            evidence_id,
            root,
            settings,
            catalog,
            resumes,
            actor,
        } = self;
        let resume_set = match resumes {
            Some(scan) => Some(store.resume_set(evidence_id, scan)?),
            None => None,
        };
        // Rows may exist (a resume, or a re-scan of the same evidence):
        // their old hits and flags are then replaced, not added to.
        let had_rows = store
            .counts(Some(evidence_id))
            .map_or(true, |c| c.entries > 0);
        let (scan_id, set_ids) =
            store.begin_scan(evidence_id, &settings, &catalog, resumes, &actor)?;
        let writer =
            CaseWriter::open(store.path(), evidence_id, scan_id, set_ids, catalog.clone())?
                .resuming(resumes.is_some() || had_rows)
                .grouping(&actor);
        let mut options = ScanOptions::from_settings(&root, &settings, catalog.clone());
        if let Some(r) = resume_set {
            options = options.resume(r);
        }
        if let Some(n) = runtime.threads {
            options = options.threads(n);
        }
        if let Some(c) = runtime.cancel {
            options = options.with_cancel_token(c);
        }
        if let Some(n) = runtime.split_min {
            options = options.split_min(n);
        }
        let job = ScanJob::spawn(options, Box::new(writer), notify)?;
        Ok(RunningScan {
            job,
            scan_id,
            store,
            catalog,
            resumes,
            actor,
        })
    }
}

impl RunningScan {
    /// Records how the scan ended (status and counters, in the case and
    /// its audit log).
    pub fn finish(self, result: Result<ScanSummary, ScanError>) -> FinishedScan {
        let (status, summary) = match &result {
            Ok(s) => (ScanStatus::Complete, Some(s)),
            Err(ScanError::Cancelled { summary }) => (ScanStatus::Cancelled, Some(&**summary)),
            Err(_) => (ScanStatus::Failed, None),
        };
        let counters = summary.map_or(serde_json::Value::Null, |s| {
            serde_json::json!({
                "entries": s.entries, "files_hashed": s.files_hashed, "bytes_hashed": s.bytes_hashed,
                "not_hashed": s.not_hashed, "errors": s.errors, "alerts": s.alerts,
                "known_good": s.known_good, "mismatches": s.mismatches,
                "changed_during_read": s.changed_during_read, "elapsed_s": s.elapsed.as_secs_f64(),
            })
        });
        // (Near-duplicate groups were redone by the case writer, on the
        // scan's own thread, once its records were in.)
        let recorded = self
            .store
            .finish_scan(self.scan_id, status, &counters, &self.actor);
        FinishedScan {
            store: self.store,
            status,
            result,
            recorded,
        }
    }
}
