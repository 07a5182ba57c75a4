//! Hostile PDQ inputs found in review (issue 16): a compiled set whose
//! provenance states a PDQ threshold or minimum quality outside what an
//! import accepts is refused, and a case holding a `pdq` value that is no
//! 32-byte BLOB still has a later scan's end recorded.

use ferret::hashsets::index::IndexBuilder;
use ferret::hashsets::{CompiledSet, Entry, Format, HashSetError, PdqEntry, PdqMatch};

use crate::util;

fn pdq_set(dir: &std::path::Path, m: PdqMatch) -> std::path::PathBuf {
    pdq_set_of(dir, m, 1)
}

/// A set of `copies` entries, all the same PDQ hash.
fn pdq_set_of(dir: &std::path::Path, m: PdqMatch, copies: usize) -> std::path::PathBuf {
    let mut b = IndexBuilder::default();
    let e = Entry {
        pdq: Some(PdqEntry {
            hash: [0x5a; 32],
            quality: Some(100),
        }),
        ..Entry::default()
    };
    for _ in 0..copies {
        b.add(&e).unwrap();
    }
    let provenance = super::provenance_of(&b, Format::Pdq, None, Some(m));
    let path = dir.join(format!("t{}-q{}-n{copies}.fhs", m.threshold, m.min_quality));
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

/// A set of many entries around one picture (near-identical copies, or a
/// list built to flood) gives the picture at most MAX_PDQ_HITS hits per
/// set, nearest first, the rest counted on the last: a scan does not write
/// a hit row per entry for every such picture.
#[test]
fn a_flood_of_pdq_entries_is_listed_up_to_the_cap_and_counted() {
    use ferret::hashsets::catalog::MAX_PDQ_HITS;
    let dir = tempfile::tempdir().unwrap();
    let path = pdq_set_of(dir.path(), PdqMatch::default(), 1000);
    let catalog = ferret::hashsets::HashSetCatalog::new(vec![CompiledSet::open(&path).unwrap()]);
    let mut near = [0x5a; 32];
    near[0] ^= 0x03;
    let hits = catalog.lookup_pdq(&[[0xa5; 32], near], 100);
    assert_eq!(hits.len(), MAX_PDQ_HITS);
    assert!(hits.iter().all(|h| h.basis.distance() == Some(2)));
    let more: Vec<u32> = hits.iter().map(|h| h.basis.more()).collect();
    assert_eq!(more.iter().sum::<u32>(), 1000 - MAX_PDQ_HITS as u32);
    assert_eq!(*more.last().unwrap(), 1000 - MAX_PDQ_HITS as u32);
}
