//! What `ferret case verify` proves, and how reports anchor it.
//!
//! The audit log is a hash chain: editing or deleting a row breaks it. But
//! a chain kept inside the file can be recomputed by whoever edits the
//! file, and results (files, hits, flags) were never in it. So:
//! - every scan's end (and a scan found interrupted) records in its audit
//!   row a BLAKE3 digest of what the case then holds for that evidence
//!   item: every file row, hit and flag ([`results_digest`]);
//! - every review change's audit row carries the value it set, so the
//!   review table can be replayed from the log;
//! - [`CaseStore::verify`] recomputes the chain, each evidence item's
//!   results digest against its latest record, and the replayed review;
//! - every report carries the **anchor**: the number and hash of the last
//!   audit row that is not a report export ([`CaseStore::audit_anchor`]),
//!   outside the case (HTML, JSON, manifest). A case edited after a report
//!   was issued, even with its chain recomputed, no longer has that hash
//!   at that row: `ferret case verify CASE --report DIR` says so.
//!
//! What it does not prove: that the case was never edited before any
//! report was made or anchor written down (keep the anchor of the field
//! report), nor anything about rows changed by a later scan of the same
//! evidence (the newest record is what is checked).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::{CaseError, CaseStore, audit};

/// A digest of what the case holds for one evidence item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ResultsDigest {
    /// BLAKE3 over every file row, hit and flag, in path order (hex).
    pub blake3: String,
    /// File rows.
    pub files: u64,
    /// Hits.
    pub hits: u64,
    /// Flags.
    pub flags: u64,
}

/// Feeds one field, length-prefixed so no two rows hash alike by accident.
fn field(h: &mut blake3::Hasher, v: rusqlite::types::ValueRef<'_>) {
    use rusqlite::types::ValueRef as V;
    let (tag, bytes): (u8, Vec<u8>) = match v {
        V::Null => (0, Vec::new()),
        V::Integer(i) => (1, i.to_le_bytes().to_vec()),
        V::Real(f) => (2, f.to_le_bytes().to_vec()),
        V::Text(t) => (3, t.to_vec()),
        V::Blob(b) => (4, b.to_vec()),
    };
    h.update(&[tag]);
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(&bytes);
}

/// Hashes every row `sql` returns (bound to `evidence`); returns the count.
fn hash_rows(
    conn: &Connection,
    sql: &str,
    evidence: i64,
    h: &mut blake3::Hasher,
) -> Result<u64, CaseError> {
    let mut st = conn.prepare(sql)?;
    let n = st.column_count();
    let mut rows = st.query([evidence])?;
    let mut count = 0u64;
    while let Some(r) = rows.next()? {
        for i in 0..n {
            field(h, r.get_ref(i)?);
        }
        count += 1;
    }
    Ok(count)
}

/// The digest of every file row, hit and flag of `evidence`.
pub(crate) fn results_digest(conn: &Connection, evidence: i64) -> Result<ResultsDigest, CaseError> {
    let mut h = blake3::Hasher::new();
    h.update(b"ferret results v1\0");
    let files = hash_rows(
        conn,
        "SELECT path, kind, status, size, mtime_ns, md5, sha1, sha256, blake3, bytes_read, mime,
                media, mismatch, changed_during_read, reason, verdict, link_target
         FROM files WHERE evidence_id = ?1 ORDER BY path",
        evidence,
        &mut h,
    )?;
    // Windows attributes (schema 3) join the digest only where a row has
    // them, so a case made before them keeps the digest it was sealed with.
    let mut attrs = blake3::Hasher::new();
    let with_attributes = hash_rows(
        conn,
        "SELECT path, attributes FROM files WHERE evidence_id = ?1 AND attributes IS NOT NULL ORDER BY path",
        evidence,
        &mut attrs,
    )?;
    if with_attributes > 0 {
        h.update(b"\0attributes\0");
        h.update(attrs.finalize().as_bytes());
    }
    h.update(b"\0hits\0");
    let hits = hash_rows(
        conn,
        "SELECT f.path, s.name, h.kind, h.algorithm, h.entry, h.category, h.entry_name, h.media_id
         FROM hits h JOIN files f ON f.id = h.file_id JOIN hash_sets s ON s.id = h.hash_set_id
         WHERE f.evidence_id = ?1
         ORDER BY f.path, s.name, h.entry, h.algorithm, h.kind",
        evidence,
        &mut h,
    )?;
    h.update(b"\0flags\0");
    let flags = hash_rows(
        conn,
        "SELECT f.path, g.reason, g.detail FROM flags g JOIN files f ON f.id = g.file_id
         WHERE f.evidence_id = ?1 ORDER BY f.path, g.reason",
        evidence,
        &mut h,
    )?;
    Ok(ResultsDigest {
        blake3: h.finalize().to_hex().to_string(),
        files,
        hits,
        flags,
    })
}

/// Where a report anchors the audit log: the last row that is not a report
/// export (exports change nothing in the case, so two reports of an
/// unchanged case carry the same anchor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditAnchor {
    /// The row's number (1-based).
    pub row: i64,
    /// The row's hash (BLAKE3 chain, hex).
    pub hash: String,
    /// Rows in the log now (report exports included).
    pub rows: u64,
}

/// One check of [`CaseStore::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub what: String,
    /// `None`: it holds; else what is wrong.
    pub problem: Option<String>,
}

/// Everything `ferret case verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Each check, in order: the chain, each evidence item's results, the
    /// review, and (when asked) a report's anchor.
    pub checks: Vec<Check>,
}

impl Verification {
    /// True when every check holds.
    pub fn intact(&self) -> bool {
        self.checks.iter().all(|c| c.problem.is_none())
    }
}

impl CaseStore {
    /// The digest of what the case holds for `evidence` now (what a scan's
    /// end records).
    pub fn results_digest(&self, evidence: i64) -> Result<ResultsDigest, CaseError> {
        results_digest(&self.conn, evidence)
    }

    /// Audit rows after `row` that change what the case holds or says
    /// (everything but report exports and preview reveals), as
    /// `action × count`: what happened after a report was made.
    pub fn changes_after(&self, row: i64) -> Result<Vec<(String, u64)>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT action, count(*) FROM audit WHERE id > ?1
               AND action NOT IN ('report_exported', 'preview_reveal')
             GROUP BY action ORDER BY min(id)",
        )?;
        let rows = st.query_map([row], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The anchor a report carries (see the module doc).
    pub fn audit_anchor(&self) -> Result<AuditAnchor, CaseError> {
        let rows: i64 = self
            .conn
            .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?;
        let last: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, hash FROM audit WHERE action <> 'report_exported' ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (row, hash) = last.unwrap_or((0, "0".repeat(64)));
        Ok(AuditAnchor {
            row,
            hash,
            rows: rows.max(0) as u64,
        })
    }

    /// Recomputes the chain, each evidence item's results digest against
    /// its latest record, and the review table from the log; with `anchor`
    /// (from a report), checks the case still has that row and hash.
    pub fn verify(&self, anchor: Option<(i64, &str)>) -> Result<Verification, CaseError> {
        let mut checks = Vec::new();
        // Every page, and every index against its table (quick_check, run
        // at open, does not compare index contents: an index edited to
        // hide alerts would pass it).
        let mut problems: Vec<String> = Vec::new();
        {
            let mut st = self.conn.prepare("PRAGMA integrity_check(20)")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let line: String = r.get(0)?;
                if line != "ok" {
                    problems.push(crate::pathfmt::escape_text(&line));
                }
            }
        }
        checks.push(Check {
            what: "database pages and indexes (SQLite integrity_check)".into(),
            problem: (!problems.is_empty()).then(|| problems.join("; ")),
        });
        let chain = audit::verify(&self.conn)?;
        checks.push(Check {
            what: "audit log hash chain".into(),
            problem: chain.as_ref().err().map(ToString::to_string),
        });
        let log = audit::rows(&self.conn)?;
        // Results: the newest recorded digest of each evidence item.
        let mut latest: BTreeMap<i64, (i64, ResultsDigest)> = BTreeMap::new();
        for row in &log {
            if row.action != "scan_finished" && row.action != "scan_interrupted" {
                continue;
            }
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&row.detail) else {
                continue;
            };
            let ev = v.get("evidence").and_then(serde_json::Value::as_i64);
            let (Some(ev), Some(res)) = (ev, v.get("results")) else {
                continue;
            };
            if let Ok(d) = serde_json::from_value::<ResultsDigest>(res.clone()) {
                latest.insert(ev, (row.id, d));
            }
        }
        for ev in self.evidence()? {
            let what = format!(
                "results of evidence item {} (exhibit {})",
                ev.id, ev.exhibit
            );
            let problem = match latest.get(&ev.id) {
                None => Some(
                    "no results digest recorded (a scan from an older Ferret, or none finished)"
                        .into(),
                ),
                Some((row, want)) => {
                    let now = results_digest(&self.conn, ev.id)?;
                    (now != *want).then(|| {
                        format!(
                            "changed since audit row {row}: recorded {} files, {} hits, {} flags, \
                             BLAKE3 {}; now {} files, {} hits, {} flags, BLAKE3 {}",
                            want.files,
                            want.hits,
                            want.flags,
                            want.blake3,
                            now.files,
                            now.hits,
                            now.flags,
                            now.blake3
                        )
                    })
                }
            };
            checks.push(Check { what, problem });
        }
        checks.push(Check {
            what: "review marks replayed from the audit log".into(),
            problem: self.review_matches_log(&log)?,
        });
        if let Some((row, hash)) = anchor {
            let found: Option<String> = self
                .conn
                .query_row("SELECT hash FROM audit WHERE id = ?1", [row], |r| r.get(0))
                .optional()?;
            checks.push(Check {
                what: format!("the report's anchor (audit row {row})"),
                problem: match found {
                    Some(h) if h == hash => None,
                    Some(h) => Some(format!(
                        "the case has another hash at row {row} ({h}): it was edited after the report"
                    )),
                    None => Some(format!(
                        "the case has no audit row {row}: it was edited after the report"
                    )),
                },
            });
        }
        Ok(Verification { checks })
    }

    /// `None` when the review table equals the replay of the review rows of
    /// the log; else the first difference.
    fn review_matches_log(&self, log: &[audit::AuditRow]) -> Result<Option<String>, CaseError> {
        #[derive(Default, PartialEq, Debug)]
        struct Mark {
            status: String,
            bookmark: bool,
            note: String,
            category: Option<i64>,
        }
        let mut replay: BTreeMap<i64, Mark> = BTreeMap::new();
        for row in log {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&row.detail) else {
                continue;
            };
            let file = v.get("file").and_then(serde_json::Value::as_i64);
            let value = v.get("value").and_then(serde_json::Value::as_str);
            let (Some(file), Some(value)) = (file, value) else {
                continue;
            };
            let mark = replay.entry(file).or_insert_with(|| Mark {
                status: "unreviewed".into(),
                ..Default::default()
            });
            match row.action.as_str() {
                "review_status" => mark.status = value.into(),
                "review_bookmark" => mark.bookmark = value == "on",
                "review_note" => mark.note = value.into(),
                "review_category" => mark.category = value.parse().ok(),
                _ => {}
            }
        }
        let mut st = self.conn.prepare(
            "SELECT file_id, status, bookmark, note, category FROM review ORDER BY file_id",
        )?;
        let table: BTreeMap<i64, Mark> = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Mark {
                        status: r.get(1)?,
                        bookmark: r.get::<_, i64>(2)? != 0,
                        note: r.get(3)?,
                        // Not an integer in a crafted case: a mark no log
                        // row sets, so the check reports it (not a
                        // database error).
                        category: match r.get_ref(4)? {
                            rusqlite::types::ValueRef::Null => None,
                            rusqlite::types::ValueRef::Integer(i) => Some(i),
                            _ => Some(i64::MIN),
                        },
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        for (file, want) in &replay {
            match table.get(file) {
                Some(got) if got == want => {}
                Some(got) => {
                    return Ok(Some(format!(
                        "item {file}: the log says {want:?}, the case says {got:?}"
                    )));
                }
                None => {
                    return Ok(Some(format!(
                        "item {file}: marked in the log, not in the case"
                    )));
                }
            }
        }
        if let Some(file) = table.keys().find(|f| !replay.contains_key(f)) {
            return Ok(Some(format!(
                "item {file}: marked in the case, not in the log"
            )));
        }
        Ok(None)
    }
}
