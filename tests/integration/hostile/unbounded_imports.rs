//! Issue 13, finding 2: imports whose memory or time had no bound.
//! (a) an NSRL zip bomb (one huge record; its rejects echoed whole fields),
//! (b) one huge CSV record, (c) a VICS `#Cases` export parsed case by case,
//! (d) an RDS v3 `FILE` view that recurses forever, (e) one built on
//! `zeroblob`; and the reject messages they cause, cut and escaped.

use std::io::Write as _;

use super::{MD5, import, write};

const NSRL_HEADER: &str = "\"SHA-1\",\"MD5\",\"CRC32\",\"FileName\",\"FileSize\",\"ProductCode\",\"OpSystemCode\",\"SpecialCode\"\n";

fn nsrl_row(name: &str) -> String {
    format!(
        "\"{}\",\"{}\",\"0\",\"{name}\",1,1,\"WIN\",\"\"\n",
        "A".repeat(40),
        MD5.to_uppercase()
    )
}

/// A zip holding `NSRLFile.txt`: the header, one record of `huge` bytes,
/// then a good record.
fn nsrl_zip(huge: usize, method: zip::CompressionMethod) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(true);
    zip.start_file("NSRLFile.txt", opts).unwrap();
    zip.write_all(NSRL_HEADER.as_bytes()).unwrap();
    zip.write_all(b"\"").unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..huge >> 20 {
        zip.write_all(&chunk).unwrap();
    }
    zip.write_all(b"\",\"x\"\n").unwrap();
    zip.write_all(nsrl_row("good.dll").as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn an_nsrl_zip_bomb_is_refused_quickly_and_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = nsrl_zip(128 << 20, zip::CompressionMethod::Deflated);
    assert!(bomb.len() < 1 << 20, "a bomb: {} bytes", bomb.len());
    let src = write(dir.path(), "bomb.zip", &bomb);
    let out = import(dir.path(), &src, &[]);
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        out.stderr.contains(
            "zip member NSRLFile.txt inflates to more than 100 times its compressed size; \
             refusing a likely zip bomb"
        ),
        "{out:?}"
    );
    assert!(out.stderr_len < 1024, "stderr {} bytes", out.stderr_len);
    out.assert_bounded();
}

#[test]
fn a_huge_record_in_an_nsrl_zip_is_one_reject() {
    // Stored, so within any inflation ratio: the record limit must act.
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "rds.zip",
        &nsrl_zip(48 << 20, zip::CompressionMethod::Stored),
    );
    let out = import(dir.path(), &src, &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr
            .contains("rds.zip:2: record longer than 64 KiB or 1024 fields"),
        "{out:?}"
    );
    assert!(out.stderr.contains("1 entries"), "{out:?}");
    assert!(out.stderr_len < 1024, "stderr {} bytes", out.stderr_len);
    out.assert_bounded();
}

#[test]
fn a_huge_csv_record_is_one_reject() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = format!("md5,name\n{MD5},").into_bytes();
    data.extend(std::iter::repeat_n(b'x', 64 << 20));
    data.extend_from_slice(format!("\n{MD5},ok.txt\n").as_bytes());
    let src = write(dir.path(), "big.csv", &data);
    let out = import(dir.path(), &src, &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr
            .contains("big.csv:2: record longer than 64 KiB or 1024 fields"),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("1 entries (md5 1), 1 rejected"),
        "{out:?}"
    );
    out.assert_bounded();
}

#[test]
fn a_vics_case_export_is_streamed_media_by_media() {
    // 6.8 MB in one case, many small fields: read whole as a serde_json
    // Value it took 153 MB; streamed, 29 MB (debug build).
    let dir = tempfile::tempdir().unwrap();
    let exifs: Vec<String> = (0..12).map(|j| format!("\"k{j}\":{j}")).collect();
    let exifs = exifs.join(",");
    let mut json = String::from(
        "{\"odata.metadata\":\"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases\",\
         \"value\":[{\"CaseID\":\"1\",\"Media\":[",
    );
    let n = 30_000;
    for i in 0..n {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            "{{\"MediaID\":{i},\"Category\":1,\"MD5\":\"{i:032X}\",\"Exifs\":{{{exifs}}},\
             \"MediaFiles\":[{{\"FileName\":\"f{i}.jpg\",\"FilePath\":\"/c\"}}]}}"
        ));
    }
    json.push_str("]}]}");
    let src = write(dir.path(), "cases.json", json.as_bytes());
    let out = import(dir.path(), &src, &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains(&format!("{n} entries")), "{out:?}");
    out.assert_bounded();
    assert!(
        out.peak_kb.is_none_or(|kb| kb < 64 * 1024),
        "a case streamed costs what the flat form does: {out:?}"
    );
}

/// A database built by `sql`.
fn db(dir: &std::path::Path, name: &str, sql: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch(sql).unwrap();
    p
}

#[test]
fn rds_v3_views_built_to_run_away_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let nist = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/nsrl/rdsv3/RDSv3_2021.12.2_curated.schema.sql"),
    )
    .ok();
    let mut cases = vec![
        (
            db(
                d,
                "recursive.db",
                "CREATE VIEW FILE AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
                 SELECT printf('%032d', x) AS md5, x AS file_name FROM c;",
            ),
            "FILE is a view that is not NIST's (its SQL differs from the RDSv3 schema)",
        ),
        (
            db(
                d,
                "zeroblob-view.db",
                "CREATE VIEW FILE AS SELECT zeroblob(400000000) AS md5, 'x' AS file_name;",
            ),
            "FILE is a view that is not NIST's",
        ),
        (
            db(
                d,
                "computed.db",
                "CREATE TABLE FILE (n INTEGER, md5 VARCHAR AS (printf('%032d', n)) VIRTUAL);
                 INSERT INTO FILE (n) VALUES (1);",
            ),
            "FILE is a table with columns computed on read",
        ),
        (
            db(
                d,
                "bigvalue.db",
                "CREATE TABLE FILE (md5 VARCHAR, file_name VARCHAR);
                 INSERT INTO FILE VALUES (zeroblob(50000000), 'x');",
            ),
            "stopped after row 0: a value longer than 1 MiB",
        ),
    ];
    if let Some(ddl) = &nist {
        // NIST's own FILE view, over a METADATA that recurses.
        let ddl = ddl.replacen(
            "CREATE TABLE METADATA (",
            "CREATE VIEW METADATA AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
             SELECT x AS object_id, '' AS extension, 'f' AS file_name, 1 AS bytes,
                    'a' AS md5, 'a' AS sha1, 'a' AS sha256 FROM c;
             CREATE TABLE METADATA_UNUSED (",
            1,
        );
        cases.push((
            db(d, "nist-over-recursive.db", &ddl),
            "FILE is NIST's view but METADATA under it is not a plain table",
        ));
    }
    for (src, want) in cases {
        let run = tempfile::tempdir().unwrap();
        let out = import(run.path(), &src, &[]);
        assert_eq!(out.code, Some(3), "{}: {out:?}", src.display());
        assert!(out.stderr.contains(want), "{}: {out:?}", src.display());
        out.assert_bounded();
    }
}

#[test]
fn reject_messages_are_cut_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = format!("{MD5}\n").into_bytes();
    // A tag of 60,000 characters with an ESC sequence and a U+202E.
    data.extend_from_slice(b"\x1b[2J\xe2\x80\xaeevil");
    data.extend(std::iter::repeat_n(b'z', 60_000));
    data.extend_from_slice(format!(" (x) = {MD5}\n{MD5}  b\n").as_bytes());
    let src = write(dir.path(), "sums.txt", &data);
    let out = import(dir.path(), &src, &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let reject = out
        .stderr
        .lines()
        .find(|l| l.contains("sums.txt:2:"))
        .unwrap_or_else(|| panic!("{out:?}"));
    assert!(
        reject.contains("unsupported digest '\\x1b[2J\\u{202e}evilzz"),
        "{reject}"
    );
    assert!(reject.chars().count() < 300, "{reject}");
    assert!(!out.stderr.contains(['\x1b', '\u{202e}']), "{out:?}");
    out.assert_bounded();
}
