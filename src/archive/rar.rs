//! RAR archives, RAR 1.5–4.x ([`v4`]) and RAR 5 ([`v5`]): every member is
//! listed by our own header parser, written for hostile input; stored
//! members are read straight from the archive and checked against their
//! CRC32; compressed members are decoded by the `rars` crate ([`decode`]),
//! which checks them against their CRC32 (or BLAKE2sp).
//!
//! # Decompression: `rars`, and why (evaluated for issue 15)
//!
//! * `rars` 0.12 (pure Rust, Apache-2.0, `unsafe` forbidden, no C; RAR
//!   1.5–4.x methods with PPMd and the RAR 3 VM filters, RAR 5/7 with
//!   filters, solid archives): chosen. The licence fits, the Windows build
//!   stays plain Rust, and its read options cap what a hostile archive can
//!   make it allocate (dictionary, workspace, headers, whole-member
//!   buffering). It is young (2026, one author), so it runs on a thread of
//!   its own behind our parser, under those caps, with panics caught; it
//!   passes our mutation proptests (libarchive's hostile RARs and
//!   generated compressed archives, thousands of cases) and reads every
//!   compressed member of libarchive's RAR corpus that `bsdtar` reads, with
//!   the same SHA-256. Members are matched by size and CRC32, so the two
//!   parsers can never silently disagree.
//! * `unrar` / `unrar_sys` 0.5.8 (bindings to RARLAB's C++ UnRAR): its
//!   licence forbids using the code to re-create the RAR compression
//!   algorithm and is not an open-source licence (Debian ships it in
//!   non-free); its API opens archives by path only, so a RAR nested in
//!   another archive would have to be written to disk first, which Ferret
//!   never does; it is C++ on hostile input; and its `build.rs` picks files
//!   by the host, which breaks the mingw cross-build.
//! * `rar` 0.4 (2018, "limited functionality") and header-only crates:
//!   nothing to decode with.
//!
//! What stays unread, each with its reason: encrypted members (no password
//! is ever tried), members split across volumes, a compressed NTFS stream
//! of a service header, and a member the decoder cannot find or decode.
//!
//! # What is a member
//!
//! Files, directories, symbolic links (RAR 4: a Unix mode; RAR 5: the
//! redirection record or a Unix mode) and hard links (RAR 5 redirection
//! "hard link" and "file copy": both take their data from another member,
//! never resolved). An NTFS alternate data stream (service header `STM`) is
//! delivered as a member of its own named `file:stream`, as Ferret records
//! streams on NTFS evidence. Other service headers (comment `CMT`, quick
//! open `QO`, `ACL`, recovery `RR`, `AV`) are not members.
//!
//! Names: RAR 5 names are UTF-8 and kept as stored. RAR 4 names with the
//! Unicode flag are decoded (the RAR 4 compressed UTF-16 scheme, or UTF-8
//! when the field holds no NUL); other RAR 4 names are OEM code-page bytes
//! and kept raw. RAR 4 stores `\` between path components; it becomes `/`
//! (in raw OEM names only where the byte before it is ASCII, so the second
//! byte of a Shift-JIS/GBK character is never taken for a separator).
//! RAR 4 times are MS-DOS local times without a zone, taken as UTC.
// Data read from an archive never indexes unchecked and never unwraps: a
// hostile archive is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;

use super::{ArchiveError, MemberData, MemberHeader, MemberKind, Visitor};
use crate::evidence::UtcTime;

mod decode;
mod v4;
mod v5;

/// How far into a file the signature is looked for (self-extracting
/// archives put an executable first; WinRAR's SFX modules are < 1 MiB).
const SFX_SCAN: u64 = 1024 * 1024;
/// The most any one read from the archive allocates: a RAR 5 header is at
/// most 2 MiB by the format, a RAR 4 one at most 64 KiB.
const MAX_READ: u64 = 2 * 1024 * 1024 + 16;
/// Headers the decoder parses at most: it parses every header up front
/// (about 230 bytes of memory each). Past it the decoder refuses the
/// archive and each compressed member says so; our parser still lists
/// them all, and stored members are still read.
const MAX_HEADERS: u64 = 250_000;
/// The largest packed RAR 1.5–4.x member decoded: the crate reads a
/// member's packed data whole into memory before decoding it. A larger
/// one is recorded as not read, with this reason.
pub(crate) const MAX_RAR4_PACKED: u64 = 256 << 20;
/// Names longer than this are damage, not names (RAR itself stops at 2048).
const MAX_NAME: u64 = 64 * 1024;

/// Reads a RAR 4 or RAR 5 archive and hands each member, in archive order, to `visitor`.
pub(crate) fn read_rar<R: Read + Seek>(
    reader: R,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    let mut src = Source::new(reader)?;
    match find_signature(&mut src)? {
        Version::Rar4 => v4::read(&mut src, visitor),
        Version::Rar5 => v5::read(&mut src, visitor),
    }
}

/// Lists a RAR archive's members from their headers alone: every member
/// is handed to `visitor` as unreadable ("listed only"), no data is read
/// and no decoder is started.
pub(crate) fn list_rar<R: Read + Seek>(
    reader: R,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    let mut src = Source::new(reader)?;
    src.list_only = true;
    match find_signature(&mut src)? {
        Version::Rar4 => v4::read(&mut src, visitor),
        Version::Rar5 => v5::read(&mut src, visitor),
    }
}

enum Version {
    Rar4,
    Rar5,
}

/// Finds `Rar!\x1a\x07` + version at offset 0 or, for SFX, in the first
/// MiB, and leaves the source just after it.
fn find_signature<R: Read + Seek>(src: &mut Source<R>) -> Result<Version, ArchiveError> {
    const MARK: &[u8] = b"Rar!\x1a\x07";
    // The common case first: the signature at offset 0, read in 8 bytes.
    let head = src.read_vec(src.len.min(8), "archive start")?;
    if head.starts_with(b"Rar!\x1a\x07\x00") {
        src.seek_to(7)?;
        return Ok(Version::Rar4);
    }
    if head.starts_with(b"Rar!\x1a\x07\x01\x00") {
        return Ok(Version::Rar5);
    }
    src.seek_to(0)?;
    let window = src.len.min(SFX_SCAN + 8);
    let buf = src.read_vec(window, "archive start")?;
    let mut from = 0usize;
    while let Some(rel) = buf
        .get(from..)
        .and_then(|rest| rest.windows(MARK.len()).position(|w| w == MARK))
    {
        let at = from + rel;
        if at as u64 > SFX_SCAN {
            break;
        }
        let version = (buf.get(at + 6).copied(), buf.get(at + 7).copied());
        match version {
            (Some(0), _) => {
                src.seek_to(at as u64 + 7)?;
                return Ok(Version::Rar4);
            }
            (Some(1), Some(0)) => {
                src.seek_to(at as u64 + 8)?;
                return Ok(Version::Rar5);
            }
            (Some(v), _) if at == 0 => {
                return Err(ArchiveError::Unsupported(format!(
                    "RAR format version byte {v}"
                )));
            }
            _ => from = at + 1,
        }
    }
    Err(corrupt("no RAR signature in the first 1 MiB".into()))
}

/// The archive, with its length and our position (to bound every read and
/// every data area without trusting a header).
struct Source<R> {
    inner: R,
    pos: u64,
    len: u64,
    /// Started at the first compressed member.
    decoder: Option<decode::Decoder>,
    /// Headers only: no member's data is read.
    list_only: bool,
}

impl<R: Read + Seek> Source<R> {
    fn new(mut inner: R) -> Result<Self, ArchiveError> {
        let len = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(0))?;
        Ok(Source {
            inner,
            pos: 0,
            len,
            decoder: None,
            list_only: false,
        })
    }

    fn at_end(&self) -> bool {
        self.pos >= self.len
    }

    fn seek_to(&mut self, pos: u64) -> Result<(), ArchiveError> {
        self.inner.seek(SeekFrom::Start(pos))?;
        self.pos = pos;
        Ok(())
    }

    /// Reads `n` bytes, `n` already capped by the caller (and again here).
    fn read_vec(&mut self, n: u64, what: &str) -> Result<Vec<u8>, ArchiveError> {
        if n > MAX_READ {
            return Err(corrupt(format!(
                "{what} at offset {} claims {n} bytes",
                self.pos
            )));
        }
        if n > self.len.saturating_sub(self.pos) {
            return Err(corrupt(format!("{what} at offset {} truncated", self.pos)));
        }
        let mut buf = vec![0; usize::try_from(n).unwrap_or(0)];
        self.inner.read_exact(&mut buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                corrupt(format!("{what} at offset {} truncated", self.pos))
            } else {
                ArchiveError::Io(e)
            }
        })?;
        self.pos += n;
        Ok(buf)
    }

    fn read_u8(&mut self, what: &str) -> Result<u8, ArchiveError> {
        let b = self.read_vec(1, what)?;
        b.first()
            .copied()
            .ok_or_else(|| corrupt(format!("{what} truncated")))
    }

    /// Moves past a data area of `len` bytes starting at `start`, which must
    /// lie within the archive.
    fn skip_data(&mut self, start: u64, len: u64) -> Result<(), ArchiveError> {
        let end = start
            .checked_add(len)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| {
                corrupt(format!(
                    "data area at offset {start} ({len} bytes) runs past the end of the archive"
                ))
            })?;
        self.seek_to(end)
    }
}

/// A bounds-checked reader over one header's bytes.
struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf }
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn rest(&self) -> &'a [u8] {
        self.buf
    }

    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let (head, tail) = self.buf.split_at_checked(usize::try_from(n).ok()?)?;
        self.buf = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N as u64)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    /// A RAR 5 variable-length integer: 7 bits a byte, low first, at most
    /// 10 bytes; bits beyond 64 are damage.
    fn vint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..10u32 {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if i == 9 && bits > 1 {
                return None;
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
}

/// What to hand the visitor as a member's data.
enum Plan {
    /// Stored, readable: the data area itself, checked against this CRC32.
    Stored {
        crc: Option<u32>,
    },
    /// Compressed: decoded by [`decode::Decoder`], which finds the member
    /// by this expanded size and CRC32.
    Decode {
        size: u64,
        crc: Option<u32>,
    },
    Unreadable(String),
}

/// The facts about a member that decide whether its data can be read.
struct DataFacts {
    kind: MemberKind,
    encrypted: bool,
    /// `Some(why)` when the member's data continues in another volume.
    split: Option<String>,
    /// `None` for store, else the method's name (`RAR 5 compression
    /// method 3`).
    method: Option<String>,
    /// A file header (the decoder lists files only; a compressed NTFS
    /// stream in a service header is not decoded).
    decodable: bool,
    /// Why a compressed member is too large to decode, if it is.
    too_big: Option<String>,
    size: Option<u64>,
    packed: u64,
    crc: Option<u32>,
}

impl DataFacts {
    fn plan(self) -> Plan {
        let not_file = match self.kind {
            MemberKind::File => None,
            MemberKind::Dir => Some("directory"),
            MemberKind::Symlink => Some("symbolic link"),
            MemberKind::HardLink => Some("hard link: its data is another member's"),
            MemberKind::Other => Some("not a regular file"),
        };
        if let Some(why) = not_file {
            return Plan::Unreadable(why.into());
        }
        if self.encrypted {
            return Plan::Unreadable("encrypted".into());
        }
        if let Some(why) = self.split {
            return Plan::Unreadable(why);
        }
        if let Some(why) = self.too_big {
            return Plan::Unreadable(why);
        }
        if let Some(method) = self.method {
            return match self.size {
                Some(size) if self.decodable => Plan::Decode {
                    size,
                    crc: self.crc,
                },
                Some(_) => Plan::Unreadable(format!(
                    "{method}: a compressed stream of a service header is not decoded"
                )),
                None => Plan::Unreadable(format!(
                    "{method}: expanded size unknown, the member cannot be matched for decoding"
                )),
            };
        }
        match self.size {
            Some(size) if size != self.packed => Plan::Unreadable(format!(
                "stored member's sizes differ (size {size}, packed {})",
                self.packed
            )),
            _ => Plan::Stored { crc: self.crc },
        }
    }
}

/// Hands one member to the visitor, then moves past its data area.
/// A data area that runs past the end of the archive is delivered (its
/// reader fails where the bytes end) and then ends the archive as damaged.
fn deliver<R: Read + Seek>(
    src: &mut Source<R>,
    visitor: &mut dyn Visitor,
    header: MemberHeader,
    plan: Plan,
    data_start: u64,
    data_len: u64,
) -> Result<(), ArchiveError> {
    let data_end = data_start.checked_add(data_len);
    let truncated = data_end.is_none_or(|end| end > src.len);
    let plan = if src.list_only {
        Plan::Unreadable("listed only".into())
    } else {
        plan
    };
    let flow = match plan {
        Plan::Unreadable(why) => visitor.member(header, MemberData::Unreadable(why)),
        Plan::Stored { crc } => {
            src.seek_to(data_start)?;
            let mut reader = StoredReader {
                inner: (&mut src.inner).take(data_len),
                expected_len: data_len,
                read: 0,
                hasher: crc32fast::Hasher::new(),
                expected_crc: crc,
            };
            visitor.member(header, MemberData::Stream(&mut reader))
        }
        Plan::Decode { size, crc } => {
            let len = src.len;
            let decoder = src
                .decoder
                .get_or_insert_with(|| decode::Decoder::start(len, MAX_HEADERS));
            let mut reader = decoder.member(&mut src.inner, data_start, size, crc);
            visitor.member(header, MemberData::Stream(&mut reader))
        }
    };
    if let ControlFlow::Break(stop) = flow {
        return Err(ArchiveError::Stopped(stop));
    }
    match data_end {
        Some(end) if !truncated => src.seek_to(end),
        _ => Err(corrupt(format!(
            "member data at offset {data_start} ({data_len} bytes) runs past the end of the archive"
        ))),
    }
}

/// A stored member's bytes, bounded by its packed size; at the end, a
/// short read or a CRC32 that differs from the header's is an error.
struct StoredReader<'a, R> {
    inner: io::Take<&'a mut R>,
    expected_len: u64,
    read: u64,
    hasher: crc32fast::Hasher,
    expected_crc: Option<u32>,
}

impl<R: Read> Read for StoredReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if self.read < self.expected_len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "member data truncated at {} of {} bytes",
                        self.read, self.expected_len
                    ),
                ));
            }
            if let Some(expected) = self.expected_crc
                && self.hasher.clone().finalize() != expected
            {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "CRC mismatch"));
            }
            return Ok(0);
        }
        if let Some(chunk) = buf.get(..n) {
            self.hasher.update(chunk);
        }
        self.read += n as u64;
        Ok(n)
    }
}

fn corrupt(why: String) -> ArchiveError {
    ArchiveError::Corrupt(why)
}

/// `Some(v)` or a damage error naming the field and the header's offset.
fn need<T>(v: Option<T>, what: &str, at: u64) -> Result<T, ArchiveError> {
    v.ok_or_else(|| corrupt(format!("{what} in the header at offset {at} truncated")))
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()
}

/// An MS-DOS date and time (2-second resolution); `None` if a field is out
/// of range (month 0, hour 25…).
fn dos_time(v: u32) -> Option<UtcTime> {
    let sec = (v & 0x1f) * 2;
    let min = (v >> 5) & 0x3f;
    let hour = (v >> 11) & 0x1f;
    let day = (v >> 16) & 0x1f;
    let month = (v >> 21) & 0x0f;
    let year = i64::from(v >> 25) + 1980;
    if !(1..=12).contains(&month) || day == 0 || hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec);
    Some(UtcTime::new(secs, 0))
}

/// A Windows FILETIME (100 ns since 1601-01-01 UTC).
fn filetime(ft: u64) -> UtcTime {
    const EPOCH_DIFF: i64 = 11_644_473_600;
    let secs = i64::try_from(ft / 10_000_000).unwrap_or(i64::MAX) - EPOCH_DIFF;
    UtcTime::new(secs, u32::try_from(ft % 10_000_000).unwrap_or(0) * 100)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `parent:stream` for an NTFS alternate data stream of `parent`; the
/// stored stream name may start with `:` and end with `:$DATA`.
fn stream_member_name(parent: &[u8], stream: &str) -> Vec<u8> {
    let stream = stream.trim_end_matches('\0');
    let stream = stream.strip_prefix(':').unwrap_or(stream);
    let stream = stream.strip_suffix(":$DATA").unwrap_or(stream);
    let mut name = parent.to_vec();
    name.push(b':');
    name.extend_from_slice(stream.as_bytes());
    name
}

#[cfg(test)]
// Tests index their own fixtures: a panic there is a failing test.
#[allow(
    clippy::indexing_slicing,
    clippy::too_many_arguments,
    clippy::unwrap_used
)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;
    use sha2::{Digest, Sha256};
    use std::collections::BTreeSet;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use crate::archive::Stop;

    // ----- a visitor that records everything -----

    #[derive(Debug)]
    enum Outcome {
        Read(Vec<u8>),
        ReadError(String),
        Unreadable(String),
    }

    impl Outcome {
        /// Reads a member's data to its end (or notes why it has none).
        fn of(data: MemberData<'_>) -> Outcome {
            match data {
                MemberData::Stream(r) => {
                    let mut buf = Vec::new();
                    match r.read_to_end(&mut buf) {
                        Ok(_) => Outcome::Read(buf),
                        Err(e) => Outcome::ReadError(e.to_string()),
                    }
                }
                MemberData::Unreadable(why) => Outcome::Unreadable(why),
            }
        }
    }

    #[derive(Default)]
    struct Collect {
        members: Vec<(MemberHeader, Outcome)>,
        stop_after: Option<usize>,
    }

    impl Visitor for Collect {
        fn member(&mut self, header: MemberHeader, data: MemberData<'_>) -> ControlFlow<Stop> {
            let outcome = Outcome::of(data);
            self.members.push((header, outcome));
            if Some(self.members.len()) == self.stop_after {
                ControlFlow::Break(Stop("limit".into()))
            } else {
                ControlFlow::Continue(())
            }
        }
    }

    fn read_all(bytes: &[u8]) -> (Vec<(MemberHeader, Outcome)>, Result<(), ArchiveError>) {
        let mut v = Collect::default();
        let r = read_rar(std::io::Cursor::new(bytes), &mut v);
        (v.members, r)
    }

    fn names(members: &[(MemberHeader, Outcome)]) -> Vec<String> {
        members
            .iter()
            .map(|(h, _)| String::from_utf8_lossy(&h.name).into_owned())
            .collect()
    }

    // ----- RAR 5 builder -----

    fn vint(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    fn block5(head_type: u64, flags: u64, fields: &[u8], extra: &[u8], data: &[u8]) -> Vec<u8> {
        let mut flags = flags;
        if !extra.is_empty() {
            flags |= 0x1;
        }
        if !data.is_empty() {
            flags |= 0x2;
        }
        let mut h = vint(head_type);
        h.extend(vint(flags));
        if !extra.is_empty() {
            h.extend(vint(extra.len() as u64));
        }
        if !data.is_empty() {
            h.extend(vint(data.len() as u64));
        }
        h.extend_from_slice(fields);
        h.extend_from_slice(extra);
        let size = vint(h.len() as u64);
        let crc = crc32(&[&size, &h]);
        [crc.to_le_bytes().to_vec(), size, h, data.to_vec()].concat()
    }

    const MTIME5: u32 = 1_700_000_000;

    fn file5(
        head_type: u64,
        name: &str,
        data: &[u8],
        hflags: u64,
        extra: &[u8],
        method: u64,
        crc: u32,
    ) -> Vec<u8> {
        let mut f = vint(0x2 | 0x4);
        f.extend(vint(data.len() as u64));
        f.extend(vint(0o100_644));
        f.extend(MTIME5.to_le_bytes());
        f.extend(crc.to_le_bytes());
        f.extend(vint(method << 7));
        f.extend(vint(1));
        f.extend(vint(name.len() as u64));
        f.extend(name.as_bytes());
        block5(head_type, hflags, &f, extra, data)
    }

    fn stored5(name: &str, data: &[u8]) -> Vec<u8> {
        file5(2, name, data, 0, &[], 0, crc32(&[data]))
    }

    fn dir5(name: &str) -> Vec<u8> {
        let mut f = vint(0x1);
        f.extend(vint(0));
        f.extend(vint(0o040_755));
        f.extend(vint(0));
        f.extend(vint(1));
        f.extend(vint(name.len() as u64));
        f.extend(name.as_bytes());
        block5(2, 0, &f, &[], &[])
    }

    fn rar5_with_main(main_flags: &[u8], blocks: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"Rar!\x1a\x07\x01\x00".to_vec();
        out.extend(block5(1, 0, main_flags, &[], &[]));
        for b in blocks {
            out.extend_from_slice(b);
        }
        out.extend(block5(5, 0, &vint(0), &[], &[]));
        out
    }

    fn rar5(blocks: &[Vec<u8>]) -> Vec<u8> {
        rar5_with_main(&vint(0), blocks)
    }

    fn record(record_type: u64, data: &[u8]) -> Vec<u8> {
        let mut r = vint(record_type);
        r.extend_from_slice(data);
        [vint(r.len() as u64), r].concat()
    }

    // ----- RAR 4 builder -----

    fn block4(head_type: u8, flags: u16, body: &[u8], data: &[u8]) -> Vec<u8> {
        let size = (7 + body.len()) as u16;
        let mut h = vec![head_type];
        h.extend(flags.to_le_bytes());
        h.extend(size.to_le_bytes());
        h.extend_from_slice(body);
        let crc = (crc32(&[&h]) & 0xffff) as u16;
        [crc.to_le_bytes().to_vec(), h, data.to_vec()].concat()
    }

    /// 2024-01-02 03:04:06 as MS-DOS time.
    const DOS4: u32 = (44 << 25) | (1 << 21) | (2 << 16) | (3 << 11) | (4 << 5) | 3;
    const DOS4_UNIX: i64 = 1_704_164_646;

    fn file4(
        head_type: u8,
        name: &[u8],
        data: &[u8],
        flags: u16,
        host: u8,
        attr: u32,
        method: u8,
        tail: &[u8],
    ) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend((data.len() as u32).to_le_bytes());
        b.extend((data.len() as u32).to_le_bytes());
        b.push(host);
        b.extend(crc32(&[data]).to_le_bytes());
        b.extend(DOS4.to_le_bytes());
        b.push(29);
        b.push(method);
        b.extend((name.len() as u16).to_le_bytes());
        b.extend(attr.to_le_bytes());
        b.extend_from_slice(name);
        b.extend_from_slice(tail);
        block4(head_type, flags | 0x8000, &b, data)
    }

    fn rar4_with_main(main_flags: u16, blocks: &[Vec<u8>], end: bool) -> Vec<u8> {
        let mut out = b"Rar!\x1a\x07\x00".to_vec();
        out.extend(block4(0x73, main_flags, &[0; 6], &[]));
        for b in blocks {
            out.extend_from_slice(b);
        }
        if end {
            out.extend(block4(0x7b, 0, &[], &[]));
        }
        out
    }

    fn sample4() -> Vec<u8> {
        rar4_with_main(
            0,
            &[
                file4(0x74, b"dir\\a.txt", b"hello rar4", 0, 2, 0x20, 0x30, &[]),
                file4(0x74, b"dir", &[], 0xe0, 2, 0x10, 0x30, &[]),
                file4(0x74, b"link", b"dir/a.txt", 0, 3, 0o120_777, 0x30, &[]),
                file4(0x74, b"packed.bin", b"xxxx", 0, 3, 0o100_644, 0x33, &[]),
                file4(0x74, b"secret.txt", b"xxxx", 0x04, 3, 0o100_644, 0x30, &[]),
            ],
            true,
        )
    }

    fn sample5() -> Vec<u8> {
        rar5(&[
            stored5("a/hello.txt", b"hello rar5"),
            dir5("a"),
            file5(2, "packed.bin", b"zzzz", 0, &[], 3, 0),
            file5(2, "secret.txt", b"zzzz", 0, &record(1, &[0; 8]), 0, 0),
            stored5("empty", b""),
        ])
    }

    // ----- unit tests -----

    #[test]
    fn rar5_stored_members_are_read_and_others_listed() {
        let (m, r) = read_all(&sample5());
        r.expect("clean archive");
        assert_eq!(
            names(&m),
            ["a/hello.txt", "a", "packed.bin", "secret.txt", "empty"]
        );
        let (h, o) = &m[0];
        assert_eq!(h.kind, MemberKind::File);
        assert_eq!((h.size, h.packed), (Some(10), Some(10)));
        assert_eq!(h.mtime, Some(UtcTime::new(i64::from(MTIME5), 0)));
        assert!(matches!(o, Outcome::Read(d) if d == b"hello rar5"));
        assert_eq!(m[1].0.kind, MemberKind::Dir);
        assert!(matches!(&m[1].1, Outcome::Unreadable(w) if w == "directory"));
        // Compressed, but not a valid stream: the decoder's error.
        assert!(matches!(&m[2].1, Outcome::ReadError(_)), "{:?}", m[2].1);
        assert!(m[3].0.encrypted);
        assert!(matches!(&m[3].1, Outcome::Unreadable(w) if w == "encrypted"));
        assert!(matches!(&m[4].1, Outcome::Read(d) if d.is_empty()));
    }

    #[test]
    fn rar5_crc_mismatch_fails_the_members_read() {
        let (m, r) = read_all(&rar5(&[file5(2, "bad", b"data", 0, &[], 0, 1234)]));
        r.expect("the archive itself is intact");
        assert!(
            matches!(&m[0].1, Outcome::ReadError(e) if e.contains("CRC mismatch")),
            "{m:?}"
        );
    }

    #[test]
    fn rar5_damaged_header_keeps_earlier_members() {
        let first = stored5("first", b"one");
        let mut bytes = rar5(&[first.clone(), stored5("second", b"two")]);
        let second_at = 8 + block5(1, 0, &vint(0), &[], &[]).len() + first.len();
        bytes[second_at + 8] ^= 0xff;
        let (m, r) = read_all(&bytes);
        assert_eq!(names(&m), ["first"]);
        assert!(matches!(r, Err(ArchiveError::Corrupt(e)) if e.contains("CRC")));
    }

    #[test]
    fn rar5_links_streams_and_volumes() {
        let symlink = file5(
            2,
            "ln",
            b"",
            0,
            &record(5, &[vint(1), vint(0), vint(1), b"t".to_vec()].concat()),
            0,
            0,
        );
        let hardlink = file5(
            2,
            "hl",
            b"",
            0,
            &record(5, &[vint(4), vint(0), vint(1), b"t".to_vec()].concat()),
            0,
            0,
        );
        let stream = file5(
            3,
            "STM",
            b"ads!",
            0,
            &record(7, b":zone"),
            0,
            crc32(&[b"ads!"]),
        );
        let comment = file5(3, "CMT", b"hi", 0, &[], 0, crc32(&[b"hi"]));
        let split = file5(2, "big", b"part", 0x10, &[], 0, 0);
        let main = [vint(0x1 | 0x2), vint(2)].concat();
        let (m, r) = read_all(&rar5_with_main(
            &main,
            &[
                stored5("f", b"x"),
                stream,
                comment,
                symlink,
                hardlink,
                split,
            ],
        ));
        r.expect("clean");
        assert_eq!(names(&m), ["f", "f:zone", "ln", "hl", "big"]);
        assert!(matches!(&m[1].1, Outcome::Read(d) if d == b"ads!"));
        assert_eq!(m[2].0.kind, MemberKind::Symlink);
        assert_eq!(m[3].0.kind, MemberKind::HardLink);
        assert!(
            matches!(&m[4].1, Outcome::Unreadable(w) if w == "split across volumes (volume 3 of a set)")
        );
    }

    #[test]
    fn rar5_encrypted_headers_and_degenerate_headers() {
        let mut enc = b"Rar!\x1a\x07\x01\x00".to_vec();
        enc.extend(block5(
            4,
            0,
            &[vint(0), vint(0), vec![15], vec![0; 16]].concat(),
            &[],
            &[],
        ));
        assert!(matches!(
            read_all(&enc).1,
            Err(ArchiveError::EncryptedHeaders)
        ));
        // A header claiming size 0 (with a right CRC) ends the archive.
        let mut zero = b"Rar!\x1a\x07\x01\x00".to_vec();
        zero.extend(crc32(&[&[0]]).to_le_bytes());
        zero.push(0);
        assert!(matches!(read_all(&zero).1, Err(ArchiveError::Corrupt(_))));
        // No end header.
        let mut open = sample5();
        open.truncate(open.len() - 8);
        let (m, r) = read_all(&open);
        assert_eq!(m.len(), 5);
        assert!(matches!(r, Err(ArchiveError::Corrupt(_))));
        assert!(matches!(
            read_all(b"not a rar").1,
            Err(ArchiveError::Corrupt(_))
        ));
    }

    #[test]
    fn a_visitor_break_stops_at_once() {
        let mut v = Collect {
            stop_after: Some(1),
            ..Collect::default()
        };
        let r = read_rar(std::io::Cursor::new(sample5()), &mut v);
        assert!(matches!(r, Err(ArchiveError::Stopped(Stop(s))) if s == "limit"));
        assert_eq!(v.members.len(), 1);
        let mut v = Collect {
            stop_after: Some(2),
            ..Collect::default()
        };
        assert!(matches!(
            read_rar(std::io::Cursor::new(sample4()), &mut v),
            Err(ArchiveError::Stopped(_))
        ));
        assert_eq!(v.members.len(), 2);
    }

    #[test]
    fn sfx_archives_are_found_after_their_stub() {
        let mut sfx = vec![0x4d, 0x5a];
        sfx.extend(std::iter::repeat_n(0x90, 70_000));
        sfx.extend(b"Rar!\x1a\x07\x05"); // a stray marker with an unknown version
        sfx.extend(sample5());
        let (m, r) = read_all(&sfx);
        r.expect("clean");
        assert_eq!(m.len(), 5);
    }

    #[test]
    fn rar4_members_kinds_and_names() {
        let (m, r) = read_all(&sample4());
        r.expect("clean archive");
        assert_eq!(
            names(&m),
            ["dir/a.txt", "dir", "link", "packed.bin", "secret.txt"]
        );
        assert!(matches!(&m[0].1, Outcome::Read(d) if d == b"hello rar4"));
        assert_eq!(m[0].0.mtime, Some(UtcTime::new(DOS4_UNIX, 0)));
        assert_eq!(m[1].0.kind, MemberKind::Dir);
        assert_eq!(m[2].0.kind, MemberKind::Symlink);
        // Compressed, but "xxxx" is no valid stream: the decoder's error.
        assert!(matches!(&m[3].1, Outcome::ReadError(_)), "{:?}", m[3].1);
        assert!(m[4].0.encrypted);
        assert!(matches!(&m[4].1, Outcome::Unreadable(w) if w == "encrypted"));
    }

    #[test]
    fn rar4_encrypted_headers_truncation_streams_and_no_end_block() {
        let enc = rar4_with_main(
            0x80,
            &[file4(0x74, b"a", b"x", 0, 2, 0x20, 0x30, &[])],
            true,
        );
        assert!(matches!(
            read_all(&enc).1,
            Err(ArchiveError::EncryptedHeaders)
        ));

        let mut cut = rar4_with_main(
            0,
            &[file4(0x74, b"a", b"0123456789", 0, 2, 0x20, 0x30, &[])],
            false,
        );
        cut.truncate(cut.len() - 4);
        let (m, r) = read_all(&cut);
        assert!(
            matches!(&m[0].1, Outcome::ReadError(e) if e.contains("truncated")),
            "{m:?}"
        );
        assert!(matches!(r, Err(ArchiveError::Corrupt(_))));

        let utf16: Vec<u8> = ":s".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let stm = file4(0x7a, b"STM", b"ads", 0, 2, 0, 0x30, &utf16);
        let split = file4(0x74, b"big", b"part", 0x02, 2, 0x20, 0x30, &[]);
        let (m, r) = read_all(&rar4_with_main(
            0x101,
            &[file4(0x74, b"a", b"x", 0, 2, 0x20, 0x30, &[]), stm, split],
            false,
        ));
        r.expect("RAR before 2.9 wrote no end block");
        assert_eq!(names(&m), ["a", "a:s", "big"]);
        assert!(matches!(&m[1].1, Outcome::Read(d) if d == b"ads"));
        assert!(
            matches!(&m[2].1, Outcome::Unreadable(w) if w == "split across volumes (volume 1 of a set)")
        );
    }

    #[test]
    fn times_convert() {
        assert_eq!(dos_time(DOS4), Some(UtcTime::new(DOS4_UNIX, 0)));
        assert_eq!(dos_time(0), None);
        assert_eq!(
            filetime(116_444_736_000_000_000 + 15),
            UtcTime::new(0, 1500)
        );
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    // ----- the libarchive corpus -----

    /// Archives where our listing differs from the oracle's `.tsv` (names,
    /// sizes, SHA-256 of what we read, or a clean read), and why.
    const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
        ("test_read_format_rar5_multiarchive.part01.rar", SPLIT_FIRST),
        ("test_read_format_rar5_multiarchive.part02.rar", SPLIT_LATER),
        ("test_read_format_rar5_multiarchive.part04.rar", SPLIT_LATER),
        ("test_read_format_rar5_multiarchive.part05.rar", SPLIT_LATER),
        ("test_read_format_rar5_multiarchive.part06.rar", SPLIT_LATER),
        ("test_read_format_rar5_multiarchive.part07.rar", SPLIT_LATER),
        ("test_read_format_rar5_multiarchive.part08.rar", SPLIT_LATER),
        (
            "test_read_format_rar5_multiarchive_solid.part01.rar",
            SPLIT_FIRST,
        ),
        (
            "test_read_format_rar5_only_crypt_exfld.rar",
            "a file header with an encryption record: we record the member encrypted and try no \
             password; the oracle ignores the record and reads the data as plain",
        ),
        (
            "test_read_format_rar_unbound_staticdata.rar",
            "the rars decoder refuses its file header (\"RAR 1.5 file header is missing packed data \
             size\") that our parser and the oracle accept: the member is listed, its read error recorded",
        ),
        (
            "test_read_format_rar5_zip_in_rar.rar",
            "oracle (libarchive 3.6.2) misdetects it as ZIP and lists the inner zip's member (README: upstream #2249)",
        ),
    ];

    const SPLIT_FIRST: &str = "a member split into the next volume: the oracle lists its size as 0, \
        we list the header's size (the whole file's) and mark it unreadable as split";
    const SPLIT_LATER: &str = "a volume holding only a piece of a member continued from the previous \
        one: the oracle lists nothing, we list the piece (unreadable as split) so the volume is not empty";

    fn corpus_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/archives/libarchive")
    }

    /// `sha256 TAB size TAB path` lines, or `None` if the file is absent.
    fn read_tsv(path: &std::path::Path) -> Option<Vec<(String, u64, String)>> {
        let text = std::fs::read_to_string(path).ok()?;
        let rows = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let mut f = l.splitn(3, '\t');
                let sha = f.next().unwrap_or_default().to_string();
                let size = f.next().unwrap_or_default().parse().unwrap_or(u64::MAX);
                (sha, size, f.next().unwrap_or_default().to_string())
            })
            .collect();
        Some(rows)
    }

    fn sha256_hex(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    #[test]
    fn libarchive_corpus_matches_the_oracle() {
        let dir = corpus_dir();
        if !dir.join("expected").is_dir() {
            eprintln!("skipped: corpus {} absent", dir.display());
            return;
        }
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("corpus dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("test_read_format_rar"))
            .collect();
        files.sort();
        let mut rows = Vec::new();
        let mut differing = BTreeSet::new();
        for name in &files {
            let bytes = std::fs::read(dir.join(name)).expect("read corpus file");
            let started = Instant::now();
            let (members, result) = read_all(&bytes);
            let took = started.elapsed();
            assert!(took < Duration::from_secs(10), "{name} took {took:?}");

            let tsv = dir.join("expected").join(format!("{name}.tsv"));
            let expected = read_tsv(&tsv);
            let partial = read_tsv(&dir.join("expected").join(format!("{name}.partial.tsv")));
            let regular: Vec<&(MemberHeader, Outcome)> = members
                .iter()
                .filter(|(h, _)| h.kind == MemberKind::File)
                .collect();
            let read = members
                .iter()
                .filter(|(_, o)| matches!(o, Outcome::Read(_)))
                .count();
            let mut reasons: BTreeSet<String> = BTreeSet::new();
            for (_, o) in &members {
                match o {
                    Outcome::Unreadable(w) => reasons.insert(w.clone()),
                    Outcome::ReadError(e) => reasons.insert(format!("read error: {e}")),
                    Outcome::Read(_) => false,
                };
            }
            let unreadable = members.len() - read;
            let mut verdict = String::from("-");
            if let Some(expected) = &expected {
                let ours: Vec<(String, u64)> = regular
                    .iter()
                    .map(|(h, _)| {
                        (
                            String::from_utf8_lossy(&h.name).into_owned(),
                            h.size.unwrap_or(u64::MAX),
                        )
                    })
                    .collect();
                let theirs: Vec<(String, u64)> =
                    expected.iter().map(|(_, s, p)| (p.clone(), *s)).collect();
                let mut problems = Vec::new();
                if ours != theirs {
                    problems.push(format!("listing {ours:?} vs {theirs:?}"));
                } else {
                    for ((h, o), (sha, _, _)) in regular.iter().zip(expected) {
                        match o {
                            Outcome::Read(d) if &sha256_hex(d) != sha => problems
                                .push(format!("sha of {}", String::from_utf8_lossy(&h.name))),
                            Outcome::ReadError(e) => problems.push(e.clone()),
                            // What the oracle reads, we read (compressed
                            // members included), but for split members.
                            Outcome::Unreadable(w) if !w.starts_with("split") => {
                                problems.push(format!("unread: {w}"))
                            }
                            _ => {}
                        }
                    }
                }
                if let Err(e) = &result {
                    problems.push(format!("error {e}"));
                }
                verdict = if problems.is_empty() {
                    "same".into()
                } else {
                    differing.insert(name.clone());
                    format!("DIFFERS: {}", problems.join("; "))
                };
            }
            if let (None, Some(partial)) = (&expected, &partial) {
                // What the oracle delivered before failing must be among ours,
                // with the same content where we read it.
                for (sha, size, path) in partial {
                    let found = regular.iter().any(|(h, o)| {
                        String::from_utf8_lossy(&h.name) == path.as_str()
                            && h.size == Some(*size)
                            && match o {
                                Outcome::Read(d) => &sha256_hex(d) == sha,
                                Outcome::ReadError(_) => false,
                                Outcome::Unreadable(_) => true,
                            }
                    });
                    if !found {
                        differing.insert(name.clone());
                        verdict = format!("DIFFERS: partial member {path} missing or different");
                    }
                }
                if verdict == "-" {
                    verdict = "partial same".into();
                }
            }
            let oracle = match (&expected, &partial) {
                (Some(e), _) => format!("{} regular", e.len()),
                (None, Some(p)) => format!("error, {} partial", p.len()),
                (None, None) => "error".into(),
            };
            let outcome = match &result {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("Err({e})"),
            };
            rows.push(format!(
                "{name}\t{oracle}\t{} listed ({} regular) / {read} read / {unreadable} unreadable {:?}\t{outcome}\t{verdict}",
                members.len(),
                regular.len(),
                reasons
            ));
        }
        println!("archive\texpected\tours\tresult\tvs oracle");
        for row in &rows {
            println!("{row}");
        }
        let known: BTreeSet<String> = KNOWN_DIFFERENCES
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        for stale in known.difference(&differing) {
            println!("note: {stale} no longer differs; drop it from KNOWN_DIFFERENCES");
        }
        let new: Vec<&String> = differing.difference(&known).collect();
        assert!(new.is_empty(), "new differences from the oracle: {new:?}");
    }

    // ----- compressed members (the rars decoder) -----

    /// Members of every kind the decoder meets: compressible text, noise,
    /// an x86-looking block (E8 filter), an empty file and a directory.
    fn compressed_fixture(
        version: rars::ArchiveVersion,
        solid: bool,
    ) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
        let text: Vec<u8> = (0..4_000u32)
            .flat_map(|i| format!("line {i} of a known text\n").into_bytes())
            .collect();
        let mut noise = Vec::with_capacity(20_000);
        let mut x = 0x9e37_79b9_u32;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push(x as u8);
        }
        let code: Vec<u8> = (0..5_000u32)
            .flat_map(|i| [0xe8, (i & 0xff) as u8, 0, 0, 0, 0x90])
            .collect();
        let files = vec![
            ("docs/known.txt".to_string(), text.clone()),
            ("noise.bin".to_string(), noise),
            ("prog.exe".to_string(), code),
            ("empty".to_string(), Vec::new()),
            ("again.txt".to_string(), text),
        ];
        let named: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        (rar_with(version, solid, &["docs"], &named), files)
    }

    /// A RAR written by the `rars` crate: `dirs`, then `files`.
    fn rar_with(
        version: rars::ArchiveVersion,
        solid: bool,
        dirs: &[&str],
        files: &[(&str, Vec<u8>)],
    ) -> Vec<u8> {
        let mut builder = rars::Builder::new(version).solid(solid);
        for dir in dirs {
            builder
                .add_directory(dir.as_bytes().to_vec(), None, None)
                .expect("dir");
        }
        for (name, data) in files {
            builder
                .add_bytes(name.as_bytes().to_vec(), data.clone(), None, None)
                .expect("member");
        }
        let mut out = Vec::new();
        builder
            .write_to(&mut out, &rars::WriterResources::default(), None)
            .expect("rars writes the fixture");
        out
    }

    #[test]
    fn compressed_members_are_decoded_in_every_version_solid_or_not() {
        use rars::ArchiveVersion as V;
        for version in [V::Rar20, V::Rar29, V::Rar50, V::Rar70] {
            for solid in [false, true] {
                let (bytes, files) = compressed_fixture(version, solid);
                let (members, result) = read_all(&bytes);
                result.unwrap_or_else(|e| panic!("{version:?} solid {solid}: {e}"));
                let regular: Vec<_> = members
                    .iter()
                    .filter(|(h, _)| h.kind == MemberKind::File)
                    .collect();
                assert_eq!(regular.len(), files.len(), "{version:?} solid {solid}");
                for ((h, o), (name, data)) in regular.iter().zip(&files) {
                    assert_eq!(String::from_utf8_lossy(&h.name), name.as_str());
                    match o {
                        Outcome::Read(d) => assert!(
                            d == data,
                            "{version:?} solid {solid}: {name} differs ({} vs {} bytes)",
                            d.len(),
                            data.len()
                        ),
                        other => panic!("{version:?} solid {solid}: {name}: {other:?}"),
                    }
                }
                // The text really was compressed (else this tests store).
                let (h, _) = regular[0];
                assert!(
                    h.packed.unwrap_or(u64::MAX) * 4 < h.size.unwrap_or(0),
                    "{version:?}: {h:?}"
                );
            }
        }
    }

    /// A visitor that reads only the start of the first member it can read.
    struct ReadsFirstPartly(Vec<Outcome>);

    impl Visitor for ReadsFirstPartly {
        fn member(&mut self, _: MemberHeader, data: MemberData<'_>) -> ControlFlow<Stop> {
            let first = !self.0.iter().any(|o| !matches!(o, Outcome::Unreadable(_)));
            let outcome = match data {
                MemberData::Stream(r) if first => {
                    let mut buf = [0u8; 10];
                    match r.read_exact(&mut buf) {
                        Ok(()) => Outcome::Read(buf.to_vec()),
                        Err(e) => Outcome::ReadError(e.to_string()),
                    }
                }
                data => Outcome::of(data),
            };
            self.0.push(outcome);
            ControlFlow::Continue(())
        }
    }

    #[test]
    fn a_member_left_half_read_stops_the_decoder_loudly() {
        let (bytes, _) = compressed_fixture(rars::ArchiveVersion::Rar50, false);
        let mut v = ReadsFirstPartly(Vec::new());
        read_rar(std::io::Cursor::new(bytes), &mut v).expect("listing completes");
        // docs (dir), then known.txt read partly; every later compressed
        // member is an error that says why, none is another's bytes.
        let errors: Vec<&String> =
            v.0.iter()
                .filter_map(|o| match o {
                    Outcome::ReadError(e) => Some(e),
                    _ => None,
                })
                .collect();
        assert_eq!(v.0.len(), 6);
        assert!(matches!(&v.0[1], Outcome::Read(d) if d.len() == 10));
        // prog.exe and again.txt (noise.bin is stored by the writer, so
        // read by our own parser; the empty member has nothing to decode).
        assert!(errors.len() >= 2, "{} errors", errors.len());
        assert!(
            errors.iter().all(|e| e.contains("not read to its end")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_member_whose_header_disagrees_with_the_decoder_is_an_error() {
        // Change the CRC our parser reads for known.txt (RAR 2.9: in the
        // file header, which is then re-sealed with a valid header CRC so
        // our parser accepts it; the decoder sees the same CRC and then
        // fails the member's check).
        let (mut bytes, _) = compressed_fixture(rars::ArchiveVersion::Rar29, false);
        let name = b"known.txt";
        let at = bytes
            .windows(name.len())
            .position(|w| w == name)
            .expect("name in the header")
            - b"docs/".len();
        // RAR 4 file header: CRC16(2) type(1) flags(2) size(2) packed(4)
        // unpacked(4) host(1) crc32(4) …, name at offset 32.
        let head = at - 32;
        bytes[head + 16] ^= 0xff;
        let size = u16::from_le_bytes([bytes[head + 5], bytes[head + 6]]) as usize;
        let crc = crc32(&[&bytes[head + 2..head + size]]) as u16;
        bytes[head..head + 2].copy_from_slice(&crc.to_le_bytes());
        let (members, result) = read_all(&bytes);
        result.expect("listing completes");
        let known = members
            .iter()
            .find(|(h, _)| h.name == b"docs/known.txt")
            .expect("listed");
        assert!(matches!(&known.1, Outcome::ReadError(_)), "{:?}", known.1);
        // The members after it are still decoded.
        let noise = members
            .iter()
            .find(|(h, _)| h.name == b"noise.bin")
            .expect("listed");
        assert!(matches!(&noise.1, Outcome::Read(d) if d.len() == 20_000));
    }

    // ----- the two parsers disagreeing (from an adversarial review) -----

    fn rv_noise(n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n);
        let mut x = 0x9e37_79b9_u32;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            out.push(x as u8);
        }
        out
    }

    fn rv_text(n: usize) -> Vec<u8> {
        let mut t: Vec<u8> = (0..)
            .flat_map(|i: u32| format!("line {i} of a known text\n").into_bytes())
            .take(n)
            .collect();
        t.truncate(n);
        t
    }

    /// 4 bytes that make crc32(prefix ++ bytes) == target (CRC is affine).
    fn rv_forge(prefix: &[u8], target: u32) -> [u8; 4] {
        let f = |x: u32| crc32(&[prefix, &x.to_le_bytes()]);
        let c0 = f(0);
        let mut basis: [Option<(u32, u32)>; 32] = [None; 32];
        for k in 0..32 {
            let (mut v, mut m) = (f(1 << k) ^ c0, 1u32 << k);
            for b in (0..32).rev() {
                if v >> b & 1 == 0 {
                    continue;
                }
                match basis[b] {
                    Some((bv, bm)) => {
                        v ^= bv;
                        m ^= bm;
                    }
                    None => {
                        basis[b] = Some((v, m));
                        break;
                    }
                }
            }
        }
        let (mut v, mut m) = (target ^ c0, 0u32);
        for b in (0..32).rev() {
            if v >> b & 1 == 1 {
                let (bv, bm) = basis[b].expect("full rank");
                v ^= bv;
                m ^= bm;
            }
        }
        assert_eq!(v, 0);
        m.to_le_bytes()
    }

    fn rv_build(version: rars::ArchiveVersion, solid: bool, files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        rar_with(version, solid, &[], files)
    }

    fn rv_find<'a>(m: &'a [(MemberHeader, Outcome)], name: &str) -> &'a (MemberHeader, Outcome) {
        m.iter()
            .find(|(h, _)| h.name == name.as_bytes())
            .expect("listed")
    }

    /// Finding: a stored member with the same size and (forged) CRC32 as a
    /// later compressed member is decoded in its place; the compressed
    /// member's real bytes are never read and nothing says so.
    #[test]
    fn a_decoy_with_a_forged_crc_never_lends_its_bytes_to_another_member() {
        let mut bad = Vec::new();
        for version in [rars::ArchiveVersion::Rar29, rars::ArchiveVersion::Rar50] {
            for solid in [false, true] {
                let stored = rv_noise(20_000);
                let mut hidden = rv_text(19_996);
                let tail = rv_forge(&hidden, crc32(&[&stored]));
                hidden.extend_from_slice(&tail);
                assert_eq!(crc32(&[&hidden]), crc32(&[&stored]));
                let bytes = rv_build(
                    version,
                    solid,
                    &[
                        ("decoy.bin", stored.clone()),
                        ("hidden.txt", hidden.clone()),
                    ],
                );
                let (m, r) = read_all(&bytes);
                r.expect("listing");
                let (dh, _) = rv_find(&m, "decoy.bin");
                if dh.packed != dh.size {
                    eprintln!("{version:?} solid {solid}: decoy compressed, not this case");
                    continue;
                }
                let (hh, ho) = rv_find(&m, "hidden.txt");
                assert!(hh.packed < hh.size, "hidden compressed");
                match ho {
                    Outcome::Read(d) if d == &hidden => {}
                    Outcome::Read(d) => bad.push(format!(
                        "{version:?} solid {solid}: hidden.txt was given {} bytes; \
                         equal to decoy.bin's: {}",
                        d.len(),
                        d == &stored
                    )),
                    other => bad.push(format!("{version:?} solid {solid}: {other:?}")),
                }
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }

    /// Drops the data CRC32 field of the RAR 5 file header named `name`
    /// (as WinRAR writes with -htb, BLAKE2sp instead of CRC32).
    fn rv_rar5_drop_crc(bytes: &[u8], name: &[u8]) -> Vec<u8> {
        let mut out = bytes[..8].to_vec();
        let mut at = 8;
        while at < bytes.len() {
            let mut c = Cursor::new(&bytes[at + 4..]);
            let size = c.vint().unwrap() as usize;
            let vlen = bytes.len() - at - 4 - c.rest().len();
            let hstart = at + 4 + vlen;
            let header = &bytes[hstart..hstart + size];
            let mut h = Cursor::new(header);
            let head_type = h.vint().unwrap();
            let flags = h.vint().unwrap();
            if flags & 1 != 0 {
                h.vint().unwrap();
            }
            let data = if flags & 2 != 0 { h.vint().unwrap() } else { 0 } as usize;
            let end = hstart + size + data;
            let mut new_header = header.to_vec();
            if head_type == 2 {
                let ff_at = header.len() - h.rest().len();
                let ff = h.vint().unwrap();
                h.vint().unwrap();
                h.vint().unwrap();
                if ff & 2 != 0 {
                    h.u32().unwrap();
                }
                let crc_at = header.len() - h.rest().len();
                if ff & 4 != 0 {
                    h.u32().unwrap();
                    h.vint().unwrap();
                    h.vint().unwrap();
                    let n = h.vint().unwrap();
                    if h.take(n).unwrap() == name {
                        assert!(ff < 0x80);
                        new_header[ff_at] = (ff & !4) as u8;
                        new_header.drain(crc_at..crc_at + 4);
                    }
                }
            }
            let sv = vint(new_header.len() as u64);
            out.extend(crc32(&[&sv, &new_header]).to_le_bytes());
            out.extend(&sv);
            out.extend(&new_header);
            out.extend(&bytes[hstart + size..end]);
            at = end;
        }
        out
    }

    /// Finding: a RAR 5 member without CRC32 is matched by size alone.
    #[test]
    fn a_rar5_member_without_crc_gets_its_own_bytes_not_an_equal_sized_ones() {
        let stored = rv_noise(20_000);
        let text = rv_text(20_000);
        let bytes = rv_build(
            rars::ArchiveVersion::Rar50,
            false,
            &[("decoy.bin", stored.clone()), ("hidden.txt", text.clone())],
        );
        let bytes = rv_rar5_drop_crc(&bytes, b"hidden.txt");
        let (m, r) = read_all(&bytes);
        r.expect("listing");
        let (hh, ho) = rv_find(&m, "hidden.txt");
        assert!(hh.packed < hh.size, "hidden compressed");
        match ho {
            Outcome::Read(d) => assert!(
                d == &text,
                "hidden.txt (no CRC) was given {} bytes; equal to decoy.bin's: {}",
                d.len(),
                d == &stored
            ),
            other => panic!("{other:?}"),
        }
    }

    fn rv_reseal4(bytes: &mut [u8], head: usize) {
        let size = u16::from_le_bytes([bytes[head + 5], bytes[head + 6]]) as usize;
        let crc = crc32(&[&bytes[head + 2..head + size]]) as u16;
        bytes[head..head + 2].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn a_rar4_member_too_large_to_decode_in_memory_is_recorded_with_why() {
        // A compressed member whose header claims 300 MiB packed: listed,
        // not handed to the decoder (which would hold it whole in memory).
        let mut bytes = rar4_with_main(
            0,
            &[file4(0x74, b"big.bin", b"xxxx", 0, 2, 0x20, 0x33, &[])],
            true,
        );
        let head = 7 + 13;
        assert_eq!(bytes[head + 2], 0x74);
        bytes[head + 7..head + 11].copy_from_slice(&(300u32 << 20).to_le_bytes());
        rv_reseal4(&mut bytes, head);
        let (m, _) = read_all(&bytes);
        assert_eq!(names(&m), ["big.bin"]);
        assert!(
            matches!(&m[0].1, Outcome::Unreadable(w)
                if w.contains("300 MiB packed") && w.contains("at most 256 MiB")),
            "{:?}",
            m[0].1
        );
    }

    /// Finding: one member our parser requests but rars skips (here: RAR
    /// 1.5 unpack version + Unix host + mode with bit 0x10, a directory to
    /// rars, a regular file to us) makes the forward search consume the
    /// rest of the archive: every later intact compressed member is lost.
    #[test]
    fn a_member_the_decoder_lists_differently_costs_only_itself() {
        let (mut bytes, files) = compressed_fixture(rars::ArchiveVersion::Rar15, false);
        let name = b"docs/known.txt";
        let head = bytes.windows(name.len()).position(|w| w == name).unwrap() - 32;
        eprintln!(
            "unp_ver {} method {:#x}",
            bytes[head + 24],
            bytes[head + 25]
        );
        bytes[head + 15] = 3; // Unix
        bytes[head + 28..head + 32].copy_from_slice(&0o100_664u32.to_le_bytes());
        rv_reseal4(&mut bytes, head);
        let (m, r) = read_all(&bytes);
        r.expect("listing");
        for (h, o) in &m {
            eprintln!(
                "{}: {:?}",
                String::from_utf8_lossy(&h.name),
                match o {
                    Outcome::Read(d) => format!("read {}", d.len()),
                    other => format!("{other:?}"),
                }
            );
        }
        for (name, data) in files
            .iter()
            .filter(|(n, _)| n == "prog.exe" || n == "again.txt")
        {
            let (_, o) = rv_find(&m, name);
            assert!(matches!(o, Outcome::Read(d) if d == data), "{name}: {o:?}");
        }
    }

    /// Finding: MHD_SOLID in the main header with no member flagged solid:
    /// rars refuses Skip (its solid test includes the main flag, ours does
    /// not), so every member after a stored one is lost.
    #[test]
    fn a_main_header_solid_flag_alone_is_honoured() {
        let (mut bytes, files) = compressed_fixture(rars::ArchiveVersion::Rar29, false);
        assert_eq!(bytes[7 + 2], 0x73);
        bytes[7 + 3] |= 0x08;
        rv_reseal4(&mut bytes, 7);
        let (m, r) = read_all(&bytes);
        r.expect("listing");
        for (name, data) in files
            .iter()
            .filter(|(n, _)| n == "prog.exe" || n == "again.txt")
        {
            let (_, o) = rv_find(&m, name);
            assert!(matches!(o, Outcome::Read(d) if d == data), "{name}: {o:?}");
        }
    }

    // ----- hostile input -----

    fn seeds() -> Vec<Vec<u8>> {
        static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        SEEDS.get_or_init(make_seeds).clone()
    }

    fn make_seeds() -> Vec<Vec<u8>> {
        let mut seeds = vec![sample4(), sample5()];
        for (version, solid) in [
            (rars::ArchiveVersion::Rar29, true),
            (rars::ArchiveVersion::Rar50, false),
            (rars::ArchiveVersion::Rar50, true),
        ] {
            seeds.push(compressed_fixture(version, solid).0);
        }
        for name in [
            "test_read_format_rar.rar",
            "test_read_format_rar5_stored.rar",
            "test_read_format_rar_unicode.rar",
            "test_read_format_rar5_solid.rar",
            "test_read_format_rar_ppmd_lzss_conversion.rar",
        ] {
            if let Ok(bytes) = std::fs::read(corpus_dir().join(name)) {
                seeds.push(bytes);
            }
        }
        seeds
    }

    fn survives(bytes: &[u8]) {
        let started = Instant::now();
        let _ = read_all(bytes);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_after_either_signature(tail in prop::collection::vec(any::<u8>(), 0..2048), five in any::<bool>()) {
            let mut bytes = if five { b"Rar!\x1a\x07\x01\x00".to_vec() } else { b"Rar!\x1a\x07\x00".to_vec() };
            bytes.extend(tail);
            survives(&bytes);
        }

        #[test]
        fn mutated_archives(seed in any::<Index>(), edits in prop::collection::vec((any::<Index>(), any::<u8>()), 1..8), cut in any::<Option<Index>>()) {
            let seeds = seeds();
            let mut bytes = seed.get(&seeds).clone();
            for (at, b) in edits {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            survives(&bytes);
        }

        /// Headers with right CRCs but arbitrary contents: the parser past
        /// the CRC check.
        #[test]
        fn arbitrary_rar5_headers_with_valid_crcs(
            blocks in prop::collection::vec((0u64..8, any::<u64>(), prop::collection::vec(any::<u8>(), 0..64), prop::collection::vec(any::<u8>(), 0..32), prop::collection::vec(any::<u8>(), 0..32)), 0..6),
        ) {
            let mut bytes = b"Rar!\x1a\x07\x01\x00".to_vec();
            for (t, flags, fields, extra, data) in blocks {
                bytes.extend(block5(t, flags & 0x3f, &fields, &extra, &data));
            }
            survives(&bytes);
        }

        #[test]
        fn arbitrary_rar4_headers_with_valid_crcs(
            blocks in prop::collection::vec((0x72u8..0x7c, any::<u16>(), prop::collection::vec(any::<u8>(), 0..80), prop::collection::vec(any::<u8>(), 0..32)), 0..6),
        ) {
            let mut bytes = b"Rar!\x1a\x07\x00".to_vec();
            for (t, flags, body, data) in blocks {
                bytes.extend(block4(t, flags, &body, &data));
            }
            survives(&bytes);
        }
    }
}
