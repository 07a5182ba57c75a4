//! The case writer: the scan's record sink. One thread owns its own
//! connection; records are committed in batches (every [`BATCH`] records or
//! [`BATCH_TIME`], whichever comes first), so a crash loses at most one
//! batch and never leaves a half-written one (SQLite transactions).

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use super::review::FlagReason;
use rusqlite::{Connection, OpenFlags, Transaction, params};

use crate::hashing::Algorithm;
use crate::hashsets::HashSetCatalog;
use crate::hashsets::catalog::Verdict;
use crate::job::{FileRecord, Outcome, RecordSink};
use crate::pathfmt::{PathStyle, escape_path, item_key, path_bytes};

/// Records per transaction: large enough to amortise the commit (one WAL
/// sync with synchronous=FULL), small enough to lose little.
pub const BATCH: usize = 1000;
/// Longest a record waits before it is committed.
pub const BATCH_TIME: Duration = Duration::from_millis(250);
/// Rows after which a scan drops the case's deferred indexes, to build them
/// once its records are in ([`super::schema::DEFERRED_INDEXES`]): past
/// this many, a sort at the end is cheaper than keeping them up to date
/// (and the rebuild of a big case's indexes costs little next to a scan
/// this size).
pub const DEFER_INDEXES_AFTER: u64 = 50_000;

/// Writes scan records into a case.
pub struct CaseWriter {
    conn: Connection,
    evidence_id: i64,
    scan_id: i64,
    set_ids: Vec<i64>,
    catalog: HashSetCatalog,
    pending: Vec<FileRecord>,
    last_commit: Instant,
    resuming: bool,
    /// The evidence's path convention (its paths' text in the case).
    style: PathStyle,
    /// The evidence shows named data streams: a `:` in a name is escaped
    /// in its text, so `a:b` (a file) never reads like stream `b` of `a`.
    streams: bool,
    /// Who the scan is run by, when the case's near-duplicate groups are
    /// to be redone once its records are in ([`Self::grouping`]).
    group_as: Option<String>,
    /// Rows written by this writer.
    written: u64,
    /// [`DEFER_INDEXES_AFTER`], or `FERRET_DEFER_INDEXES_AFTER` (tests).
    defer_after: u64,
    /// The deferred indexes were dropped: [`RecordSink::finish`] builds them.
    deferred: bool,
}

fn ns(t: Option<crate::evidence::UtcTime>) -> Option<i64> {
    t.and_then(|t| {
        t.secs
            .checked_mul(1_000_000_000)?
            .checked_add(i64::from(t.nanos))
    })
}

fn db_err(e: rusqlite::Error) -> io::Error {
    io::Error::other(format!("case database: {e}"))
}

impl CaseWriter {
    /// A writer on its own connection to the case at `path`.
    pub fn open(
        path: &Path,
        evidence_id: i64,
        scan_id: i64,
        set_ids: Vec<i64>,
        catalog: HashSetCatalog,
    ) -> Result<Self, super::CaseError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        super::open::configure(&conn)?;
        let (style, streams): (String, Option<String>) = conn.query_row(
            "SELECT path_style, streams FROM evidence WHERE id = ?1",
            [evidence_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let streams = streams.is_some_and(|s| s != crate::evidence::StreamInterface::None.as_str());
        let style = PathStyle::parse(&style).unwrap_or_default();
        Ok(CaseWriter {
            conn,
            evidence_id,
            scan_id,
            set_ids,
            catalog,
            pending: Vec::with_capacity(BATCH),
            last_commit: Instant::now(),
            resuming: false,
            style,
            streams,
            group_as: None,
            written: 0,
            defer_after: std::env::var("FERRET_DEFER_INDEXES_AFTER")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFER_INDEXES_AFTER),
            deferred: false,
        })
    }

    /// Tells the writer that entries may already have rows (a resumed scan,
    /// or a new scan of the same evidence): their hits and flags are then
    /// replaced rather than added to. Off, it skips those deletes.
    pub fn resuming(mut self, yes: bool) -> Self {
        self.resuming = yes;
        self
    }

    /// Redo the case's near-duplicate groups, as `actor`, when the scan's
    /// records are all in.
    pub fn grouping(mut self, actor: &str) -> Self {
        self.group_as = Some(actor.to_string());
        self
    }

    /// Records in the audit log a step after the records that failed
    /// without failing the recorded scan.
    fn log_failure(&self, actor: &str, action: &str, reason: &str) -> io::Result<()> {
        super::audit::append(
            &self.conn,
            actor,
            action,
            &serde_json::json!({"scan": self.scan_id, "reason": reason}).to_string(),
        )
        .map_err(|e| io::Error::other(e.to_string()))
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if !self.deferred && self.written >= self.defer_after {
            let tx = self.conn.transaction().map_err(db_err)?;
            for (name, _) in super::schema::DEFERRED_INDEXES {
                tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))
                    .map_err(db_err)?;
            }
            tx.commit().map_err(db_err)?;
            self.deferred = true;
        }
        let batch = std::mem::take(&mut self.pending);
        let tx = self.conn.transaction().map_err(db_err)?;
        for rec in &batch {
            insert(
                &tx,
                (self.style, self.streams),
                self.resuming,
                self.evidence_id,
                self.scan_id,
                &self.set_ids,
                &self.catalog,
                rec,
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        self.written += batch.len() as u64;
        self.pending = batch;
        self.pending.clear();
        self.last_commit = Instant::now();
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn insert(
    tx: &Transaction<'_>,
    (style, streams): (PathStyle, bool),
    resuming: bool,
    evidence_id: i64,
    scan_id: i64,
    set_ids: &[i64],
    catalog: &HashSetCatalog,
    rec: &FileRecord,
) -> rusqlite::Result<()> {
    let path = crate::pathfmt::member_key(
        &rec.rel_path,
        rec.stream.as_deref(),
        &rec.members,
        &rec.member_ordinals,
    );
    let member_text =
        (!rec.members.is_empty()).then(|| style.escape_members(&rec.members, &rec.member_ordinals));
    let members_blob = (!rec.members.is_empty()).then(|| {
        rec.members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                crate::pathfmt::member_token(m, rec.member_ordinals.get(i).copied().unwrap_or(1))
            })
            .collect::<Vec<_>>()
            .join("\0")
            .into_bytes()
    });
    let archive_format = rec
        .archive
        .as_ref()
        .and_then(|a| a.format)
        .map(|f| f.as_str());
    let archive_text = rec.archive.as_ref().and_then(archive_note);
    let stream_text = rec
        .stream
        .as_ref()
        .map(|s| style.escape_stream(s.as_encoded_bytes()));
    let text = |p: &std::ffi::OsStr| {
        let t = style.escape_path(p);
        if streams && style == PathStyle::Posix {
            t.replace(':', "\\x3a")
        } else {
            t
        }
    };
    let mut name = rec.rel_path.file_name().map(text).unwrap_or_default();
    if let Some(s) = &stream_text {
        name.push(':');
        name.push_str(s);
    }
    if let Some(last) = rec.members.last() {
        name = style.escape(last);
    }
    let m = rec.meta.as_ref();
    let (status, reason, err) = match &rec.outcome {
        Outcome::Hashed { .. } => ("hashed", None, None),
        Outcome::NotHashed { reason } => (
            "not_hashed",
            Some(std::borrow::Cow::Borrowed(*reason)),
            None,
        ),
        // Member reasons may quote a header's text: escaped.
        Outcome::NotRead { reason } => (
            "not_hashed",
            Some(std::borrow::Cow::Owned(crate::pathfmt::escape_text(reason))),
            None,
        ),
        Outcome::Failed(e) => ("error", None, Some(e)),
    };
    let (digests, bytes_read, class, changed) = match &rec.outcome {
        Outcome::Hashed {
            digests,
            len,
            class,
            changed_during_read,
        } => (
            Some(digests),
            Some(*len as i64),
            Some(class),
            *changed_during_read,
        ),
        _ => (None, None, None, false),
    };
    let d = |a: Algorithm| digests.and_then(|d| d.get(a)).map(<[u8]>::to_vec);
    let (pdq, pdq_note) = match &rec.perceptual {
        Some(crate::job::Perceptual::Pdq {
            hash,
            quality,
            note,
            ..
        }) => {
            let notes: Vec<String> = note
                .iter()
                .cloned()
                .chain(catalog.pdq_quality_note(*quality))
                .collect();
            (
                Some((*hash, *quality)),
                (!notes.is_empty()).then(|| notes.join("; ")),
            )
        }
        Some(crate::job::Perceptual::NotHashed(why)) => (None, Some(why.clone())),
        None => (None, None),
    };
    let pdq_views: Option<Vec<u8>> = match &rec.perceptual {
        Some(crate::job::Perceptual::Pdq { views, .. }) => Some(views.as_flattened().to_vec()),
        _ => None,
    };
    let verdict = match rec.verdict() {
        Verdict::None => "none",
        Verdict::Info => "info",
        Verdict::KnownGood => "known_good",
        Verdict::Alert => "alert",
    };
    const INSERT: &str = "INSERT INTO files (evidence_id, scan_id, path, path_text, name_text, kind, size, mtime_ns, atime_ns,
            ctime_ns, btime_ns, mode, inode, md5, sha1, sha256, blake3, bytes_read, mime, media, mismatch,
            changed_during_read, status, reason, error_op, error_kind, error_code, error_message, link_target, verdict,
            stream, stream_text, attributes, members, member_text, archive, archive_note,
            pdq, pdq_quality, pdq_note, pdq_views)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
            ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41)
        ";
    const UPSERT: &str = "INSERT INTO files (evidence_id, scan_id, path, path_text, name_text, kind, size, mtime_ns, atime_ns,
            ctime_ns, btime_ns, mode, inode, md5, sha1, sha256, blake3, bytes_read, mime, media, mismatch,
            changed_during_read, status, reason, error_op, error_kind, error_code, error_message, link_target, verdict,
            stream, stream_text, attributes, members, member_text, archive, archive_note,
            pdq, pdq_quality, pdq_note, pdq_views)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
            ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41)
         ON CONFLICT (evidence_id, path) DO UPDATE SET scan_id = excluded.scan_id, kind = excluded.kind,
            size = excluded.size, mtime_ns = excluded.mtime_ns, atime_ns = excluded.atime_ns,
            ctime_ns = excluded.ctime_ns, btime_ns = excluded.btime_ns, mode = excluded.mode,
            inode = excluded.inode, md5 = excluded.md5, sha1 = excluded.sha1, sha256 = excluded.sha256,
            blake3 = excluded.blake3, bytes_read = excluded.bytes_read, mime = excluded.mime,
            media = excluded.media, mismatch = excluded.mismatch,
            changed_during_read = excluded.changed_during_read, status = excluded.status,
            reason = excluded.reason, error_op = excluded.error_op, error_kind = excluded.error_kind,
            error_code = excluded.error_code, error_message = excluded.error_message,
            link_target = excluded.link_target, verdict = excluded.verdict,
            stream = excluded.stream, stream_text = excluded.stream_text,
            attributes = excluded.attributes, members = excluded.members,
            member_text = excluded.member_text, archive = excluded.archive,
            archive_note = excluded.archive_note, pdq = excluded.pdq,
            pdq_quality = excluded.pdq_quality, pdq_note = excluded.pdq_note,
            pdq_views = excluded.pdq_views
         RETURNING id";
    let values = params![
        evidence_id,
        scan_id,
        path,
        text(rec.rel_path.as_os_str()),
        name,
        rec.kind.map(|k| k.as_str()),
        m.map(|m| m.size as i64),
        ns(m.and_then(|m| m.mtime)),
        ns(m.and_then(|m| m.atime)),
        ns(m.and_then(|m| m.ctime)),
        ns(m.and_then(|m| m.btime)),
        m.map(|m| i64::from(m.mode)),
        m.map(|m| m.inode as i64),
        d(Algorithm::Md5),
        d(Algorithm::Sha1),
        d(Algorithm::Sha256),
        d(Algorithm::Blake3),
        bytes_read,
        class.map(|c| c.mime),
        class.map(|c| c.media.as_str()),
        class.is_some_and(|c| c.mismatch),
        changed,
        status,
        reason,
        err.map(|e| e.op.as_str()),
        err.map(|e| format!("{:?}", e.kind)),
        err.and_then(|e| e.os_code()),
        err.map(|e| e.source.to_string()),
        rec.link_target.as_deref().map(path_bytes),
        verdict,
        rec.stream.as_ref().map(|s| s.as_encoded_bytes()),
        stream_text,
        m.and_then(|m| m.attributes_text()),
        members_blob,
        member_text,
        archive_format,
        archive_text,
        pdq.map(|(h, _)| h.to_vec()),
        pdq.map(|(_, q)| i64::from(q)),
        pdq_note,
        pdq_views,
    ];
    // A fresh scan inserts (cheapest); one that may meet existing rows upserts.
    let id: i64 = if resuming {
        tx.prepare_cached(UPSERT)?.query_row(values, |r| r.get(0))?
    } else {
        tx.prepare_cached(INSERT)?.execute(values)?;
        tx.last_insert_rowid()
    };
    // A re-recorded entry (resume of a changed file) loses its old hits and
    // flags. Only a resumed scan can meet an existing row.
    // A stream listed now replaces a listing that failed before.
    if resuming && rec.stream.as_ref().is_some_and(|s| !s.is_empty()) {
        tx.prepare_cached("DELETE FROM files WHERE evidence_id = ?1 AND path = ?2")?
            .execute(params![
                evidence_id,
                item_key(&rec.rel_path, Some(std::ffi::OsStr::new("")))
            ])?;
    }
    if resuming {
        tx.prepare_cached("DELETE FROM hits WHERE file_id = ?1")?
            .execute([id])?;
        tx.prepare_cached("DELETE FROM flags WHERE file_id = ?1")?
            .execute([id])?;
    }
    let mut alert_sets = Vec::new();
    let mut info_sets = Vec::new();
    for h in &rec.hits {
        let set = catalog.sets().get(usize::from(h.set));
        let info = set.and_then(|s| s.entry(h.entry)).unwrap_or_default();
        let mut set_name = set.map(|s| s.provenance().name.clone()).unwrap_or_default();
        if let Some(d) = h.basis.distance() {
            set_name = format!("near-duplicate of {set_name} (distance {d})");
            if h.basis.more() > 0 {
                set_name.push_str(&format!(
                    " and {} more of its entries within the threshold, not listed",
                    h.basis.more()
                ));
            }
        }
        tx.prepare_cached(
            "INSERT INTO hits (file_id, hash_set_id, kind, algorithm, entry, category, entry_name, media_id, distance)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
                id,
                set_ids.get(usize::from(h.set)).copied(),
                h.kind.as_str(),
                h.basis.name(),
                h.entry,
                h.category,
                info.name.as_deref().map(crate::pathfmt::escape_text),
                info.media_id,
                h.basis.distance()
        ])?;
        match h.kind {
            crate::hashsets::SetKind::Alert => alert_sets.push(set_name),
            crate::hashsets::SetKind::Info => info_sets.push(set_name),
            crate::hashsets::SetKind::Ignore => {}
        }
    }
    let flag = |reason: FlagReason, detail: String| {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO flags (file_id, reason, detail) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id, reason.as_str(), detail])
    };
    if !alert_sets.is_empty() {
        alert_sets.dedup();
        flag(FlagReason::Alert, alert_sets.join(", "))?;
    } else if !info_sets.is_empty() {
        info_sets.dedup();
        flag(FlagReason::Info, info_sets.join(", "))?;
    }
    if let Some(c) = class.filter(|c| c.mismatch) {
        // Escaped: the extension is part of a name from the evidence.
        let named = match &rec.stream {
            Some(s) => std::path::Path::new(s),
            None => rec.rel_path.as_path(),
        };
        let ext = named.extension().map(escape_path).unwrap_or_default();
        flag(FlagReason::Mismatch, format!("{} named .{ext}", c.mime))?;
    }
    // An archive not read to its end, or an encrypted member: a lead.
    let archive_flag = match (&rec.archive, &rec.outcome) {
        (Some(a), _) if a.limit.is_some() || a.error.is_some() || a.encrypted > 0 => {
            archive_note(a)
        }
        (_, Outcome::NotRead { reason }) if reason == "encrypted" => {
            Some("encrypted member".to_string())
        }
        _ => None,
    };
    if let Some(detail) = archive_flag {
        flag(FlagReason::Archive, crate::pathfmt::escape_text(&detail))?;
    }
    if changed {
        flag(
            FlagReason::ChangedDuringRead,
            "size or mtime changed while read".into(),
        )?;
    }
    Ok(())
}

impl RecordSink for CaseWriter {
    fn accept(&mut self, record: FileRecord) -> io::Result<()> {
        self.pending.push(record);
        if self.pending.len() >= BATCH || self.last_commit.elapsed() >= BATCH_TIME {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush()?;
        if self.deferred {
            self.deferred = false;
            // Every record is committed: a failure here (a full disk, a
            // lock held too long) is logged, not a failed scan, and the
            // next writable open builds what is missing.
            if let Err(e) = super::schema::build_deferred_indexes(&self.conn) {
                let actor = self.group_as.clone().unwrap_or_else(|| "ferret".into());
                self.log_failure(&actor, "deferred_indexes_not_built", &e.to_string())?;
            }
        }
        // Near-duplicate groups over the whole case, this scan's pictures
        // included, on this thread (a front end's stays free). A failure
        // is logged in the audit log rather than fail a recorded scan.
        if let Some(actor) = &self.group_as
            && let Err(e) = super::similar::group_similar(
                &self.conn,
                crate::perceptual::DEFAULT_THRESHOLD,
                crate::perceptual::MIN_QUALITY,
                actor,
            )
        {
            self.log_failure(actor, "similar_grouping_failed", &e.to_string())?;
        }
        Ok(())
    }
}

/// What was found inside an archive, in one line: members, encrypted ones,
/// the limit reached, the damage.
fn archive_note(a: &crate::archive::ArchiveSummary) -> Option<String> {
    let mut parts = vec![format!("{} members", a.members)];
    if a.encrypted > 0 {
        parts.push(format!("{} encrypted", a.encrypted));
    }
    if let Some(l) = &a.limit {
        parts.push(format!("limit reached: {l}"));
    }
    if let Some(e) = &a.error {
        parts.push(format!("not read to its end: {e}"));
    }
    if let Some(first) = &a.same_as {
        parts.push(format!(
            "not opened again: the same bytes as {} (looked inside once)",
            crate::pathfmt::PathStyle::Posix.escape_members(first, &[])
        ));
    }
    Some(parts.join("; "))
}
