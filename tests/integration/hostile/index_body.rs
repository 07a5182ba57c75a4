//! Finding 1 of the index review: only the header was checksummed, so four
//! changed bytes of the body turned a known-bad hit into known-good
//! (`kind: ignore, category 0`) with no warning; an out-of-range entry id
//! panicked the sink, a wrapped entry-table offset the hashing threads and
//! `hashset export` (exit 101). Now the whole file is checksummed and
//! verified before a hit is used, and every offset and id is range-checked.

use std::path::Path;

use ferret::hashsets::catalog::Verdict;
use ferret::hashsets::{CompiledSet, HashLibrary, HashSetCatalog, SetKind};
use ferret::{Algorithm, ScanError, ScanOptions};

use super::{
    ENTRIES_OFF_AT, STRINGS_OFF_AT, hashset, inventory, md5_hex, replace, reseal, text, u64_at,
    vics_source,
};
use crate::util;

const BAD: &[u8] = b"a known-bad picture";

/// Evidence holding one known-bad file, and a library with a VICS alert
/// set `vics` listing it in category 1 (alert in the US profile) and one
/// other entry. Returns (evidence, library, source).
fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ev = dir.join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("bad.jpg"), BAD).unwrap();
    let src = vics_source(dir, "vics", &[(1, &md5_hex(BAD)), (2, &md5_hex(b"other"))]);
    let lib = dir.join("lib");
    let out = hashset(
        &lib,
        &["import", "-k", "alert", "-n", "vics", src.to_str().unwrap()],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    (ev, lib, src)
}

/// The reviewer's edit: category 1 of the first entry becomes 0
/// (non-pertinent, known-good in the US profile) by zeroing 4 body bytes.
fn zero_first_category(index: &Path) {
    let mut b = std::fs::read(index).unwrap();
    let rows = u64_at(&b, ENTRIES_OFF_AT) as usize;
    assert_eq!(
        b[rows..rows + 8],
        1i64.to_le_bytes(),
        "entry 0 is category 1"
    );
    b[rows..rows + 4].fill(0);
    replace(index, &b);
}

#[test]
fn a_changed_body_fails_the_scan_instead_of_turning_alert_into_known_good() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib, _) = setup(dir.path());
    let index = lib.join("vics.fhs");
    zero_first_category(&index);

    // Opening stays instant and does not see the body: the damaged answer
    // is there to be given...
    let set = CompiledSet::open(&index).expect("the header is intact");
    assert_eq!(set.kind_of(0), Some(SetKind::Ignore));
    // ...but verification finds it.
    let err = set.verify().unwrap_err().to_string();
    assert!(err.contains("checksum mismatch"), "{err}");

    // A scan with the set (opened without the library, which would rebuild
    // it) fails, naming the set, and records no verdict from it.
    let set = CompiledSet::open(&index).unwrap();
    let catalog = HashSetCatalog::new(vec![set]);
    let (records, result) = util::scan(ScanOptions::new(&ev).hash_sets(catalog));
    match result {
        Err(ScanError::SetDamaged {
            ref name,
            ref reason,
        }) => {
            assert_eq!(name, "vics");
            assert!(reason.contains("checksum mismatch"), "{reason}");
        }
        other => panic!("expected SetDamaged, got {other:?}"),
    }
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.starts_with("hash set vics is damaged (checksum mismatch")
            && msg.contains("run `ferret hashset verify vics`")
            && msg.contains("re-import"),
        "{msg}"
    );
    assert!(
        records.iter().all(|r| r.verdict() == Verdict::None),
        "no hit was used: {records:?}"
    );
}

#[test]
fn a_changed_body_is_rebuilt_from_its_source_and_the_file_still_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib, src) = setup(dir.path());
    zero_first_category(&lib.join("vics.fhs"));
    let out = inventory(&lib, "vics", &ev);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "ferret: rebuilt vics from {} (index damaged: checksum mismatch",
            src.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 flagged (alert), 0 known-good"),
        "{stderr}"
    );
    let line = stdout.lines().find(|l| l.contains("bad.jpg")).unwrap();
    assert!(
        line.contains("\"kind\":\"alert\"") && line.contains("\"category\":1"),
        "{line}"
    );
    // Rebuilt once: the next use is quiet.
    let out = hashset(&lib, &["verify", "vics"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.trim(), "vics: OK, 2 entries (md5 2)");
    assert!(!stderr.contains("rebuilt"), "{stderr}");
}

#[test]
fn a_changed_body_without_its_source_is_refused_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib, src) = setup(dir.path());
    let good = dir.path().join("good.txt");
    std::fs::write(&good, format!("{}\n", md5_hex(b"system file"))).unwrap();
    let out = hashset(&lib, &["import", "-k", "ignore", good.to_str().unwrap()]);
    assert!(out.status.success());
    std::fs::remove_file(&src).unwrap();
    zero_first_category(&lib.join("vics.fhs"));

    let out = inventory(&lib, "vics", &ev);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("checksum mismatch")
            && stderr.contains("cannot rebuild it")
            && stderr.contains("re-import the set"),
        "{stderr}"
    );
    assert!(!stdout.contains("\"kind\":\"ignore\""), "{stdout}");

    let out = hashset(&lib, &["verify", "vics"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("ferret: vics:") && stderr.contains("checksum mismatch"),
        "{stderr}"
    );

    let out = hashset(&lib, &["verify", "--all"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "good: OK, 1 entries (md5 1)",
        "the sound set is still reported"
    );

    let out = hashset(&lib, &["export", "vics"]);
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
}

/// Puts `id` in the first MD5 record of `index` and reseals the file, the
/// way someone who knows the format would: the checksums hold, the
/// structure check is what remains.
fn forge_entry_id(index: &Path, id: u32) {
    let mut b = std::fs::read(index).unwrap();
    let records = u64_at(&b, 32 + 16) as usize; // MD5: count, prefix, records
    b[records + 14..records + 18].copy_from_slice(&id.to_le_bytes());
    reseal(&mut b);
    replace(index, &b);
}

#[test]
fn an_out_of_range_entry_id_is_never_used_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib, src) = setup(dir.path());
    let index = lib.join("vics.fhs");
    forge_entry_id(&index, 0xffff_fff0);

    let set = CompiledSet::open(&index).expect("the checksums hold");
    // Which record is first depends on the digests' order; look both up.
    let mut ids = Vec::new();
    for d in [md5_hex(BAD), md5_hex(b"other")] {
        set.lookup(Algorithm::Md5, &hex::decode(d).unwrap(), &mut ids);
    }
    assert!(
        ids.iter().all(|&id| u64::from(id) < set.entry_count()),
        "{ids:?}"
    );
    assert_eq!(ids.len(), 1, "the forged record is not returned");
    assert_eq!(set.entry(0xffff_fff0), None);
    assert_eq!(set.kind_of(0xffff_fff0), None);
    assert!(set.digests(Algorithm::Md5).all(|(_, id)| id < 2));
    assert!(
        ferret::hashsets::catalog::set_algorithms(&set).contains(Algorithm::Md5),
        "a damaged record does not hide the digest a scan must compute"
    );
    let err = set.verify().unwrap_err().to_string();
    assert!(
        err.contains("entry id 4294967280 out of range (2 entries)"),
        "{err}"
    );

    let (_, result) = util::scan(ScanOptions::new(&ev).hash_sets(HashSetCatalog::new(vec![set])));
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.contains("hash set vics is damaged (md5 record"),
        "{msg}"
    );

    // The command line rebuilds it (the source is there)...
    let out = hashset(&lib, &["export", "vics", "-f", "plain"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("rebuilt vics from") && stderr.contains("out of range"),
        "{stderr}"
    );
    assert_eq!(stdout.lines().count(), 2);
    // ...or refuses it, without a panic (exit 101) either way.
    forge_entry_id(&index, 0xffff_fff0);
    std::fs::remove_file(&src).unwrap();
    let out = hashset(&lib, &["export", "vics"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("out of range") && stderr.contains("cannot rebuild it"),
        "{stderr}"
    );
    let out = inventory(&lib, "vics", &ev);
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
}

#[test]
fn a_wrapped_entry_table_offset_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let (ev, lib, src) = setup(dir.path());
    let index = lib.join("vics.fhs");
    let original = std::fs::read(&index).unwrap();
    // The reviewer's edit: a huge entry count whose table, placed so that
    // it "ends" at the string heap, starts at a wrapped-around offset.
    let strings = u64_at(&original, STRINGS_OFF_AT);
    for entries in [1u64 << 58, u64::from(u32::MAX)] {
        let mut b = original.clone();
        b[24..32].copy_from_slice(&entries.to_le_bytes());
        let wrapped = strings.wrapping_sub(entries.wrapping_mul(48));
        b[ENTRIES_OFF_AT..ENTRIES_OFF_AT + 8].copy_from_slice(&wrapped.to_le_bytes());
        reseal(&mut b);
        replace(&index, &b);
        let err = CompiledSet::open(&index)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("compiled set is unusable"), "{err}");
    }
    // A changed offset alone (count intact) is refused too.
    let mut b = original.clone();
    let rows = u64_at(&b, ENTRIES_OFF_AT);
    b[ENTRIES_OFF_AT..ENTRIES_OFF_AT + 8].copy_from_slice(&(rows + 8).to_le_bytes());
    reseal(&mut b);
    replace(&index, &b);
    let err = CompiledSet::open(&index)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("entry table out of place"), "{err}");

    // Rebuilt from the source by the library; refused without it.
    let lib_api = HashLibrary::open(&lib).unwrap();
    let set = lib_api.load("vics").expect("rebuilt");
    assert!(set.rebuilt().is_some());
    assert_eq!(set.kind_of(0), Some(SetKind::Alert));
    drop(set);
    replace(&index, &b);
    std::fs::remove_file(&src).unwrap();
    for out in [
        hashset(&lib, &["export", "vics"]),
        inventory(&lib, "vics", &ev),
    ] {
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("entry table out of place"), "{stderr}");
    }
}
