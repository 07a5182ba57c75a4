//! Scans of a case: their rows (settings, status, counters), how a scan
//! starts and ends, what a resume may skip, and scans found `running` by a
//! process that is gone.

use std::collections::HashMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{CaseError, CaseStore, audit};
use crate::evidence::UtcTime;
use crate::hashsets::HashSetCatalog;
use crate::job::{ResumeSet, ScanSettings};

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

impl CaseStore {
    /// The evidence item a scan read, and what the case now holds of it.
    fn results_of_scan(
        &self,
        scan: i64,
    ) -> Result<(i64, super::integrity::ResultsDigest), CaseError> {
        let evidence: i64 =
            self.conn
                .query_row("SELECT evidence_id FROM scans WHERE id = ?1", [scan], |r| {
                    r.get(0)
                })?;
        Ok((
            evidence,
            super::integrity::results_digest(&self.conn, evidence)?,
        ))
    }

    pub(super) fn mark_interrupted(&self) -> Result<(), CaseError> {
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
            let (evidence, results) = self.results_of_scan(id)?;
            audit::append(
                &self.conn,
                "ferret",
                "scan_interrupted",
                &serde_json::json!({"scan": id, "evidence": evidence, "results": results})
                    .to_string(),
            )?;
        }
        Ok(())
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
        // IMMEDIATE: two front ends resuming the same scan at once cannot
        // both pass the check below.
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let out = self.begin_scan_in(evidence_id, options, catalog, resumes, actor);
        match out {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
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
            // Still the newest scan, and still unfinished: else another
            // resume took it first.
            let changed = self.conn.execute(
                "UPDATE scans SET status = 'superseded' WHERE id = ?1
                   AND status IN ('cancelled', 'interrupted', 'failed')
                   AND id = (SELECT max(id) FROM scans)",
                [old],
            )?;
            if changed != 1 {
                return Err(CaseError::NotResumable(old));
            }
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
        // What the case holds for this evidence now, so `case verify` can
        // tell whether results were changed afterwards.
        let (evidence, results) = self.results_of_scan(scan)?;
        audit::append(
            &self.conn,
            actor,
            "scan_finished",
            &serde_json::json!({"scan": scan, "evidence": evidence, "status": status.as_str(),
                                "counters": counters, "results": results})
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
    ///
    /// Only rows written by `scan` and the scans it continued count: a row an
    /// earlier, separate scan of the same evidence wrote was matched against
    /// other sets and may lack digests these sets need, so it is read again.
    pub fn resume_set(&self, evidence_id: i64, scan: i64) -> Result<ResumeSet, CaseError> {
        let mut st = self.conn.prepare(
            "WITH RECURSIVE chain(id) AS (
                 SELECT ?2 UNION SELECT s.resumes FROM scans s JOIN chain c ON s.id = c.id
                 WHERE s.resumes IS NOT NULL)
             SELECT path, size, mtime_ns, status FROM files
             WHERE evidence_id = ?1 AND scan_id IN (SELECT id FROM chain)",
        )?;
        let mut map = HashMap::new();
        let rows = st.query_map([evidence_id, scan], |r| {
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
}
