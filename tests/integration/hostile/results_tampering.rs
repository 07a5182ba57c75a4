//! Finding 4: results changed inside the case file (hits deleted, verdicts
//! reset, review rows edited) are found by `case verify`, and a case whose
//! history was rewritten, chain recomputed, no longer matches the anchor a
//! report carries.

use std::path::{Path, PathBuf};

use crate::util;

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";

/// A case with two alert hits and a review mark, and a report of it.
fn case_and_report(dir: &Path) -> (PathBuf, PathBuf) {
    let ev = dir.join("ev");
    std::fs::create_dir(&ev).unwrap();
    let mut md5s = String::new();
    for i in 0..2 {
        let data = [JPEG, format!("known {i}").as_bytes()].concat();
        std::fs::write(ev.join(format!("k{i}.jpg")), &data).unwrap();
        let d = ferret::hashing::hash_bytes(&data, ferret::AlgorithmSet::ALL);
        md5s.push_str(&format!("{}\n", d.hex(ferret::Algorithm::Md5).unwrap()));
    }
    std::fs::write(ev.join("other.txt"), "nothing").unwrap();
    let lib = dir.join("lib");
    std::fs::write(dir.join("bad.txt"), md5s).unwrap();
    util::run_ok(
        util::ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "bad"])
            .arg(dir.join("bad.txt")),
    );
    let case = dir.join("c.ferret");
    util::new_case_scan(
        &case,
        &ev,
        "T-4",
        &["--library", lib.to_str().unwrap(), "-s", "bad"],
    );
    let store = ferret::case::CaseStore::open(&case).unwrap();
    let rows = store
        .flagged(
            &Default::default(),
            ferret::case::review::SortKey::Path,
            false,
            0,
            10,
        )
        .unwrap();
    store
        .set_status(
            &[rows[0].file_id],
            ferret::case::review::ReviewStatus::Confirmed,
            "T",
        )
        .unwrap();
    drop(store);
    let report = dir.join("r");
    util::run_ok(
        util::ferret()
            .arg("report")
            .arg(&case)
            .arg("-o")
            .arg(&report),
    );
    (case, report)
}

fn verify(case: &Path, report: Option<&Path>) -> (i32, String) {
    let mut cmd = util::ferret();
    cmd.args(["case", "verify"]).arg(case);
    if let Some(r) = report {
        cmd.arg("--report").arg(r);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn tampered(dir: &Path, case: &Path, name: &str, sql: &str) -> PathBuf {
    let copy = dir.join(name);
    let c = rusqlite::Connection::open(case).unwrap();
    c.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    drop(c);
    util::db(&copy).execute_batch(sql).unwrap();
    copy
}

#[test]
fn changed_results_and_rewritten_history_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let (case, report) = case_and_report(dir.path());
    let (code, text) = verify(&case, Some(&report));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("ok:      results of evidence item 1"),
        "{text}"
    );
    assert!(text.contains("ok:      the report's anchor"), "{text}");
    assert!(
        text.contains("since the report: no change to the case"),
        "{text}"
    );
    // The issue's edit: the audit chain is untouched, the results are not.
    let hidden = tampered(
        dir.path(),
        &case,
        "hidden.ferret",
        "DELETE FROM hits; DELETE FROM flags; UPDATE files SET verdict = 'none';",
    );
    let (code, text) = verify(&hidden, None);
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("FAILED:  results of evidence item 1 (exhibit 1): changed since audit row"),
        "{text}"
    );
    assert!(text.contains("2 hits") && text.contains("0 hits"), "{text}");
    // A review mark changed without the log.
    let remarked = tampered(
        dir.path(),
        &case,
        "remarked.ferret",
        "UPDATE review SET status = 'false_positive';",
    );
    let (code, text) = verify(&remarked, None);
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("FAILED:  review marks replayed from the audit log"),
        "{text}"
    );
    // A forger who also rewrites the recorded digest and recomputes the
    // whole chain passes the checks inside the case, but not the report's
    // anchor.
    let forged = tampered(
        dir.path(),
        &case,
        "forged.ferret",
        "DELETE FROM hits; DELETE FROM flags; UPDATE files SET verdict = 'none';",
    );
    {
        let store = ferret::case::CaseStore::open_read_only(&forged).unwrap();
        let digest = store.results_digest(1).unwrap();
        drop(store);
        let db = util::db(&forged);
        let rows: Vec<(i64, String, String, String, String)> = db
            .prepare("SELECT id, time, actor, action, detail FROM audit ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut prev = "0".repeat(64);
        for (id, time, actor, action, mut detail) in rows {
            if action == "scan_finished" {
                let mut v: serde_json::Value = serde_json::from_str(&detail).unwrap();
                v["results"] = serde_json::to_value(&digest).unwrap();
                detail = v.to_string();
            }
            let hash = ferret::case::audit::row_hash(&prev, &time, &actor, &action, &detail);
            db.execute(
                "UPDATE audit SET detail = ?1, prev_hash = ?2, hash = ?3 WHERE id = ?4",
                rusqlite::params![detail, prev, hash, id],
            )
            .unwrap();
            prev = hash;
        }
        db.execute("UPDATE audit_head SET hash = ?1 WHERE id = 1", [&prev])
            .unwrap();
    }
    let (code, text) = verify(&forged, None);
    assert_eq!(code, 0, "inside the case alone the forgery holds: {text}");
    let (code, text) = verify(&forged, Some(&report));
    assert_eq!(code, 3, "{text}");
    assert!(text.contains("FAILED:  the report's anchor"), "{text}");
    assert!(text.contains("it was edited after the report"), "{text}");
    // The anchor is in every report file that carries the case's facts.
    let anchor_line = std::fs::read_to_string(report.join("manifest.sha256"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        anchor_line.starts_with("# ferret audit anchor: case T-4, audit row "),
        "{anchor_line}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    let hash = json["audit"]["anchor_blake3"].as_str().unwrap();
    assert!(anchor_line.contains(hash));
    assert!(
        std::fs::read_to_string(report.join("report.html"))
            .unwrap()
            .contains(hash)
    );
    if util::have_tool("sha256sum") {
        util::run_ok(
            std::process::Command::new("sha256sum")
                .args(["-c", "--strict", "manifest.sha256"])
                .current_dir(&report),
        );
    }
}
