//! NSRL RDS v3 (SQLite): the minimal edition (`FILE` table), the full
//! edition (`FILE` view over `METADATA`), and the older schema without
//! `crc32`. Columns are found with `PRAGMA table_info(FILE)`, never assumed.
//! Package and OS names are carried when `PKG`/`OS` tables are present.
//! The database is opened read-only and never modified.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, ParseReport, message};

fn malformed(report: &ParseReport, e: impl std::fmt::Display) -> HashSetError {
    HashSetError::Malformed {
        path: report.source.clone(),
        reason: format!("RDS v3 database: {e}"),
    }
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = st.query_map([], |r| r.get::<_, String>(1))?;
    names.map(|n| n.map(|s| s.to_ascii_lowercase())).collect()
}

/// `package_id` → "package version (OS version)", when PKG and OS exist.
fn packages(conn: &Connection) -> HashMap<i64, String> {
    let mut map = HashMap::new();
    let os: HashMap<i64, String> = conn
        .prepare("SELECT operating_system_id, name, version FROM OS")
        .and_then(|mut st| {
            st.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    format!("{} {}", r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                ))
            })?
            .collect()
        })
        .unwrap_or_default();
    let Ok(mut st) = conn.prepare("SELECT package_id, name, version, operating_system_id FROM PKG")
    else {
        return map;
    };
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    });
    for (id, name, version, os_id) in rows.into_iter().flatten().flatten() {
        let label = match os.get(&os_id) {
            Some(o) => format!("{name} {version} ({})", o.trim()),
            None => format!("{name} {version}"),
        };
        map.entry(id).or_insert(label.trim().to_string());
    }
    map
}

/// Parses an RDS v3 database file.
pub fn parse(
    path: &Path,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    report.unit = "row ";
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| malformed(report, e))?;
    let cols = columns(&conn, "FILE").map_err(|e| malformed(report, e))?;
    if cols.is_empty() {
        return Err(malformed(report, "no FILE table or view"));
    }
    let has = |c: &str| cols.iter().any(|x| x == c);
    let digest_cols: Vec<(&str, Algorithm)> = [
        ("sha256", Algorithm::Sha256),
        ("sha1", Algorithm::Sha1),
        ("md5", Algorithm::Md5),
    ]
    .into_iter()
    .filter(|(c, _)| has(c))
    .collect();
    if digest_cols.is_empty() {
        return Err(malformed(report, "FILE has no sha256, sha1 or md5 column"));
    }
    let opt = |c: &str| {
        if has(c) {
            c.to_string()
        } else {
            "NULL".to_string()
        }
    };
    let sql = format!(
        "SELECT {}, {}, {}, {} FROM FILE",
        digest_cols
            .iter()
            .map(|(c, _)| *c)
            .collect::<Vec<_>>()
            .join(", "),
        opt("file_name"),
        opt("file_size"),
        opt("package_id"),
    );
    let pkgs = packages(&conn);
    let mut st = conn.prepare(&sql).map_err(|e| malformed(report, e))?;
    let mut rows = st.query([]).map_err(|e| malformed(report, e))?;
    let k = digest_cols.len();
    let mut n = 0u64;
    loop {
        let row = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(malformed(report, e)),
        };
        n += 1;
        let mut e = Entry::default();
        let mut bad = None;
        for (i, (col, algo)) in digest_cols.iter().enumerate() {
            let v: Option<String> = row.get(i).ok().flatten();
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => {}
                Some(hex) => match crate::hashsets::parse_hex(hex, algo.digest_len()) {
                    Some(b) => e.set_digest(*algo, &b),
                    None => bad = Some(format!("bad {col} '{}'", message::value(hex))),
                },
            }
        }
        if let Some(why) = bad {
            report.reject(n, why);
            continue;
        }
        if e.is_empty() {
            report.reject(n, "no digest in row");
            continue;
        }
        e.name = row.get::<_, Option<String>>(k).ok().flatten();
        e.size = row
            .get::<_, Option<i64>>(k + 1)
            .ok()
            .flatten()
            .and_then(|s| u64::try_from(s).ok());
        e.media_id = row.get::<_, Option<i64>>(k + 2).ok().flatten();
        if let Some(label) = e.media_id.and_then(|id| pkgs.get(&id)) {
            e.extra.push(("package".into(), label.clone()));
        }
        report.entries += 1;
        sink(e);
    }
    Ok(())
}
