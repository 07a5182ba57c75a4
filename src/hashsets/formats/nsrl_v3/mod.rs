//! NSRL RDS v3 (SQLite): the minimal edition (`FILE` table), the full
//! edition (`FILE` view over `METADATA`), and the older schema without
//! `crc32`. Columns are found with `PRAGMA table_info(FILE)`, never assumed.
//! Package and OS names are carried when `PKG`/`OS` tables are present.
//! The database is opened read-only and never modified, and read as
//! untrusted (see [`untrusted`]): `FILE` must be a table or NIST's own view,
//! and no statement may run away in time or memory.

mod untrusted;

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Connection;

use self::untrusted::Budget;
use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, ParseReport, message};

fn malformed(report: &ParseReport, e: impl std::fmt::Display) -> HashSetError {
    HashSetError::Malformed {
        path: report.source.clone(),
        reason: format!("RDS v3 database: {e}"),
    }
}

/// A failed statement, said plainly when a guard stopped it.
fn sqlite_error(report: &ParseReport, row: u64, e: &rusqlite::Error) -> HashSetError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::OperationInterrupted) => malformed(
            report,
            format!(
                "stopped after row {row}: the next row took more than {} s or more work than \
                 {} steps per row (a view or table built never to finish?)",
                untrusted::ROW_WAIT.as_secs(),
                untrusted::STEPS_PER_ROW
            ),
        ),
        Some(rusqlite::ErrorCode::TooBig) => malformed(
            report,
            format!("stopped after row {row}: a value longer than 1 MiB ({e})"),
        ),
        Some(rusqlite::ErrorCode::OutOfMemory) => malformed(
            report,
            format!(
                "stopped after row {row}: SQLite reached its {} MiB memory cap",
                untrusted::HEAP_LIMIT >> 20
            ),
        ),
        _ => malformed(report, format!("after row {row}: {e}")),
    }
}

/// Most bytes of package labels kept (a real RDS has a few MB of them).
const MAX_LABEL_BYTES: usize = 64 << 20;

/// Longest package label kept, in characters.
const MAX_LABEL_CHARS: usize = 200;

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let names = st.query_map([], |r| r.get::<_, String>(1))?;
    names.map(|n| n.map(|s| s.to_ascii_lowercase())).collect()
}

/// `package_id` → "package version (OS version)", when PKG and OS exist and
/// are safe to read; what stopped them is noted as a reject (row 0).
fn packages(conn: &Connection, budget: &Budget, report: &mut ParseReport) -> HashMap<i64, String> {
    let mut map = HashMap::new();
    for object in [&untrusted::OS, &untrusted::PKG] {
        match untrusted::check(conn, object) {
            Ok(true) => {}
            Ok(false) => return map,
            Err(why) => {
                report.reject(0, format!("package names left out: {why}"));
                return map;
            }
        }
    }
    let mut os: HashMap<i64, String> = HashMap::new();
    let mut bytes = 0usize;
    let stopped = |report: &mut ParseReport, e: rusqlite::Error| {
        let why = sqlite_error(report, 0, &e);
        report.reject(0, format!("package names left out: {why}"));
    };
    budget.statement();
    let result = conn
        .prepare("SELECT operating_system_id, name, version FROM OS")
        .and_then(|mut st| {
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                budget.row();
                let label = format!(
                    "{} {}",
                    r.get::<_, String>(1).unwrap_or_default(),
                    r.get::<_, String>(2).unwrap_or_default()
                );
                let label: String = label.trim().chars().take(MAX_LABEL_CHARS).collect();
                bytes += label.len();
                if bytes > MAX_LABEL_BYTES {
                    break;
                }
                if let Ok(id) = r.get::<_, i64>(0) {
                    os.insert(id, label);
                }
            }
            Ok(())
        });
    if let Err(e) = result {
        stopped(report, e);
        return map;
    }
    budget.statement();
    let result = conn
        .prepare("SELECT package_id, name, version, operating_system_id FROM PKG")
        .and_then(|mut st| {
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                budget.row();
                let (Ok(id), Ok(name), Ok(version), Ok(os_id)) = (
                    r.get::<_, i64>(0),
                    r.get::<_, String>(1),
                    r.get::<_, String>(2),
                    r.get::<_, i64>(3),
                ) else {
                    continue;
                };
                let label = match os.get(&os_id) {
                    Some(o) => format!("{name} {version} ({o})"),
                    None => format!("{name} {version}"),
                };
                let label: String = label.trim().chars().take(MAX_LABEL_CHARS).collect();
                if map.contains_key(&id) {
                    continue;
                }
                bytes += label.len();
                if bytes > MAX_LABEL_BYTES {
                    break;
                }
                map.insert(id, label);
            }
            Ok(())
        });
    if let Err(e) = result {
        stopped(report, e);
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
    let (conn, budget) = untrusted::open(path).map_err(|e| malformed(report, e))?;
    match untrusted::check(&conn, &untrusted::FILE) {
        Ok(true) => {}
        Ok(false) => return Err(malformed(report, "no FILE table or view")),
        Err(why) => return Err(malformed(report, why)),
    }
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
    let pkgs = packages(&conn, &budget, report);
    budget.statement();
    let mut st = conn.prepare(&sql).map_err(|e| malformed(report, e))?;
    let mut rows = st.query([]).map_err(|e| sqlite_error(report, 0, &e))?;
    let k = digest_cols.len();
    let mut n = 0u64;
    loop {
        let row = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => return Err(sqlite_error(report, n, &e)),
        };
        budget.row();
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
