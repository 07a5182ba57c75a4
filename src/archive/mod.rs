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
mod sevenz;
