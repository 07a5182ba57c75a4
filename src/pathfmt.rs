//! Reversible text forms of raw file names.
//!
//! Evidence file names are arbitrary bytes (invariant 4). Outputs that must be
//! text use [`escape_path`]: valid UTF-8 is kept, a backslash becomes `\\`,
//! `\n`, `\r` and `\t` become those escapes, other control characters (C0,
//! DEL, C1: ESC among them), the characters that reorder or break displayed
//! text (bidi controls such as U+202E, which make `holiday\u{202e}gpj.exe`
//! display as `holidayexe.jpg`; line and paragraph separators) and every
//! byte that is not valid UTF-8 become `\xHH`. Because the backslash itself
//! is always escaped, [`unescape_path`] restores the exact bytes.
//!
//! [`escape_text`] applies the same escape to any other string that came
//! from evidence or a hash set before it reaches a terminal, a log, a
//! report or the GUI.

#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The raw bytes of a path (Unix: exact; elsewhere: its UTF-8/WTF-8 form).
pub fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// Rebuilds a path from raw bytes produced by [`path_bytes`] or [`unescape_path`].
pub fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Escapes raw name bytes into a reversible, printable string.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() || reorders_text(c) => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Characters that change how the text around them is displayed: bidi
/// embeddings, overrides, isolates and marks, and line/paragraph
/// separators. They are escaped like control characters.
fn reorders_text(c: char) -> bool {
    matches!(
        c,
        '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Escapes any string from evidence or a hash set (a set's embedded name,
/// a profile, an entry name, a reject message) for display: the same
/// reversible escape as names.
pub fn escape_text(text: &str) -> String {
    escape_bytes(text.as_bytes())
}

/// `text` as it may be shown: unchanged when it holds nothing to escape
/// (text that is already in escaped form stays as it is), else
/// [`escape_text`]. For strings read back from a case or a set, which a
/// crafted file could fill with terminal escapes or bidi overrides.
pub fn display_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(|c| c.is_control() || reorders_text(c)) {
        std::borrow::Cow::Owned(escape_text(text))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Escapes a path into a reversible, printable string.
pub fn escape_path(path: impl AsRef<OsStr>) -> String {
    escape_bytes(path.as_ref().as_encoded_bytes())
}

/// Error from [`unescape_path`]: the text is not an escaped name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad escape at byte {offset} in escaped name")]
pub struct UnescapeError {
    /// Byte offset of the bad escape sequence.
    pub offset: usize,
}

/// Reverses [`escape_bytes`], returning the exact original bytes.
pub fn unescape_path(text: &str) -> Result<Vec<u8>, UnescapeError> {
    let src = text.as_bytes();
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while let Some(&byte) = src.get(i) {
        if byte != b'\\' {
            out.push(byte);
            i += 1;
            continue;
        }
        let bad = UnescapeError { offset: i };
        match src.get(i + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'x') => {
                let hex = src.get(i + 2..i + 4).ok_or(bad.clone())?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad.clone())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad)?);
                i += 4;
                continue;
            }
            _ => return Err(bad),
        }
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_hostile_names() {
        let names: [&[u8]; 7] = [
            b"plain.jpg",
            b"back\\slash",
            b"new\nline\r\t",
            b"\xff\xfe latin1 \xe9",
            b"\x01\x7f ctl",
            "ünïcødé 写真.png".as_bytes(),
            b"\\x41 looks escaped",
        ];
        for n in names {
            let e = escape_bytes(n);
            assert!(!e.contains('\n') && !e.contains('\r'), "{e}");
            assert_eq!(unescape_path(&e).unwrap(), n, "{e}");
        }
        assert_eq!(escape_bytes(b"a\\b\nc\xff"), "a\\\\b\\nc\\xff");
        assert_eq!(escape_bytes("é".as_bytes()), "é");
        // Terminal escapes and display reordering never pass through.
        let evil = "holiday\u{202e}gpj.exe\x1b[2J\u{2028}x\u{85}";
        let e = escape_text(evil);
        assert_eq!(
            e,
            "holiday\\xe2\\x80\\xaegpj.exe\\x1b[2J\\xe2\\x80\\xa8x\\xc2\\x85"
        );
        assert_eq!(unescape_path(&e).unwrap(), evil.as_bytes());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any bytes escape to printable text with no control or bidi
        /// character, and unescape to the same bytes.
        #[test]
        fn any_bytes_round_trip(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let e = escape_bytes(&bytes);
            proptest::prop_assert!(!e.chars().any(|c| c.is_control() || reorders_text(c)), "{e:?}");
            proptest::prop_assert_eq!(unescape_path(&e).unwrap(), bytes);
        }

        /// Any text unescapes to an error or to bytes, never a panic.
        #[test]
        fn any_text_unescapes_without_panic(text in ".{0,40}") {
            let _ = unescape_path(&text);
            let escaped = escape_text(&text);
            proptest::prop_assert_eq!(display_safe(&escaped).into_owned(), escaped.clone());
        }
    }

    #[test]
    fn rejects_bad_escapes() {
        assert_eq!(unescape_path("ab\\"), Err(UnescapeError { offset: 2 }));
        assert!(unescape_path("\\xZZ").is_err());
        assert!(unescape_path("\\q").is_err());
    }
}
