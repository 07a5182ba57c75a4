//! The case file: round trip, crash safety with resume, audit chain, the
//! review query API, and refusal of files that are not (usable) cases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferret::case::review::{FlagFilter, FlagReason, ReviewStatus, SortKey};
use ferret::case::{CaseError, CaseInfo, CaseStore};

use crate::util::{self, Shapes};

fn scan_cmd(case: &Path) -> Command {
    let mut c = util::ferret();
    c.args(["scan", "-q", "--case"]).arg(case);
    c
}

fn new_case(case: &Path, source: &Path, extra: &[&str]) -> std::process::Output {
    scan_cmd(case)
        .args([
            "--new",
            "--case-number",
            "T-1",
            "--examiner",
            "Tester",
            "--exhibit",
            "EX1",
        ])
        .args(extra)
        .arg(source)
        .output()
        .unwrap()
}

type Digest = Option<Vec<u8>>;
/// status, md5, sha1, sha256, blake3
type FileRow = (String, Digest, Digest, Digest, Digest);

/// path → row, for every file row.
fn file_rows(case: &Path) -> BTreeMap<Vec<u8>, FileRow> {
    let db = util::db(case);
    let mut st = db
        .prepare("SELECT path, status, md5, sha1, sha256, blake3 FROM files")
        .unwrap();
    st.query_map([], |r| {
        Ok((
            r.get(0)?,
            (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn round_trip_every_entry_accounted_for_and_digests_match_inventory() {
    let tree = util::hostile_tree(Shapes {
        newline_names: true,
        deep: true,
        sparse: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.ferret");
    let out = new_case(&case, tree.root(), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = file_rows(&case);
    assert_eq!(
        rows.len() as u64,
        tree.files + tree.not_hashed,
        "hashed + recorded = walked"
    );
    let hashed = rows.values().filter(|r| r.0 == "hashed").count() as u64;
    assert_eq!(hashed, tree.files);
    // Same digests as `ferret inventory -f jsonl`.
    let inv = util::ferret()
        .args(["inventory", "-q", "-f", "jsonl"])
        .arg(tree.root())
        .output()
        .unwrap();
    let prefix = format!("{}/", ferret::pathfmt::escape_path(tree.root()));
    for line in String::from_utf8(inv.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let rel = ferret::pathfmt::unescape_path(
            v["path"].as_str().unwrap().strip_prefix(&prefix).unwrap(),
        )
        .unwrap();
        let row = rows
            .get(&rel)
            .unwrap_or_else(|| panic!("{} missing from case", String::from_utf8_lossy(&rel)));
        if v["status"] == "hashed" {
            assert_eq!(
                row.1.as_deref().map(hex::encode),
                v["md5"].as_str().map(String::from)
            );
            assert_eq!(
                row.3.as_deref().map(hex::encode),
                v["sha256"].as_str().map(String::from)
            );
            assert_eq!(
                row.4.as_deref().map(hex::encode),
                v["blake3"].as_str().map(String::from)
            );
        }
    }
    // Reopen: case data, evidence, one complete scan, audit intact.
    let store = CaseStore::open(&case).unwrap();
    assert_eq!(store.info().unwrap().case_number, "T-1");
    assert_eq!(store.evidence().unwrap()[0].exhibit, "EX1");
    let scans = store.scans().unwrap();
    assert_eq!((scans.len(), scans[0].status.as_str()), (1, "complete"));
    assert!(store.verify_audit().unwrap().is_ok());
}

fn many_files(n: usize, size: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let sub = dir.path().join(format!("d{:02}", i % 40));
        std::fs::create_dir_all(&sub).unwrap();
        let mut data = vec![(i % 251) as u8; size];
        data[..8].copy_from_slice(&(i as u64).to_le_bytes());
        std::fs::write(sub.join(format!("f{i:05}.bin")), data).unwrap();
    }
    dir
}

fn rows_now(case: &Path) -> i64 {
    let Ok(c) =
        rusqlite::Connection::open_with_flags(case, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    c.query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap_or(0)
}

/// Starts `cmd`, waits until the case holds at least `rows` files, kills it.
fn kill_after(mut cmd: Command, case: &Path, rows: i64) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false; // finished before the kill point
        }
        if rows_now(case) >= rows || start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn killed_scans_resume_to_the_same_result_as_an_uninterrupted_one() {
    let tree = many_files(3000, 48 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ref.ferret");
    assert!(
        new_case(&reference, tree.path(), &["-j", "1"])
            .status
            .success()
    );
    let want = file_rows(&reference);
    assert_eq!(want.len(), 3040);

    let case = dir.path().join("crash.ferret");
    let mut first = scan_cmd(&case);
    first
        .args([
            "--new",
            "--case-number",
            "T-2",
            "--examiner",
            "Tester",
            "-j",
            "1",
        ])
        .arg(tree.path());
    let killed = kill_after(first, &case, 400);
    let mut kills = u32::from(killed);
    for point in [1200, 2400] {
        let mut resume = scan_cmd(&case);
        resume.args(["--resume", "-j", "1"]);
        kills += u32::from(kill_after(resume, &case, point));
    }
    let out = scan_cmd(&case)
        .args(["--resume", "-j", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("nothing to resume"),
        "{stderr}"
    );
    assert!(
        kills >= 1,
        "no scan was killed mid-way; the test proved nothing"
    );
    let got = file_rows(&case);
    assert_eq!(got.len(), want.len(), "no duplicates, no gaps");
    assert_eq!(
        got, want,
        "same files and digests as the uninterrupted scan"
    );
    let store = CaseStore::open_read_only(&case).unwrap();
    let statuses: Vec<String> = store
        .scans()
        .unwrap()
        .into_iter()
        .map(|s| s.status.as_str().to_string())
        .collect();
    // A kill can land just after a scan committed its last row; at least
    // one must have interrupted a scan for the test to mean anything. Each
    // interrupted scan was then continued by a resume: superseded.
    let superseded = statuses.iter().filter(|s| *s == "superseded").count() as u32;
    assert!((1..=kills).contains(&superseded), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| s == "superseded" || s == "complete"),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("complete"),
        "{statuses:?}"
    );
    assert!(store.verify_audit().unwrap().is_ok());
}

fn sample_case(dir: &Path) -> PathBuf {
    let ev = dir.join("ev");
    std::fs::create_dir_all(ev.join("Users/a/Pictures")).unwrap();
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
    let files: [(&str, Vec<u8>); 6] = [
        ("Users/a/Pictures/a.jpg", [&jpeg[..], b"a"].concat()),
        ("Users/a/Pictures/b.jpg", [&jpeg[..], b"bb"].concat()),
        ("Users/a/Pictures/c.dll", [&jpeg[..], b"ccc"].concat()),
        ("Users/a/notes.txt", b"not flagged".to_vec()),
        ("Windows/x.dat", [&jpeg[..], b"dddd"].concat()),
        ("Users/a/d.png", b"text pretending to be png".to_vec()),
    ];
    for (p, data) in &files {
        let path = ev.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    let md5 = |d: &[u8]| {
        hex::encode(
            ferret::hashing::hash_bytes(d, ferret::AlgorithmSet::ALL)
                .md5
                .unwrap(),
        )
    };
    let lib = dir.join("lib");
    let vics = format!(
        "{{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media\",\"value\":[\
         {{\"MediaID\":1,\"Category\":1,\"MD5\":\"{}\"}},{{\"MediaID\":2,\"Category\":2,\"MD5\":\"{}\"}},{{\"MediaID\":3,\"Category\":4,\"MD5\":\"{}\"}}]}}",
        md5(&files[0].1),
        md5(&files[1].1),
        md5(&files[4].1)
    );
    std::fs::write(dir.join("vics.json"), vics).unwrap();
    let out = util::ferret()
        .args(["hashset", "--library"])
        .arg(&lib)
        .args(["import", "-k", "alert", "-n", "vics"])
        .arg(dir.join("vics.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let case = dir.join("q.ferret");
    let out = new_case(
        &case,
        &ev,
        &["--library", lib.to_str().unwrap(), "-s", "vics"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    case
}

#[test]
fn review_query_filters_sorts_pages_and_audits() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    let store = CaseStore::open(&case).unwrap();
    let names = |rows: &[ferret::case::review::FlaggedRow]| {
        rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>()
    };
    let all = FlagFilter::default();
    // a, b: alert (cat 1, 2); x.dat: info (cat 4) + mismatch; c.dll: mismatch; d.png: mismatch.
    let rows = store.flagged(&all, SortKey::Path, false, 0, 100).unwrap();
    assert_eq!(names(&rows), ["a.jpg", "b.jpg", "c.dll", "d.png", "x.dat"]);
    assert_eq!(store.count_flagged(&all).unwrap(), 5);
    let alerts = FlagFilter {
        reasons: vec![FlagReason::Alert],
        ..Default::default()
    };
    assert_eq!(
        names(&store.flagged(&alerts, SortKey::Name, true, 0, 100).unwrap()),
        ["b.jpg", "a.jpg"]
    );
    let cat2 = FlagFilter {
        category: Some(2),
        ..Default::default()
    };
    assert_eq!(
        names(&store.flagged(&cat2, SortKey::Path, false, 0, 100).unwrap()),
        ["b.jpg"]
    );
    let mism = FlagFilter {
        reasons: vec![FlagReason::Mismatch],
        ..Default::default()
    };
    assert_eq!(
        names(&store.flagged(&mism, SortKey::Size, false, 0, 100).unwrap()),
        ["c.dll", "x.dat", "d.png"]
    );
    let text = FlagFilter {
        text: Some("PICTURES".into()),
        ..Default::default()
    };
    assert_eq!(store.count_flagged(&text).unwrap(), 3);
    let set = FlagFilter {
        set: Some("vics".into()),
        media: Some("image".into()),
        ..Default::default()
    };
    assert_eq!(
        names(&store.flagged(&set, SortKey::Path, false, 0, 100).unwrap()),
        ["a.jpg", "b.jpg", "x.dat"]
    );
    let x = rows.iter().find(|r| r.name == "x.dat").unwrap();
    assert_eq!(x.reasons_text(), "info,mismatch");
    // Paging is stable and complete.
    let paged: Vec<String> = (0..3)
        .flat_map(|p| names(&store.flagged(&all, SortKey::Type, false, p * 2, 2).unwrap()))
        .collect();
    let whole = names(&store.flagged(&all, SortKey::Type, false, 0, 100).unwrap());
    assert_eq!(paged, whole);
    // Bulk marking, bookmark, note; every change is an audit row.
    let ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.reasons.contains(&FlagReason::Alert))
        .map(|r| r.file_id)
        .collect();
    let before = store.audit_rows().unwrap().len();
    store
        .set_status(&ids, ReviewStatus::Confirmed, "Reviewer")
        .unwrap();
    store.set_bookmark(&ids[..1], true, "Reviewer").unwrap();
    store
        .set_note(&ids[..1], "seen in chat logs too", "Reviewer")
        .unwrap();
    assert_eq!(store.audit_rows().unwrap().len(), before + 4);
    let confirmed = FlagFilter {
        status: Some(ReviewStatus::Confirmed),
        ..Default::default()
    };
    assert_eq!(
        names(
            &store
                .flagged(&confirmed, SortKey::Path, false, 0, 100)
                .unwrap()
        ),
        ["a.jpg", "b.jpg"]
    );
    let marked = FlagFilter {
        bookmarked: true,
        ..Default::default()
    };
    let m = store
        .flagged(&marked, SortKey::Path, false, 0, 100)
        .unwrap();
    assert_eq!((m.len(), m[0].note.as_str()), (1, "seen in chat logs too"));
    drop(store);
    // Persisted: reopen and see the same.
    let store = CaseStore::open_read_only(&case).unwrap();
    assert_eq!(store.count_flagged(&confirmed).unwrap(), 2);
    assert!(
        store
            .set_status(&[999_999], ReviewStatus::Confirmed, "x")
            .is_err()
    );
}

#[test]
fn editing_or_deleting_audit_rows_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    let verify = || {
        util::ferret()
            .args(["case", "verify"])
            .arg(&case)
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let n: i64 = {
        let c = rusqlite::Connection::open(&case).unwrap();
        c.query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
            .unwrap()
    };
    assert!(n >= 5);
    let tamper = |sql: &str| {
        let copy = dir.path().join("tampered.ferret");
        let _ = std::fs::remove_file(&copy);
        let c = rusqlite::Connection::open(&case).unwrap();
        c.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
            .unwrap();
        drop(c);
        let c = rusqlite::Connection::open(&copy).unwrap();
        c.execute_batch(sql).unwrap();
        drop(c);
        util::ferret()
            .args(["case", "verify"])
            .arg(&copy)
            .output()
            .unwrap()
    };
    for (sql, want) in [
        (
            "UPDATE audit SET detail = 'nothing happened' WHERE id = 2",
            "broken at row 2: content does not match",
        ),
        (
            "UPDATE audit SET actor = 'someone else' WHERE id = 3",
            "broken at row 3",
        ),
        (
            "DELETE FROM audit WHERE id = 2",
            "broken at row 2: row missing",
        ),
        (
            &format!("DELETE FROM audit WHERE id = {n}"),
            "rows removed from the end",
        ),
    ] {
        let out = tamper(sql);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{sql}: {text}");
        assert!(text.contains(want), "{sql}: {text}");
    }
}

#[test]
fn not_a_case_future_version_and_truncated_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let check = |p: &Path, want: &str| {
        let before = std::fs::read(p).unwrap();
        let err = match CaseStore::open(p) {
            Err(e) => e,
            Ok(_) => panic!("{} opened", p.display()),
        };
        assert!(err.to_string().contains(want), "{err}");
        let out = util::ferret()
            .args(["case", "info"])
            .arg(p)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        assert!(String::from_utf8_lossy(&out.stderr).contains(want));
        assert_eq!(
            std::fs::read(p).unwrap(),
            before,
            "{} modified",
            p.display()
        );
        let wal = PathBuf::from(format!("{}-wal", p.display()));
        assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
        err
    };
    // A text file.
    let text = d.join("notes.ferret");
    std::fs::write(&text, b"just some notes, not a database\n".repeat(100)).unwrap();
    assert!(matches!(
        check(&text, "not a Ferret case file"),
        CaseError::NotACase(_)
    ));
    // Another application's SQLite database.
    let other = d.join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    check(&other, "not a Ferret case file");
    // A case from a newer Ferret.
    let newer = d.join("newer.ferret");
    let s = CaseStore::create(
        &newer,
        &CaseInfo {
            case_number: "N".into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap();
    util::db(s.path())
        .execute_batch("PRAGMA user_version = 99; PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(s);
    assert!(matches!(
        check(&newer, "schema version 99 is newer"),
        CaseError::TooNew { .. }
    ));
    // A truncated case.
    let cut = d.join("cut.ferret");
    let s = CaseStore::create(
        &cut,
        &CaseInfo {
            case_number: "C".into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap();
    util::db(s.path()).execute_batch("CREATE TABLE filler(x); INSERT INTO filler SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 200) SELECT i FROM n); PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    drop(s);
    let len = std::fs::metadata(&cut).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&cut).unwrap();
    f.set_len(len / 3).unwrap();
    drop(f);
    check(&cut, "damaged or unreadable");
    // Creating over an existing file is refused too.
    assert!(matches!(
        CaseStore::create(
            &text,
            &CaseInfo {
                case_number: "X".into(),
                ..Default::default()
            },
            "t"
        ),
        Err(CaseError::Exists(_))
    ));
}

#[test]
fn rescanning_the_same_evidence_replaces_hits_instead_of_adding() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_case(dir.path());
    let alerts = FlagFilter {
        reasons: vec![FlagReason::Alert],
        ..Default::default()
    };
    let store = CaseStore::open_read_only(&case).unwrap();
    assert_eq!(store.count_flagged(&alerts).unwrap(), 2);
    let root = store.evidence().unwrap()[0].root.clone();
    drop(store);
    // Same exhibit, no hash sets this time: the old alert hits must go.
    util::run_ok(scan_cmd(&case).args(["--exhibit", "EX1"]).arg(&root));
    let store = CaseStore::open_read_only(&case).unwrap();
    assert_eq!(store.count_flagged(&alerts).unwrap(), 0);
    let hits: i64 = util::db(&case)
        .query_row("SELECT count(*) FROM hits", [], |r| r.get(0))
        .unwrap();
    assert_eq!(hits, 0);
    assert_eq!(file_rows(&case).len(), 10, "no duplicate rows");
}

fn index_names(case: &Path) -> Vec<String> {
    let db = util::db(case);
    let mut st = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A large scan drops the MD5, media and mismatch indexes while it inserts
/// and builds them once its records are in. Killed before that, the case
/// still passes the schema check (those three, and only those, may be
/// missing) and the next writable open builds them; a case missing any
/// other index is refused.
#[test]
fn deferred_indexes_are_built_at_the_end_or_on_the_next_open() {
    let tree = many_files(3000, 4096);
    let dir = tempfile::tempdir().unwrap();
    let deferred = ["files_md5", "files_media", "files_mismatch"];
    let new_scan = |case: &Path| {
        let mut c = scan_cmd(case);
        c.env("FERRET_DEFER_INDEXES_AFTER", "0")
            .args(["--new", "--case-number", "T-9", "--examiner", "Tester"])
            .args(["-j", "1"])
            .arg(tree.path());
        c
    };
    let whole = dir.path().join("whole.ferret");
    assert!(new_scan(&whole).output().unwrap().status.success());
    let names = index_names(&whole);
    for name in deferred {
        assert!(names.iter().any(|n| n == name), "{name} missing: {names:?}");
    }
    let full = names.clone();

    let killed = dir.path().join("killed.ferret");
    if kill_after(new_scan(&killed), &killed, 1500) {
        let names = index_names(&killed);
        for name in deferred {
            assert!(!names.iter().any(|n| n == name), "{name} still there");
        }
        CaseStore::verify_integrity(&killed).unwrap();
        drop(CaseStore::open(&killed).unwrap());
        assert_eq!(index_names(&killed), full);
    } else {
        eprintln!("the scan ended before the kill point: only the whole scan was checked");
    }

    util::db(&whole)
        .execute_batch("DROP INDEX hits_file")
        .unwrap();
    match CaseStore::open(&whole) {
        Err(CaseError::Corrupt { reason, .. }) => assert!(reason.contains("hits_file"), "{reason}"),
        other => panic!("a case missing hits_file opened: {:?}", other.map(|_| ())),
    }
}

/// Version 7 rewrites the file table's `status` and `verdict` checks in
/// place (`IN` lists cost a temporary table per insert): a version 6 case
/// opens migrated, its rows intact, the same values still refused.
#[test]
fn a_version_6_case_gets_the_cheaper_checks_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("v6.ferret");
    {
        let conn = rusqlite::Connection::open(&case).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA application_id = {};",
            ferret::case::schema::APPLICATION_ID
        ))
        .unwrap();
        for m in &ferret::case::schema::MIGRATIONS[..6] {
            conn.execute_batch(m).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 6;
             INSERT INTO case_info (id, case_number, examiner, created) VALUES (1, 'V-6', 'T', '2026-01-01T00:00:00Z');
             INSERT INTO evidence (id, exhibit, root_path, root_text, added) VALUES (1, '1', x'2f', '/', '2026-01-01T00:00:00Z');
             INSERT INTO scans (id, evidence_id, options, started, host, os, user, tool_version, command_line, status)
                VALUES (1, 1, '{}', '2026-01-01T00:00:00Z', 'h', 'linux', 'u', '0.1.0', 'ferret scan', 'complete');
             INSERT INTO files (evidence_id, scan_id, path, path_text, name_text, status, verdict)
                VALUES (1, 1, x'61', 'a', 'a', 'hashed', 'alert');",
        )
        .unwrap();
    }
    drop(CaseStore::open(&case).unwrap());
    let db = util::db(&case);
    let version: i32 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 7);
    let sql: String = db
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'files'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        sql.contains("CHECK (status = 'hashed' OR status = 'not_hashed' OR status = 'error')"),
        "{sql}"
    );
    assert!(!sql.contains("IN ("), "{sql}");
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let kept: (String, String) = db
        .query_row("SELECT status, verdict FROM files", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(kept, ("hashed".to_string(), "alert".to_string()));
    for (status, verdict) in [("lost", "none"), ("hashed", "maybe")] {
        let refused = db.execute(
            "INSERT INTO files (evidence_id, scan_id, path, path_text, name_text, status, verdict)
             VALUES (1, 1, x'62', 'b', 'b', ?1, ?2)",
            [status, verdict],
        );
        assert!(refused.is_err(), "{status}/{verdict} was stored");
    }
}

/// Version 7's in-place edit leaves no connection holding the old text: a
/// column added afterwards, on the migrating connection or on one that
/// read the schema before, lands at the end of the table, not spliced into
/// the middle of its definition.
#[test]
fn a_column_added_after_version_7_lands_at_the_end() {
    use ferret::case::schema::MIGRATIONS;
    let dir = tempfile::tempdir().unwrap();
    for other in [false, true] {
        let path = dir.path().join(format!("alter-{other}.db"));
        let first = rusqlite::Connection::open(&path).unwrap();
        first.execute_batch("PRAGMA journal_mode = WAL").unwrap();
        for m in &MIGRATIONS[..6] {
            first.execute_batch(m).unwrap();
        }
        let second = rusqlite::Connection::open(&path).unwrap();
        let _: i64 = second
            .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
            .unwrap();
        first.execute_batch(MIGRATIONS[6]).unwrap();
        let alter = if other { &second } else { &first };
        alter
            .execute_batch("ALTER TABLE files ADD COLUMN future INTEGER")
            .unwrap();
        let fresh = rusqlite::Connection::open(&path).unwrap();
        let mut st = fresh.prepare("PRAGMA table_info(files)").unwrap();
        let columns: Vec<(String, String)> = st
            .query_map([], |r| Ok((r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            columns.last(),
            Some(&("future".to_string(), "INTEGER".to_string())),
            "other connection: {other}"
        );
        assert!(columns.contains(&("pdq_note".to_string(), "TEXT".to_string())));
        let ok: String = fresh
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
}
