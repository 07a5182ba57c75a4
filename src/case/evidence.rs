//! Evidence items of a case and what the case holds of them.

use std::path::Path;

use rusqlite::{OptionalExtension, params};

use super::{CaseCounts, CaseError, CaseStore, EvidenceRecord, audit};
use crate::evidence::{MountState, UtcTime};
use crate::pathfmt::{PathStyle, path_bytes};

impl CaseStore {
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
        let style = PathStyle::native();
        let streams = crate::evidence::EvidenceRoot::open(root)
            .map(|r| r.stream_interface().as_str())
            .ok();
        self.conn.execute(
            "INSERT INTO evidence (exhibit, description, root_path, root_text, fs_type, device, mount_options, read_only, added,
                                   path_style, streams)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                exhibit,
                description,
                bytes,
                // Windows' canonical form is verbatim (`\\?\E:\…`): kept as
                // the root to open (a name ending in a dot or space is
                // reached exactly), shown as users write it (`E:\…`).
                style.escape(crate::pathfmt::without_verbatim_prefix(bytes)),
                fs.as_ref().map(|f| f.fs_type.clone()),
                fs.as_ref().map(|f| f.device.clone()),
                fs.as_ref().map(|f| f.options.clone()),
                mount.map(|m| m.read_only),
                UtcTime::now().to_iso8601(),
                style.as_str(),
                streams,
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        let detail = serde_json::json!({"evidence": id, "exhibit": exhibit, "root": style.escape(crate::pathfmt::without_verbatim_prefix(bytes)),
            "path_style": style.as_str(), "streams": streams, "read_only": mount.map(|m| m.read_only)});
        audit::append(&self.conn, actor, "evidence_added", &detail.to_string())?;
        Ok(id)
    }

    /// Evidence items.
    pub fn evidence(&self) -> Result<Vec<EvidenceRecord>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT id, exhibit, description, root_path, read_only, fs_type, device, mount_options, path_style, streams
             FROM evidence ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(EvidenceRecord {
                id: r.get(0)?,
                exhibit: r.get(1)?,
                description: r.get(2)?,
                root: crate::pathfmt::path_from_bytes(r.get(3)?),
                path_style: PathStyle::parse(&r.get::<_, String>(8)?).unwrap_or_default(),
                streams: r.get(9)?,
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
}
