//! Finding 3 of the index review: the automatic rebuild of a damaged index
//! dropped the import options (`--hex64 sha256` came back as both SHA-256
//! and BLAKE3) and said nothing. Every option is now kept in
//! `NAME.source.json`, a rebuild repeats them and says so.

use std::path::Path;

use super::{hashset, inventory, md5_hex, replace, reseal, text, vics_source};

/// Flips the last byte of `index` (a change only the file checksum sees).
fn damage(index: &Path) {
    let mut b = std::fs::read(index).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0x55;
    replace(index, &b);
}

/// Imports `NAME.txt`, one bare 64-hex digest of `byte`, with
/// `--hex64 sha256` into `lib`; returns the source file.
fn import_hex64(dir: &Path, lib: &Path, name: &str, byte: u8) -> std::path::PathBuf {
    let src = dir.join(format!("{name}.txt"));
    std::fs::write(&src, format!("{}\n", hex::encode([byte; 32]))).unwrap();
    let out = hashset(
        lib,
        &[
            "import",
            "-k",
            "alert",
            "--hex64",
            "sha256",
            src.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    src
}

#[test]
fn a_rebuild_keeps_hex64_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (d, lib) = (dir.path(), dir.path().join("lib"));
    let src = import_hex64(d, &lib, "h64", 0xab);
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lib.join("h64.source.json")).unwrap()).unwrap();
    assert_eq!(record["hex64"], "sha256");
    assert_eq!(record["name"], "h64");

    damage(&lib.join("h64.fhs"));
    let out = hashset(&lib, &["verify", "h64"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "ferret: rebuilt h64 from {} (index damaged: checksum mismatch",
            src.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("predates"), "{stderr}");
    assert_eq!(stdout.trim(), "h64: OK, 1 entries (sha256 1)");
    let (info, _) = text(&hashset(&lib, &["info", "h64"]));
    assert!(info.contains("entries:       1 (sha256 1)"), "{info}");
    assert!(info.contains("hex64:         sha256"), "{info}");
}

#[test]
fn a_rebuild_keeps_a_custom_category_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (d, lib) = (dir.path(), dir.path().join("lib"));
    let ev = d.join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("x.jpg"), b"category zero here").unwrap();
    let src = vics_source(d, "strict", &[(0, &md5_hex(b"category zero here"))]);
    let profile = d.join("profile.json");
    std::fs::write(
        &profile,
        r#"{"name":"strict","kinds":{"0":"alert"},"otherwise":"alert"}"#,
    )
    .unwrap();
    let out = hashset(
        &lib,
        &[
            "import",
            "-k",
            "alert",
            "--profile",
            profile.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    damage(&lib.join("strict.fhs"));
    let out = inventory(&lib, "strict", &ev);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("rebuilt strict from"), "{stderr}");
    assert!(
        stderr.contains("1 flagged (alert)"),
        "category 0 is still alert: {stderr}"
    );
    assert!(stdout.contains("\"kind\":\"alert\""), "{stdout}");
}

#[test]
fn an_old_index_and_record_are_rebuilt_saying_what_was_assumed() {
    let dir = tempfile::tempdir().unwrap();
    let (d, lib) = (dir.path(), dir.path().join("lib"));
    import_hex64(d, &lib, "old", 0xcd);
    // A record as the Ferret before this one wrote it (no name, no hex64)…
    let record = lib.join("old.source.json");
    let mut r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    let o = r.as_object_mut().unwrap();
    o.remove("hex64");
    o.remove("name");
    std::fs::write(&record, serde_json::to_vec(&r).unwrap()).unwrap();
    // …beside an index of format version 2.
    let index = lib.join("old.fhs");
    let mut b = std::fs::read(&index).unwrap();
    b[8..12].copy_from_slice(&2u32.to_le_bytes());
    reseal(&mut b);
    replace(&index, &b);

    let out = hashset(&lib, &["info", "old"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("rebuilt old from")
            && stderr.contains("(index damaged: format version 2, this Ferret reads 4)")
            && stderr.contains("predates Ferret recording --hex64"),
        "{stderr}"
    );
    assert!(stdout.contains("(blake3 1, sha256 1)"), "{stdout}");
}

#[test]
fn reimporting_with_other_options_recompiles() {
    let dir = tempfile::tempdir().unwrap();
    let (d, lib) = (dir.path(), dir.path().join("lib"));
    let src = d.join("re.txt");
    std::fs::write(&src, format!("{}\n", hex::encode([0xefu8; 32]))).unwrap();
    let import = |hex64: &str| {
        let out = hashset(
            &lib,
            &[
                "import",
                "-k",
                "alert",
                "--hex64",
                hex64,
                src.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{:?}", text(&out));
        text(&out).1
    };
    assert!(import("sha256").contains("imported re"));
    assert!(import("sha256").contains("unchanged since import"));
    let again = import("blake3");
    assert!(
        again.contains("imported re") && again.contains("blake3 1"),
        "{again}"
    );
}
