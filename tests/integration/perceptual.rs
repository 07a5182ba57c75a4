//! Perceptual hashes in scans: every still picture gets a PDQ hash and
//! quality (the reference's value for a lossless corpus picture), a picture
//! that cannot be decoded says why, and nothing else gets one.

use crate::util;

/// `c.png` of the ThreatExchange corpus and its hash by Meta's C++
/// reference (`expected-cpp.tsv`).
const C_PNG: &str = "pdq/data/misc-images/c.png";
const C_PNG_PDQ: &str = "e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064";

fn tree() -> Option<tempfile::TempDir> {
    let Some(corpus) = util::corpus() else {
        eprintln!("SKIP perceptual scan: ../shared/corpus absent");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::copy(corpus.join(C_PNG), ev.join("c.png")).unwrap();
    // A JPEG signature followed by rubbish: a picture that cannot be decoded.
    let mut bad = vec![
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    bad.extend(std::iter::repeat_n(0x55, 4000));
    std::fs::write(ev.join("broken.jpg"), bad).unwrap();
    std::fs::write(ev.join("notes.txt"), b"no picture here").unwrap();
    // The same picture inside a zip: members are hashed too.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("pics/c.png", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut z, &std::fs::read(corpus.join(C_PNG)).unwrap()).unwrap();
    std::fs::write(ev.join("album.zip"), z.finish().unwrap().into_inner()).unwrap();
    Some(dir)
}

#[test]
fn inventory_pdq_gives_the_reference_hash_and_says_why_a_picture_has_none() {
    let Some(dir) = tree() else { return };
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "--pdq", "-f", "jsonl", "-a", "sha256"])
            .arg(dir.path().join("ev")),
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |name: &str| {
        lines
            .iter()
            .find(|o| o["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    let png = of("c.png");
    assert_eq!(png["pdq"], C_PNG_PDQ);
    assert_eq!(png["pdq_quality"], 100);
    let broken = of("broken.jpg");
    assert!(broken["pdq"].is_null());
    assert!(
        broken["pdq_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{broken}"
    );
    let text = of("notes.txt");
    assert!(
        text["pdq"].is_null() && text["pdq_error"].is_null(),
        "{text}"
    );
    // Without --pdq, no picture is decoded.
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "-f", "jsonl", "-a", "sha256"])
            .arg(dir.path().join("ev")),
    );
    assert!(!String::from_utf8(out.stdout).unwrap().contains("pdq"));
}

#[test]
fn a_scan_records_pdq_in_the_case_unless_told_not_to() {
    let Some(dir) = tree() else { return };
    let ev = dir.path().join("ev");
    let case = dir.path().join("case.ferret");
    util::new_case_scan(&case, &ev, "PDQ-1", &[]);
    let conn = util::db(&case);
    let (pdq, quality): (Vec<u8>, i64) = conn
        .query_row(
            "SELECT pdq, pdq_quality FROM files WHERE name_text = 'c.png'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(hex::encode(pdq), C_PNG_PDQ);
    assert_eq!(quality, 100);
    let note: Option<String> = conn
        .query_row(
            "SELECT pdq_note FROM files WHERE name_text = 'broken.jpg'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(note.is_some_and(|n| !n.is_empty()));
    let member: Vec<u8> = conn
        .query_row(
            "SELECT pdq FROM files WHERE member_text LIKE '%c.png'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hex::encode(member), C_PNG_PDQ);
    let hashed: i64 = conn
        .query_row("SELECT count(pdq) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(hashed, 2);
    // Reports carry it: CSV and JSON.
    let out = dir.path().join("report");
    util::run_ok(
        util::ferret()
            .args(["report", "--scope", "all", "--out"])
            .arg(&out)
            .arg(&case),
    );
    let csv = std::fs::read_to_string(out.join("items.csv")).unwrap();
    assert_eq!(
        csv.matches(&format!(",{C_PNG_PDQ},100")).count(),
        2,
        "{csv}"
    );
    let json = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert_eq!(json.matches(C_PNG_PDQ).count(), 2);

    let off = dir.path().join("off.ferret");
    util::new_case_scan(&off, &ev, "PDQ-2", &["--no-pdq"]);
    let any: i64 = util::db(&off)
        .query_row(
            "SELECT count(*) FROM files WHERE pdq IS NOT NULL OR pdq_note IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(any, 0);
}
