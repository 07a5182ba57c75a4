//! The flat projection of a case that every export reads: one row per
//! entry, streamed from the case file in path order (reports are built from
//! the case only, so the same case always gives the same report).

use rusqlite::Row;

use crate::case::{CaseError, CaseStore};

/// Which entries a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Items with a flag (alert, info, mismatch, changed during read).
    Flagged,
    /// Items a reviewer marked (any status but unreviewed, or bookmarked).
    Reviewed,
    /// Every entry.
    All,
}

impl Scope {
    /// Parses `flagged`, `reviewed` or `all`.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "flagged" => Some(Scope::Flagged),
            "reviewed" => Some(Scope::Reviewed),
            "all" => Some(Scope::All),
            _ => None,
        }
    }

    fn clause(self) -> &'static str {
        match self {
            Scope::Flagged => "WHERE f.id IN (SELECT file_id FROM flags)",
            Scope::Reviewed => {
                "WHERE r.status IS NOT NULL AND (r.status != 'unreviewed' OR r.bookmark = 1)"
            }
            Scope::All => "",
        }
    }
}

/// One entry of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// File id in the case.
    pub id: i64,
    /// Exhibit number.
    pub exhibit: String,
    /// Evidence root (escaped).
    pub root: String,
    /// Path relative to the root (escaped, reversible).
    pub path: String,
    /// Entry kind.
    pub kind: Option<String>,
    /// Size.
    pub size: Option<i64>,
    /// MACB times as ISO 8601 UTC.
    pub mtime: Option<String>,
    /// Accessed.
    pub atime: Option<String>,
    /// Changed.
    pub ctime: Option<String>,
    /// Created.
    pub crtime: Option<String>,
    /// Digests as lower-case hex.
    pub md5: Option<String>,
    /// SHA-1.
    pub sha1: Option<String>,
    /// SHA-256.
    pub sha256: Option<String>,
    /// BLAKE3.
    pub blake3: Option<String>,
    /// Detected type.
    pub mime: Option<String>,
    /// Extension disagrees with type.
    pub mismatch: bool,
    /// hashed / not_hashed / error.
    pub status: String,
    /// Why not hashed, or the error.
    pub reason: Option<String>,
    /// Match reasons: `set (kind, category N, entry E, name)`; `; `-joined.
    pub matches: String,
    /// Flags (`alert,mismatch`).
    pub flags: String,
    /// Review status.
    pub review: String,
    /// Review note.
    pub note: String,
}

fn time(ns: Option<i64>) -> Option<String> {
    let ns = ns?;
    let ts = jiff::Timestamp::from_nanosecond(i128::from(ns)).ok()?;
    Some(ts.to_string())
}

fn hexv(v: Option<Vec<u8>>) -> Option<String> {
    v.map(hex::encode)
}

const SELECT: &str = "SELECT f.id, e.exhibit, e.root_text, f.path_text, f.kind, f.size, f.mtime_ns, f.atime_ns,
      f.ctime_ns, f.btime_ns, f.md5, f.sha1, f.sha256, f.blake3, f.mime, f.mismatch, f.status,
      coalesce(f.reason, f.error_op || ': ' || f.error_message),
      (SELECT group_concat(m, '; ') FROM (SELECT s.name || ' (' || h.kind || coalesce(', category ' || h.category, '')
              || ', entry ' || h.entry || coalesce(', media ' || h.media_id, '') || coalesce(', ' || h.entry_name, '')
              || ', ' || h.algorithm || ')' AS m
            FROM hits h JOIN hash_sets s ON s.id = h.hash_set_id WHERE h.file_id = f.id ORDER BY s.name, h.entry)),
      (SELECT group_concat(reason, ',') FROM (SELECT reason FROM flags WHERE file_id = f.id ORDER BY reason)),
      coalesce(r.status, 'unreviewed'), coalesce(r.note, '')
   FROM files f JOIN evidence e ON e.id = f.evidence_id LEFT JOIN review r ON r.file_id = f.id";

fn row(r: &Row<'_>) -> rusqlite::Result<ReportRow> {
    Ok(ReportRow {
        id: r.get(0)?,
        exhibit: r.get(1)?,
        root: r.get(2)?,
        path: r.get(3)?,
        kind: r.get(4)?,
        size: r.get(5)?,
        mtime: time(r.get(6)?),
        atime: time(r.get(7)?),
        ctime: time(r.get(8)?),
        crtime: time(r.get(9)?),
        md5: hexv(r.get(10)?),
        sha1: hexv(r.get(11)?),
        sha256: hexv(r.get(12)?),
        blake3: hexv(r.get(13)?),
        mime: r.get(14)?,
        mismatch: r.get::<_, i64>(15)? != 0,
        status: r.get(16)?,
        reason: r.get(17)?,
        matches: r.get::<_, Option<String>>(18)?.unwrap_or_default(),
        flags: r.get::<_, Option<String>>(19)?.unwrap_or_default(),
        review: r.get(20)?,
        note: r.get(21)?,
    })
}

/// Calls `each` for every row in scope, in (exhibit, path) order, counting
/// rows into `progress` (for a front end's progress display) if given.
pub fn for_each_row(
    store: &CaseStore,
    scope: Scope,
    progress: Option<&std::sync::atomic::AtomicU64>,
    each: &mut dyn FnMut(ReportRow) -> std::io::Result<()>,
) -> Result<u64, CaseError> {
    let sql = format!("{SELECT} {} ORDER BY e.id, f.path", scope.clause());
    let mut st = store.conn().prepare(&sql)?;
    let mut rows = st.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        each(row(r)?).map_err(|e| CaseError::NotFound(format!("writing report: {e}")))?;
        n += 1;
        if let Some(p) = progress {
            p.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    Ok(n)
}

/// One entry by file id (the GUI's detail pane).
pub fn report_row(store: &CaseStore, file_id: i64) -> Result<Option<ReportRow>, CaseError> {
    use rusqlite::OptionalExtension;
    let sql = format!("{SELECT} WHERE f.id = ?1");
    Ok(store.conn().query_row(&sql, [file_id], row).optional()?)
}
