//! Hostile PDQ inputs found in review (issue 16): a compiled set whose
//! provenance states a PDQ threshold or minimum quality outside what an
//! import accepts is refused, and a case holding a `pdq` value that is no
//! 32-byte BLOB still has a later scan's end recorded.

use ferret::hashsets::index::{IndexBuilder, Provenance};
use ferret::hashsets::{CompiledSet, Entry, Format, HashSetError, PdqEntry, PdqMatch, SetKind};

use crate::util;

fn pdq_set(dir: &std::path::Path, m: PdqMatch) -> std::path::PathBuf {
    let mut b = IndexBuilder::default();
    let e = Entry {
        pdq: Some(PdqEntry {
            hash: [0x5a; 32],
            quality: Some(100),
        }),
        ..Entry::default()
    };
    b.add(&e).unwrap();
    let provenance = Provenance {
        name: "p".into(),
        kind: SetKind::Alert,
        format: Format::Pdq,
        source_path: "p.txt".into(),
        source_sha256: String::new(),
        source_len: 0,
        counts: b.counts(),
        entries: b.len(),
        rejected: 0,
        imported_at: String::new(),
        tool_version: String::new(),
        source_profile: None,
        categories: None,
        embedded_name: None,
        hex64: None,
        pdq: Some(m),
    };
    let path = dir.join(format!("t{}-q{}.fhs", m.threshold, m.min_quality));
    b.write(&path, &provenance).unwrap();
    path
}

#[test]
fn a_set_stating_a_pdq_match_outside_the_import_bounds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (threshold, min_quality, ok) in [(64, 100, true), (65, 50, false), (31, 101, false)] {
        let path = pdq_set(
            dir.path(),
            PdqMatch {
                threshold,
                min_quality,
            },
        );
        match CompiledSet::open(&path) {
            Ok(_) => assert!(ok, "threshold {threshold}, quality {min_quality} opened"),
            Err(HashSetError::BadIndex { .. }) if !ok => {}
            Err(e) => panic!("threshold {threshold}, quality {min_quality}: {e}"),
        }
    }
}

#[test]
fn a_pdq_value_that_is_no_blob_does_not_keep_a_scan_from_finishing() {
    let dir = tempfile::tempdir().unwrap();
    let (ev1, ev2) = (dir.path().join("ev1"), dir.path().join("ev2"));
    std::fs::create_dir_all(&ev1).unwrap();
    std::fs::create_dir_all(&ev2).unwrap();
    let img = image::RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 4) as u8, ((x ^ y) * 4) as u8])
    });
    img.save(ev1.join("a.png")).unwrap();
    img.save(ev2.join("b.png")).unwrap();
    let case = dir.path().join("c.ferret");
    util::new_case_scan(&case, &ev1, "PDQ-TEXT", &[]);
    let changed = util::db(&case)
        .execute(
            "UPDATE files SET pdq = hex(pdq), pdq_quality = 100 WHERE pdq IS NOT NULL",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    util::run_ok(
        util::ferret()
            .args(["scan", "-q", "--exhibit", "2", "--case"])
            .arg(&case)
            .arg(&ev2),
    );
    let unfinished: i64 = util::db(&case)
        .query_row(
            "SELECT count(*) FROM scans WHERE status <> 'complete'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unfinished, 0);
}
