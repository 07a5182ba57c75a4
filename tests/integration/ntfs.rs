//! NTFS evidence on Linux: a real NTFS image (made with `mkntfs`, written
//! through `ntfs-3g`, then mounted read-only with FUSE) whose files hide
//! material in named data streams. Each stream is an item of its own, with
//! the right digests, matched against a hash set and named in every output;
//! a stream larger than the xattr interface reads is recorded with that
//! reason; the image is bit-for-bit the same afterwards.
//!
//! Skips with a printed reason where `mkntfs`, `ntfs-3g` or FUSE is missing
//! (`.ci/run` installs `ntfs-3g`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util;

/// An `ntfs-3g` mount, unmounted when dropped (also when a test fails).
struct Mount(PathBuf);

impl Mount {
    fn new(image: &Path, at: &Path, options: &str) -> Result<Mount, String> {
        let out = Command::new("ntfs-3g")
            .args(["-o", options])
            .arg(image)
            .arg(at)
            .output()
            .map_err(|e| format!("ntfs-3g: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ntfs-3g could not mount ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn sha256_file(path: &Path) -> String {
    let d = ferret::hashing::hash_bytes(&std::fs::read(path).unwrap(), ferret::AlgorithmSet::ALL);
    d.hex(ferret::Algorithm::Sha256).unwrap()
}

/// A small JPEG-looking payload (its signature is all the classifier reads).
fn hidden_picture() -> Vec<u8> {
    let mut p = vec![
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    p.extend((0..3000u32).map(|i| (i * 7 % 251) as u8));
    p
}

/// Makes the image: a file with two streams, a directory with one, a file
/// with a stream too large for the xattr interface; returns why not, if it
/// cannot (no tools, no FUSE).
fn make_image(dir: &Path) -> Result<PathBuf, String> {
    for tool in ["mkntfs", "ntfs-3g"] {
        if !util::have_tool(tool) {
            return Err(format!("{tool} not installed (Debian package ntfs-3g)"));
        }
    }
    if !Path::new("/dev/fuse").exists() {
        return Err("no /dev/fuse: FUSE is unavailable here".into());
    }
    let image = dir.join("evidence.ntfs");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(16 << 20)
        .unwrap();
    let out = Command::new("mkntfs")
        .args(["-F", "-Q", "-q"])
        .arg(&image)
        .output()
        .map_err(|e| format!("mkntfs: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "mkntfs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    {
        // Streams written through the xattr interface (ntfs-3g's default).
        let _m = Mount::new(&image, &mnt, "streams_interface=xattr")?;
        std::fs::write(mnt.join("notes.txt"), b"shopping list\n").unwrap();
        std::fs::create_dir(mnt.join("Docs")).unwrap();
        std::fs::write(mnt.join("Docs/plain.txt"), b"plain").unwrap();
        let set = |path: &Path, name: &str, value: &[u8]| {
            let ok = Command::new("setfattr")
                .args(["-n", name, "-v"])
                .arg(format!("0x{}", hex::encode(value)))
                .arg(path)
                .status();
            match ok {
                Ok(s) if s.success() => Ok(()),
                _ => Err(format!("setfattr {name} failed (package attr)")),
            }
        };
        set(&mnt.join("notes.txt"), "user.hidden.jpg", &hidden_picture())?;
        set(
            &mnt.join("notes.txt"),
            "user.Zone.Identifier",
            b"[ZoneTransfer]\r\nZoneId=3\r\n",
        )?;
        set(&mnt.join("Docs"), "user.in-a-folder.bin", b"folder stream")?;
        // The volume's root folder has streams too.
        set(&mnt, "user.at-the-root", b"root stream")?;
        // A file whose name holds a colon must never read like a stream.
        std::fs::write(mnt.join("a:b"), b"a file named a:b").unwrap();
        std::fs::write(mnt.join("a"), b"a").unwrap();
        set(&mnt.join("a"), "user.b", b"stream b of a")?;
    }
    {
        // A stream past 64 KiB can only be written through the Windows-style
        // interface (`file:stream`).
        let _m = Mount::new(&image, &mnt, "streams_interface=windows")?;
        std::fs::write(mnt.join("big.txt"), b"big").unwrap();
        std::fs::write(mnt.join("big.txt:large.bin"), vec![7u8; 100_000]).unwrap();
    }
    Ok(image)
}

#[test]
fn ntfs_streams_are_items_with_their_digests_and_the_image_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let image = match make_image(dir.path()) {
        Ok(i) => i,
        Err(why) => {
            eprintln!("SKIP ntfs streams test: {why}");
            return;
        }
    };
    let before = sha256_file(&image);
    let picture = hidden_picture();
    let want = ferret::hashing::hash_bytes(&picture, ferret::AlgorithmSet::ALL);
    // A "known-bad" set listing the hidden picture's MD5 (harmless bytes).
    let lib = util::alert_library(dir.path(), &picture);

    let mnt = dir.path().join("mnt");
    let case = dir.path().join("case.ferret");
    let report = dir.path().join("report");
    {
        let _m = Mount::new(&image, &mnt, "ro").expect("read-only mount");
        // Exit 2: complete, with an entry that could not be read (the large
        // stream).
        let out = util::ferret()
            .args([
                "scan",
                "-q",
                "--new",
                "--case-number",
                "NTFS-1",
                "--examiner",
                "T",
                "--case",
            ])
            .arg(&case)
            .args(["--library", lib.to_str().unwrap(), "-s", "bad"])
            .arg(&mnt)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The inventory names the stream after its file.
        let out = util::ferret()
            .args(["inventory", "-q", "-f", "jsonl", "-a", "sha256"])
            .arg(&mnt)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let text = String::from_utf8(out.stdout).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains("hidden.jpg"))
            .expect("the stream in the inventory");
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["path"], format!("{}/notes.txt:hidden.jpg", mnt.display()));
        assert_eq!(v["stream"], "hidden.jpg");
        assert_eq!(v["sha256"], want.hex(ferret::Algorithm::Sha256).unwrap());
        util::run_ok(
            util::ferret()
                .args(["report", "--format", "csv", "--out"])
                .arg(&report)
                .arg(&case),
        );
    }
    {
        // Mounted so that streams cannot be seen: said loudly, not missed
        // in silence.
        let _m = Mount::new(&image, &mnt, "ro,streams_interface=none").expect("mount");
        let out = util::ferret()
            .args(["inventory", "-q", "-f", "jsonl"])
            .arg(&mnt)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("WARNING") && err.contains("will be MISSED"),
            "{err}"
        );
    }
    assert_eq!(sha256_file(&image), before, "the image changed");

    let conn = util::db(&case);
    let (streams_iface,): (Option<String>,) = conn
        .query_row("SELECT streams FROM evidence", [], |r| Ok((r.get(0)?,)))
        .unwrap();
    assert_eq!(streams_iface.as_deref(), Some("ntfs-3g xattr"));
    let mut st = conn
        .prepare(
            "SELECT path_text, stream_text, status, size, hex(md5), hex(sha1), hex(sha256), mime, verdict,
                    coalesce(error_message, '')
             FROM files WHERE stream IS NOT NULL ORDER BY path",
        )
        .unwrap();
    type Row = (
        String,
        String,
        String,
        Option<i64>,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
    );
    let rows: Vec<Row> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let names: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("", "at-the-root", "hashed"),
            ("Docs", "in-a-folder.bin", "hashed"),
            ("a", "b", "hashed"),
            ("big.txt", "large.bin", "error"),
            ("notes.txt", "Zone.Identifier", "hashed"),
            ("notes.txt", "hidden.jpg", "hashed"),
        ]
    );
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| !["", "a"].contains(&r.0.as_str()))
        .collect();
    // The file named `a:b` is written with its colon escaped.
    let colon: i64 = conn
        .query_row(
            "SELECT count(*) FROM files WHERE path_text = 'a\\x3ab' AND stream IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(colon, 1);
    let hidden = &rows[3];
    let up = |a| want.hex(a).unwrap().to_uppercase();
    assert_eq!(hidden.3, Some(picture.len() as i64));
    assert_eq!(
        (&hidden.4, &hidden.5, &hidden.6),
        (
            &up(ferret::Algorithm::Md5),
            &up(ferret::Algorithm::Sha1),
            &up(ferret::Algorithm::Sha256)
        )
    );
    assert_eq!(hidden.7.as_deref(), Some("image/jpeg"));
    assert_eq!(hidden.8, "alert", "the hidden picture matches the set");
    let folder = ferret::hashing::hash_bytes(b"folder stream", ferret::AlgorithmSet::ALL);
    assert_eq!(
        rows[0].6,
        folder
            .hex(ferret::Algorithm::Sha256)
            .unwrap()
            .to_uppercase()
    );
    // Too large for the xattr interface: said loudly, never skipped.
    // (ntfs-3g reports such a stream as 65536 bytes: its real size is
    // unknown on Linux.)
    assert_eq!(rows[1].3, Some(65_536));
    assert!(rows[1].9.contains("65536 bytes or more"), "{}", rows[1].9);
    // The files themselves are there too, once each.
    let files: i64 = conn
        .query_row(
            "SELECT count(*) FROM files WHERE stream IS NULL AND path_text IN ('notes.txt', 'big.txt', 'Docs', 'Docs/plain.txt')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(files, 4);
    // The report names the stream after its file, and in its own column.
    let csv = std::fs::read_to_string(report.join("items.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains(",notes.txt:hidden.jpg,") && l.contains(",hidden.jpg,")),
        "{csv}"
    );
}
