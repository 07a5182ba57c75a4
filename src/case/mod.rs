//! The case file: one SQLite database per case, written in the field and
//! reopened in the lab.
//!
//! - `application_id` "FRRT" and `user_version` mark it; a file that is not
//!   a case, is from a newer Ferret, or is damaged is refused with a clear
//!   message, after being opened read-only, so it is never modified.
//! - WAL journal: readers (GUI, reports) never block the single writer.
//! - Files are keyed by (evidence, raw path): a resumed scan replaces, never
//!   duplicates.
//! - Every change that matters is an audit row in a hash chain ([`audit`]).

pub mod audit;
pub mod queries;
pub mod review;
pub mod schema;
pub mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::evidence::{MountState, UtcTime};
use crate::hashsets::HashSetCatalog;
use crate::job::{ResumeSet, ScanSettings};
use crate::pathfmt::{escape_path, path_bytes};

pub use queries::{AlertCategoryCount, HashSetUsed, ReportRow, Scope, UnreadableItem};
pub use writer::CaseWriter;

/// Why a case could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The file is not a Ferret case.
    #[error("{}: not a Ferret case file", .0.display())]
    NotACase(PathBuf),
    /// Written by a newer Ferret.
    #[error("{}: case schema version {found} is newer than this Ferret supports ({supported}); use a newer Ferret", path.display())]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i32,
        /// Ours.
        supported: i32,
    },
    /// Damaged or unreadable.
    #[error("{}: the case file is damaged or unreadable: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        reason: String,
    },
    /// Creating a case over an existing file.
    #[error("{}: a file already exists there", .0.display())]
    Exists(PathBuf),
    /// No such file.
    #[error("{}: no such case file", .0.display())]
    Missing(PathBuf),
    /// Any other database error.
    #[error("case database: {0}")]
    Db(#[from] rusqlite::Error),
    /// Asked for something the case does not hold.
    #[error("{0}")]
    NotFound(String),
    /// A case needs a number.
    #[error("a case number is required")]
    CaseNumberRequired,
    /// The case file could not be created.
    #[error(transparent)]
    Create(crate::evidence::GuardError),
}

/// Who the case belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInfo {
    /// Case number (required).
    pub case_number: String,
    /// Title.
    pub title: String,
    /// Examiner name.
    pub examiner: String,
    /// Examiner id / badge.
    pub examiner_id: String,
    /// Agency.
    pub agency: String,
    /// Notes.
    pub notes: String,
    /// Time zone for display (IANA name); storage is always UTC.
    pub display_tz: String,
}

/// An evidence item of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// Row id.
    pub id: i64,
    /// Exhibit number.
    pub exhibit: String,
    /// Description.
    pub description: String,
    /// Root folder as given (raw bytes).
    pub root: PathBuf,
    /// Read-only as detected (None: unknown).
    pub read_only: Option<bool>,
    /// Filesystem type, device and mount options as detected.
    pub mount: Option<crate::evidence::MountInfo>,
}

/// A scan of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRecord {
    /// Row id.
    pub id: i64,
    /// Evidence scanned.
    pub evidence_id: i64,
    /// Settings as stored (JSON; read with [`ScanRecord::settings`]).
    pub options: String,
    /// Start, UTC.
    pub started: String,
    /// End, UTC.
    pub finished: Option<String>,
    /// How it stands.
    pub status: ScanStatus,
    /// Tool version.
    pub tool_version: String,
    /// Counters as JSON.
    pub counters: Option<String>,
    /// The command line that ran the scan.
    pub command_line: String,
    /// Source revision of the Ferret build that ran it.
    pub tool_build: String,
}

/// How a scan stands, as stored in `scans.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// Running now, or its process died and nobody has opened the case since.
    Running,
    /// Every entry was examined.
    Complete,
    /// Stopped by the examiner; what was done is kept.
    Cancelled,
    /// Its process ended without finishing (found when the case was opened).
    Interrupted,
    /// Ended by an error.
    Failed,
    /// Continued by a later scan (a resume): nothing left to resume here.
    Superseded,
}

impl ScanStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Running => "running",
            ScanStatus::Complete => "complete",
            ScanStatus::Cancelled => "cancelled",
            ScanStatus::Interrupted => "interrupted",
            ScanStatus::Failed => "failed",
            ScanStatus::Superseded => "superseded",
        }
    }

    /// A scan in this state can be continued by a resume.
    pub fn resumable(self) -> bool {
        matches!(
            self,
            ScanStatus::Cancelled | ScanStatus::Interrupted | ScanStatus::Failed
        )
    }
}

impl std::fmt::Display for ScanStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ScanStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "running" => ScanStatus::Running,
            "complete" => ScanStatus::Complete,
            "cancelled" => ScanStatus::Cancelled,
            "interrupted" => ScanStatus::Interrupted,
            "failed" => ScanStatus::Failed,
            "superseded" => ScanStatus::Superseded,
            other => return Err(format!("unknown scan status {other:?}")),
        })
    }
}

impl rusqlite::types::FromSql for ScanStatus {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        v.as_str()?
            .parse()
            .map_err(|e: String| rusqlite::types::FromSqlError::Other(e.into()))
    }
}

impl ScanRecord {
    /// The settings the scan ran with.
    pub fn settings(&self) -> Result<ScanSettings, crate::job::SettingsError> {
        ScanSettings::from_json(&self.options)
    }
}

/// What a case holds (fields in name order: reports serialise them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CaseCounts {
    /// Files with an alert hit.
    pub alerts: u64,
    /// Bytes hashed.
    pub bytes: u64,
    /// Entries recorded.
    pub entries: u64,
    /// Entries that could not be read.
    pub errors: u64,
    /// Files hashed.
    pub hashed: u64,
    /// Files with only known-good hits.
    pub known_good: u64,
    /// Extension mismatches.
    pub mismatches: u64,
    /// Entries recorded without hashing.
    pub not_hashed: u64,
}

/// An open case.
pub struct CaseStore {
    conn: Connection,
    path: PathBuf,
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn user_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn process_alive(pid: i64) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        match rustix::process::test_kill_process(pid) {
            Ok(()) => true,
            Err(e) => e == rustix::io::Errno::PERM,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Inspects a file read-only: is it a case, of a version we read, intact?
fn check(path: &Path) -> Result<i32, CaseError> {
    let version = check_header(path)?;
    check_integrity(path)?;
    Ok(version)
}

/// Is it a case of a version we read? (Reads the header only.)
fn check_header(path: &Path) -> Result<i32, CaseError> {
    if !path.exists() {
        return Err(CaseError::Missing(path.to_path_buf()));
    }
    let corrupt = |e: rusqlite::Error| CaseError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(corrupt)?;
    let app: i32 = match conn.query_row("PRAGMA application_id", [], |r| r.get(0)) {
        Ok(a) => a,
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(CaseError::NotACase(path.to_path_buf()));
        }
        Err(e) => return Err(corrupt(e)),
    };
    if app != schema::APPLICATION_ID {
        return Err(CaseError::NotACase(path.to_path_buf()));
    }
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(corrupt)?;
    if version > schema::SCHEMA_VERSION {
        return Err(CaseError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: schema::SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// SQLite's `quick_check` over the whole file, read-only (it reads every
/// page: seconds for a cold 1M-file case).
fn check_integrity(path: &Path) -> Result<(), CaseError> {
    let corrupt = |reason: String| CaseError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| corrupt(e.to_string()))?;
    let ok: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(|e| corrupt(e.to_string()))?;
    if ok != "ok" {
        return Err(corrupt(ok));
    }
    Ok(())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
}

impl CaseStore {
    /// Creates a new case file (never over an existing file).
    /// The name is never followed: a link there (even a dangling one) is
    /// refused like any existing file. Callers that know the evidence
    /// check the path with [`crate::evidence::guard`] first.
    pub fn create(path: &Path, info: &CaseInfo, actor: &str) -> Result<CaseStore, CaseError> {
        if info.case_number.trim().is_empty() {
            return Err(CaseError::CaseNumberRequired);
        }
        // O_EXCL: an existing name, file or link, is never opened through.
        crate::evidence::guard::create_output(path, &[], false).map_err(|e| match e {
            crate::evidence::GuardError::Exists(p) => CaseError::Exists(p),
            other => CaseError::Create(other),
        })?;
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA application_id = {};",
            schema::APPLICATION_ID
        ))?;
        let tx = conn.transaction()?;
        for m in schema::MIGRATIONS {
            tx.execute_batch(m)?;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {}", schema::SCHEMA_VERSION))?;
        tx.execute(
            "INSERT INTO case_info (id, case_number, title, examiner, examiner_id, agency, notes, display_tz, created)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                info.case_number,
                info.title,
                info.examiner,
                info.examiner_id,
                info.agency,
                info.notes,
                if info.display_tz.is_empty() { "UTC" } else { &info.display_tz },
                UtcTime::now().to_iso8601()
            ],
        )?;
        let detail = serde_json::to_string(info).unwrap_or_default();
        audit::append(&tx, actor, "case_created", &detail)?;
        tx.commit()?;
        Ok(CaseStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing case for reading and writing. Scans left `running`
    /// by a process that is gone are marked `interrupted`.
    pub fn open(path: &Path) -> Result<CaseStore, CaseError> {
        check(path)?;
        Self::open_checked(path)
    }

    /// Checks the whole case file read-only (what [`CaseStore::open`] does
    /// before writing anything). For a front end that shows a case at once
    /// with [`CaseStore::open_read_only_unverified`], runs this on another
    /// thread, then reopens with [`CaseStore::open_checked`].
    pub fn verify_integrity(path: &Path) -> Result<(), CaseError> {
        check_integrity(path)
    }

    /// [`CaseStore::open`] of a file [`CaseStore::verify_integrity`] passed:
    /// checks the header again, not every page.
    pub fn open_checked(path: &Path) -> Result<CaseStore, CaseError> {
        let version = check_header(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        if (version as usize) < schema::MIGRATIONS.len() {
            // Foreign keys off while tables are rebuilt (it cannot change
            // inside a transaction), checked before each commit.
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
            for (i, m) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
                let tx = conn.unchecked_transaction()?;
                tx.execute_batch(m)?;
                let broken: Option<String> = tx
                    .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                    .optional()?;
                if let Some(table) = broken {
                    return Err(CaseError::Corrupt {
                        path: path.to_path_buf(),
                        reason: format!("migration {} breaks a reference in {table}", i + 1),
                    });
                }
                tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
                tx.commit()?;
            }
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        let store = CaseStore {
            conn,
            path: path.to_path_buf(),
        };
        store.mark_interrupted()?;
        Ok(store)
    }

    /// A second connection to this (already checked) case, for a worker
    /// thread such as a report export while the GUI keeps its own.
    pub fn second_connection(&self) -> Result<CaseStore, CaseError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        Ok(CaseStore {
            conn,
            path: self.path.clone(),
        })
    }

    /// Opens a case read-only after checking its header only: for showing
    /// it at once while [`CaseStore::verify_integrity`] runs elsewhere.
    /// Queries on damaged pages fail with an error, never write.
    pub fn open_read_only_unverified(path: &Path) -> Result<CaseStore, CaseError> {
        check_header(path)?;
        Self::read_only_conn(path)
    }

    /// Opens an existing case read-only (reports, `case info`, `case verify`).
    pub fn open_read_only(path: &Path) -> Result<CaseStore, CaseError> {
        check(path)?;
        Self::read_only_conn(path)
    }

    fn read_only_conn(path: &Path) -> Result<CaseStore, CaseError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(CaseStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn mark_interrupted(&self) -> Result<(), CaseError> {
        let host = host_name();
        let mut st = self
            .conn
            .prepare("SELECT id, pid, host FROM scans WHERE status = 'running'")?;
        let stale: Vec<i64> = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .filter_map(Result::ok)
            .filter(|(_, pid, h)| *h == host && !pid.is_some_and(process_alive))
            .map(|(id, _, _)| id)
            .collect();
        for id in stale {
            self.conn.execute(
                "UPDATE scans SET status = 'interrupted' WHERE id = ?1",
                [id],
            )?;
            audit::append(
                &self.conn,
                "ferret",
                "scan_interrupted",
                &format!("{{\"scan\":{id}}}"),
            )?;
        }
        Ok(())
    }

    /// The case file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for tests and benchmarks that build a
    /// case directly; everything else asks the typed queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Case details.
    pub fn info(&self) -> Result<CaseInfo, CaseError> {
        Ok(self.conn.query_row(
            "SELECT case_number, title, examiner, examiner_id, agency, notes, display_tz FROM case_info WHERE id = 1",
            [],
            |r| {
                Ok(CaseInfo {
                    case_number: r.get(0)?,
                    title: r.get(1)?,
                    examiner: r.get(2)?,
                    examiner_id: r.get(3)?,
                    agency: r.get(4)?,
                    notes: r.get(5)?,
                    display_tz: r.get(6)?,
                })
            },
        )?)
    }

    /// Adds an evidence item (or returns the existing one for the same root
    /// and exhibit).
    pub fn add_evidence(
        &self,
        exhibit: &str,
        description: &str,
        root: &Path,
        mount: Option<MountState>,
        actor: &str,
    ) -> Result<i64, CaseError> {
        // Stored as its real absolute path: reports name files as the OS
        // does, and a resume works from any working folder.
        let real = std::fs::canonicalize(root)
            .or_else(|_| std::path::absolute(root))
            .unwrap_or_else(|_| root.to_path_buf());
        let root = real.as_path();
        let bytes = path_bytes(root);
        if let Some(id) = self
            .conn
            .query_row(
                "SELECT id FROM evidence WHERE root_path = ?1 AND exhibit = ?2",
                params![bytes, exhibit],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(id);
        }
        let fs = crate::evidence::mount_info(root);
        self.conn.execute(
            "INSERT INTO evidence (exhibit, description, root_path, root_text, fs_type, device, mount_options, read_only, added)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                exhibit,
                description,
                bytes,
                escape_path(root),
                fs.as_ref().map(|f| f.fs_type.clone()),
                fs.as_ref().map(|f| f.device.clone()),
                fs.as_ref().map(|f| f.options.clone()),
                mount.map(|m| m.read_only),
                UtcTime::now().to_iso8601()
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        let detail = serde_json::json!({"evidence": id, "exhibit": exhibit, "root": escape_path(root),
            "read_only": mount.map(|m| m.read_only)});
        audit::append(&self.conn, actor, "evidence_added", &detail.to_string())?;
        Ok(id)
    }

    /// Evidence items.
    pub fn evidence(&self) -> Result<Vec<EvidenceRecord>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT id, exhibit, description, root_path, read_only, fs_type, device, mount_options FROM evidence ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(EvidenceRecord {
                id: r.get(0)?,
                exhibit: r.get(1)?,
                description: r.get(2)?,
                root: crate::pathfmt::path_from_bytes(r.get(3)?),
                read_only: r.get(4)?,
                mount: r
                    .get::<_, Option<String>>(5)?
                    .map(|fs_type| crate::evidence::MountInfo {
                        fs_type,
                        device: r
                            .get::<_, Option<String>>(6)
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                        options: r
                            .get::<_, Option<String>>(7)
                            .ok()
                            .flatten()
                            .unwrap_or_default(),
                        mount_point: String::new(),
                    }),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Starts a scan row (status `running`) and records the hash sets used.
    /// A scan that `resumes` another marks that one `superseded`, in the
    /// same transaction: it is continued here and never resumed again.
    /// Returns the scan id and the case ids of the sets (catalog order).
    pub fn begin_scan(
        &self,
        evidence_id: i64,
        options: &ScanSettings,
        catalog: &HashSetCatalog,
        resumes: Option<i64>,
        actor: &str,
    ) -> Result<(i64, Vec<i64>), CaseError> {
        let tx = self.conn.unchecked_transaction()?;
        let out = self.begin_scan_in(evidence_id, options, catalog, resumes, actor)?;
        tx.commit()?;
        Ok(out)
    }

    fn begin_scan_in(
        &self,
        evidence_id: i64,
        options: &ScanSettings,
        catalog: &HashSetCatalog,
        resumes: Option<i64>,
        actor: &str,
    ) -> Result<(i64, Vec<i64>), CaseError> {
        if let Some(old) = resumes {
            self.conn.execute(
                "UPDATE scans SET status = 'superseded' WHERE id = ?1",
                [old],
            )?;
        }
        let opts = options.to_json();
        let cmd: Vec<String> = std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        self.conn.execute(
            "INSERT INTO scans (evidence_id, options, started, host, os, user, tool_version, command_line, status, pid, resumes, tool_build)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10, ?11)",
            params![
                evidence_id,
                opts,
                UtcTime::now().to_iso8601(),
                host_name(),
                format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
                user_name(),
                crate::VERSION,
                cmd.join(" "),
                std::process::id(),
                resumes,
                crate::BUILD
            ],
        )?;
        let scan = self.conn.last_insert_rowid();
        if let Some(old) = resumes {
            audit::append(
                &self.conn,
                actor,
                "scan_superseded",
                &serde_json::json!({"scan": old, "by": scan}).to_string(),
            )?;
        }
        audit::append(
            &self.conn,
            actor,
            "scan_started",
            &serde_json::json!({"scan": scan, "evidence": evidence_id, "options": options, "resumes": resumes}).to_string(),
        )?;
        let mut ids = Vec::new();
        for (i, set) in catalog.sets().iter().enumerate() {
            let p = set.provenance();
            self.conn.execute(
                "INSERT INTO hash_sets (scan_id, position, name, kind, provenance) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![scan, i as i64, p.name, p.kind.as_str(), serde_json::to_string(p).unwrap_or_default()],
            )?;
            ids.push(self.conn.last_insert_rowid());
            audit::append(
                &self.conn,
                actor,
                "hash_set_used",
                &serde_json::json!({"scan": scan, "set": p.name, "kind": p.kind, "source_sha256": p.source_sha256, "entries": p.entries}).to_string(),
            )?;
        }
        Ok((scan, ids))
    }

    /// Ends a scan with its status and counters.
    pub fn finish_scan(
        &self,
        scan: i64,
        status: ScanStatus,
        counters: &serde_json::Value,
        actor: &str,
    ) -> Result<(), CaseError> {
        self.conn.execute(
            "UPDATE scans SET status = ?1, finished = ?2, counters = ?3 WHERE id = ?4",
            params![
                status.as_str(),
                UtcTime::now().to_iso8601(),
                counters.to_string(),
                scan
            ],
        )?;
        audit::append(
            &self.conn,
            actor,
            "scan_finished",
            &serde_json::json!({"scan": scan, "status": status.as_str(), "counters": counters})
                .to_string(),
        )
    }

    /// All scans, oldest first.
    pub fn scans(&self) -> Result<Vec<ScanRecord>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT id, evidence_id, options, started, finished, status, tool_version, counters, command_line,
                    tool_build FROM scans ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(ScanRecord {
                id: r.get(0)?,
                evidence_id: r.get(1)?,
                options: r.get(2)?,
                started: r.get(3)?,
                finished: r.get(4)?,
                status: r.get(5)?,
                tool_version: r.get(6)?,
                counters: r.get(7)?,
                command_line: r.get(8)?,
                tool_build: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What is already recorded for an evidence item, for `--resume`.
    pub fn resume_set(&self, evidence_id: i64) -> Result<ResumeSet, CaseError> {
        let mut st = self
            .conn
            .prepare("SELECT path, size, mtime_ns, status FROM files WHERE evidence_id = ?1")?;
        let mut map = HashMap::new();
        let rows = st.query_map([evidence_id], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        for row in rows {
            let (path, size, mtime, status) = row?;
            // Entries that failed are tried again.
            if status != "error" {
                map.insert(path, (size.map(|s| s as u64), mtime));
            }
        }
        Ok(ResumeSet::new(map))
    }

    /// What the case holds, for `case info` and reports (of one evidence
    /// item, or of all).
    pub fn counts(&self, evidence_id: Option<i64>) -> Result<CaseCounts, CaseError> {
        let q = "SELECT count(*), coalesce(sum(status='hashed'),0), coalesce(sum(status='not_hashed'),0),
                    coalesce(sum(status='error'),0), coalesce(sum(verdict='alert'),0),
                    coalesce(sum(verdict='known_good'),0), coalesce(sum(mismatch),0),
                    coalesce(sum(CASE WHEN status='hashed' THEN size ELSE 0 END),0)
             FROM files WHERE ?1 IS NULL OR evidence_id = ?1";
        Ok(self.conn.query_row(q, [evidence_id], |r| {
            let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
            Ok(CaseCounts {
                entries: n(0)?,
                hashed: n(1)?,
                not_hashed: n(2)?,
                errors: n(3)?,
                alerts: n(4)?,
                known_good: n(5)?,
                mismatches: n(6)?,
                bytes: n(7)?,
            })
        })?)
    }

    /// Appends an audit row.
    pub fn audit(&self, actor: &str, action: &str, detail: &str) -> Result<(), CaseError> {
        audit::append(&self.conn, actor, action, detail)
    }

    /// Recomputes the audit chain.
    pub fn verify_audit(&self) -> Result<Result<u64, audit::BrokenLink>, CaseError> {
        audit::verify(&self.conn)
    }
}
