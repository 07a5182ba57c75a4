//! Inside archives: every member of ZIP, TAR, 7z and RAR archives and of
//! gzip/bzip2/xz/zstd streams is an item of its own, read from the archive
//! stream, never written to disk, nested to a configurable depth under
//! limits that hold against bombs.
//!
//! A format reader ([`zip`], [`tar`], [`stream`], [`sevenz`], [`rar`])
//! walks one archive and hands each member's header and data to a
//! [`Visitor`]; the expander ([`expand`]) hashes each member once, sniffs it
//! for a nested archive, enforces the [`Limits`] and records what it did.
//! Member names are only names: nothing is ever resolved from them.
// Data read from an archive never indexes unchecked and never unwraps: a
// hostile archive is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::io::Read;
use std::ops::ControlFlow;

use crate::evidence::UtcTime;

/// The archive and compressed-stream formats Ferret looks inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// ZIP (and its relatives: JAR, DOCX/XLSX, XPS, APK, EPUB).
    Zip,
    /// TAR (v7, ustar, pax, GNU).
    Tar,
    /// gzip stream.
    Gzip,
    /// bzip2 stream.
    Bzip2,
    /// xz stream.
    Xz,
    /// Zstandard stream.
    Zstd,
    /// 7-Zip.
    SevenZ,
    /// RAR 1.5–4.x.
    Rar4,
    /// RAR 5.
    Rar5,
}

impl Format {
    /// Stable lower-case name, as written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
            Format::SevenZ => "7z",
            Format::Rar4 => "rar4",
            Format::Rar5 => "rar5",
        }
    }
}

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// A regular file: its data is read and hashed.
    File,
    /// A directory entry.
    Dir,
    /// A symbolic link (its target is only a name; never followed).
    Symlink,
    /// A hard link to another member (never resolved).
    HardLink,
    /// Anything else (device, FIFO, volume label…).
    Other,
}

impl MemberKind {
    /// Stable lower-case name, as written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::File => "file",
            MemberKind::Dir => "dir",
            MemberKind::Symlink => "symlink",
            MemberKind::HardLink => "hardlink",
            MemberKind::Other => "other",
        }
    }
}

/// A member as its archive's headers describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberHeader {
    /// The member's name as stored (raw bytes; for formats that store UTF-16
    /// or a code page, converted to UTF-8; never resolved as a path).
    pub name: Vec<u8>,
    /// What it is.
    pub kind: MemberKind,
    /// Its size once expanded, as the header says (`None`: not stored).
    pub size: Option<u64>,
    /// Its size in the archive (compressed), where the format says.
    pub packed: Option<u64>,
    /// Last modification, where the format stores it.
    pub mtime: Option<UtcTime>,
    /// Encrypted: recorded, never hashed.
    pub encrypted: bool,
}

impl MemberHeader {
    /// Why this member's data is not read, if it is not: it is no regular
    /// file, or it is encrypted.
    pub fn unreadable_reason(&self) -> Option<&'static str> {
        match self.kind {
            MemberKind::File if self.encrypted => Some("encrypted"),
            MemberKind::File => None,
            MemberKind::Dir => Some("directory"),
            MemberKind::Symlink => Some("symbolic link (recorded, not followed)"),
            MemberKind::HardLink => Some("hard link to another member (not resolved)"),
            MemberKind::Other => Some("not a regular file"),
        }
    }
}

/// A member's data as the reader offers it.
pub enum MemberData<'a> {
    /// The expanded bytes, read once by the visitor.
    Stream(&'a mut dyn Read),
    /// The data cannot be read: why (`"RAR 5 compression method 3 not
    /// supported"`, `"encrypted"`, `"directory"`).
    Unreadable(String),
}

/// Why expanding stopped before the end of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop(pub String);

/// Receives an archive's members in archive order. The data must be read
/// (or dropped) before returning; `Break` ends the archive (a limit).
pub trait Visitor {
    /// One member.
    fn member(&mut self, header: MemberHeader, data: MemberData<'_>) -> ControlFlow<Stop>;
}

/// What ended an archive before its last member (its members visited so
/// far stay recorded).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive's structure is damaged or truncated.
    #[error("damaged archive: {0}")]
    Corrupt(String),
    /// A format feature Ferret does not read.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The archive's headers are encrypted: no member can be listed.
    #[error("encrypted archive (headers encrypted): members cannot be listed")]
    EncryptedHeaders,
    /// Reading the archive failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The visitor stopped (a limit).
    #[error("stopped: {}", .0.0)]
    Stopped(Stop),
}

mod expand;
mod rar;
mod sevenz;
mod stream;
mod tar;
mod zip;

pub use expand::{
    ArchiveSummary, Limits, MemberOutcome, MemberRecord, expand, expand_with_pdq, read_member,
};

/// The name of the threads whose panics are caught and reported as damage
/// (a decoder's), not printed.
pub(crate) const QUIET_THREAD: &str = "ferret-archive-decoder";

thread_local! {
    /// Set while a decoder's call that may panic runs on this thread.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once, a panic hook that stays silent for panics Ferret
/// catches inside archive decoders (they are recorded on the member as
/// damage) and hands every other panic to the hook that was there.
pub(crate) fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet =
                QUIET.with(|q| q.get()) || std::thread::current().name() == Some(QUIET_THREAD);
            if !quiet {
                previous(info);
            }
        }));
    });
}

/// Runs `f` (a call into a decoder that may panic) with its panic kept
/// quiet: the caller catches it and records it.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    quiet_panics();
    with_quiet(true, f)
}

/// Runs `f` (Ferret's own code called back from inside a decoder) with
/// its panics printed as usual.
pub(crate) fn loudly<T>(f: impl FnOnce() -> T) -> T {
    with_quiet(false, f)
}

fn with_quiet<T>(quiet: bool, f: impl FnOnce() -> T) -> T {
    let before = QUIET.with(|q| q.replace(quiet));
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let _restore = Restore(before);
    f()
}

/// The names of an archive's first `max` members, from its directory or
/// headers alone, no member data read: ZIP (central directory) and RAR
/// (headers). `None` for other formats (a 7z's directory is compressed, a
/// TAR's or a stream's names need the whole file read) and for a
/// directory that cannot be read. For ordering only: what an archive holds
/// is recorded when it is expanded.
pub fn peek_names<R: Read + std::io::Seek>(mut reader: R, max: usize) -> Option<Vec<Vec<u8>>> {
    struct Names {
        names: Vec<Vec<u8>>,
        max: usize,
    }
    impl Visitor for Names {
        fn member(&mut self, header: MemberHeader, _: MemberData<'_>) -> ControlFlow<Stop> {
            self.names.push(header.name);
            if self.names.len() >= self.max {
                ControlFlow::Break(Stop("enough names".into()))
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    let mut head = Vec::with_capacity(16);
    (&mut reader).take(16).read_to_end(&mut head).ok()?;
    reader.rewind().ok()?;
    let mut names = Names {
        names: Vec::new(),
        max: max.max(1),
    };
    match Format::sniff(&head)? {
        Format::Zip => zip::list_zip(reader, max).ok(),
        Format::Rar4 | Format::Rar5 => match rar::list_rar(reader, &mut names) {
            Ok(()) | Err(ArchiveError::Stopped(_)) => Some(names.names),
            // Names before the damage still order the archive.
            Err(_) => Some(names.names).filter(|n| !n.is_empty()),
        },
        _ => None,
    }
}

impl Format {
    /// The format whose signature starts `head` (the first 512 bytes of a
    /// file or member, or fewer if it is shorter). TAR is recognised by
    /// its `ustar` magic or, for old v7 archives, a valid header checksum.
    pub fn sniff(head: &[u8]) -> Option<Format> {
        const SIGNATURES: &[(&[u8], Format)] = &[
            (b"PK\x03\x04", Format::Zip),
            (b"PK\x05\x06", Format::Zip),
            (b"PK\x07\x08", Format::Zip),
            (b"\x1f\x8b", Format::Gzip),
            (b"BZh", Format::Bzip2),
            (b"\xfd7zXZ\x00", Format::Xz),
            (b"\x28\xb5\x2f\xfd", Format::Zstd),
            (b"7z\xbc\xaf\x27\x1c", Format::SevenZ),
            (b"Rar!\x1a\x07\x01\x00", Format::Rar5),
            (b"Rar!\x1a\x07\x00", Format::Rar4),
        ];
        if let Some((_, f)) = SIGNATURES.iter().find(|(sig, _)| head.starts_with(sig)) {
            return Some(*f);
        }
        is_tar_header(head).then_some(Format::Tar)
    }

    /// Formats that need to seek (their directory is at the end): a nested
    /// one is held in memory, under a cap, to be read.
    pub fn needs_seek(self) -> bool {
        matches!(
            self,
            Format::Zip | Format::SevenZ | Format::Rar4 | Format::Rar5
        )
    }
}

/// A TAR header block: `ustar` magic at 257, or (v7) a checksum that adds
/// up, over a block that is not all zeros.
fn is_tar_header(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else {
        return false;
    };
    if block.get(257..262) == Some(b"ustar".as_slice()) {
        return true;
    }
    let Some(field) = block.get(148..156) else {
        return false;
    };
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|b| *b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(b))
        .collect();
    let Ok(text) = std::str::from_utf8(&digits) else {
        return false;
    };
    let Ok(stored) = u32::from_str_radix(text, 8) else {
        return false;
    };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    // A name is required: a block of spaces and zeros is not a header.
    stored == sum && block.first().is_some_and(|b| *b != 0)
}

/// The bytes of an item, in memory, at most `cap` of them: the file (or
/// stream) `file` itself, or the member `chain` inside it. For previews and
/// report thumbnails, which check them against the case's SHA-256.
pub fn item_bytes(
    mut file: crate::evidence::EvidenceFile,
    rel: &std::path::Path,
    stream: Option<&std::ffi::OsStr>,
    chain: &[(Vec<u8>, u32)],
    cap: u64,
) -> Result<Vec<u8>, String> {
    use std::io::Seek;
    if chain.is_empty() {
        if file.meta.size > cap {
            return Err(format!("larger than {cap} bytes"));
        }
        let mut bytes = Vec::new();
        file.take(cap.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        if bytes.len() as u64 > cap {
            return Err(format!("larger than {cap} bytes"));
        }
        return Ok(bytes);
    }
    let mut head = Vec::new();
    (&mut file)
        .take(512)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    file.rewind().map_err(|e| e.to_string())?;
    let format = Format::sniff(&head).ok_or("the archive is no longer an archive")?;
    let name = match stream {
        Some(s) => s.as_encoded_bytes().to_vec(),
        None => rel
            .file_name()
            .map(|n| n.as_encoded_bytes().to_vec())
            .unwrap_or_default(),
    };
    read_member(file, format, &name, chain, cap)
}
