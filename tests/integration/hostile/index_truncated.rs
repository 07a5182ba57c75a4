//! Finding 2 of the index review: a compiled set is memory-mapped, so one
//! cut short in place while a scan reads it kills the scan (SIGBUS). The
//! library must therefore never truncate or rewrite an index in place: it
//! writes a new file beside it and renames it over the old one, which a
//! running scan keeps reading intact. (Cutting a mapped file short from
//! outside cannot be made safe; the README says not to touch the folder.)

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use ferret::Algorithm;
use ferret::hashsets::library::ImportOptions;
use ferret::hashsets::{CompiledSet, HashLibrary, Hex64, SetKind};

use super::{md5_hex, replace};

fn inode(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().ino()
}

/// Files in `dir` other than the sets and their records (a temporary file
/// left behind would be one).
fn strays(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".fhs") && !n.ends_with(".source.json"))
        .collect()
}

/// Every MD5 lookup `set` answers for `listed` (hex).
fn found(set: &CompiledSet, listed: &[String]) -> usize {
    let mut ids = Vec::new();
    for d in listed {
        set.lookup(Algorithm::Md5, &hex::decode(d).unwrap(), &mut ids);
    }
    ids.len()
}

#[test]
fn reimport_and_rebuild_replace_the_index_without_touching_a_mapped_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = HashLibrary::open(d.join("lib")).unwrap();
    let index = d.join("lib").join("set.fhs");
    let src = d.join("set.txt");
    let first: Vec<String> = (0..2000)
        .map(|i| md5_hex(format!("a{i}").as_bytes()))
        .collect();
    std::fs::write(&src, first.join("\n")).unwrap();
    let opts = ImportOptions::new(SetKind::Alert);
    lib.import(&src, &opts, &mut |_| {}).unwrap();

    // A scan's view: the set mapped. The old file must stay whole under it
    // while the library replaces the index with a much shorter one.
    let mapped = lib.load("set").unwrap();
    let (old_inode, old_len) = (inode(&index), mapped.file_len());
    std::fs::write(&src, md5_hex(b"only one")).unwrap();
    lib.import(&src, &opts, &mut |_| {}).unwrap();
    assert_ne!(
        inode(&index),
        old_inode,
        "replaced by rename, not rewritten"
    );
    assert!(
        std::fs::metadata(&index).unwrap().len() < old_len,
        "a shorter file"
    );
    assert_eq!(
        found(&mapped, &first),
        2000,
        "the mapped set still answers whole"
    );
    mapped.verify().expect("and is still intact");
    drop(mapped);
    assert_eq!(lib.load("set").unwrap().entry_count(), 1);

    // The same for a rebuild: damage the index (through a rename, as a test
    // must not cut a mapped file short), keep the damaged one mapped, and
    // let the library rebuild it.
    let mapped = CompiledSet::open(&index).unwrap();
    let mut b = std::fs::read(&index).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0x55;
    replace(&index, &b);
    let damaged = CompiledSet::open(&index).unwrap();
    let rebuilt_inode = inode(&index);
    let set = lib.load("set").expect("rebuilt");
    assert!(set.rebuilt().is_some());
    assert_ne!(inode(&index), rebuilt_inode);
    assert_eq!(found(&mapped, &[md5_hex(b"only one")]), 1);
    assert!(
        damaged.verify().is_err(),
        "the damaged file, still mapped, still reads"
    );
    assert!(
        strays(&d.join("lib")).is_empty(),
        "{:?}",
        strays(&d.join("lib"))
    );
}

#[test]
fn an_index_cut_short_is_refused_at_open_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = HashLibrary::open(d.join("lib")).unwrap();
    let src = d.join("cut.txt");
    let digest = hex::encode([7u8; 32]);
    std::fs::write(&src, &digest).unwrap();
    let mut opts = ImportOptions::new(SetKind::Alert);
    opts.hex64 = Hex64::Sha256;
    lib.import(&src, &opts, &mut |_| {}).unwrap();
    let index = d.join("lib").join("cut.fhs");
    let b = std::fs::read(&index).unwrap();
    // Every length through the header, then lengths across the body to
    // one byte short: refused at open, never read past the end.
    for len in (0..400)
        .chain((400..b.len()).step_by(4093))
        .chain([b.len() - 1])
    {
        replace(&index, &b[..len]);
        let err = CompiledSet::open(&index)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("compiled set is unusable"), "{len}: {err}");
    }
    let set = lib.load("cut").expect("rebuilt");
    let r = set.rebuilt().expect("rebuilt");
    assert!(r.reason.contains("truncated"), "{r}");
    assert_eq!(set.provenance().counts.len(), 1, "still SHA-256 only");
}
