//! Named data streams (NTFS alternate data streams): material is hidden in
//! them (`holiday.txt:photo.jpg`), so each is an item of its own, hashed,
//! classified and matched, and named in every output.
//!
//! Where they are found:
//! - on Windows, `FindFirstStreamW`/`FindNextStreamW` list a file's or
//!   directory's streams as `:name:$DATA` (the unnamed `::$DATA` is the file
//!   itself);
//! - on Linux, NTFS mounted through `ntfs-3g` with `streams_interface=xattr`
//!   (its default) shows each named stream as an extended attribute
//!   `user.NAME`. Only those are read; no other extended attribute is
//!   recorded. The kernel's xattr interface reads at most 64 KiB, so a larger
//!   stream is recorded with that reason, never silently skipped.
//!
//! The walk asks a [`StreamSource`]; tests give it a fake one.

#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::ffi::{OsStr, OsString};
use std::io;

/// A named data stream of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream's name (without the `:` and the `:$DATA` type).
    pub name: OsString,
    /// Its size in bytes.
    pub size: u64,
}

/// Where the walk learns the named data streams of an entry.
pub(crate) trait StreamSource {
    /// The named data streams of the entry `name` in `dir` (`dir` is the
    /// platform's handle or path; a fake ignores it). Empty when there are
    /// none.
    fn streams(&self, dir: &super::sys::DirHandle, name: &OsStr) -> io::Result<Vec<StreamInfo>>;

    /// Whether there is anything to ask at all (the walk skips the rest).
    fn lists_streams(&self) -> bool {
        true
    }
}

/// How the evidence's filesystem exposes named streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamInterface {
    /// Not at all (ext4, FAT, …): nothing to list.
    None,
    /// Windows' own stream API.
    Windows,
    /// `ntfs-3g` with `streams_interface=xattr`: `user.NAME` attributes.
    NtfsXattr,
    /// An NTFS volume whose streams this mount does not show (`ntfs-3g`
    /// with `streams_interface=none` or `windows`, the kernel's `ntfs3`):
    /// they are missed, and the scan says so.
    NtfsHidden,
}

impl StreamInterface {
    /// Stable name, as recorded with the evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamInterface::None => "none",
            StreamInterface::Windows => "windows",
            StreamInterface::NtfsXattr => "ntfs-3g xattr",
            StreamInterface::NtfsHidden => "not visible",
        }
    }

    /// A warning for the examiner when the volume is NTFS but its named data
    /// streams cannot be seen through this mount.
    pub fn warning(self) -> Option<&'static str> {
        match self {
            StreamInterface::NtfsHidden => Some(
                "this NTFS volume is mounted so that its alternate data streams are not visible \
                 (ntfs-3g needs streams_interface=xattr, its default; the kernel's ntfs3 driver \
                 shows none): material hidden in streams will be MISSED. Remount it with \
                 `ntfs-3g -o ro,streams_interface=xattr` or scan it on Windows",
            ),
            _ => None,
        }
    }
}

impl StreamSource for StreamInterface {
    fn streams(&self, dir: &super::sys::DirHandle, name: &OsStr) -> io::Result<Vec<StreamInfo>> {
        match self {
            StreamInterface::None | StreamInterface::NtfsHidden => Ok(Vec::new()),
            StreamInterface::Windows | StreamInterface::NtfsXattr => {
                super::sys::list_streams(dir, name)
            }
        }
    }

    fn lists_streams(&self) -> bool {
        matches!(self, StreamInterface::Windows | StreamInterface::NtfsXattr)
    }
}

/// The prefix `ntfs-3g` puts before a stream's name in its xattr interface.
pub const XATTR_STREAM_PREFIX: &[u8] = b"user.";

/// The largest value Linux's xattr calls read (`XATTR_SIZE_MAX`).
pub const XATTR_SIZE_MAX: u64 = 65_536;

/// A stream's name from an xattr name, if it is a stream (`user.NAME`, a
/// non-empty NAME); every other attribute is `None` and is never read.
pub fn stream_from_xattr(attr: &[u8]) -> Option<OsString> {
    let name = attr.strip_prefix(XATTR_STREAM_PREFIX)?;
    if name.is_empty() {
        return None;
    }
    Some(os_from_bytes(name))
}

/// The names in a `listxattr` buffer (NUL-terminated names, one after
/// another); a last name without its NUL still counts.
pub fn xattr_names(list: &[u8]) -> impl Iterator<Item = &[u8]> {
    list.split(|b| *b == 0).filter(|n| !n.is_empty())
}

/// A named data stream's name from a `WIN32_FIND_STREAM_DATA` name
/// (`:name:$DATA`, in UTF-16). The unnamed stream (`::$DATA`, the file's
/// own data) and streams of other types give `None`.
pub fn stream_from_windows(raw: &[u16]) -> Option<OsString> {
    let raw = raw.split(|u| *u == 0).next().unwrap_or_default();
    let rest = raw.strip_prefix(&[u16::from(b':')])?;
    let colon = rest.iter().rposition(|u| *u == u16::from(b':'))?;
    let (name, kind) = rest.split_at(colon);
    let data: Vec<u16> = ":$DATA".encode_utf16().collect();
    if name.is_empty() || !kind.eq_ignore_ascii_case_u16(&data) {
        return None;
    }
    Some(os_from_wide(name))
}

trait EqIgnoreAsciiCaseU16 {
    fn eq_ignore_ascii_case_u16(&self, other: &[u16]) -> bool;
}

impl EqIgnoreAsciiCaseU16 for [u16] {
    fn eq_ignore_ascii_case_u16(&self, other: &[u16]) -> bool {
        let lower = |u: u16| {
            if (u16::from(b'A')..=u16::from(b'Z')).contains(&u) {
                u + 32
            } else {
                u
            }
        };
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| lower(*a) == lower(*b))
    }
}

#[cfg(unix)]
fn os_from_bytes(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes).to_os_string()
}

#[cfg(not(unix))]
fn os_from_bytes(bytes: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(bytes).into_owned())
}

/// UTF-16 units as an OS string; unpaired surrogates are kept (on Windows
/// exactly; elsewhere as their WTF-8 bytes, so that tests on Linux see the
/// same bytes a Windows scan stores).
fn os_from_wide(wide: &[u16]) -> OsString {
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStringExt;
        OsString::from_wide(wide)
    }
    #[cfg(not(windows))]
    {
        let mut bytes = Vec::with_capacity(wide.len());
        for r in char::decode_utf16(wide.iter().copied()) {
            let cp = match r {
                Ok(c) => u32::from(c),
                Err(e) => u32::from(e.unpaired_surrogate()),
            };
            push_wtf8(&mut bytes, cp);
        }
        os_from_bytes(&bytes)
    }
}

#[cfg(not(windows))]
fn push_wtf8(out: &mut Vec<u8>, cp: u32) {
    // Each shifted value is masked to its bits first: the casts never truncate.
    let b = |v: u32| (v & 0xff) as u8;
    match cp {
        0..=0x7f => out.push(b(cp)),
        0x80..=0x7ff => out.extend([0xc0 | b(cp >> 6), 0x80 | b(cp & 0x3f)]),
        0x800..=0xffff => out.extend([
            0xe0 | b(cp >> 12),
            0x80 | b((cp >> 6) & 0x3f),
            0x80 | b(cp & 0x3f),
        ]),
        _ => out.extend([
            0xf0 | b(cp >> 18),
            0x80 | b((cp >> 12) & 0x3f),
            0x80 | b((cp >> 6) & 0x3f),
            0x80 | b(cp & 0x3f),
        ]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn windows_stream_names() {
        assert_eq!(stream_from_windows(&wide("::$DATA")), None);
        assert_eq!(
            stream_from_windows(&wide(":hidden.jpg:$DATA")),
            Some(OsString::from("hidden.jpg"))
        );
        assert_eq!(
            stream_from_windows(&wide(":Zone.Identifier:$data\0junk")),
            Some(OsString::from("Zone.Identifier"))
        );
        // Other stream types (a directory's index, EFS info) are not data.
        assert_eq!(stream_from_windows(&wide(":$I30:$INDEX_ALLOCATION")), None);
        assert_eq!(stream_from_windows(&wide("no-colon")), None);
        assert_eq!(stream_from_windows(&[]), None);
        // A lone surrogate is kept (as WTF-8 bytes off Windows).
        let mut raw = wide(":a");
        raw.push(0xdc00);
        raw.extend(wide(":$DATA"));
        let name = stream_from_windows(&raw).unwrap();
        #[cfg(unix)]
        assert_eq!(name.as_encoded_bytes(), b"a\xed\xb0\x80");
        #[cfg(not(unix))]
        let _ = name;
    }

    #[test]
    fn xattr_stream_names() {
        let list = b"user.hidden.jpg\0system.ntfs_attrib_be\0security.selinux\0user.\0user.Zone.Identifier";
        let streams: Vec<OsString> = xattr_names(list).filter_map(stream_from_xattr).collect();
        assert_eq!(
            streams,
            [
                OsString::from("hidden.jpg"),
                OsString::from("Zone.Identifier")
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn parsers_take_anything(raw in proptest::collection::vec(proptest::prelude::any::<u16>(), 0..40),
                                 list in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            let _ = stream_from_windows(&raw);
            for n in xattr_names(&list) {
                if let Some(s) = stream_from_xattr(n) {
                    proptest::prop_assert!(!s.is_empty());
                }
            }
        }
    }
}
