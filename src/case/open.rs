//! Opening a case: a file is inspected read-only first (is it a case, of a
//! version this Ferret reads, intact?), migrated forward only after that,
//! and never written when any check fails.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{CaseError, CaseInfo, CaseStore, audit, schema};
use crate::evidence::UtcTime;

/// True when SQLite can keep its WAL index beside the case: the folder is
/// writable (a write-blocked or read-only medium is not).
fn folder_writable(path: &Path) -> bool {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    {
        rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
    }
}

/// A read-only connection. On read-only media SQLite cannot create the WAL
/// index, so the file is opened as immutable (nothing can change it there);
/// a case left with unsaved changes in its `-wal` file is refused then, as
/// immutable reading would not see them.
fn connect_read_only(path: &Path) -> Result<Connection, CaseError> {
    connect(path, !folder_writable(path))
}

/// A read-only connection; `immutable`: SQLite creates no `-wal` or `-shm`
/// file and takes no lock (it reads the case file alone).
fn connect(path: &Path, immutable: bool) -> Result<Connection, CaseError> {
    let conn = connect_raw(path, immutable)?;
    compat_views(&conn)?;
    Ok(conn)
}

/// A case of an older schema read without migrating it (read-only media, a
/// report): temporary views, which shadow its tables on this connection
/// only, give it the columns later versions added, with the values they
/// mean for it (a POSIX path convention, no streams, no attributes).
/// Nothing is written to the case.
fn compat_views(conn: &Connection) -> Result<(), CaseError> {
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    // Columns later versions added, as NULLs, for queries written for the
    // current schema.
    const V4_FILES: &str = "NULL AS pdq, NULL AS pdq_quality, NULL AS pdq_note, \
         NULL AS similar_group, NULL AS pdq_views";
    match version {
        1 | 2 => conn.execute_batch(&format!(
            "CREATE TEMP VIEW evidence AS SELECT *, 'posix' AS path_style, NULL AS streams FROM main.evidence;
             CREATE TEMP VIEW files AS SELECT *, NULL AS stream, NULL AS stream_text, NULL AS attributes,
                 NULL AS members, NULL AS member_text, NULL AS archive, NULL AS archive_note,
                 {V4_FILES} FROM main.files;
             CREATE TEMP VIEW hits AS SELECT *, NULL AS distance FROM main.hits;"
        ))?,
        3 => conn.execute_batch(&format!(
            "CREATE TEMP VIEW files AS SELECT *, {V4_FILES} FROM main.files;
             CREATE TEMP VIEW hits AS SELECT *, NULL AS distance FROM main.hits;"
        ))?,
        4 => conn.execute_batch(
            "CREATE TEMP VIEW files AS SELECT *, NULL AS pdq_views FROM main.files;",
        )?,
        _ => {}
    }
    if version < 6 {
        // No examiner categories, the US profile and its labels.
        conn.execute_batch(
            "CREATE TEMP VIEW review AS SELECT *, NULL AS category FROM main.review;
             CREATE TEMP VIEW case_info AS SELECT *, 'US' AS category_profile, '' AS case_uuid
               FROM main.case_info;
             CREATE TEMP VIEW category_labels (profile, number, label) AS
               VALUES ('US', 0, 'Non-pertinent'), ('US', 1, 'Child abuse material'),
                      ('US', 2, 'Child exploitive (non-CAM)'), ('US', 3, 'CGI / animation'),
                      ('US', 4, 'Comparison images');",
        )?;
    }
    Ok(())
}

fn connect_raw(path: &Path, immutable: bool) -> Result<Connection, CaseError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if !immutable {
        return Ok(Connection::open_with_flags(path, flags)?);
    }
    let mut wal = path.as_os_str().to_os_string();
    wal.push("-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(CaseError::UnsavedOnReadOnlyMedia(path.to_path_buf()));
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for b in crate::pathfmt::path_bytes(&abs) {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(char::from(*b))
            }
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    Ok(Connection::open_with_flags(
        uri,
        flags | OpenFlags::SQLITE_OPEN_URI,
    )?)
}

/// Inspects a file read-only: is it a case, of a version we read, intact?
fn check(path: &Path) -> Result<i32, CaseError> {
    let version = check_header(path)?;
    check_integrity(path)?;
    Ok(version)
}

/// Is it a case of a version we read? (Reads the header only.)
fn check_header(path: &Path) -> Result<i32, CaseError> {
    check_header_with(path, false)
}

/// [`check_header`]; `immutable`: without creating any file beside it.
fn check_header_with(path: &Path, immutable: bool) -> Result<i32, CaseError> {
    if !path.exists() {
        return Err(CaseError::Missing(path.to_path_buf()));
    }
    let corrupt = |e: rusqlite::Error| CaseError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let conn = match connect_raw(path, immutable || !folder_writable(path)) {
        Ok(c) => c,
        Err(CaseError::Db(e)) => return Err(corrupt(e)),
        Err(other) => return Err(other),
    };
    let app: i32 = match conn.query_row("PRAGMA application_id", [], |r| r.get(0)) {
        Ok(a) => a,
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(CaseError::NotACase(path.to_path_buf()));
        }
        Err(e) => return Err(corrupt(e)),
    };
    if app != schema::APPLICATION_ID {
        return Err(CaseError::NotACase(path.to_path_buf()));
    }
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(corrupt)?;
    if version > schema::SCHEMA_VERSION {
        return Err(CaseError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: schema::SCHEMA_VERSION,
        });
    }
    check_schema(&conn, version).map_err(|reason| CaseError::Corrupt {
        path: path.to_path_buf(),
        reason,
    })?;
    Ok(version)
}

/// One object of `sqlite_master`: (type, name, table, SQL).
type SchemaObject = (String, String, String, Option<String>);

fn schema_objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut st = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name, tbl_name, sql",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

/// The objects a case of `version` holds: its migrations applied to an
/// empty in-memory database (built once per version).
fn expected_schema(version: i32) -> Result<&'static [SchemaObject], String> {
    use std::sync::OnceLock;
    static BUILT: OnceLock<Vec<Result<Vec<SchemaObject>, String>>> = OnceLock::new();
    let all = BUILT.get_or_init(|| {
        (0..=schema::MIGRATIONS.len())
            .map(|v| {
                let conn = Connection::open_in_memory().map_err(|e| e.to_string())?;
                for m in schema::MIGRATIONS.iter().take(v) {
                    conn.execute_batch(m).map_err(|e| e.to_string())?;
                }
                schema_objects(&conn).map_err(|e| e.to_string())
            })
            .collect()
    });
    let at = usize::try_from(version).map_err(|_| format!("schema version {version}"))?;
    match all.get(at) {
        Some(Ok(objects)) => Ok(objects),
        Some(Err(e)) => Err(e.clone()),
        None => Err(format!("no schema version {version}")),
    }
}

/// A case holds exactly Ferret's tables and indexes, as Ferret wrote them:
/// no other table, view or trigger (a view named like a table can make
/// every later query run forever or lie). Checked before any other query.
fn check_schema(conn: &Connection, version: i32) -> Result<(), String> {
    if version < 1 {
        return Err(format!("schema version {version} is not a case's"));
    }
    let want = expected_schema(version)?;
    let got = schema_objects(conn).map_err(|e| e.to_string())?;
    // Exactly Ferret's objects, less any index a scan defers that is
    // missing (see DEFERRED_INDEXES): both lists are in the same order.
    let deferred = |o: &SchemaObject| {
        o.0 == "index"
            && schema::DEFERRED_INDEXES
                .iter()
                .any(|(name, _)| *name == o.1)
    };
    let allowed: Vec<&SchemaObject> = want
        .iter()
        .filter(|o| got.contains(o) || !deferred(o))
        .collect();
    if got.iter().eq(allowed.iter().copied()) {
        return Ok(());
    }
    let describe = |o: &SchemaObject| format!("{} {}", o.0, crate::pathfmt::escape_text(&o.1));
    let extra: Vec<String> = got
        .iter()
        .filter(|o| !want.contains(o))
        .map(describe)
        .collect();
    let missing: Vec<String> = want
        .iter()
        .filter(|o| !got.contains(o))
        .map(describe)
        .collect();
    Err(format!(
        "its schema is not Ferret's (unexpected or altered: {}; missing: {})",
        if extra.is_empty() {
            "none".into()
        } else {
            extra.join(", ")
        },
        if missing.is_empty() {
            "none".into()
        } else {
            missing.join(", ")
        }
    ))
}

/// SQLite's `quick_check` over the whole file, read-only (it reads every
/// page: seconds for a cold 1M-file case).
fn check_integrity(path: &Path) -> Result<(), CaseError> {
    let corrupt = |reason: String| CaseError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let conn = match connect_read_only(path) {
        Ok(c) => c,
        Err(CaseError::Db(e)) => return Err(corrupt(e.to_string())),
        Err(other) => return Err(other),
    };
    let ok: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(|e| corrupt(e.to_string()))?;
    if ok != "ok" {
        return Err(corrupt(ok));
    }
    Ok(())
}

/// Every connection that writes a case: FULL synchronous, so a committed
/// batch of a scan and every review change survive a power loss (in WAL
/// mode NORMAL may lose the last commits). It costs one WAL sync per
/// commit: the writer commits at most every 1,000 records or 250 ms.
pub(super) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")
}

impl CaseStore {
    /// Creates a new case file (never over an existing file).
    /// The name is never followed: a link there (even a dangling one) is
    /// refused like any existing file. Callers that know the evidence
    /// check the path with [`crate::evidence::guard`] first.
    pub fn create(path: &Path, info: &CaseInfo, actor: &str) -> Result<CaseStore, CaseError> {
        if info.case_number.trim().is_empty() {
            return Err(CaseError::CaseNumberRequired);
        }
        // O_EXCL: an existing name, file or link, is never opened through.
        crate::evidence::guard::create_output(path, &[], false).map_err(|e| match e {
            crate::evidence::GuardError::Exists(p) => CaseError::Exists(p),
            other => CaseError::Create(other),
        })?;
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA application_id = {};",
            schema::APPLICATION_ID
        ))?;
        let tx = conn.transaction()?;
        for m in schema::MIGRATIONS {
            tx.execute_batch(m)?;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {}", schema::SCHEMA_VERSION))?;
        tx.execute(
            "INSERT INTO case_info (id, case_number, title, examiner, examiner_id, agency, notes, display_tz, created,
                                    case_uuid)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, lower(hex(randomblob(16))))",
            params![
                info.case_number,
                info.title,
                info.examiner,
                info.examiner_id,
                info.agency,
                info.notes,
                if info.display_tz.is_empty() { "UTC" } else { &info.display_tz },
                UtcTime::now().to_iso8601()
            ],
        )?;
        let detail = serde_json::to_string(info).unwrap_or_default();
        audit::append(&tx, actor, "case_created", &detail)?;
        tx.commit()?;
        Ok(CaseStore {
            conn,
            path: path.to_path_buf(),
            read_only: false,
        })
    }

    /// Opens an existing case for reading and writing. Scans left `running`
    /// by a process that is gone are marked `interrupted`.
    /// On read-only media this fails with [`CaseError::ReadOnlyMedia`]:
    /// open it with [`CaseStore::open_read_only`] instead.
    pub fn open(path: &Path) -> Result<CaseStore, CaseError> {
        check(path)?;
        Self::open_checked(path)
    }

    /// Checks the whole case file read-only (what [`CaseStore::open`] does
    /// before writing anything). For a front end that shows a case at once
    /// with [`CaseStore::open_read_only_unverified`], runs this on another
    /// thread, then reopens with [`CaseStore::open_checked`].
    pub fn verify_integrity(path: &Path) -> Result<(), CaseError> {
        check_integrity(path)
    }

    /// [`CaseStore::open`] of a file [`CaseStore::verify_integrity`] passed:
    /// checks the header again, not every page.
    pub fn open_checked(path: &Path) -> Result<CaseStore, CaseError> {
        let version = check_header(path)?;
        if !folder_writable(path) {
            return Err(CaseError::ReadOnlyMedia(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        if (version as usize) < schema::MIGRATIONS.len() {
            // Foreign keys off while tables are rebuilt (it cannot change
            // inside a transaction), checked before each commit.
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
            for (i, m) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
                let tx = conn.unchecked_transaction()?;
                tx.execute_batch(m)?;
                let broken: Option<String> = tx
                    .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                    .optional()?;
                if let Some(table) = broken {
                    return Err(CaseError::Corrupt {
                        path: path.to_path_buf(),
                        reason: format!("migration {} breaks a reference in {table}", i + 1),
                    });
                }
                // What the migration left must be the schema of its version,
                // read back from the file, before it is committed.
                let to = i32::try_from(i + 1).unwrap_or(i32::MAX);
                check_schema(&tx, to).map_err(|reason| CaseError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("migration {to}: {reason}"),
                })?;
                tx.execute_batch(&format!("PRAGMA user_version = {to}"))?;
                tx.commit()?;
            }
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        let store = CaseStore {
            conn,
            path: path.to_path_buf(),
            read_only: false,
        };
        store.mark_interrupted()?;
        // A scan that stopped before building its deferred indexes: built
        // now, unless a scan is running (its writer builds them at its end;
        // building them under it would hold the write lock it needs).
        let running: i64 = store.conn.query_row(
            "SELECT count(*) FROM scans WHERE status = 'running'",
            [],
            |r| r.get(0),
        )?;
        if running == 0 {
            schema::build_deferred_indexes(&store.conn)?;
        }
        Ok(store)
    }

    /// A second connection to this (already checked) case, for a worker
    /// thread such as a report export while the GUI keeps its own.
    pub fn second_connection(&self) -> Result<CaseStore, CaseError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        Ok(CaseStore {
            conn,
            path: self.path.clone(),
            read_only: false,
        })
    }

    /// Opens a case read-only after checking its header only: for showing
    /// it at once while [`CaseStore::verify_integrity`] runs elsewhere.
    /// Queries on damaged pages fail with an error, never write.
    pub fn open_read_only_unverified(path: &Path) -> Result<CaseStore, CaseError> {
        check_header(path)?;
        Self::read_only_conn(path)
    }

    /// Opens an existing case read-only (reports, `case info`, `case verify`).
    pub fn open_read_only(path: &Path) -> Result<CaseStore, CaseError> {
        check(path)?;
        Self::read_only_conn(path)
    }

    /// The evidence roots a case records, read without creating anything
    /// beside the case (no `-wal`, no `-shm`, no lock): for deciding whether
    /// a case may be opened at all, as it may lie inside its own evidence.
    /// A case left with changes in its `-wal` (a killed scan) is read from
    /// a private copy of both files.
    pub fn evidence_roots_of(path: &Path) -> Result<Vec<std::path::PathBuf>, CaseError> {
        let mut wal = path.as_os_str().to_os_string();
        wal.push("-wal");
        let wal = std::path::PathBuf::from(wal);
        if !std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            check_header_with(path, true)?;
            let store = CaseStore {
                conn: connect(path, true)?,
                path: path.to_path_buf(),
                read_only: true,
            };
            return Ok(store.evidence()?.into_iter().map(|e| e.root).collect());
        }
        let stamp = UtcTime::now();
        let dir = std::env::temp_dir().join(format!(
            "ferret-peek-{}-{}-{}",
            std::process::id(),
            stamp.secs,
            stamp.nanos
        ));
        let io = |source: std::io::Error| CaseError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("cannot copy it to read it: {source}"),
        };
        std::fs::create_dir(&dir).map_err(io)?;
        let copy = dir.join("case.ferret");
        let roots = std::fs::copy(path, &copy)
            .and_then(|_| std::fs::copy(&wal, dir.join("case.ferret-wal")))
            .map_err(io)
            .and_then(|_| {
                let store = Self::open_read_only_unverified(&copy)?;
                Ok(store.evidence()?.into_iter().map(|e| e.root).collect())
            });
        let _ = std::fs::remove_dir_all(&dir);
        roots
    }

    fn read_only_conn(path: &Path) -> Result<CaseStore, CaseError> {
        let conn = connect_read_only(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(CaseStore {
            conn,
            path: path.to_path_buf(),
            read_only: true,
        })
    }
}
