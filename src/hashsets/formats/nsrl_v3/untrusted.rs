//! Reading a SQLite file from outside. A database is a program as much as
//! data: a `FILE` view can recurse forever (1.2 GB after 15 s) or build a
//! 400 MB `zeroblob` per row. So before any row is read:
//!
//! - the objects read must be plain tables (not virtual, no computed
//!   columns), or views whose SQL is NIST's own over such tables;
//! - SQLite's per-connection limits are cut to what an RDS needs (a value
//!   at most 1 MiB, no attached databases, shallow expressions), the file
//!   is opened read-only and query-only, schema functions are untrusted,
//!   triggers off, cells checked;
//! - SQLite's heap is capped ([`HEAP_LIMIT`]), and a progress handler stops
//!   any statement that goes [`ROW_WAIT`] without a row or spends more
//!   virtual-machine steps than its rows justify ([`STEPS_PER_ROW`]).
//!
//! A real RDS passes all of this: NIST's minimal edition is plain tables,
//! the full edition NIST's views over plain tables.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};

/// Longest string or blob SQLite will produce (a digest is 64 characters,
/// a file name a few hundred).
const MAX_VALUE: i32 = 1 << 20;

/// Cap on SQLite's heap. It is process-wide (SQLite has one allocator) and
/// can only be lowered, so it is set far above what the case store uses
/// (a few MiB of page cache per connection).
pub const HEAP_LIMIT: i64 = 512 << 20;

/// Longest wait for the next row before a statement is stopped.
pub const ROW_WAIT: Duration = Duration::from_secs(10);

/// Virtual-machine steps each returned row adds to a statement's allowance
/// (an RDS row costs a few hundred, through NIST's join about a thousand).
pub const STEPS_PER_ROW: u64 = 100_000;

/// Steps a statement may take before its allowance counts (schema reads,
/// the first rows): a few seconds of work.
const FIRST_STEPS: u64 = 500_000_000;

/// How often (in steps) the progress handler runs.
const CHECK_EVERY: u64 = 1_000;

/// NIST's full-edition `FILE` view (RDSv3 DDL), and the tables under it.
const NIST_FILE_VIEW: &str = "CREATE VIEW FILE AS
    SELECT
        UPPER(md.sha256) AS sha256,
        UPPER(md.sha1) AS sha1,
        UPPER(md.md5) AS md5,
        CASE md.extension
            WHEN ''
                THEN md.file_name
                ELSE md.file_name||'.'||md.extension
            END AS file_name,
        md.bytes AS file_size,
        po.package_id
    FROM
        METADATA AS md,
        PACKAGE_OBJECT AS po
    WHERE
        md.object_id = po.object_id";

/// NIST's full-edition `OS` view.
const NIST_OS_VIEW: &str = "CREATE VIEW OS AS
    SELECT os.operating_system_id, os.name, os.version, mos.manufacturer_id
    FROM OPERATING_SYSTEM AS os, MANUFACTURER_OPERATING_SYSTEM AS mos
    WHERE os.operating_system_id = mos.operating_system_id";

/// NIST's full-edition `PKG` view.
const NIST_PKG_VIEW: &str = "CREATE VIEW PKG AS
    SELECT a.package_id, a.name, a.version, osa.operating_system_id, ma.manufacturer_id,
        l.name AS language, at.description AS application_type
    FROM APPLICATION AS a, OPERATING_SYSTEM_APPLICATION AS osa, MANUFACTURER_APPLICATION AS ma,
        APPLICATION_LANGUAGE AS al, LANGUAGE AS l, APPLICATION_APPLICATION_TYPE AS aat,
        APPLICATION_TYPE AS at
    WHERE a.application_id = osa.application_id AND a.application_id = ma.application_id
    AND a.application_id = al.application_id AND al.language_id = l.language_id
    AND a.application_id = aat.application_id AND aat.application_type_id = at.application_type_id";

/// An object Ferret reads: its name, NIST's view of that name and the
/// tables under that view.
pub struct Known {
    /// Table or view name.
    pub name: &'static str,
    view: &'static str,
    bases: &'static [&'static str],
}

/// `FILE`: the digests.
pub const FILE: Known = Known {
    name: "FILE",
    view: NIST_FILE_VIEW,
    bases: &["METADATA", "PACKAGE_OBJECT"],
};

/// `OS`: operating-system names for package labels.
pub const OS: Known = Known {
    name: "OS",
    view: NIST_OS_VIEW,
    bases: &["OPERATING_SYSTEM", "MANUFACTURER_OPERATING_SYSTEM"],
};

/// `PKG`: package names.
pub const PKG: Known = Known {
    name: "PKG",
    view: NIST_PKG_VIEW,
    bases: &[
        "APPLICATION",
        "OPERATING_SYSTEM_APPLICATION",
        "MANUFACTURER_APPLICATION",
        "APPLICATION_LANGUAGE",
        "LANGUAGE",
        "APPLICATION_APPLICATION_TYPE",
        "APPLICATION_TYPE",
    ],
};

/// The progress budget of a connection: the statement being stepped gets
/// a fresh allowance from [`Budget::statement`] and more per row from
/// [`Budget::row`].
#[derive(Clone)]
pub struct Budget {
    start: Instant,
    /// Milliseconds since `start` by which the next row must come.
    deadline_ms: Arc<AtomicU64>,
    steps: Arc<AtomicU64>,
    allowance: Arc<AtomicU64>,
}

impl Budget {
    fn new() -> Self {
        let b = Budget {
            start: Instant::now(),
            deadline_ms: Arc::default(),
            steps: Arc::default(),
            allowance: Arc::default(),
        };
        b.statement();
        b
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A new statement starts: a fresh wait and a fresh allowance.
    pub fn statement(&self) {
        self.steps.store(0, Ordering::Relaxed);
        self.allowance.store(FIRST_STEPS, Ordering::Relaxed);
        self.row();
    }

    /// A row came: the wait restarts and the allowance grows.
    pub fn row(&self) {
        let wait = u64::try_from(ROW_WAIT.as_millis()).unwrap_or(u64::MAX);
        self.deadline_ms
            .store(self.now_ms().saturating_add(wait), Ordering::Relaxed);
        self.allowance.fetch_add(STEPS_PER_ROW, Ordering::Relaxed);
    }

    /// True when the statement must stop (called by SQLite's progress handler).
    fn exhausted(&self) -> bool {
        let steps = self.steps.fetch_add(CHECK_EVERY, Ordering::Relaxed) + CHECK_EVERY;
        steps > self.allowance.load(Ordering::Relaxed)
            || self.now_ms() > self.deadline_ms.load(Ordering::Relaxed)
    }
}

/// Opens `path` read-only with every guard of this module in place.
pub fn open(path: &std::path::Path) -> rusqlite::Result<(Connection, Budget)> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    guard(&conn)?;
    let budget = Budget::new();
    let handler = budget.clone();
    conn.progress_handler(CHECK_EVERY as i32, Some(move || handler.exhausted()));
    Ok((conn, budget))
}

/// Limits, configuration and pragmas for an untrusted database.
fn guard(conn: &Connection) -> rusqlite::Result<()> {
    for (limit, value) in [
        (Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE),
        (Limit::SQLITE_LIMIT_SQL_LENGTH, MAX_VALUE),
        (Limit::SQLITE_LIMIT_COLUMN, 500),
        (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 8),
        (Limit::SQLITE_LIMIT_FUNCTION_ARG, 16),
        (Limit::SQLITE_LIMIT_ATTACHED, 0),
        (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 100),
        (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 16),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
    ] {
        conn.set_limit(limit, value)?;
    }
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.execute_batch(&format!(
        "PRAGMA query_only = ON; PRAGMA cell_size_check = ON; PRAGMA mmap_size = 0;
         PRAGMA hard_heap_limit = {HEAP_LIMIT};"
    ))?;
    Ok(())
}

/// What `sqlite_master` says an object is.
enum Kind {
    Absent,
    Table,
    View(String),
    Other(String),
}

fn kind(conn: &Connection, name: &str) -> rusqlite::Result<Kind> {
    let mut st = conn.prepare(
        "SELECT type, sql FROM sqlite_master
         WHERE name = ?1 COLLATE NOCASE AND type IN ('table', 'view')",
    )?;
    let mut rows = st.query([name])?;
    let Some(row) = rows.next()? else {
        return Ok(Kind::Absent);
    };
    let (ty, sql): (String, Option<String>) = (row.get(0)?, row.get(1)?);
    let sql = sql.unwrap_or_default();
    Ok(match ty.as_str() {
        "table" if !normalize(&sql).starts_with("create virtual") => {
            // Columns computed on read (VIRTUAL generated, hidden = 2)
            // would run an expression per row.
            let computed: i64 = conn.query_row(
                "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE hidden IN (1, 2)",
                [name],
                |r| r.get(0),
            )?;
            if computed == 0 {
                Kind::Table
            } else {
                Kind::Other("a table with columns computed on read".into())
            }
        }
        "table" => Kind::Other("a virtual table".into()),
        _ => Kind::View(sql),
    })
}

/// Checks that `object` is safe to read: `Ok(false)` when absent, an error
/// naming what it is otherwise.
pub fn check(conn: &Connection, object: &Known) -> Result<bool, String> {
    let sqlite = |e: rusqlite::Error| e.to_string();
    match kind(conn, object.name).map_err(sqlite)? {
        Kind::Absent => Ok(false),
        Kind::Table => Ok(true),
        Kind::Other(what) => Err(format!(
            "{} is {what}; only plain tables or NIST's own views are read",
            object.name
        )),
        Kind::View(sql) if normalize(&sql) != normalize(object.view) => Err(format!(
            "{} is a view that is not NIST's (its SQL differs from the RDSv3 schema); \
             only a {} table or NIST's own {} view is read",
            object.name, object.name, object.name
        )),
        Kind::View(_) => {
            for base in object.bases {
                match kind(conn, base).map_err(sqlite)? {
                    Kind::Table => {}
                    Kind::Absent => {
                        return Err(format!(
                            "{} is NIST's view but {base} is missing",
                            object.name
                        ));
                    }
                    _ => {
                        return Err(format!(
                            "{} is NIST's view but {base} under it is not a plain table",
                            object.name
                        ));
                    }
                }
            }
            Ok(true)
        }
    }
}

/// SQL text reduced to its tokens: comments dropped, whitespace runs made
/// one space (none next to punctuation), letters lower-cased; string
/// literals and quoted names are kept exactly, so two texts that normalize
/// the same are the same statement.
pub fn normalize(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut space = false;
    let push_space = |out: &mut String, space: &mut bool| {
        if *space && !out.is_empty() && !out.ends_with(['(', ',', '.', '|', '=']) {
            out.push(' ');
        }
        *space = false;
    };
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                space = true;
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                space = true;
            }
            '\'' | '"' | '`' | '[' => {
                push_space(&mut out, &mut space);
                let close = if c == '[' { ']' } else { c };
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == close {
                        // A doubled quote is an escaped one, still inside.
                        if close != ']' && chars.peek() == Some(&close) {
                            if let Some(q) = chars.next() {
                                out.push(q);
                            }
                            continue;
                        }
                        break;
                    }
                }
            }
            c if c.is_whitespace() => space = true,
            ',' | ')' | '.' | '|' | '=' | '(' | ';' => {
                space = false;
                out.push(c);
            }
            c => {
                push_space(&mut out, &mut space);
                out.extend(c.to_lowercase());
            }
        }
    }
    out.trim_end_matches(';').to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_literals_and_drops_layout() {
        assert_eq!(
            normalize("SELECT  a ,b\n/* x */ FROM t -- c\n WHERE x = 'A  B' ;"),
            "select a,b from t where x='A  B'"
        );
        assert_ne!(normalize("SELECT '/*' , 1 */"), normalize("SELECT 1"));
        assert_eq!(
            normalize(NIST_FILE_VIEW),
            normalize(&NIST_FILE_VIEW.replace("    ", "\t"))
        );
    }

    #[test]
    fn a_runaway_statement_is_stopped() {
        let conn = Connection::open_in_memory().unwrap();
        guard(&conn).unwrap();
        let budget = Budget::new();
        budget.allowance.store(2_000_000, Ordering::Relaxed);
        let handler = budget.clone();
        conn.progress_handler(CHECK_EVERY as i32, Some(move || handler.exhausted()));
        let started = Instant::now();
        let e = conn
            .query_row(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                 SELECT count(*) FROM c",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap_err();
        assert_eq!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::OperationInterrupted)
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        let e = conn
            .query_row("SELECT length(zeroblob(400000000))", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_err();
        assert!(e.to_string().contains("too big"), "{e}");
    }
}
