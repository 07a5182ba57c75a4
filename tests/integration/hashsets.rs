//! Hash sets: real samples with exact counts, matching against the
//! hashdeep/md5deep oracle, RDS v3 databases, malformed inputs, the
//! compiled index and the library.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use ferret::hashsets::library::{ImportOptions, parse_source};
use ferret::hashsets::{Entry, Format, HashLibrary, HashSetError, Hex64, SetKind, sniff};

use crate::util;

fn load(path: &Path) -> (Format, Vec<Entry>, ferret::hashsets::ParseReport) {
    let format = sniff(path).unwrap_or_else(|e| panic!("{e}"));
    let mut entries = Vec::new();
    let report = parse_source(path, format, Hex64::Either, &mut |e| entries.push(e)).unwrap();
    (format, entries, report)
}

fn pairs(entries: &[Entry]) -> BTreeSet<(Vec<u8>, Vec<u8>)> {
    entries
        .iter()
        .map(|e| {
            (
                e.digests.sha1.unwrap().to_vec(),
                e.digests.md5.unwrap().to_vec(),
            )
        })
        .collect()
}

#[test]
fn nsrl_legacy_text_and_zips_load_the_same_218_records() {
    let Some(c) = util::corpus() else { return };
    let legacy = c.join("nsrl/legacy");
    let (f15, e15, r15) = load(&legacy.join("NSRL-1.5.txt"));
    let (f20, e20, r20) = load(&legacy.join("NSRL-2.0.txt"));
    assert_eq!((f15, f20), (Format::NsrlLegacy, Format::NsrlLegacy));
    assert_eq!((r15.rejected, r20.rejected), (0, 0));
    assert_eq!((e15.len(), e20.len()), (218, 218));
    assert_eq!(pairs(&e15).len(), 138, "distinct SHA-1/MD5 pairs");
    assert_eq!(pairs(&e15), pairs(&e20));
    let first = &e20[0];
    assert_eq!(
        first.name.as_deref(),
        Some("INFODESK.IC$").or(first.name.as_deref())
    );
    assert!(first.extra.iter().any(|(k, v)| k == "os" && v == "WIN"));
    for (zip, txt) in [("RDS-000001-15.zip", &e15), ("RDS-000001-20.zip", &e20)] {
        let (f, e, r) = load(&legacy.join(zip));
        assert_eq!(f, Format::NsrlZip);
        assert_eq!(r.rejected, 0);
        assert_eq!(pairs(&e), pairs(txt), "{zip}");
        assert_eq!(e.len(), txt.len());
    }
}

#[test]
fn vics_12_samples_give_138_entries_with_categories() {
    let Some(c) = util::corpus() else { return };
    let dir = c.join("projectvic/vics-1.2-nist-caid");
    let mut total = 0;
    for (file, n) in [
        ("NSRL-CAID-ART.json", 1),
        ("NSRL-CAID-AVI.json", 30),
        ("NSRL-CAID-MOV.json", 9),
        ("NSRL-CAID-MPG.json", 3),
        ("NSRL-CAID-WMV.json", 95),
    ] {
        let (f, e, r) = load(&dir.join(file));
        assert_eq!(f, Format::Vics);
        assert_eq!((e.len(), r.rejected), (n, 0), "{file}");
        assert!(
            e.iter()
                .all(|x| x.category == Some(8) && x.digests.md5.is_some())
        );
        assert!(e.iter().all(|x| x.media_id.is_some() && x.name.is_some()));
        total += e.len();
    }
    assert_eq!(total, 138);
}

#[test]
fn hashdeep_sample_hashes_each_load_in_their_format() {
    let Some(c) = util::corpus() else { return };
    let s = c.join("hashdeep/sample-hashes");
    let t = c.join("hashdeep/testfiles");
    for (path, format, entries, rejected) in [
        (s.join("hashdeep.txt"), Format::Hashdeep, 3, 0),
        (s.join("md5deep.txt"), Format::Sums, 4, 0),
        (s.join("md5deep-size.txt"), Format::Sums, 4, 0),
        (s.join("ilookv3.hsh"), Format::Csv, 5, 0),
        (s.join("ilookv4.hsh"), Format::Csv, 5, 0),
        (t.join("ilookv4.hsh"), Format::Csv, 6, 0),
        (t.join("nsrlfile.txt"), Format::NsrlLegacy, 2, 0),
        (t.join("bsd-hashes.txt"), Format::Sums, 5, 0),
        (t.join("known.txt"), Format::Sums, 1, 1),
    ] {
        let (f, e, r) = load(&path);
        assert_eq!(
            (f, e.len(), r.rejected),
            (format, entries, rejected),
            "{}: {:?}",
            path.display(),
            r.reject_lines()
        );
    }
    let (_, e, _) = load(&s.join("md5deep-size.txt"));
    assert_eq!(e[0].size, Some(669416));
    let (_, e, _) = load(&s.join("hashdeep.txt"));
    assert!(
        e.iter()
            .all(|x| x.digests.md5.is_some() && x.digests.sha256.is_some() && x.size.is_some())
    );
}

/// Runs `ferret inventory --hashset … -m|-x` and returns the relative paths.
fn ferret_select(lib: &Path, set: &str, src: &Path, flag: &str) -> BTreeSet<String> {
    let out = util::ferret()
        .args(["inventory", "-q", "-f", "jsonl", "--library"])
        .arg(lib)
        .args(["--hashset", set, flag])
        .arg(src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prefix = format!("{}/", src.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["path"]
                .as_str()
                .unwrap()
                .strip_prefix(&prefix)
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn matching_agrees_with_the_hashdeep_oracle() {
    let Some(c) = util::corpus() else { return };
    let expected_dir = c.join("hashdeep/expected");
    let src = c.join("hashdeep/testfiles");
    let lib_dir = tempfile::tempdir().unwrap();
    let lib = HashLibrary::open(lib_dir.path()).unwrap();
    // (test, list, flag, top-level *.txt only)
    let cases: [(&str, PathBuf, &str, bool); 8] = [
        (
            "test5",
            expected_dir.join("lists/hashlist-md5deep-partial.txt"),
            "-m",
            false,
        ),
        (
            "test6",
            expected_dir.join("lists/hashlist-md5deep-partial.txt"),
            "-x",
            false,
        ),
        (
            "test34",
            expected_dir.join("lists/hashlist-hashdeep-partial.txt"),
            "-m",
            true,
        ),
        (
            "test37",
            expected_dir.join("lists/hashlist-hashdeep-partial.txt"),
            "-x",
            true,
        ),
        ("test48", src.join("bsd-hashes.txt"), "-m", false),
        ("test49", src.join("ilookv4.hsh"), "-m", false),
        ("test51", src.join("nsrlfile.txt"), "-m", false),
        ("test52", src.join("nsrlfile.txt"), "-m", false),
    ];
    for (test, list, flag, txt_only) in cases {
        let name = format!("{test}-set");
        let mut opts = ImportOptions::new(SetKind::Alert);
        opts.name = Some(name.clone());
        lib.import(&list, &opts, &mut |_| {}).unwrap();
        let want: BTreeSet<String> =
            std::fs::read_to_string(expected_dir.join(format!("{test}.out")))
                .unwrap()
                .lines()
                .map(|l| l.strip_prefix("@WORKDIR@/t/").unwrap().to_string())
                .collect();
        let mut got = ferret_select(lib_dir.path(), &name, &src, flag);
        if txt_only {
            got.retain(|p| !p.contains('/') && p.ends_with(".txt"));
        }
        assert_eq!(got, want, "{test}");
    }
}

#[test]
fn rds_v3_full_and_minimal_editions_load_and_match() {
    let Some(c) = util::corpus() else { return };
    let ddl =
        std::fs::read_to_string(c.join("nsrl/rdsv3/RDSv3_2021.12.2_curated.schema.sql")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Evidence: one known file.
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("notepad.exe"), b"known good bytes").unwrap();
    let d = ferret::hashing::hash_bytes(b"known good bytes", ferret::AlgorithmSet::ALL);
    let up = |b: Option<&[u8]>| hex::encode_upper(b.unwrap());
    let (sha256, sha1, md5) = (
        up(d.get(ferret::Algorithm::Sha256)),
        up(d.get(ferret::Algorithm::Sha1)),
        up(d.get(ferret::Algorithm::Md5)),
    );
    // Full edition: NIST's DDL, FILE is a view over METADATA.
    let full = dir.path().join("full.db");
    {
        let db = rusqlite::Connection::open(&full).unwrap();
        db.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
        db.execute_batch(&ddl).unwrap();
        db.execute_batch(&format!(
            "INSERT INTO PACKAGE_OBJECT VALUES (1, 77, 5);
             INSERT INTO METADATA (metadata_id, object_id, key_hash, path, file_name, extension, bytes, crc32, md5, sha1, sha256)
               VALUES (1, 5, 'k', '/w', 'notepad', 'exe', 16, '0', '{md5}', '{sha1}', lower('{sha256}'));
             INSERT INTO METADATA (metadata_id, object_id, key_hash, path, file_name, extension, bytes, crc32, md5, sha1, sha256)
               VALUES (2, 5, 'k2', '/w', 'bad', '', 1, '0', 'XYZ', 'XYZ', 'XYZ');"
        ))
        .unwrap();
    }
    // Minimal edition, and the older schema without crc32.
    let minimal = dir.path().join("minimal.db");
    {
        let db = rusqlite::Connection::open(&minimal).unwrap();
        db.execute_batch(&format!(
            "CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
               file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL);
             CREATE TABLE PKG (package_id INTEGER, name VARCHAR, version VARCHAR, operating_system_id INTEGER,
               manufacturer_id INTEGER, language VARCHAR, application_type VARCHAR);
             CREATE TABLE OS (operating_system_id INTEGER, name VARCHAR, version VARCHAR, manufacturer_id INTEGER);
             INSERT INTO FILE VALUES ('{sha256}', '{sha1}', '{md5}', 'notepad.exe', 16, 77);
             INSERT INTO PKG VALUES (77, 'Notepad', '1.0', 3, 1, 'English', 'Text editor');
             INSERT INTO OS VALUES (3, 'Windows', '11', 1);"
        ))
        .unwrap();
    }
    let before = std::fs::read(&full).unwrap();
    let (f, e, r) = load(&full);
    assert_eq!(f, Format::NsrlV3);
    assert_eq!((e.len(), r.rejected), (1, 1), "{:?}", r.reject_lines());
    assert_eq!(e[0].name.as_deref(), Some("notepad.exe"));
    assert_eq!(
        std::fs::read(&full).unwrap(),
        before,
        "source database untouched"
    );
    let (_, e, _) = load(&minimal);
    assert_eq!(e.len(), 1);
    assert!(
        e[0].extra
            .contains(&("package".into(), "Notepad 1.0 (Windows 11)".into()))
    );

    let lib_dir = dir.path().join("lib");
    let lib = HashLibrary::open(&lib_dir).unwrap();
    for (db, name) in [(&full, "rds-full"), (&minimal, "rds-min")] {
        let mut o = ImportOptions::new(SetKind::Ignore);
        o.name = Some(name.into());
        lib.import(db, &o, &mut |_| {}).unwrap();
        let got = ferret_select(&lib_dir, name, &ev, "-m");
        assert_eq!(got, BTreeSet::from(["notepad.exe".to_string()]), "{name}");
    }
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn malformed_inputs_give_clear_errors_or_counted_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lib = HashLibrary::open(d.join("lib")).unwrap();
    let import = |p: &Path| lib.import(p, &ImportOptions::new(SetKind::Alert), &mut |_| {});
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";

    // Truncated JSON: records before the cut are kept, the cut is reported.
    let p = write(
        d,
        "cut.json",
        format!("{{\"odata.metadata\":\"x#Media\",\"value\":[{{\"MD5\":\"{md5}\"}},{{\"MD5\":\"ab")
            .as_bytes(),
    );
    let out = import(&p).unwrap();
    assert_eq!((out.provenance.entries, out.report.rejected), (1, 1));
    assert!(
        out.report.reject_lines()[0].contains("invalid JSON at line 1"),
        "{:?}",
        out.report.reject_lines()
    );
    // Bad hex and wrong length: line numbers, the rest loads.
    let p = write(
        d,
        "bad.txt",
        format!(
            "{md5}\nzz1d8cd98f00b204e9800998ecf8427e\n{md5}00\n{}\n",
            "a".repeat(40)
        )
        .as_bytes(),
    );
    let out = import(&p).unwrap();
    assert_eq!((out.provenance.entries, out.report.rejected), (2, 2));
    let lines = out.report.reject_lines();
    assert!(
        lines[0].ends_with("bad.txt:2: bad hex in 'zz1d8cd98f00b204e9800998ecf8427e'"),
        "{lines:?}"
    );
    assert!(
        lines[1].contains("bad.txt:3: not a digest: 34 characters"),
        "{lines:?}"
    );
    // NUL bytes.
    let p = write(d, "nul.txt", format!("{md5}\n{md5}\0x\n").as_bytes());
    let out = import(&p).unwrap();
    assert_eq!((out.provenance.entries, out.report.rejected), (1, 1));
    assert!(out.report.reject_lines()[0].ends_with(":2: NUL byte in line"));
    // A 10 MB single line among good ones.
    let mut big = format!("{md5}\n").into_bytes();
    big.extend(std::iter::repeat_n(b'f', 10 << 20));
    big.extend_from_slice(format!("\n{md5}\n").as_bytes());
    let p = write(d, "long.txt", &big);
    let out = import(&p).unwrap();
    assert_eq!((out.provenance.entries, out.report.rejected), (2, 1));
    assert!(out.report.reject_lines()[0].ends_with(":2: line too long"));
    // Empty file.
    let p = write(d, "empty.txt", b"");
    let err = import(&p).unwrap_err();
    assert!(matches!(err, HashSetError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("the file is empty"));
    // UTF-16.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(md5.bytes().flat_map(|b| [b, 0]))
        .collect();
    let p = write(d, "utf16.txt", &utf16);
    let err = import(&p).unwrap_err();
    assert!(err.to_string().contains("UTF-16"), "{err}");
    // Only garbage: one message listing the formats tried.
    let p = write(d, "junk.bin", b"\x01\x02hello\x00world");
    let err = import(&p).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a recognised hash-set format (tried: VICS JSON"),
        "{err}"
    );
    // All lines bad: a clear error naming the first bad line.
    let p = write(
        d,
        "allbad.txt",
        b"d41d8cd98f00b204e9800998ecf8427\n# only a comment\nabcd  x\n",
    );
    let err = import(&p).unwrap_err();
    assert!(err.to_string().contains("no valid entries"), "{err}");
}

#[test]
fn compiled_index_round_trip_unchanged_reimport_and_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = write(
        d,
        "set.txt",
        b"900150983cd24fb0d6963f7d28e17f72  abc\n\
          a9993e364706816aba3e25717850c26c9cd0d89d  abc\n\
          900150983cd24fb0d6963f7d28e17f72  abc-again\n",
    );
    let lib = HashLibrary::open(d.join("lib")).unwrap();
    let opts = ImportOptions::new(SetKind::Alert);
    let first = lib.import(&src, &opts, &mut |_| {}).unwrap();
    assert!(!first.unchanged);
    assert_eq!(first.provenance.counts.get("md5"), Some(&2));
    assert_eq!(first.provenance.counts.get("sha1"), Some(&1));
    let again = lib.import(&src, &opts, &mut |_| {}).unwrap();
    assert!(again.unchanged, "same source: nothing to do");

    let set = lib.load("set").unwrap();
    let mut ids = Vec::new();
    set.lookup(
        ferret::Algorithm::Md5,
        &hex::decode("900150983cd24fb0d6963f7d28e17f72").unwrap(),
        &mut ids,
    );
    assert_eq!(ids.len(), 2, "both entries with that MD5");
    let names: BTreeSet<_> = ids
        .iter()
        .map(|&i| set.entry(i).unwrap().name.unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["abc".to_string(), "abc-again".to_string()])
    );
    ids.clear();
    set.lookup(ferret::Algorithm::Md5, &[0u8; 16], &mut ids);
    assert!(ids.is_empty());
    let abc = hex::decode("900150983cd24fb0d6963f7d28e17f72").unwrap();
    let keys: Vec<&[u8]> = vec![&[0u8; 16], &abc, &[1u8; 3], &abc];
    let mut pairs = Vec::new();
    set.lookup_batch(ferret::Algorithm::Md5, &keys, &mut pairs);
    pairs.sort();
    let mut want: Vec<(usize, u32)> = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        let mut v = Vec::new();
        set.lookup(ferret::Algorithm::Md5, key, &mut v);
        want.extend(v.into_iter().map(|id| (k, id)));
    }
    want.sort();
    assert_eq!(pairs, want);
    assert_eq!(pairs.len(), 4, "two keys, two entries each");
    drop(set);

    // Truncate the index: detected, and rebuilt from the unchanged source.
    let idx = lib.dir().join("set.fhs");
    let len = std::fs::metadata(&idx).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&idx).unwrap();
    f.set_len(len - 7).unwrap();
    drop(f);
    let err = ferret::hashsets::CompiledSet::open(&idx).err().unwrap();
    assert!(err.to_string().contains("truncated"), "{err}");
    let set = lib.load("set").expect("rebuilt from source");
    assert_eq!(set.entry_count(), 3);
    assert!(ferret::hashsets::CompiledSet::open(&idx).is_ok());
    drop(set);
    // Flip a header byte: checksum mismatch; with the source changed, refused.
    let mut bytes = std::fs::read(&idx).unwrap();
    bytes[170] ^= 0xff;
    std::fs::write(&idx, &bytes).unwrap();
    std::fs::write(&src, b"d41d8cd98f00b204e9800998ecf8427e\n").unwrap();
    let err = lib.load("set").err().unwrap();
    assert!(
        err.to_string().contains("header checksum mismatch"),
        "{err}"
    );
}

#[test]
fn scan_counts_alerts_known_good_and_unused_entries() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    for (name, data) in [
        ("bad1.jpg", "bad one"),
        ("bad2.jpg", "bad two"),
        ("os.dll", "system"),
        ("both", "system"),
        ("new.txt", "unknown"),
    ] {
        std::fs::write(ev.join(name), data).unwrap();
    }
    let md5 = |s: &str| {
        hex::encode(
            ferret::hashing::hash_bytes(s.as_bytes(), ferret::AlgorithmSet::ALL)
                .md5
                .unwrap(),
        )
    };
    let lib = HashLibrary::open(dir.path().join("lib")).unwrap();
    let alert = write(
        dir.path(),
        "alert.txt",
        format!(
            "{}\n{}\n{}\n",
            md5("bad one"),
            md5("bad two"),
            md5("never seen")
        )
        .as_bytes(),
    );
    let ignore = write(
        dir.path(),
        "ignore.txt",
        format!("{}\n{}\n", md5("system"), md5("bad two")).as_bytes(),
    );
    lib.import(&alert, &ImportOptions::new(SetKind::Alert), &mut |_| {})
        .unwrap();
    lib.import(&ignore, &ImportOptions::new(SetKind::Ignore), &mut |_| {})
        .unwrap();
    let catalog = ferret::hashsets::HashSetCatalog::new(vec![
        lib.load("alert").unwrap(),
        lib.load("ignore").unwrap(),
    ]);
    let (records, r) = util::scan(ferret::ScanOptions::new(&ev).hash_sets(catalog));
    let s = r.unwrap();
    assert_eq!(
        (s.alerts, s.known_good, s.info_only),
        (2, 2, 0),
        "alert wins over ignore"
    );
    assert_eq!(s.sets[0].matched_files, 2);
    assert_eq!(
        (s.sets[0].matched_entries, s.sets[0].unused_entries),
        (2, 1)
    );
    assert_eq!((s.sets[1].matched_files, s.sets[1].unused_entries), (3, 0));
    let bad2 = records
        .iter()
        .find(|r| r.rel_path == Path::new("bad2.jpg"))
        .unwrap();
    assert_eq!(bad2.hits.len(), 2, "all hits kept");
    // CLI summary says the same.
    let out = Command::new(env!("CARGO_BIN_EXE_ferret"))
        .args(["inventory", "-f", "jsonl", "--library"])
        .arg(dir.path().join("lib"))
        .args(["-s", "alert", "-s", "ignore"])
        .arg(&ev)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2 flagged (alert), 2 known-good filtered"),
        "{err}"
    );
    assert!(
        err.contains("set alert (alert): 2 files matched; 2 of 3 entries matched, 1 unused"),
        "{err}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"hits\":[{"), "{stdout}");
}

/// A set big enough for a wide prefix table (600k digests → 18 prefix bits),
/// with a skewed cluster of 3,000 digests sharing their first six bytes (one
/// bucket far over the linear-scan size: interpolation, galloping and binary
/// search) and duplicated digests: every present digest is found with all
/// its entries, absent ones are not, batched lookups agree with single ones,
/// and `digests()` gives back every digest in order.
#[test]
fn wide_prefix_table_and_skewed_buckets_find_every_digest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut digests: Vec<[u8; 16]> = Vec::new();
    for i in 0..600_000u32 {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&next().to_be_bytes());
        k[8..].copy_from_slice(&next().to_be_bytes());
        if i < 3_000 {
            k[..6].copy_from_slice(&[0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a]);
        }
        digests.push(k);
    }
    // Every 1000th digest appears twice (two entries).
    let dups: Vec<[u8; 16]> = digests.iter().step_by(1000).copied().collect();
    let mut text = String::new();
    for k in digests.iter().chain(&dups) {
        text.push_str(&hex::encode(k));
        text.push('\n');
    }
    let src = write(d, "wide.txt", text.as_bytes());
    let lib = HashLibrary::open(d.join("lib")).unwrap();
    lib.import(&src, &ImportOptions::new(SetKind::Ignore), &mut |_| {})
        .unwrap();
    let loaded = lib.load("wide").unwrap();
    // The same file with its prefix table copied into huge pages (done for
    // big sets only) must answer exactly the same.
    let copied =
        ferret::hashsets::CompiledSet::open_copying_prefix(&d.join("lib").join("wide.fhs"), 0)
            .unwrap();
    assert!(copied.prefix_copied() && !loaded.prefix_copied());
    for set in [&loaded, &copied] {
        check_wide(set, &digests, &dups, &mut next);
    }
}

fn check_wide(
    set: &ferret::hashsets::CompiledSet,
    digests: &[[u8; 16]],
    dups: &[[u8; 16]],
    next: &mut impl FnMut() -> u64,
) {
    assert_eq!(set.entry_count(), 600_600);

    let mut want: BTreeMap<[u8; 16], usize> = BTreeMap::new();
    for k in digests.iter().chain(dups) {
        *want.entry(*k).or_default() += 1;
    }
    let mut ids = Vec::new();
    for (k, n) in &want {
        ids.clear();
        set.lookup(ferret::Algorithm::Md5, k, &mut ids);
        assert_eq!(ids.len(), *n, "{}", hex::encode(k));
    }
    // Absent digests: random ones, and neighbours of the skewed cluster.
    let mut absent: Vec<[u8; 16]> = Vec::new();
    for i in 0..20_000u64 {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&next().to_be_bytes());
        k[8..].copy_from_slice(&next().to_be_bytes());
        if i % 2 == 0 {
            k[..6].copy_from_slice(&[0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a]);
        }
        if !want.contains_key(&k) {
            absent.push(k);
        }
    }
    for k in [[0u8; 16], [0xff; 16]] {
        absent.push(k);
    }
    for k in &absent {
        ids.clear();
        set.lookup(ferret::Algorithm::Md5, k, &mut ids);
        assert!(ids.is_empty(), "{}", hex::encode(k));
    }
    let keys: Vec<&[u8]> = want
        .keys()
        .map(|k| &k[..])
        .chain(absent.iter().map(|k| &k[..]))
        .collect();
    let mut pairs = Vec::new();
    set.lookup_batch(ferret::Algorithm::Md5, &keys, &mut pairs);
    assert_eq!(
        pairs.len(),
        600_600,
        "batched: every entry of every present key"
    );
    assert!(
        pairs.iter().all(|&(i, _)| i < want.len()),
        "no absent key matched"
    );
    let back: Vec<Vec<u8>> = set
        .digests(ferret::Algorithm::Md5)
        .map(|(d, _)| d)
        .collect();
    let sorted: Vec<Vec<u8>> = want
        .iter()
        .flat_map(|(k, n)| std::iter::repeat_n(k.to_vec(), *n))
        .collect();
    assert_eq!(back, sorted, "digests() returns the set in digest order");
}
