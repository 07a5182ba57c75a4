//! The read-only walk over a tree with every hostile shape.

use std::collections::BTreeMap;
use std::path::Path;

use ferret::evidence::{EvidenceRoot, WalkOptions};
use ferret::job::{hash_task, prewalk};
use ferret::{
    Algorithm, AlgorithmSet, CancelToken, EntryKind, FileRecord, Op, Outcome, ScanOptions,
};

use crate::util::{self, Shapes, bpath};

fn by_path(records: &[FileRecord]) -> BTreeMap<Vec<u8>, &FileRecord> {
    records
        .iter()
        .map(|r| (r.rel_path.as_os_str().as_encoded_bytes().to_vec(), r))
        .collect()
}

#[test]
fn hostile_tree_every_entry_accounted_for_and_nothing_changed() {
    let tree = util::hostile_tree(Shapes::ALL);
    let before = util::stat_snapshot(tree.root());
    // BLAKE3 only: the >4 GiB sparse file is read in full, so keep the test quick.
    let opts = ScanOptions::new(tree.root()).algorithms(AlgorithmSet::of(&[Algorithm::Blake3]));
    let (records, result) = util::scan(opts);
    let summary = result.expect("scan completes");
    let after = util::stat_snapshot(tree.root());

    // Exact counts: every entry the walk saw is in the output exactly once.
    assert_eq!(summary.files_hashed, tree.files, "hashed");
    assert_eq!(summary.not_hashed, tree.not_hashed, "recorded, not hashed");
    assert_eq!(summary.errors, 0, "errors");
    assert_eq!(summary.entries, records.len() as u64);
    assert_eq!(records.len(), before.len(), "one record per entry on disk");
    let map = by_path(&records);
    assert_eq!(map.len(), records.len(), "no duplicate records");
    for key in before.keys() {
        assert!(
            map.contains_key(key),
            "missing {}",
            String::from_utf8_lossy(key)
        );
    }

    // Nothing under the root changed: sizes, modes, inodes, m/a/ctimes.
    let changed: Vec<String> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, v)| {
            format!(
                "{}: {v:?} -> {:?}",
                ferret::pathfmt::escape_bytes(k),
                after.get(k)
            )
        })
        .collect();
    assert!(
        changed.is_empty(),
        "the scan changed metadata under the root:\n{}",
        changed.join("\n")
    );
    assert_eq!(before.len(), after.len());

    // Links are recorded, never followed; on this writable mount their
    // targets are not read, because readlink would move their atimes.
    let kind = |p: &[u8]| map[p].kind;
    assert_eq!(kind(b"loop_a"), Some(EntryKind::Symlink));
    for link in [&b"loop_a"[..], b"loop_b", b"up", b"dangling", b"outside"] {
        assert!(map[link].link_target.is_none());
        assert!(matches!(
            map[link].outcome,
            Outcome::NotHashed {
                reason: ferret::evidence::LINK_TARGET_NOT_READ
            }
        ));
    }
    assert_eq!(kind(b"fifo"), Some(EntryKind::Fifo));
    assert_eq!(kind(b"sock"), Some(EntryKind::Socket));
    assert!(matches!(
        map[b"fifo".as_slice()].outcome,
        Outcome::NotHashed { .. }
    ));
    // Hidden entries and odd names are there with their exact bytes.
    for name in [
        &b".hidden"[..],
        b".secret/inner.txt",
        b"caf\xe9.jpg",
        b"new\nline.txt",
        b"carriage\rreturn.txt",
        b"back\\slash.txt",
        b" lead.txt",
        b"trail.txt ",
    ] {
        assert!(
            map[name].digests().is_some(),
            "{:?} not hashed",
            bpath(name)
        );
    }
    // The file below a >4096-byte path was reached through directory handles.
    let deep = tree.deep_file.as_ref().unwrap();
    let rec = map[deep.as_os_str().as_encoded_bytes()];
    let want = ferret::hashing::hash_bytes(
        b"at the bottom of a path longer than PATH_MAX\n",
        AlgorithmSet::of(&[Algorithm::Blake3]),
    );
    assert_eq!(rec.digests(), Some(&want));
    // The sparse file was read to its last byte.
    let Outcome::Hashed { len, digests, .. } = &map[b"sparse.img".as_slice()].outcome else {
        panic!("sparse file not hashed");
    };
    assert_eq!(*len, tree.sparse_len);
    let mut h = blake3::Hasher::new();
    let zeros = vec![0u8; 1 << 20];
    let mut left = tree.sparse_len - 4;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        h.update(&zeros[..n]);
        left -= n as u64;
    }
    h.update(b"tail");
    assert_eq!(digests.blake3, Some(*h.finalize().as_bytes()));
    // Signature vs name.
    let Outcome::Hashed { class, .. } = &map[b"photo.dll".as_slice()].outcome else {
        panic!()
    };
    assert!(class.mismatch && class.mime == "image/jpeg");
}

#[test]
fn link_targets_are_recorded_when_asked_and_never_followed() {
    let tree = util::hostile_tree(Shapes {
        newline_names: false,
        deep: false,
        sparse: false,
    });
    let (records, result) = util::scan(ScanOptions::new(tree.root()).read_link_targets(true));
    let summary = result.unwrap();
    assert_eq!(summary.files_hashed, tree.files);
    let map = by_path(&records);
    let target = |p: &[u8]| map[p].link_target.clone();
    assert_eq!(target(b"up"), Some(bpath(b"..")));
    assert_eq!(target(b"loop_a"), Some(bpath(b"loop_b")));
    assert_eq!(target(b"dangling"), Some(bpath(b"does/not/exist")));
    assert_eq!(target(b"outside"), Some(bpath(b"/etc/passwd")));
    // Following "up" or "outside" would have added entries from outside the root.
    assert_eq!(records.len() as u64, tree.files + tree.not_hashed);
}

#[test]
fn file_deleted_between_walk_and_read_is_recorded_with_reason() {
    let tree = util::hostile_tree(Shapes {
        newline_names: false,
        deep: false,
        sparse: false,
    });
    let root = EvidenceRoot::open(tree.root()).unwrap();
    let mut early = Vec::new();
    let tasks = prewalk(
        &root,
        &WalkOptions::default(),
        &CancelToken::new(),
        None,
        &mut |r| early.push(r),
    )
    .unwrap()
    .expect("not cancelled");
    std::fs::remove_file(tree.root().join("vanish.txt")).unwrap();
    let mut buf = Vec::new();
    let records: Vec<_> = tasks
        .iter()
        .map(|t| {
            hash_task(
                &root,
                t,
                AlgorithmSet::ALL,
                &Default::default(),
                &mut buf,
                None,
            )
        })
        .collect();
    let failed: Vec<_> = records.iter().filter_map(|r| r.error()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].path, Path::new("vanish.txt"));
    assert_eq!(failed[0].op, Op::Open);
    assert_eq!(failed[0].kind, std::io::ErrorKind::NotFound);
    assert_eq!(failed[0].os_code(), Some(2));
    // The record still carries the metadata the walk saw.
    let rec = records.iter().find(|r| r.error().is_some()).unwrap();
    assert!(rec.meta.is_some_and(|m| m.size > 0));
    assert_eq!(
        records.len() as u64 + early.len() as u64,
        tree.files + tree.not_hashed
    );
}

#[test]
fn file_replaced_by_fifo_after_walk_is_refused_not_opened() {
    let tree = util::hostile_tree(Shapes {
        newline_names: false,
        deep: false,
        sparse: false,
    });
    let root = EvidenceRoot::open(tree.root()).unwrap();
    let tasks = prewalk(
        &root,
        &WalkOptions::default(),
        &CancelToken::new(),
        None,
        &mut |_| {},
    )
    .unwrap()
    .unwrap();
    let p = tree.root().join("vanish.txt");
    std::fs::remove_file(&p).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &p,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let task = tasks
        .iter()
        .find(|t| t.rel_path == Path::new("vanish.txt"))
        .unwrap();
    let rec = hash_task(
        &root,
        task,
        AlgorithmSet::ALL,
        &Default::default(),
        &mut Vec::new(),
        None,
    );
    let err = rec.error().expect("refused");
    assert_eq!(err.op, Op::Open);
    assert!(
        err.to_string().contains("not a regular file (now a fifo)"),
        "{err}"
    );
}

#[test]
fn other_filesystems_are_recorded_but_not_entered() {
    // /proc is always another filesystem; scanning / itself is too slow, so
    // check the rule on a tree holding a bind of nothing: the root's own dev
    // is kept, and a directory's dev compared. Here: /dev/shm vs /dev.
    let dev = Path::new("/dev");
    if !dev.join("shm").is_dir() || !dev.join("pts").is_dir() {
        eprintln!("SKIP: /dev/shm or /dev/pts missing");
        return;
    }
    let root = EvidenceRoot::open(dev).unwrap();
    let mut seen = Vec::new();
    prewalk(
        &root,
        &WalkOptions::default(),
        &CancelToken::new(),
        None,
        &mut |r| {
            if r.rel_path == Path::new("pts") {
                seen.push(r)
            }
        },
    )
    .unwrap();
    use std::os::unix::fs::MetadataExt;
    let same_fs =
        std::fs::metadata("/dev").unwrap().dev() == std::fs::metadata("/dev/pts").unwrap().dev();
    if same_fs {
        eprintln!("SKIP: /dev/pts is not a separate filesystem here");
        return;
    }
    assert_eq!(seen.len(), 1);
    assert!(matches!(
        seen[0].outcome,
        Outcome::NotHashed {
            reason: "mount point of another filesystem"
        }
    ));
}
