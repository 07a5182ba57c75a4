//! The net for case files: whatever bytes a case file holds (random, or a
//! real case with bytes changed), opening it and reading it gives a result
//! or an error, never a panic or a hang, and never writes to it.

use proptest::prelude::*;

use ferret::case::CaseStore;
use ferret::case::review::{FlagFilter, SortKey};

/// A real, small case to damage.
fn sample() -> Vec<u8> {
    static SAMPLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    SAMPLE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let ev = dir.path().join("ev");
            std::fs::create_dir(&ev).unwrap();
            for i in 0..20 {
                std::fs::write(ev.join(format!("f{i}.jpg")), format!("data {i}")).unwrap();
            }
            let case = dir.path().join("c.ferret");
            crate::util::run_ok(
                crate::util::ferret()
                    .args([
                        "scan",
                        "-q",
                        "--new",
                        "--case-number",
                        "P-1",
                        "--examiner",
                        "T",
                    ])
                    .arg("--case")
                    .arg(&case)
                    .arg(&ev),
            );
            std::fs::read(&case).unwrap()
        })
        .clone()
}

/// Opens `bytes` as a case every way the front ends do and reads it.
fn open_everything(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.ferret");
    std::fs::write(&path, bytes).unwrap();
    if let Ok(store) = CaseStore::open_read_only(&path) {
        let _ = store.info();
        let _ = store.scans();
        let _ = store.evidence();
        let _ = store.counts(None);
        let _ = store.flagged(&FlagFilter::default(), SortKey::Path, false, 0, 50);
        let _ = store.verify(None);
        let _ = store.alert_categories();
    }
    let _ = CaseStore::open_read_only_unverified(&path).map(|s| s.info());
    let before = std::fs::read(&path).unwrap();
    if CaseStore::open(&path).is_err() {
        // Refused: the file is exactly as it was.
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..8192)) {
        open_everything(&bytes);
    }

    #[test]
    fn a_damaged_case_never_panics(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = sample();
        for (at, v) in flips {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len()));
        }
        open_everything(&bytes);
    }
}
