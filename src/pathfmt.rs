//! Reversible text forms of raw file names.
//!
//! Evidence file names are arbitrary bytes (invariant 4). Outputs that must be
//! text escape them in the convention of the system the evidence was read on
//! ([`PathStyle`]):
//!
//! - **POSIX** ([`escape_path`]): `/` separates names; valid UTF-8 is kept, a
//!   backslash becomes `\\`, `\n`, `\r` and `\t` become those escapes,
//!   other control characters (C0, DEL, C1: ESC among them), the characters
//!   that reorder or break displayed text (bidi controls such as U+202E,
//!   which make `holiday\u{202e}gpj.exe` display as `holidayexe.jpg`; line
//!   and paragraph separators) and every byte that is not valid UTF-8 become
//!   `\xHH`.
//! - **Windows**: `\` separates names as Windows users read them
//!   (`E:\Users\alex\a.jpg`), so it cannot also be the escape. The escape
//!   is `|`, a character no Windows file name may hold: the same characters
//!   become `|xHH` (bytes of their UTF-8 form; a name that is not valid
//!   UTF-16 keeps its unpaired surrogates as the bytes of their WTF-8 form),
//!   and `|` itself becomes `|x7c`.
//!
//! In both, a named data stream (NTFS alternate data stream) is shown after
//! its file as `file.jpg:hidden.jpg`, with any `:` inside the stream's name
//! escaped. Because the escape character itself is always escaped,
//! [`PathStyle::unescape`] restores the exact bytes.
//!
//! [`escape_text`] applies the POSIX escape to any other string that came
//! from evidence or a hash set before it reaches a terminal, a log, a
//! report or the GUI.

#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The path convention of the system the evidence was read on: how its
/// paths are joined and escaped in every output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum PathStyle {
    /// `/` between names, `\` escapes (Linux, macOS).
    #[default]
    Posix,
    /// `\` between names, drive letters, `|` escapes (Windows).
    Windows,
}

impl PathStyle {
    /// The convention of the system Ferret runs on.
    pub const fn native() -> Self {
        if cfg!(windows) {
            PathStyle::Windows
        } else {
            PathStyle::Posix
        }
    }

    /// Stable name, as stored in a case and written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PathStyle::Posix => "posix",
            PathStyle::Windows => "windows",
        }
    }

    /// The style named by [`PathStyle::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "posix" => Some(PathStyle::Posix),
            "windows" => Some(PathStyle::Windows),
            _ => None,
        }
    }

    /// The character between names.
    pub fn separator(self) -> u8 {
        match self {
            PathStyle::Posix => b'/',
            PathStyle::Windows => b'\\',
        }
    }

    /// The escape character.
    pub fn escape_char(self) -> char {
        match self {
            PathStyle::Posix => '\\',
            PathStyle::Windows => '|',
        }
    }

    /// One sentence for a report's header: how to read its paths.
    pub fn convention(self) -> &'static str {
        match self {
            PathStyle::Posix => {
                "posix: names are separated by /; a name's bytes that are not printable UTF-8 \
                 are escaped as \\xHH (\\\\ is a backslash, \\n \\r \\t as in C); \
                 a named data stream follows its file after a colon (file:stream); \
                 a member of an archive follows it after \\> (photos.zip\\>a/b.jpg)"
            }
            PathStyle::Windows => {
                "windows: names are separated by \\ after the drive (E:\\); a name's characters \
                 that are not printable, and unpaired UTF-16 surrogates, are escaped as |xHH \
                 (bytes of their UTF-8 or WTF-8 form; |x7c is |); \
                 a named data stream follows its file after a colon (file:stream); \
                 a member of an archive follows it after |> (photos.zip|>a/b.jpg)"
            }
        }
    }

    /// Escapes raw path bytes into this style's reversible, printable form.
    pub fn escape(self, bytes: &[u8]) -> String {
        match self {
            PathStyle::Posix => escape_bytes(bytes),
            PathStyle::Windows => escape_windows(bytes, false),
        }
    }

    /// [`PathStyle::escape`] of a path.
    pub fn escape_path(self, path: impl AsRef<OsStr>) -> String {
        self.escape(path.as_ref().as_encoded_bytes())
    }

    /// Escapes a stream's name: as a name, and a `:` in it is escaped too,
    /// so that the colon before it is the only one that separates.
    pub fn escape_stream(self, name: &[u8]) -> String {
        match self {
            PathStyle::Posix => escape_bytes(name).replace(':', "\\x3a"),
            PathStyle::Windows => escape_windows(name, true),
        }
    }

    /// Reverses [`PathStyle::escape`] (and [`PathStyle::escape_stream`]).
    pub fn unescape(self, text: &str) -> Result<Vec<u8>, UnescapeError> {
        match self {
            PathStyle::Posix => unescape_path(text),
            PathStyle::Windows => unescape_windows(text),
        }
    }

    /// `root` and `rel` joined with exactly one separator between them
    /// (`.` + `a/b` gives `./a/b`, as `find .` and hashdeep print it).
    pub fn join(self, root: &[u8], rel: &[u8]) -> Vec<u8> {
        let sep = self.separator();
        let is_sep = |b: &u8| *b == sep || (self == PathStyle::Windows && *b == b'/');
        let mut bytes = root.to_vec();
        while bytes.len() > 1 && bytes.last().is_some_and(is_sep) {
            // Keep the separator of a drive's root (`E:\`).
            if self == PathStyle::Windows && bytes.len() == 3 && bytes.get(1) == Some(&b':') {
                break;
            }
            bytes.pop();
        }
        if !bytes.is_empty() && !bytes.last().is_some_and(is_sep) {
            bytes.push(sep);
        }
        bytes.extend_from_slice(rel);
        bytes
    }

    /// The separator between an archive and a member inside it, in the
    /// displayed form (`photos.zip\>a/b.jpg`): an escape sequence no
    /// escaped name holds, so a member never reads like a path.
    pub fn member_separator(self) -> &'static str {
        match self {
            PathStyle::Posix => "\\>",
            PathStyle::Windows => "|>",
        }
    }

    /// The displayed chain of members: each name escaped, each after the
    /// [`PathStyle::member_separator`], and `\\#N` (`|#N`) after the N-th
    /// member of a name that repeats in its archive.
    pub fn escape_members(self, members: &[Vec<u8>], ordinals: &[u32]) -> String {
        let mut text = String::new();
        for (i, m) in members.iter().enumerate() {
            text.push_str(self.member_separator());
            text.push_str(&self.escape(m));
            let nth = ordinals.get(i).copied().unwrap_or(1);
            if nth > 1 {
                text.push(self.escape_char());
                let _ = write!(text, "#{nth}");
            }
        }
        text
    }

    /// The displayed form of an item: `root` + `rel` joined and escaped,
    /// and `:stream` after it for a named data stream.
    pub fn display_item(self, root: &[u8], rel: &[u8], stream: Option<&[u8]>) -> String {
        let mut text = self.escape(&self.join(root, rel));
        if let Some(s) = stream {
            text.push(':');
            text.push_str(&self.escape_stream(s));
        }
        text
    }
}

/// The Windows escape: `\` and `/` are separators and stay; `|`, control
/// and display-reordering characters and bytes that are not UTF-8 (the
/// WTF-8 form of an unpaired surrogate among them) become `|xHH`; in a
/// stream's name (`stream`), `:` too.
fn escape_windows(bytes: &[u8], stream: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '|' || (stream && c == ':') || c.is_control() || reorders_text(c) {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "|x{b:02x}");
                }
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "|x{b:02x}");
        }
    }
    out
}

fn unescape_windows(text: &str) -> Result<Vec<u8>, UnescapeError> {
    let src = text.as_bytes();
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    while let Some(&byte) = src.get(i) {
        if byte != b'|' {
            out.push(byte);
            i += 1;
            continue;
        }
        let bad = UnescapeError { offset: i };
        if src.get(i + 1) != Some(&b'x') {
            return Err(bad);
        }
        let hex = src.get(i + 2..i + 4).ok_or(bad.clone())?;
        let hex = std::str::from_utf8(hex).map_err(|_| bad.clone())?;
        out.push(u8::from_str_radix(hex, 16).map_err(|_| bad)?);
        i += 4;
    }
    Ok(out)
}

/// Decodes WTF-8 (UTF-8 that may also hold unpaired surrogates, Rust's
/// encoding of Windows names) into UTF-16 units. `None` if `bytes` is not
/// WTF-8 (a crafted case).
pub fn wtf8_to_wide(bytes: &[u8]) -> Option<Vec<u16>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b0) = bytes.get(i) {
        let cont = |k: usize| -> Option<u32> {
            let b = *bytes.get(i + k)?;
            (b & 0xc0 == 0x80).then_some(u32::from(b & 0x3f))
        };
        let (cp, len) = match b0 {
            0x00..=0x7f => (u32::from(b0), 1),
            0xc2..=0xdf => ((u32::from(b0 & 0x1f) << 6) | cont(1)?, 2),
            0xe0..=0xef => {
                let cp = (u32::from(b0 & 0x0f) << 12) | (cont(1)? << 6) | cont(2)?;
                if cp < 0x800 {
                    return None;
                }
                (cp, 3)
            }
            0xf0..=0xf4 => {
                let cp =
                    (u32::from(b0 & 0x07) << 18) | (cont(1)? << 12) | (cont(2)? << 6) | cont(3)?;
                if !(0x10000..=0x10ffff).contains(&cp) {
                    return None;
                }
                (cp, 4)
            }
            _ => return None,
        };
        if cp >= 0x10000 {
            let v = cp - 0x10000;
            out.push(0xd800 | (v >> 10) as u16);
            out.push(0xdc00 | (v & 0x3ff) as u16);
        } else {
            out.push(cp as u16);
        }
        i += len;
    }
    Some(out)
}

/// The raw bytes of a path (Unix: exact; elsewhere: its UTF-8/WTF-8 form).
pub fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// A Windows verbatim path to a drive (`\\?\E:\x`) as users write it
/// (`E:\x`); anything else unchanged.
pub fn without_verbatim_prefix(bytes: &[u8]) -> &[u8] {
    match bytes.strip_prefix(br"\\?\") {
        Some(rest)
            if rest.get(1) == Some(&b':')
                && rest.first().is_some_and(u8::is_ascii_alphabetic)
                && rest.get(2) == Some(&b'\\') =>
        {
            rest
        }
        _ => bytes,
    }
}

/// The key an item is stored under in a case: its path's raw bytes, and for
/// a named data stream a NUL (which no path holds) and the stream's name.
pub fn item_key(rel: &Path, stream: Option<&OsStr>) -> Vec<u8> {
    let mut key = path_bytes(rel).to_vec();
    if let Some(s) = stream {
        key.push(0);
        key.extend_from_slice(s.as_encoded_bytes());
    }
    key
}

/// One member name as a case stores it: escaped, and `\\#N` after it for
/// the N-th member of that name in its archive (N > 1; an escape no name
/// holds).
pub fn member_token(name: &[u8], nth: u32) -> String {
    let mut t = escape_bytes(name);
    if nth > 1 {
        let _ = write!(t, "\\#{nth}");
    }
    t
}

/// Reverses [`member_token`].
pub fn parse_member_token(token: &str) -> Option<(Vec<u8>, u32)> {
    // The marker only counts where an escape starts: `\\#` is a
    // backslash and a `#`.
    let bytes = token.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            if bytes.get(i + 1) == Some(&b'#') {
                let nth = token.get(i + 2..)?.parse().ok()?;
                return Some((unescape_path(token.get(..i)?).ok()?, nth));
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    Some((unescape_path(token).ok()?, 1))
}

/// [`item_key`] of an archive member: each member of the chain after two
/// NULs, as a [`member_token`] (which holds no NUL), so no member key meets
/// a path's, a stream's, another chain's or another member of the same
/// name.
pub fn member_key(
    rel: &Path,
    stream: Option<&OsStr>,
    members: &[Vec<u8>],
    ordinals: &[u32],
) -> Vec<u8> {
    let mut key = item_key(rel, stream);
    for (i, m) in members.iter().enumerate() {
        key.extend_from_slice(b"\0\0");
        key.extend_from_slice(member_token(m, ordinals.get(i).copied().unwrap_or(1)).as_bytes());
    }
    key
}

/// Rebuilds a path from raw bytes produced by [`path_bytes`] or [`unescape_path`].
pub fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt;
        match wtf8_to_wide(&bytes) {
            Some(wide) => PathBuf::from(std::ffi::OsString::from_wide(&wide)),
            None => PathBuf::from(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }
    #[cfg(not(any(unix, windows)))]
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

    /// Windows paths read as Windows users read them: `\` between names,
    /// the drive letter kept, `|` as the escape, and every name back exact.
    #[test]
    fn windows_paths_display_natively_and_round_trip() {
        let w = PathStyle::Windows;
        // The inventory's old output was `Z:\\tmp\\hs\\tree/d0\\f_24.bin`.
        let shown = w.display_item(br"Z:\tmp\hs\tree", br"d0\f_24.bin", None);
        assert_eq!(shown, r"Z:\tmp\hs\tree\d0\f_24.bin");
        assert_eq!(w.display_item(br"E:\", b"a.jpg", None), r"E:\a.jpg");
        assert_eq!(w.display_item(br"E:\ev\", b"a.jpg", None), r"E:\ev\a.jpg");
        assert_eq!(w.display_item(b"E:/ev/", b"a.jpg", None), r"E:/ev\a.jpg");
        // Long paths keep their verbatim prefix, past 260 characters.
        let deep: Vec<u8> = (0..40)
            .flat_map(|i| format!(r"dir{i:03}\").into_bytes())
            .collect();
        let long = w.display_item(br"\\?\E:\x", &deep, None);
        assert!(
            long.len() > 260 && long.starts_with(r"\\?\E:\x\dir000\dir001"),
            "{long}"
        );
        // A stream after its file; a colon inside a stream's name escaped.
        assert_eq!(
            w.display_item(br"E:\", br"Users\alex\file.jpg", Some(b"hidden.jpg")),
            r"E:\Users\alex\file.jpg:hidden.jpg"
        );
        assert_eq!(w.escape_stream(b"a:b|c"), "a|x3ab|x7cc");
        // Controls, bidi overrides and unpaired surrogates (WTF-8) escape.
        let lone_surrogate = b"x\xed\xa0\x80.jpg"; // U+D800 in WTF-8
        let names: [&[u8]; 6] = [
            b"pipe|name",
            "holiday\u{202e}gpj.exe".as_bytes(),
            b"tab\there",
            lone_surrogate,
            "写真.png".as_bytes(),
            b"|x41 looks escaped",
        ];
        for n in names {
            let e = w.escape(n);
            assert!(
                !e.chars().any(|c| c.is_control() || reorders_text(c)),
                "{e}"
            );
            assert_eq!(w.unescape(&e).unwrap(), n, "{e}");
            let s = w.escape_stream(n);
            assert!(!s.contains(':'));
            assert_eq!(w.unescape(&s).unwrap(), n, "{s}");
        }
        assert_eq!(w.escape(lone_surrogate), "x|xed|xa0|x80.jpg");
        assert_eq!(w.escape(b"pipe|name"), "pipe|x7cname");
        assert!(w.unescape("a|q").is_err() && w.unescape("a|x4").is_err());
        // The surrogate's WTF-8 decodes to the UTF-16 unit Windows had.
        assert_eq!(
            wtf8_to_wide(lone_surrogate).unwrap(),
            [0x78, 0xd800, 0x2e, 0x6a, 0x70, 0x67]
        );
        assert_eq!(
            wtf8_to_wide("é😀".as_bytes()).unwrap(),
            [0xe9, 0xd83d, 0xde00]
        );
        assert_eq!(wtf8_to_wide(b"\xff"), None);
        assert_eq!(wtf8_to_wide(b"\xe0\x80\x80"), None); // overlong
        // POSIX keeps its escape and `/`; a stream's colon is escaped.
        let p = PathStyle::Posix;
        assert_eq!(
            p.display_item(b"/mnt/ev", b"a:b/f.jpg", Some(b"s:t")),
            "/mnt/ev/a:b/f.jpg:s\\x3at"
        );
        assert_eq!(p.unescape(&p.escape_stream(b"s:t")).unwrap(), b"s:t");
        assert_eq!(
            PathStyle::parse(PathStyle::Windows.as_str()),
            Some(PathStyle::Windows)
        );
        // Verbatim drive paths read as users write them; others unchanged.
        assert_eq!(without_verbatim_prefix(br"\\?\E:\ev"), br"E:\ev");
        assert_eq!(without_verbatim_prefix(br"\\?\E:\"), br"E:\");
        assert_eq!(without_verbatim_prefix(br"\\?\E:"), br"\\?\E:");
        assert_eq!(
            without_verbatim_prefix(br"\\?\UNC\srv\s"),
            br"\\?\UNC\srv\s"
        );
        assert_eq!(without_verbatim_prefix(b"/mnt/ev"), b"/mnt/ev");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any bytes round-trip through the Windows escape, as a name and as
        /// a stream's name.
        #[test]
        fn any_bytes_round_trip_windows(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let w = PathStyle::Windows;
            proptest::prop_assert_eq!(w.unescape(&w.escape(&bytes)).unwrap(), bytes.clone());
            proptest::prop_assert_eq!(w.unescape(&w.escape_stream(&bytes)).unwrap(), bytes.clone());
            let _ = wtf8_to_wide(&bytes);
        }

        /// Valid UTF-16 (surrogate pairs, lone surrogates) survives WTF-8.
        #[test]
        fn wide_round_trips(wide in proptest::collection::vec(proptest::prelude::any::<u16>(), 0..32)) {
            let bytes = wide_to_wtf8(&wide);
            proptest::prop_assert_eq!(wtf8_to_wide(&bytes), Some(wide));
        }
    }

    /// Test-side WTF-8 encoder (std encodes it on Windows only).
    fn wide_to_wtf8(wide: &[u16]) -> Vec<u8> {
        let mut out = Vec::new();
        for r in char::decode_utf16(wide.iter().copied()) {
            let cp = match r {
                Ok(c) => c as u32,
                Err(e) => u32::from(e.unpaired_surrogate()),
            };
            match cp {
                0..=0x7f => out.push(cp as u8),
                0x80..=0x7ff => out.extend([0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
                0x800..=0xffff => out.extend([
                    0xe0 | (cp >> 12) as u8,
                    0x80 | ((cp >> 6) & 0x3f) as u8,
                    0x80 | (cp & 0x3f) as u8,
                ]),
                _ => out.extend([
                    0xf0 | (cp >> 18) as u8,
                    0x80 | ((cp >> 12) & 0x3f) as u8,
                    0x80 | ((cp >> 6) & 0x3f) as u8,
                    0x80 | (cp & 0x3f) as u8,
                ]),
            }
        }
        out
    }

    #[test]
    fn rejects_bad_escapes() {
        assert_eq!(unescape_path("ab\\"), Err(UnescapeError { offset: 2 }));
        assert!(unescape_path("\\xZZ").is_err());
        assert!(unescape_path("\\q").is_err());
    }
}
