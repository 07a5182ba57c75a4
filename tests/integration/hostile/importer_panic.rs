//! Issue 13, finding 1: a plain list whose separator after the digest is a
//! multi-byte space (U+3000, U+00A0) panicked the importer (exit 101) in
//! `split_first_field`, which sliced at the separator's offset plus one.

use super::{MD5, import, write};

/// Lines the sniffer reads as a plain list: most start with a hex run and
/// a space but are no digest, so every line gets its own reject.
fn sniffed_plain_list(sep: char) -> String {
    format!(
        "abcdef0123 junk\nfedcba9876 junk\n0123456789 junk\n{MD5}{sep}name one.txt\n{MD5}{sep}\n"
    )
}

#[test]
fn multi_byte_separators_after_a_digest_import_without_panicking() {
    for sep in ['\u{3000}', '\u{a0}'] {
        let dir = tempfile::tempdir().unwrap();
        let src = write(dir.path(), "list.txt", sniffed_plain_list(sep).as_bytes());
        let out = import(dir.path(), &src, &[]);
        assert_eq!(out.code, Some(0), "U+{:04X}: {out:?}", sep as u32);
        assert!(!out.stderr.contains("panicked"), "{out:?}");
        assert!(
            out.stderr.contains("(alert, plain): 2 entries"),
            "sniffed as plain, both digests kept: {out:?}"
        );
        assert!(
            out.stderr
                .contains("list.txt:1: not a digest: 10 characters"),
            "{out:?}"
        );
        out.assert_bounded();
    }
}

#[test]
fn a_forced_plain_format_keeps_the_name_after_a_multi_byte_space() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "forced.txt",
        format!("{MD5}\u{3000}名前.jpg\n{MD5}\u{a0},x\n").as_bytes(),
    );
    let out = import(dir.path(), &src, &["--format", "plain"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("2 entries"), "{out:?}");
    let exported = crate::util::run_ok(
        crate::util::ferret()
            .args(["hashset", "--library"])
            .arg(dir.path().join("lib"))
            .args(["export", "forced", "--format", "sums"]),
    );
    let text = String::from_utf8_lossy(&exported.stdout);
    assert!(
        text.contains("名前.jpg"),
        "the name after U+3000 is kept: {text}"
    );
    out.assert_bounded();
}
