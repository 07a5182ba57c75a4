//! The append-only, hash-chained audit log.
//!
//! Each row stores the BLAKE3 of the previous row's hash and its own content
//! (time, actor, action, detail); `audit_head` keeps the row count and the
//! last hash, so deleting the newest row shows too. `verify` recomputes the
//! chain and names the first broken link.

use rusqlite::{Connection, OptionalExtension, params};

use super::CaseError;
use crate::evidence::UtcTime;

/// The hash a row must carry.
pub fn row_hash(prev: &str, time: &str, actor: &str, action: &str, detail: &str) -> String {
    let mut h = blake3::Hasher::new();
    for part in [prev, time, actor, action, detail] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// Appends one row (inside the caller's transaction, if any).
pub fn append(conn: &Connection, actor: &str, action: &str, detail: &str) -> Result<(), CaseError> {
    let (count, prev): (i64, String) =
        conn.query_row("SELECT count, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let time = UtcTime::now().to_iso8601();
    let hash = row_hash(&prev, &time, actor, action, detail);
    conn.execute(
        "INSERT INTO audit (time, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![time, actor, action, detail, prev, hash],
    )?;
    conn.execute(
        "UPDATE audit_head SET count = ?1, hash = ?2 WHERE id = 1",
        params![count + 1, hash],
    )?;
    Ok(())
}

/// One audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Row id.
    pub id: i64,
    /// UTC time.
    pub time: String,
    /// Who.
    pub actor: String,
    /// What (e.g. `case_created`, `scan_started`, `review`, `preview_reveal`).
    pub action: String,
    /// Details (JSON or text).
    pub detail: String,
}

/// Every row, oldest first.
pub fn rows(conn: &Connection) -> Result<Vec<AuditRow>, CaseError> {
    let mut st = conn.prepare("SELECT id, time, actor, action, detail FROM audit ORDER BY id")?;
    let rows = st.query_map([], |r| {
        Ok(AuditRow {
            id: r.get(0)?,
            time: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A broken link in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit log broken at row {row}: {reason}")]
pub struct BrokenLink {
    /// The first row that does not verify (0: the head record).
    pub row: i64,
    /// What is wrong.
    pub reason: String,
}

/// Recomputes the chain; returns the number of rows, or the first broken link.
pub fn verify(conn: &Connection) -> Result<Result<u64, BrokenLink>, CaseError> {
    let mut st = conn.prepare(
        "SELECT id, time, actor, action, detail, prev_hash, hash FROM audit ORDER BY id",
    )?;
    let mut rows = st.query([])?;
    let mut prev = "0".repeat(64);
    let mut n = 0u64;
    let mut last_id = 0i64;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let (time, actor, action, detail): (String, String, String, String) =
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let (stored_prev, stored): (String, String) = (r.get(5)?, r.get(6)?);
        if id != last_id + 1 {
            return Ok(Err(BrokenLink {
                row: last_id + 1,
                reason: format!("row missing (next row is {id})"),
            }));
        }
        if stored_prev != prev {
            return Ok(Err(BrokenLink {
                row: id,
                reason: "previous-row hash does not match the row before it".into(),
            }));
        }
        if row_hash(&prev, &time, &actor, &action, &detail) != stored {
            return Ok(Err(BrokenLink {
                row: id,
                reason: "content does not match its hash (edited)".into(),
            }));
        }
        prev = stored;
        last_id = id;
        n += 1;
    }
    let head: Option<(i64, String)> = conn
        .query_row("SELECT count, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match head {
        Some((count, hash)) if count as u64 == n && hash == prev => Ok(Ok(n)),
        Some((count, _)) => Ok(Err(BrokenLink {
            row: (n as i64) + 1,
            reason: format!(
                "head record says {count} rows ending in another hash; {n} found (rows removed from the end?)"
            ),
        })),
        None => Ok(Err(BrokenLink {
            row: 0,
            reason: "head record missing".into(),
        })),
    }
}
