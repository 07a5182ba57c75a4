//! Read queries that front ends and reports ask the case for. All SQL lives
//! in `case/`; callers get typed rows.
//!
//! The report rows are the flat projection every export reads: one row per
//! entry, streamed in (exhibit, path) order, so the same case always gives
//! the same report.

use rusqlite::{OptionalExtension, Row};

use super::{CaseError, CaseStore};

/// Files with an alert hit, per set and category.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertCategoryCount {
    /// Set name.
    pub set: String,
    /// Raw category (`None`: the entry has none).
    pub category: Option<i64>,
    /// Distinct files.
    pub files: u64,
}

/// A hash set a scan used, as recorded when the scan began.
#[derive(Debug, Clone, PartialEq)]
pub struct HashSetUsed {
    /// The scan that used it.
    pub scan: i64,
    /// Set name.
    pub name: String,
    /// What a match means, as stored (`alert`, `ignore`, `info`).
    pub kind: String,
    /// The set's provenance (format, entries, source SHA-256, import time,
    /// categories), parsed; `null` if the stored text is not JSON.
    pub provenance: serde_json::Value,
}

/// An entry that could not be read, with the operation that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableItem {
    /// Path relative to its evidence root (escaped, reversible).
    pub path: String,
    /// The operation that failed (`open_dir`, `read`, …); empty if unknown.
    pub op: String,
    /// The OS's words; empty if unknown.
    pub message: String,
}

/// Which entries a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Items with a flag (alert, info, mismatch, changed during read).
    Flagged,
    /// Items a reviewer marked (any status but unreviewed, or bookmarked).
    Reviewed,
    /// Every entry.
    All,
    /// Items with a category (an examiner's or a hash set's).
    Categorised,
}

impl Scope {
    /// Parses `flagged`, `reviewed`, `all` or `categorised`.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "flagged" => Some(Scope::Flagged),
            "reviewed" => Some(Scope::Reviewed),
            "all" => Some(Scope::All),
            "categorised" | "categorized" => Some(Scope::Categorised),
            _ => None,
        }
    }

    /// The name [`Scope::parse`] reads, as reports and the audit log write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Flagged => "flagged",
            Scope::Reviewed => "reviewed",
            Scope::All => "all",
            Scope::Categorised => "categorised",
        }
    }

    fn clause(self) -> &'static str {
        match self {
            Scope::Flagged => "WHERE f.id IN (SELECT file_id FROM flags)",
            Scope::Reviewed => {
                "WHERE r.status IS NOT NULL AND (r.status != 'unreviewed' OR r.bookmark = 1)"
            }
            Scope::All => "",
            Scope::Categorised => concat!(
                "WHERE coalesce(r.category, ",
                super::categories::pre_category_sql!(),
                ") IS NOT NULL"
            ),
        }
    }
}

/// One entry as every report (and the GUI's detail pane) shows it: times
/// as ISO 8601 UTC, digests as lower-case hex, hits and flags as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    /// The named data stream this row is (escaped in `style`), if any.
    pub stream: Option<String>,
    /// Windows attributes (`hidden,system,reparse=junction`), where known.
    pub attributes: Option<String>,
    /// The path convention `root`, `path` and `stream` are written in.
    pub style: crate::pathfmt::PathStyle,
    /// For an archive member: the chain of members, each after the
    /// member separator (`\>a/b.zip\>c.jpg`).
    pub members: Option<String>,
    /// For an archive: its format and what was found inside.
    pub archive: Option<String>,
    /// For an archive member: the stored chain (escaped names, NUL between).
    pub member_chain: Option<Vec<u8>>,
    /// The inode (file index on Windows) of the file of the evidence that
    /// holds the item: its own, or for an archive member the top-level
    /// archive's.
    pub evidence_inode: Option<i64>,
    /// A picture's PDQ hash (64 hex digits, the reference's order).
    pub pdq: Option<String>,
    /// Its quality, 0–100.
    pub pdq_quality: Option<i64>,
    /// Why a picture has no PDQ hash.
    pub pdq_note: Option<String>,
    /// The category an examiner gave it (0–4).
    pub examiner_category: Option<i64>,
    /// The category its hash-set hits give it (0–4; the most severe).
    pub pre_category: Option<i64>,
}

impl ReportRow {
    /// Its category: the examiner's, else its hash sets'.
    pub fn category(&self) -> Option<i64> {
        self.examiner_category.or(self.pre_category)
    }

    /// Where its category came from: `examiner`, `hash set` (VICS
    /// pre-categorised), or nothing.
    pub fn category_source(&self) -> &'static str {
        if self.examiner_category.is_some() {
            "examiner"
        } else if self.pre_category.is_some() {
            "hash set"
        } else {
            ""
        }
    }

    /// True when its category comes from a hash set (VICS
    /// `IsPrecategorized`), not from an examiner.
    pub fn precategorised(&self) -> bool {
        self.examiner_category.is_none() && self.pre_category.is_some()
    }

    /// The item relative to its root, as every output names it: the path,
    /// and `:stream` after it for a named data stream.
    pub fn item_path(&self) -> String {
        let mut p = match &self.stream {
            Some(s) => format!("{}:{s}", self.path),
            None => self.path.clone(),
        };
        if let Some(m) = &self.members {
            p.push_str(m);
        }
        p
    }

    /// For an archive member: the item path of the archive that holds it
    /// (one level up), in the evidence's convention.
    pub fn container_path(&self) -> Option<String> {
        let members = self.members.as_deref()?;
        // The last member as displayed (an escaped name may hold the
        // separator's characters, e.g. `\\>`: it is cut by its whole
        // display, never by searching for the separator).
        let raw = self.members_raw()?;
        let (name, nth) = raw.last()?;
        let last = self
            .style
            .escape_members(std::slice::from_ref(name), &[*nth]);
        let cut = members.len().checked_sub(last.len())?;
        if !members.ends_with(&last) {
            return None;
        }
        let mut p = match &self.stream {
            Some(s) => format!("{}:{s}", self.path),
            None => self.path.clone(),
        };
        p.push_str(members.get(..cut)?);
        Some(p)
    }

    /// The item's full path (root, separator, path, `:stream`), escaped in
    /// the evidence's convention.
    pub fn full_path(&self) -> String {
        let joined = self
            .style
            .join(self.root.as_bytes(), self.item_path().as_bytes());
        // Both halves are already escaped text: joining keeps them UTF-8.
        String::from_utf8(joined).unwrap_or_default()
    }

    /// The member names from the top-level archive down (empty for a file
    /// of the evidence); `None` if the stored chain is not in escaped form.
    pub fn members_raw(&self) -> Option<Vec<(Vec<u8>, u32)>> {
        let Some(chain) = &self.member_chain else {
            return Some(Vec::new());
        };
        chain
            .split(|b| *b == 0)
            .map(|m| crate::pathfmt::parse_member_token(std::str::from_utf8(m).ok()?))
            .collect()
    }

    /// The raw bytes of the path and of the stream's name (what opens it).
    pub fn raw_item(&self) -> Result<(Vec<u8>, Option<Vec<u8>>), crate::pathfmt::UnescapeError> {
        let path = self.style.unescape(&self.path)?;
        let stream = self
            .stream
            .as_deref()
            .map(|s| self.style.unescape(s))
            .transpose()?;
        Ok((path, stream))
    }
}

const REPORT_ROW_SELECT: &str = concat!(
    "SELECT f.id, e.exhibit, e.root_text, f.path_text, f.kind, f.size, f.mtime_ns, f.atime_ns,
      f.ctime_ns, f.btime_ns, f.md5, f.sha1, f.sha256, f.blake3, f.mime, f.mismatch, f.status,
      coalesce(f.reason, f.error_op || ': ' || f.error_message),
      (SELECT group_concat(m, '; ') FROM (SELECT s.name || ' (' || h.kind || coalesce(', category ' || h.category, '')
              || ', entry ' || h.entry || coalesce(', media ' || h.media_id, '') || coalesce(', ' || h.entry_name, '')
              || ', ' || CASE WHEN h.distance IS NULL THEN h.algorithm
                              ELSE 'PDQ near-duplicate, distance ' || h.distance END
              || ')' AS m
            FROM hits h JOIN hash_sets s ON s.id = h.hash_set_id WHERE h.file_id = f.id ORDER BY s.name, h.entry)),
      (SELECT group_concat(reason, ',') FROM (SELECT reason FROM flags WHERE file_id = f.id ORDER BY reason)),
      coalesce(r.status, 'unreviewed'), coalesce(r.note, ''), f.stream_text, f.attributes, e.path_style,
      f.member_text, f.archive || coalesce(': ' || f.archive_note, ''), f.members,
      CASE WHEN f.members IS NULL THEN f.inode ELSE
        (SELECT t.inode FROM files t WHERE t.evidence_id = f.evidence_id
           AND t.path = substr(f.path, 1, instr(f.path, X'0000') - 1)) END,
      CASE WHEN f.pdq IS NULL THEN NULL ELSE lower(hex(f.pdq)) END, f.pdq_quality, f.pdq_note,
      ",
    super::categories::examiner_category_sql!(),
    ", ",
    super::categories::pre_category_sql!(),
    "
   FROM files f JOIN evidence e ON e.id = f.evidence_id LEFT JOIN review r ON r.file_id = f.id"
);

fn time(ns: Option<i64>) -> Option<String> {
    let ns = ns?;
    let ts = jiff::Timestamp::from_nanosecond(i128::from(ns)).ok()?;
    Some(ts.to_string())
}

fn hexv(v: Option<Vec<u8>>) -> Option<String> {
    v.map(hex::encode)
}

fn report_row(r: &Row<'_>) -> rusqlite::Result<ReportRow> {
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
        // Entry names and details come from hash sets and evidence names:
        // never shown with a control or bidi character (a crafted case).
        matches: safe(r.get::<_, Option<String>>(18)?.unwrap_or_default()),
        flags: safe(r.get::<_, Option<String>>(19)?.unwrap_or_default()),
        review: r.get(20)?,
        note: r.get(21)?,
        // Written escaped by Ferret; a crafted case is escaped again.
        stream: r.get::<_, Option<String>>(22)?.map(safe),
        attributes: r.get::<_, Option<String>>(23)?.map(safe),
        style: crate::pathfmt::PathStyle::parse(&r.get::<_, String>(24)?).unwrap_or_default(),
        members: r.get::<_, Option<String>>(25)?.map(safe),
        archive: r.get::<_, Option<String>>(26)?.map(safe),
        member_chain: r.get(27)?,
        evidence_inode: r.get(28)?,
        pdq: r.get(29)?,
        pdq_quality: r.get(30)?,
        pdq_note: r.get::<_, Option<String>>(31)?.map(safe),
        examiner_category: r.get(32)?,
        pre_category: r.get(33)?,
    })
}

/// `text` escaped if it holds a control or bidi character.
fn safe(text: String) -> String {
    match crate::pathfmt::display_safe(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(e) => e,
    }
}

impl CaseStore {
    /// Files with an alert hit, per set and category, in set and category
    /// order (uncategorised first).
    pub fn alert_categories(&self) -> Result<Vec<AlertCategoryCount>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT s.name, h.category, count(DISTINCT h.file_id) FROM hits h JOIN hash_sets s ON s.id = h.hash_set_id
             WHERE h.kind = 'alert' GROUP BY s.name, h.category ORDER BY s.name, h.category",
        )?;
        let rows = st.query_map([], |r| {
            Ok(AlertCategoryCount {
                set: r.get(0)?,
                category: r.get(1)?,
                files: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The hash sets every scan used, in scan order and, within a scan, in
    /// the order they were given.
    pub fn hash_sets_used(&self) -> Result<Vec<HashSetUsed>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT scan_id, name, kind, provenance FROM hash_sets ORDER BY scan_id, position",
        )?;
        let rows = st.query_map([], |r| {
            Ok(HashSetUsed {
                scan: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                provenance: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Entries that could not be read, in raw-path order.
    pub fn unreadable_items(&self) -> Result<Vec<UnreadableItem>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT path_text || coalesce(':' || stream_text, '') || coalesce(member_text, ''), coalesce(error_op, ''), coalesce(error_message, '') FROM files
             WHERE status = 'error' ORDER BY path",
        )?;
        let rows = st.query_map([], |r| {
            Ok(UnreadableItem {
                path: r.get(0)?,
                op: r.get(1)?,
                message: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls `each` for every entry in `scope`, in (exhibit, path) order,
    /// and returns how many there were. The first error, from the case or
    /// from `each`, ends the walk.
    pub fn for_each_report_row<E: From<CaseError>>(
        &self,
        scope: Scope,
        each: impl FnMut(ReportRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        let sql = format!(
            "{REPORT_ROW_SELECT} {} ORDER BY e.id, f.path",
            scope.clause()
        );
        self.each_row(&sql, each)
    }

    /// Calls `each` for every hashed file in `scope` in digest order (MD5,
    /// then the others; files without an MD5 last), copies in file order:
    /// a VICS export's media.
    pub fn for_each_report_row_by_md5<E: From<CaseError>>(
        &self,
        scope: Scope,
        each: impl FnMut(ReportRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        let clause = scope.clause();
        let and = if clause.is_empty() { "WHERE" } else { "AND" };
        let sql = format!(
            "{REPORT_ROW_SELECT} {clause} {and} f.status = 'hashed'
             ORDER BY f.md5 IS NULL, f.md5, f.sha1, f.sha256, f.blake3, f.id"
        );
        self.each_row(&sql, each)
    }

    fn each_row<E: From<CaseError>>(
        &self,
        sql: &str,
        mut each: impl FnMut(ReportRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        let db = |e: rusqlite::Error| E::from(CaseError::from(e));
        let mut st = self.conn.prepare(sql).map_err(db)?;
        let mut rows = st.query([]).map_err(db)?;
        let mut n = 0;
        while let Some(r) = rows.next().map_err(db)? {
            each(report_row(r).map_err(db)?)?;
            n += 1;
        }
        Ok(n)
    }

    /// One entry by file id (the GUI's detail pane).
    pub fn report_row(&self, file_id: i64) -> Result<Option<ReportRow>, CaseError> {
        let sql = format!("{REPORT_ROW_SELECT} WHERE f.id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [file_id], report_row)
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pathfmt::PathStyle;

    fn member_row(style: PathStyle, names: &[(&[u8], u32)]) -> ReportRow {
        let raw: Vec<Vec<u8>> = names.iter().map(|(n, _)| n.to_vec()).collect();
        let ordinals: Vec<u32> = names.iter().map(|(_, o)| *o).collect();
        let chain: Vec<String> = names
            .iter()
            .map(|(n, o)| crate::pathfmt::member_token(n, *o))
            .collect();
        ReportRow {
            path: "dir/outer.zip".into(),
            style,
            members: Some(style.escape_members(&raw, &ordinals)),
            member_chain: Some(chain.join("\0").into_bytes()),
            ..ReportRow::default()
        }
    }

    #[test]
    fn a_members_container_is_cut_by_its_whole_display() {
        // A name holding the separator's characters, and a repeated name.
        let r = member_row(PathStyle::Posix, &[(b"in\\>ner.zip", 2), (b"a\\>b.jpg", 1)]);
        assert_eq!(r.item_path(), r"dir/outer.zip\>in\\>ner.zip\#2\>a\\>b.jpg");
        assert_eq!(
            r.container_path().as_deref(),
            Some(r"dir/outer.zip\>in\\>ner.zip\#2")
        );
        let top = member_row(PathStyle::Windows, &[(b"a|>b.jpg", 1)]);
        assert_eq!(top.container_path().as_deref(), Some("dir/outer.zip"));
        assert_eq!(ReportRow::default().container_path(), None);
    }
}
