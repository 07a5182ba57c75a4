//! 7-Zip: every member of a 7z archive, in archive order, read through the
//! pure-Rust decoders of `sevenz-rust2` (LZMA, LZMA2, PPMd, bzip2, Deflate,
//! Zstandard; BCJ, BCJ2, ARM/ARM64/ARM-Thumb/PowerPC/SPARC/IA-64/RISC-V and
//! Delta filters).
//!
//! Guarantees:
//! - every member the headers list is visited, with its name and sizes, even
//!   when its data cannot be read (encrypted, a method not built in, a block
//!   over the memory limit, damage earlier in its solid block): the reason is
//!   the member's [`MemberData::Unreadable`];
//! - each solid block is decompressed once, its members read in sequence;
//! - no password is ever tried; encrypted headers are
//!   [`ArchiveError::EncryptedHeaders`];
//! - memory is bounded whatever the headers declare: the decoded header and
//!   each decoder's dictionary or model are capped ([`HEADER_LIMIT_KB`],
//!   [`DECODER_LIMIT_KB`]), one decoder thread;
//! - a panic inside the crate is caught and reported as damage, never
//!   propagated; a panic of the visitor is propagated unchanged.
//!
//! Damage inside a block ends that block (its later members are visited as
//! unreadable), the next blocks are still read, and the archive then ends
//! with [`ArchiveError::Corrupt`]. Damaged headers list nothing: 7z keeps its
//! only directory at the end of the archive.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io::{self, Read, Seek};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use sevenz_rust2::{Archive, ArchiveEntry, Block, BlockDecoder, EncoderMethod, Error, Password};

use super::{ArchiveError, MemberData, MemberHeader, MemberKind, Stop, Visitor};
use crate::evidence::UtcTime;

/// Cap on the (decoded) header. The crate allocates 96 bytes per declared
/// member before it reads any name, and the count may be as large as the
/// header is long: measured, a 4 MiB header declaring 4 Mi members peaked
/// at 400 MB, so this cap bounds that spike near 0.8 GiB. A real header
/// takes some 140 bytes per member: 8 MiB lists about 60,000 members; a
/// larger header is refused as not supported (said, never silent).
const HEADER_LIMIT_KB: usize = 8 * 1024;

/// Cap on each block decoder's dictionary or model. 7-Zip's strongest
/// presets use 64 MiB (LZMA2) and 192 MiB (PPMd); PPMd allocates its model
/// up front, LZMA grows its window with the output. A block over the cap is
/// listed with its members unreadable.
const DECODER_LIMIT_KB: usize = 512 * 1024;

/// FILE_ATTRIBUTE_UNIX_EXTENSION: the high 16 bits hold a Unix `st_mode`.
const UNIX_EXTENSION: u32 = 0x8000;
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// FILETIME ticks (100 ns since 1601-01-01) per second, and the seconds
/// from 1601 to the Unix epoch.
const TICKS_PER_SEC: u64 = 10_000_000;
const FILETIME_UNIX_OFFSET: i64 = 11_644_473_600;

/// Method ids this build decodes (the crate's features in Cargo.toml).
const DECODED_METHODS: [&[u8]; 17] = [
    EncoderMethod::ID_COPY,
    EncoderMethod::ID_LZMA,
    EncoderMethod::ID_LZMA2,
    EncoderMethod::ID_PPMD,
    EncoderMethod::ID_BZIP2,
    EncoderMethod::ID_DEFLATE,
    EncoderMethod::ID_ZSTD,
    EncoderMethod::ID_BCJ_X86,
    EncoderMethod::ID_BCJ2,
    EncoderMethod::ID_BCJ_PPC,
    EncoderMethod::ID_BCJ_IA64,
    EncoderMethod::ID_BCJ_ARM,
    EncoderMethod::ID_BCJ_ARM64,
    EncoderMethod::ID_BCJ_ARM_THUMB,
    EncoderMethod::ID_BCJ_SPARC,
    EncoderMethod::ID_BCJ_RISCV,
    EncoderMethod::ID_DELTA,
];

/// Reads a 7z archive and hands each member, in archive order, to `visitor`.
pub(crate) fn read_sevenz<R: Read + Seek>(
    mut reader: R,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    if is_empty_archive(&mut reader)? {
        return Ok(());
    }
    let limit_kb = header_limit_kb(&mut reader)?;
    let password = Password::empty();
    let archive = fenced(|| Archive::read_with_memory_limit(&mut reader, &password, limit_kb))?
        .map_err(header_error)?;
    let mut walk = Walk {
        archive: &archive,
        password: &password,
        reader: &mut reader,
        visitor,
        damage: None,
    };
    walk.members()?;
    match walk.damage {
        Some(damage) => Err(ArchiveError::Corrupt(damage)),
        None => Ok(()),
    }
}

/// An archive of no member: a start header (its CRC right) that points to
/// no header at all, as 7-Zip writes it; the crate would call it truncated.
fn is_empty_archive<R: Read + Seek>(reader: &mut R) -> Result<bool, ArchiveError> {
    let mut start = [0u8; 32];
    reader.seek(io::SeekFrom::Start(0))?;
    let read = reader.take(32).read(&mut start)?;
    reader.seek(io::SeekFrom::Start(0))?;
    let (Some(signature), Some(crc), Some(next)) =
        (start.get(..6), start.get(8..12), start.get(12..32))
    else {
        return Ok(false);
    };
    Ok(read == start.len()
        && signature == b"7z\xBC\xAF\x27\x1C"
        && crc == crc32(next).to_le_bytes()
        && next.iter().all(|b| *b == 0))
}

/// The memory limit to give the crate for the headers. The crate applies
/// one limit both to the decoded header's length and to the dictionary of
/// the header's decoder, which writers set up to 64 MiB (the window only
/// grows with the output, so a large one costs nothing here). When the
/// encoded header declares a decoded size within [`HEADER_LIMIT_KB`] (the
/// crate then insists on exactly that size), the dictionary may use the
/// block decoders' limit; otherwise the strict limit holds for both.
fn header_limit_kb<R: Read + Seek>(reader: &mut R) -> Result<usize, ArchiveError> {
    // The descriptor of an encoded header is a few dozen bytes.
    const DESCRIPTOR_MAX: u64 = 64 * 1024;
    let mut start = [0u8; 32];
    reader.seek(io::SeekFrom::Start(0))?;
    let full = reader.read_exact(&mut start).is_ok();
    let field = |range: std::ops::Range<usize>| {
        start
            .get(range)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
    };
    let (Some(offset), Some(size)) = (field(12..20), field(20..28)) else {
        return Ok(HEADER_LIMIT_KB);
    };
    let position = 32u64.checked_add(offset);
    let mut descriptor = Vec::new();
    if let (true, Some(position), true) = (full, position, size <= DESCRIPTOR_MAX) {
        reader.seek(io::SeekFrom::Start(position))?;
        reader.take(size).read_to_end(&mut descriptor)?;
    }
    reader.seek(io::SeekFrom::Start(0))?;
    let declared = match descriptor.split_first() {
        Some((0x17, rest)) => encoded_header_size(&mut Bytes(rest)),
        _ => None,
    };
    let within = declared.is_some_and(|size| size <= (HEADER_LIMIT_KB as u64) * 1024);
    Ok(if within {
        DECODER_LIMIT_KB
    } else {
        HEADER_LIMIT_KB
    })
}

/// A cursor over header bytes.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }

    fn skip(&mut self, count: u64) -> Option<()> {
        self.0 = self.0.get(usize::try_from(count).ok()?..)?;
        Some(())
    }

    /// 7z's variable-length number: the leading one bits of the first byte
    /// say how many little-endian bytes follow.
    fn number(&mut self) -> Option<u64> {
        let first = self.byte()?;
        let mut value = 0u64;
        for i in 0..8u32 {
            let mask = 0x80u8 >> i;
            if first & mask == 0 {
                let high = u64::from(first & mask.wrapping_sub(1));
                return Some(value | high.checked_shl(8 * i).unwrap_or(0));
            }
            value |= u64::from(self.byte()?) << (8 * i);
        }
        Some(value)
    }
}

/// The largest unpack size the descriptor of an encoded header declares for
/// its one folder (the decoded header's size is one of them); `None` when
/// the descriptor has another shape.
fn encoded_header_size(b: &mut Bytes<'_>) -> Option<u64> {
    if b.byte()? != 0x06 {
        return None;
    }
    b.number()?;
    let pack_streams = b.number()?;
    loop {
        match b.byte()? {
            0x00 => break,
            0x09 => {
                for _ in 0..pack_streams {
                    b.number()?;
                }
            }
            0x0A => {
                let defined = if b.byte()? == 0 {
                    let bits = b.0.get(..usize::try_from(pack_streams.div_ceil(8)).ok()?)?;
                    let count = bits.iter().map(|x| u64::from(x.count_ones())).sum();
                    b.skip(pack_streams.div_ceil(8))?;
                    count
                } else {
                    pack_streams
                };
                b.skip(defined.checked_mul(4)?)?;
            }
            _ => return None,
        }
    }
    // One folder, its coders, bind pairs and packed streams, then its sizes.
    if b.byte()? != 0x07 || b.byte()? != 0x0B || b.number()? != 1 || b.byte()? != 0 {
        return None;
    }
    let coders = b.number()?;
    if coders > 64 {
        return None;
    }
    let (mut ins, mut outs) = (0u64, 0u64);
    for _ in 0..coders {
        let flags = b.byte()?;
        b.skip(u64::from(flags & 0x0F))?;
        let (i, o) = if flags & 0x10 != 0 {
            (b.number()?, b.number()?)
        } else {
            (1, 1)
        };
        if flags & 0x20 != 0 {
            let size = b.number()?;
            b.skip(size)?;
        }
        if flags & 0x80 != 0 || i > 64 || o != 1 {
            return None;
        }
        ins += i;
        outs += o;
    }
    let bind_pairs = outs.checked_sub(1)?;
    for _ in 0..bind_pairs * 2 {
        b.number()?;
    }
    let packed = ins.checked_sub(bind_pairs)?;
    if packed > 1 {
        for _ in 0..packed {
            b.number()?;
        }
    }
    if b.byte()? != 0x0C {
        return None;
    }
    let mut largest = 0;
    for _ in 0..outs {
        largest = largest.max(b.number()?);
    }
    Some(largest)
}

/// CRC-32 (IEEE), bitwise: only ever run over 20 bytes.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// One pass over an archive's members.
struct Walk<'a, R> {
    archive: &'a Archive,
    password: &'a Password,
    reader: &'a mut R,
    visitor: &'a mut dyn Visitor,
    /// The first damage met in a block's data.
    damage: Option<String>,
}

/// Why a block's members (from some member on) cannot be read.
enum BlockFailure {
    /// Not built in or over a limit: the archive is not damaged.
    Unreadable(String),
    /// The data is damaged.
    Damaged(String),
}

impl<R: Read + Seek> Walk<'_, R> {
    /// Every member in archive order: a member without data on its own, a
    /// block's members together.
    fn members(&mut self) -> Result<(), ArchiveError> {
        let archive = self.archive;
        let files = &archive.files;
        let mut index = 0;
        while let Some(entry) = files.get(index) {
            let block = archive
                .stream_map
                .file_block_index
                .get(index)
                .copied()
                .flatten();
            index = match block {
                None => {
                    self.visit_plain(entry, None)?;
                    index + 1
                }
                Some(block) => self.block(block, index)?.max(index + 1),
            };
        }
        Ok(())
    }

    /// The members of block `block`, whose first member is `first`; returns
    /// the index after its last member.
    fn block(&mut self, block: usize, first: usize) -> Result<usize, ArchiveError> {
        let archive = self.archive;
        let count = fenced(|| {
            BlockDecoder::new(1, block, archive, self.password, &mut *self.reader).entry_count()
        })?;
        let end = first.saturating_add(count);
        let (Some(entries), Some(coders)) = (
            archive.files.get(first..end),
            archive.blocks.get(block).map(|b| b.coders.as_slice()),
        ) else {
            return Err(ArchiveError::Corrupt(format!(
                "7z block {block} lists members {first}..{end} of {}",
                archive.files.len()
            )));
        };
        let streams = entries.iter().filter(|e| e.has_stream).count();
        let packed = (streams == 1)
            .then(|| block_packed(archive, block))
            .flatten();

        if coders
            .iter()
            .any(|c| c.encoder_method_id() == EncoderMethod::ID_AES256_SHA256)
        {
            for entry in entries {
                self.visit_unreadable(entry, packed, None)?;
            }
            return Ok(end);
        }
        if let Some(method) = missing_method(archive.blocks.get(block)) {
            let why = format!("7z method {method} not supported");
            for entry in entries {
                self.visit_unreadable(entry, packed, Some(&why))?;
            }
            return Ok(end);
        }

        let next = Cell::new(first);
        let stop: RefCell<Option<Stop>> = RefCell::new(None);
        let visitor_panic: RefCell<Option<Box<dyn Any + Send>>> = RefCell::new(None);
        let decoder_panicked = Cell::new(false);
        let visitor = &mut *self.visitor;
        let outcome = fenced(|| {
            let decoder = BlockDecoder::new_with_memory_limit(
                1,
                DECODER_LIMIT_KB,
                block,
                archive,
                self.password,
                &mut *self.reader,
            );
            decoder.for_each_entries(&mut |entry, data| {
                next.set(next.get() + 1);
                let mut fence = PanicFence {
                    inner: data,
                    panicked: &decoder_panicked,
                };
                let (header, data) = describe(entry, packed, &mut fence);
                let visit = || super::loudly(|| visitor.member(header, data));
                match catch_unwind(AssertUnwindSafe(visit)) {
                    Err(payload) => {
                        *visitor_panic.borrow_mut() = Some(payload);
                        Ok(false)
                    }
                    Ok(ControlFlow::Break(s)) => {
                        *stop.borrow_mut() = Some(s);
                        Ok(false)
                    }
                    Ok(ControlFlow::Continue(())) => Ok(!decoder_panicked.get()),
                }
            })
        });
        if let Some(payload) = visitor_panic.into_inner() {
            resume_unwind(payload);
        }
        if let Some(s) = stop.into_inner() {
            return Err(ArchiveError::Stopped(s));
        }
        let failure = match outcome {
            Err(ArchiveError::Corrupt(why)) => Some(BlockFailure::Damaged(why)),
            Err(other) => return Err(other),
            Ok(_) if decoder_panicked.get() => {
                Some(BlockFailure::Damaged("7z decoder panicked".to_owned()))
            }
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(block_failure(e)?),
        };
        let Some(failure) = failure else {
            return Ok(end);
        };
        let why = match failure {
            BlockFailure::Unreadable(why) => why,
            BlockFailure::Damaged(why) => {
                let why = format!("damaged 7z block {block}: {why}");
                self.damage.get_or_insert_with(|| why.clone());
                why
            }
        };
        for entry in entries
            .get(next.get().saturating_sub(first)..)
            .unwrap_or(&[])
        {
            self.visit_unreadable(entry, packed, Some(&why))?;
        }
        Ok(end)
    }

    /// A member whose data is not read: `why` for a member with data
    /// (`None`: encrypted); one without data is visited as usual.
    fn visit_unreadable(
        &mut self,
        entry: &ArchiveEntry,
        packed: Option<u64>,
        why: Option<&str>,
    ) -> Result<(), ArchiveError> {
        if !entry.has_stream {
            return self.visit_plain(entry, packed);
        }
        let mut nothing = io::empty();
        let (mut header, data) = describe(entry, packed, &mut nothing);
        let data = match (data, why) {
            // Directories and links keep their own reason.
            (MemberData::Unreadable(own), _) if header.kind != MemberKind::File => {
                MemberData::Unreadable(own)
            }
            (_, Some(why)) => MemberData::Unreadable(why.to_owned()),
            (_, None) => MemberData::Unreadable("encrypted".to_owned()),
        };
        header.encrypted = why.is_none();
        self.send(header, data)
    }

    /// A member read without a decoder (it has no data).
    fn visit_plain(
        &mut self,
        entry: &ArchiveEntry,
        packed: Option<u64>,
    ) -> Result<(), ArchiveError> {
        let mut nothing = io::empty();
        let (header, data) = describe(entry, packed, &mut nothing);
        self.send(header, data)
    }

    fn send(&mut self, header: MemberHeader, data: MemberData<'_>) -> Result<(), ArchiveError> {
        match self.visitor.member(header, data) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(stop) => Err(ArchiveError::Stopped(stop)),
        }
    }
}

/// A member's header and its data as the visitor gets them.
fn describe<'d>(
    entry: &ArchiveEntry,
    packed: Option<u64>,
    stream: &'d mut dyn Read,
) -> (MemberHeader, MemberData<'d>) {
    let kind = kind_of(entry);
    let size = match (entry.has_stream, kind) {
        (true, _) => Some(entry.size),
        (false, MemberKind::File) => Some(0),
        (false, _) => None,
    };
    let packed = match (entry.has_stream, kind) {
        (true, _) => packed,
        (false, MemberKind::File) => Some(0),
        (false, _) => None,
    };
    let mode = unix_mode(entry);
    let data = match kind {
        MemberKind::File => MemberData::Stream(stream),
        MemberKind::Dir => MemberData::Unreadable("directory".to_owned()),
        MemberKind::Symlink => {
            MemberData::Unreadable("symbolic link (recorded, not followed)".to_owned())
        }
        MemberKind::HardLink | MemberKind::Other if entry.is_anti_item => {
            MemberData::Unreadable("7z anti-item (a deletion mark of an update)".to_owned())
        }
        MemberKind::HardLink | MemberKind::Other => MemberData::Unreadable(format!(
            "special file (Unix mode {:o}; recorded, not read)",
            mode.unwrap_or(0)
        )),
    };
    let header = MemberHeader {
        name: entry.name.clone().into_bytes(),
        kind,
        size,
        packed,
        mtime: entry
            .has_last_modified_date
            .then(|| filetime(u64::from(entry.last_modified_date))),
        encrypted: false,
    };
    (header, data)
}

/// The Unix `st_mode` 7z keeps in the high attribute bits, if any.
fn unix_mode(entry: &ArchiveEntry) -> Option<u32> {
    let attributes = entry.windows_attributes;
    (entry.has_windows_attributes && attributes & UNIX_EXTENSION != 0).then_some(attributes >> 16)
}

fn kind_of(entry: &ArchiveEntry) -> MemberKind {
    if entry.is_anti_item {
        return MemberKind::Other;
    }
    match unix_mode(entry).map(|mode| mode & S_IFMT) {
        Some(S_IFLNK) => MemberKind::Symlink,
        Some(S_IFDIR) => MemberKind::Dir,
        None | Some(0) | Some(S_IFREG) if entry.is_directory => MemberKind::Dir,
        None | Some(0) | Some(S_IFREG) => MemberKind::File,
        Some(_) => MemberKind::Other,
    }
}

/// A FILETIME as a Unix time.
fn filetime(ticks: u64) -> UtcTime {
    // u64::MAX / 10^7 fits an i64 with room to spare.
    let secs = i64::try_from(ticks / TICKS_PER_SEC).unwrap_or(i64::MAX);
    let nanos = u32::try_from((ticks % TICKS_PER_SEC) * 100).unwrap_or(0);
    UtcTime::new(secs.saturating_sub(FILETIME_UNIX_OFFSET), nanos)
}

/// The packed size of block `block`: all its packed streams.
fn block_packed(archive: &Archive, block: usize) -> Option<u64> {
    let firsts = archive.stream_map.block_first_pack_stream_index();
    let start = *firsts.get(block)?;
    let end = firsts
        .get(block + 1)
        .copied()
        .unwrap_or(archive.pack_sizes().len());
    archive
        .pack_sizes()
        .get(start..end)?
        .iter()
        .try_fold(0u64, |sum, size| sum.checked_add(*size))
}

/// The first method of `block` this build does not decode, by name.
fn missing_method(block: Option<&Block>) -> Option<String> {
    let coder = block?
        .coders
        .iter()
        .find(|c| !DECODED_METHODS.contains(&c.encoder_method_id()))?;
    let id = coder.encoder_method_id();
    Some(match EncoderMethod::by_id(id) {
        Some(method) => method.name().to_owned(),
        None => format!("id {}", hex::encode(id)),
    })
}

/// The archive-level error for headers that cannot be read.
fn header_error(error: Error) -> ArchiveError {
    match error {
        Error::UnsupportedCompressionMethod(method)
            if method == EncoderMethod::AES256_SHA256.name() =>
        {
            ArchiveError::EncryptedHeaders
        }
        Error::PasswordRequired | Error::MaybeBadPassword(_) => ArchiveError::EncryptedHeaders,
        Error::UnsupportedCompressionMethod(method) => {
            ArchiveError::Unsupported(format!("7z header method {method}"))
        }
        Error::UnsupportedVersion { major, minor } => {
            ArchiveError::Unsupported(format!("7z format version {major}.{minor}"))
        }
        Error::MaxMemLimited { actaul_kb, .. } => ArchiveError::Unsupported(format!(
            "7z header needs {actaul_kb} KiB of memory, over the limit ({HEADER_LIMIT_KB} KiB for the header, {DECODER_LIMIT_KB} KiB for its decoder)"
        )),
        Error::ExternalUnsupported => {
            ArchiveError::Unsupported("7z header stored in another stream".to_owned())
        }
        Error::Unsupported(what) => ArchiveError::Unsupported(format!("7z {what}")),
        Error::Io(e, _) | Error::FileOpen(e, _) if e.raw_os_error().is_some() => {
            ArchiveError::Io(e)
        }
        other => ArchiveError::Corrupt(format!("7z header: {other}")),
    }
}

/// Why a block stopped: a limit or a method is not damage.
fn block_failure(error: Error) -> Result<BlockFailure, ArchiveError> {
    Ok(match error {
        Error::UnsupportedCompressionMethod(method) => {
            BlockFailure::Unreadable(format!("7z method {method} not supported"))
        }
        Error::Unsupported(what) => BlockFailure::Unreadable(format!("7z {what} not supported")),
        Error::MaxMemLimited { actaul_kb, .. } => BlockFailure::Unreadable(format!(
            "7z block needs {actaul_kb} KiB of decoder memory, over the {DECODER_LIMIT_KB} KiB limit"
        )),
        Error::Io(e, _) if e.raw_os_error().is_some() => return Err(ArchiveError::Io(e)),
        other => BlockFailure::Damaged(other.to_string()),
    })
}

/// Runs a call into the crate; a panic becomes damage.
fn fenced<T>(call: impl FnOnce() -> T) -> Result<T, ArchiveError> {
    catch_unwind(AssertUnwindSafe(|| super::quietly(call))).map_err(|payload| {
        ArchiveError::Corrupt(format!("7z decoder panicked: {}", panic_text(&payload)))
    })
}

fn panic_text(payload: &Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// A member's data as the visitor reads it: a panic of the decoder becomes
/// an error of this read (and ends the block).
struct PanicFence<'a, 'b> {
    inner: &'a mut dyn Read,
    panicked: &'b Cell<bool>,
}

impl Read for PanicFence<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.panicked.get() {
            return Err(io::Error::other("7z decoder panicked"));
        }
        let read = || super::quietly(|| self.inner.read(buf));
        catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|payload| {
            self.panicked.set(true);
            Err(io::Error::other(format!(
                "7z decoder panicked: {}",
                panic_text(&payload)
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    //! The libarchive corpus against its oracles, the edge cases one by one,
    //! and hostile bytes in a child process under a memory cap.
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::collections::HashMap;
    use std::fmt::Write as _;
    use std::fs;
    use std::io::Cursor;
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use sha2::{Digest, Sha256};

    use super::*;

    /// `.tsv` archives whose listing differs from the bsdtar oracle, and why.
    const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
        "test_read_format_7zip_malformed4.7z",
        "header has streams but no files info: 7zz rejects it too (Headers Error); \
         bsdtar lists nothing",
    )];

    /// `.error` archives (bsdtar 3.6.2 fails) that we read without error
    /// although 7zz does not agree on the listing, and why.
    const READ_DESPITE_ORACLE: &[(&str, &str)] = &[
        ("test_read_format_7zip_encryption.7z", ENCRYPTED),
        ("test_read_format_7zip_encryption_partially.7z", ENCRYPTED),
        ("test_read_format_7zip_zstd.7z", ZSTD),
        ("test_read_format_7zip_solid_zstd.7z", ZSTD),
        ("test_read_format_7zip_zstd_arm.7z", ZSTD),
        ("test_read_format_7zip_zstd_bcj.7z", ZSTD),
        ("test_read_format_7zip_zstd_nobcj.7z", ZSTD),
        ("test_read_format_7zip_zstd_sparc.7z", ZSTD),
    ];
    const ENCRYPTED: &str = "encrypted members listed as encrypted, never read (bsdtar and 7zz \
        fail on them without a password); the others read";
    const ZSTD: &str = "Zstandard: bsdtar 3.6.2 and Debian's 7zz lack the codec; CRC-32 \
        verified";

    /// What one archive gave.
    #[derive(Default)]
    struct Listing {
        /// `sha256 \t size \t path` of each regular member read completely.
        regular: Vec<String>,
        /// `kind path: reason` of each member not hashed.
        unread: Vec<String>,
        headers: Vec<MemberHeader>,
    }

    impl Visitor for Listing {
        fn member(&mut self, header: MemberHeader, data: MemberData<'_>) -> ControlFlow<Stop> {
            let path = String::from_utf8_lossy(&header.name).into_owned();
            match data {
                MemberData::Stream(stream) => {
                    let mut hasher = Sha256::new();
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut size = 0u64;
                    let failure = loop {
                        match stream.read(&mut buf) {
                            Ok(0) => break None,
                            Ok(n) => {
                                hasher.update(&buf[..n]);
                                size += n as u64;
                            }
                            Err(e) => break Some(e),
                        }
                    };
                    match failure {
                        None => self.regular.push(format!(
                            "{}\t{size}\t{path}",
                            hex::encode(hasher.finalize())
                        )),
                        Some(e) => self.unread.push(format!("file {path}: read failed: {e}")),
                    }
                }
                MemberData::Unreadable(why) => {
                    self.unread
                        .push(format!("{} {path}: {why}", header.kind.as_str()));
                }
            }
            self.headers.push(header);
            ControlFlow::Continue(())
        }
    }

    fn list(bytes: &[u8]) -> (Listing, Result<(), ArchiveError>) {
        let mut listing = Listing::default();
        let result = read_sevenz(Cursor::new(bytes), &mut listing);
        (listing, result)
    }

    fn corpus() -> Option<PathBuf> {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/archives/libarchive");
        if dir.is_dir() {
            Some(dir)
        } else {
            println!("skipped: no corpus at {}", dir.display());
            None
        }
    }

    fn sample(name: &str) -> Option<Vec<u8>> {
        Some(fs::read(corpus()?.join(name)).unwrap())
    }

    fn lines(path: &Path) -> Vec<String> {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// 7zz's status and regular-member count for each archive.
    fn crosscheck(dir: &Path) -> HashMap<String, (String, usize)> {
        let text = fs::read_to_string(dir.join("expected/CROSSCHECK-7zz.tsv")).unwrap_or_default();
        text.lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                let count = cols.get(4)?.parse().ok()?;
                Some((cols.first()?.to_string(), (cols.get(3)?.to_string(), count)))
            })
            .collect()
    }

    #[test]
    fn libarchive_corpus_matches_the_oracles() {
        let Some(dir) = corpus() else { return };
        let sevenz_zz = crosscheck(&dir);
        // Every line the oracle gave for any archive: a member we read where
        // the oracle could not is checked against the same file elsewhere.
        let oracle_lines: std::collections::HashSet<String> = fs::read_dir(dir.join("expected"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
            .flat_map(|p| lines(&p))
            .collect();
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("test_read_format_7zip") && n.ends_with(".7z"))
            .collect();
        names.sort();
        assert!(!names.is_empty());
        let mut table = String::new();
        let (mut matched, mut known, mut errors, mut read_anyway) = (0, 0, 0, 0);
        let mut failures = Vec::new();
        for name in &names {
            let (listing, result) = list(&fs::read(dir.join(name)).unwrap());
            let ours = match &result {
                Ok(()) => format!(
                    "ok, {} regular, {} not hashed",
                    listing.regular.len(),
                    listing.unread.len()
                ),
                Err(e) => format!("Err({e}) after {} members", listing.headers.len()),
            };
            let tsv = dir.join(format!("expected/{name}.tsv"));
            let (expected, verdict) = if tsv.exists() {
                let want = lines(&tsv);
                let verdict = if result.is_ok() && listing.regular == want {
                    matched += 1;
                    "match".to_owned()
                } else if let Some((_, why)) = KNOWN_DIFFERENCES.iter().find(|(n, _)| n == name) {
                    known += 1;
                    format!("known difference: {why}")
                } else {
                    failures.push(format!(
                        "{name}: want {want:#?}\n got {:#?}\n unread {:#?}\n {result:?}",
                        listing.regular, listing.unread
                    ));
                    "MISMATCH".to_owned()
                };
                (format!("tsv, {} regular", want.len()), verdict)
            } else {
                let partial = dir.join(format!("expected/{name}.partial.tsv"));
                if partial.exists() {
                    let want = lines(&partial);
                    if !listing.regular.starts_with(&want) {
                        failures.push(format!(
                            "{name}: partial {want:?} not a prefix of {:?}",
                            listing.regular
                        ));
                    }
                }
                let zz = sevenz_zz.get(name.as_str());
                let verdict = match (&result, zz) {
                    (Err(_), _) => {
                        errors += 1;
                        "both fail".to_owned()
                    }
                    (Ok(()), Some((status, count)))
                        if status == "ok" && *count == listing.regular.len() =>
                    {
                        read_anyway += 1;
                        "read; 7zz reads it too".to_owned()
                    }
                    (Ok(()), _) => match READ_DESPITE_ORACLE.iter().find(|(n, _)| n == name) {
                        Some((_, why)) => {
                            read_anyway += 1;
                            let seen = listing
                                .regular
                                .iter()
                                .filter(|l| oracle_lines.contains(*l))
                                .count();
                            format!(
                                "read ({seen}/{} also in another oracle listing): {why}",
                                listing.regular.len()
                            )
                        }
                        None => {
                            failures.push(format!(
                                "{name}: oracle fails, we read {:#?} {:#?}",
                                listing.regular, listing.unread
                            ));
                            "UNDOCUMENTED".to_owned()
                        }
                    },
                };
                let status = zz.map_or("-".to_owned(), |(s, n)| format!("{s} {n}"));
                (format!("error (7zz: {status})"), verdict)
            };
            writeln!(table, "{name}\t{expected}\t{ours}\t{verdict}").unwrap();
        }
        println!("archive\texpected\tours\tverdict\n{table}");
        println!(
            "{} archives: {matched} match, {known} known differences, {errors} errors where the oracle fails too, {read_anyway} read where bsdtar fails",
            names.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn members_come_in_archive_order_with_their_kinds() {
        let Some(bytes) = sample("test_read_format_7zip_symbolic_name.7z") else {
            return;
        };
        let (listing, result) = list(&bytes);
        result.unwrap();
        for h in &listing.headers {
            println!(
                "{:?} {} {:?} {:?} {:?}",
                h.kind,
                String::from_utf8_lossy(&h.name),
                h.size,
                h.packed,
                h.mtime
            );
        }
        assert!(
            listing
                .headers
                .iter()
                .any(|h| h.kind == MemberKind::Symlink)
        );
        assert!(
            listing
                .unread
                .iter()
                .any(|u| u.ends_with("symbolic link (recorded, not followed)"))
        );
        assert!(listing.headers.iter().all(|h| h.mtime.is_some()));
    }

    #[test]
    fn encrypted_members_are_listed_never_read() {
        let Some(bytes) = sample("test_read_format_7zip_encryption_partially.7z") else {
            return;
        };
        let (listing, result) = list(&bytes);
        result.unwrap();
        let encrypted: Vec<_> = listing.headers.iter().filter(|h| h.encrypted).collect();
        assert_eq!(encrypted.len(), 1, "{:?}", listing.unread);
        assert_eq!(encrypted[0].name, b"bar_encrypted.txt");
        assert!(encrypted[0].size.is_some());
        assert!(
            listing
                .unread
                .iter()
                .any(|u| u.ends_with("bar_encrypted.txt: encrypted"))
        );
    }

    #[test]
    fn encrypted_headers_are_reported_as_such() {
        let Some(bytes) = sample("test_read_format_7zip_encryption_header.7z") else {
            return;
        };
        let (listing, result) = list(&bytes);
        assert!(
            matches!(result, Err(ArchiveError::EncryptedHeaders)),
            "{result:?}"
        );
        assert!(listing.headers.is_empty());
    }

    #[test]
    fn a_stop_ends_the_archive_at_once() {
        struct StopAtFirst(usize);
        impl Visitor for StopAtFirst {
            fn member(&mut self, _: MemberHeader, _: MemberData<'_>) -> ControlFlow<Stop> {
                self.0 += 1;
                ControlFlow::Break(Stop("limit".to_owned()))
            }
        }
        let Some(bytes) = sample("test_read_format_7zip_lzma1_2.7z") else {
            return;
        };
        let mut visitor = StopAtFirst(0);
        let result = read_sevenz(Cursor::new(bytes), &mut visitor);
        assert!(matches!(result, Err(ArchiveError::Stopped(Stop(s))) if s == "limit"));
        assert_eq!(visitor.0, 1);
    }

    #[test]
    fn damaged_data_keeps_earlier_members_then_is_corrupt() {
        let Some(mut bytes) = sample("test_read_format_7zip_copy_2.7z") else {
            return;
        };
        let (clean, result) = list(&bytes);
        result.unwrap();
        assert!(clean.regular.len() >= 2);
        // COPY data starts right after the 32-byte signature header: damage
        // the last byte of the packed data, inside the last member.
        let last_size: usize = clean
            .regular
            .last()
            .unwrap()
            .split('\t')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let total: usize = clean
            .regular
            .iter()
            .map(|l| l.split('\t').nth(1).unwrap().parse::<usize>().unwrap())
            .sum();
        assert!(last_size > 0);
        bytes[32 + total - 1] ^= 0xFF;
        let (damaged, result) = list(&bytes);
        assert!(
            matches!(result, Err(ArchiveError::Corrupt(_))),
            "{result:?}"
        );
        assert_eq!(
            damaged.regular[..],
            clean.regular[..clean.regular.len() - 1]
        );
        assert_eq!(damaged.headers.len(), clean.headers.len());
        assert!(
            damaged.unread.iter().any(|u| u.contains("read failed")),
            "{:?}",
            damaged.unread
        );
    }

    #[test]
    fn a_large_header_dictionary_does_not_cap_a_small_header() {
        // 8 MiB LZMA dictionary for a 168-byte header (the crate alone
        // would refuse it under the header cap).
        let Some(bytes) = sample("test_read_format_7zip_extract_second.7z") else {
            return;
        };
        assert_eq!(
            header_limit_kb(&mut Cursor::new(&bytes)).unwrap(),
            DECODER_LIMIT_KB
        );
        let mut numbers = Bytes(&[
            0x7A, 0x80, 0x8C, 0xC1, 0x02, 0x03, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8,
        ]);
        assert_eq!(numbers.number(), Some(0x7A));
        assert_eq!(numbers.number(), Some(0x8C));
        assert_eq!(numbers.number(), Some(0x01_0302));
        assert_eq!(numbers.number(), Some(0x0807_0605_0403_0201));
        assert_eq!(numbers.number(), None);
        // A plain header keeps the strict cap.
        let plain = sample("test_read_format_7zip_copy.7z").unwrap();
        assert_eq!(
            header_limit_kb(&mut Cursor::new(&plain)).unwrap(),
            HEADER_LIMIT_KB
        );
    }

    #[test]
    fn filetime_converts_to_unix_time() {
        assert_eq!(filetime(116_444_736_000_000_000), UtcTime::new(0, 0));
        assert_eq!(filetime(116_444_736_000_000_001), UtcTime::new(0, 100));
        assert_eq!(filetime(0), UtcTime::new(-11_644_473_600, 0));
        let _ = filetime(u64::MAX);
    }

    /// Rewrites both header CRCs so a mutation reaches the parsers.
    fn fix_crcs(bytes: &mut [u8]) {
        if bytes.len() < 32 || bytes[..6] != [b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C] {
            return;
        }
        let offset = u64::from_le_bytes(bytes[12..20].try_into().unwrap());
        let size = u64::from_le_bytes(bytes[20..28].try_into().unwrap());
        let start = 32u64.saturating_add(offset);
        if let Some(end) = start
            .checked_add(size)
            .filter(|end| *end <= bytes.len() as u64)
        {
            let crc = crc32(&bytes[start as usize..end as usize]);
            bytes[28..32].copy_from_slice(&crc.to_le_bytes());
        }
        let crc = crc32(&bytes[12..32]);
        bytes[8..12].copy_from_slice(&crc.to_le_bytes());
    }

    /// A 7z whose (plain or encoded) header is `header`, with valid CRCs.
    fn with_header(header: &[u8]) -> Vec<u8> {
        let mut bytes = vec![b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C, 0, 4, 0, 0, 0, 0];
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(header);
        fix_crcs(&mut bytes);
        bytes
    }

    /// Small valid archives to mutate: plain, solid LZMA, PPMd, links, empty files.
    const SEEDS: [&str; 6] = [
        "test_read_format_7zip_copy_2.7z",
        "test_read_format_7zip_lzma1_2.7z",
        "test_read_format_7zip_symbolic_name.7z",
        "test_read_format_7zip_empty_file.7z",
        "test_read_format_7zip_win_attrib.7z",
        "test_read_format_7zip_encryption_partially.7z",
    ];

    /// Arbitrary bytes, arbitrary headers behind a valid start header, and
    /// mutated small archives (CRCs fixed up): none may panic.
    fn hostile_cases(cases: u32) {
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config.clone());
        runner
            .run(&proptest::collection::vec(any::<u8>(), 0..1024), |bytes| {
                let _ = list(&bytes);
                Ok(())
            })
            .unwrap();
        let header = (
            prop_oneof![Just(0x01u8), Just(0x17u8), any::<u8>()],
            proptest::collection::vec(prop_oneof![0u8..0x20, any::<u8>()], 0..512),
        );
        let mut runner = TestRunner::new(config.clone());
        runner
            .run(&header, |(first, rest)| {
                let mut header = vec![first];
                header.extend_from_slice(&rest);
                let _ = list(&with_header(&header));
                Ok(())
            })
            .unwrap();
        let seeds: Vec<Vec<u8>> = SEEDS.iter().filter_map(|name| sample(name)).collect();
        if seeds.is_empty() {
            return;
        }
        let mutation = (
            any::<proptest::sample::Index>(),
            proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
            proptest::option::of(any::<proptest::sample::Index>()),
        );
        let mut runner = TestRunner::new(config);
        runner
            .run(&mutation, |(seed, changes, cut)| {
                let mut bytes = seed.get(&seeds).clone();
                for (at, value) in changes {
                    let at = at.index(bytes.len());
                    bytes[at] = value;
                }
                if let Some(cut) = cut {
                    bytes.truncate(cut.index(bytes.len() + 1));
                }
                fix_crcs(&mut bytes);
                let _ = list(&bytes);
                Ok(())
            })
            .unwrap();
    }

    /// The hostile cases in a child process whose address space is capped
    /// (an unbounded allocation aborts it) and whose peak RSS is checked.
    #[test]
    fn hostile_bytes_never_panic_nor_balloon() {
        #[cfg(target_os = "linux")]
        {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "archive::sevenz::tests::hostile_child",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("FERRET_7Z_HOSTILE_CHILD", "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            println!("{stdout}");
            assert!(
                out.status.success() && stdout.contains("hostile cases done"),
                "child failed: {:?}\n{stdout}\n{stderr}",
                out.status
            );
        }
        #[cfg(not(target_os = "linux"))]
        hostile_cases(128);
    }

    #[cfg(target_os = "linux")]
    #[test]
    #[ignore = "run in a child process by hostile_bytes_never_panic_nor_balloon"]
    fn hostile_child() {
        use rustix::process::{Resource, Rlimit, setrlimit};
        use std::sync::atomic::{AtomicUsize, Ordering};
        static CRATE_PANICS: AtomicUsize = AtomicUsize::new(0);
        if std::env::var_os("FERRET_7Z_HOSTILE_CHILD").is_none() {
            return;
        }
        const CAP: u64 = 3 << 30;
        setrlimit(
            Resource::As,
            Rlimit {
                current: Some(CAP),
                maximum: Some(CAP),
            },
        )
        .unwrap();
        std::panic::set_hook(Box::new(|info| {
            CRATE_PANICS.fetch_add(1, Ordering::Relaxed);
            eprintln!("caught panic: {info}");
        }));
        hostile_cases(400);
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let peak_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        println!(
            "hostile cases done: peak RSS {peak_kib} KiB, {} panics caught inside the crate",
            CRATE_PANICS.load(Ordering::Relaxed)
        );
        assert!(peak_kib < 512 * 1024);
    }
}
