//! ZIP through the `zip` crate: the central directory lists every member
//! (names, sizes, encryption) even where a member's method cannot be read;
//! stored, deflate, deflate64, bzip2, LZMA, XZ, PPMd, zstd and the legacy
//! shrink/reduce/implode methods are decoded, zip64 and data descriptors
//! included.

use std::io::{Read, Seek};
use std::ops::ControlFlow;

use super::{ArchiveError, MemberData, MemberHeader, MemberKind, Visitor};
use crate::evidence::UtcTime;

/// Seconds between 1601-01-01 (FILETIME) and 1970-01-01.
const FILETIME_EPOCH: i64 = 11_644_473_600;

/// The member's modification time where the archive stores it in UTC (the
/// Unix extended timestamp or the NTFS extra field). A DOS time alone has
/// no time zone, so it is not recorded as a UTC time.
fn utc_mtime<R: Read>(f: &::zip::read::ZipFile<'_, R>) -> Option<UtcTime> {
    use ::zip::extra_fields::ExtraField;
    f.extra_data_fields().find_map(|e| match e {
        ExtraField::ExtendedTimestamp(t) => t.mod_time().map(|s| UtcTime::new(i64::from(s), 0)),
        ExtraField::Ntfs(n) => {
            let ticks = n.mtime();
            let secs = i64::try_from(ticks / 10_000_000).ok()? - FILETIME_EPOCH;
            let nanos = u32::try_from((ticks % 10_000_000) * 100).ok()?;
            Some(UtcTime::new(secs, nanos))
        }
        _ => None,
    })
}

/// The member's name: the UTF-8 name of an Info-ZIP Unicode Path field
/// (0x7075) whose CRC matches the stored name, else the stored bytes as
/// they are (a legacy code page is kept raw, never guessed).
fn member_name<R: Read>(f: &::zip::read::ZipFile<'_, R>) -> Vec<u8> {
    use ::zip::extra_fields::ExtraField;
    let raw = f.name_raw();
    f.extra_data_fields()
        .find_map(|e| match e {
            ExtraField::UnicodePath(u) => u
                .clone()
                .unwrap_valid(raw)
                .ok()
                .filter(|n| std::str::from_utf8(n).is_ok())
                .map(Vec::from),
            _ => None,
        })
        .unwrap_or_else(|| raw.to_vec())
}

fn kind_of<R: Read>(f: &::zip::read::ZipFile<'_, R>) -> MemberKind {
    if f.is_dir() {
        MemberKind::Dir
    } else if f.is_symlink() {
        MemberKind::Symlink
    } else if f
        .unix_mode()
        .is_some_and(|m| m & 0o170000 != 0 && m & 0o170000 != 0o100000)
    {
        MemberKind::Other
    } else {
        MemberKind::File
    }
}

/// The names of the first `max` entries of a ZIP's central directory (no
/// member data read).
pub(crate) fn list_zip<R: Read + Seek>(
    reader: R,
    max: usize,
) -> Result<Vec<Vec<u8>>, ArchiveError> {
    let mut archive =
        ::zip::ZipArchive::new(reader).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    let mut names = Vec::new();
    for i in 0..archive.len().min(max) {
        if let Ok(f) = archive.by_index_raw(i) {
            names.push(member_name(&f));
        }
    }
    Ok(names)
}

/// Reads a ZIP archive and hands each member, in central-directory order,
/// to `visitor`.
pub(crate) fn read_zip<R: Read + Seek>(
    reader: R,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    let mut reader = reader;
    let mut archive = match ::zip::ZipArchive::new(&mut reader) {
        Ok(a) => a,
        Err(::zip::result::ZipError::Io(io)) => return Err(ArchiveError::Io(io)),
        // No usable central directory (truncated, padded, carved): the
        // members are read from their local headers instead.
        Err(other) => {
            reader.rewind()?;
            return read_local_headers(reader, visitor, &other.to_string());
        }
    };
    // Entries sharing a name are one entry in the crate's directory: the
    // others would vanish. Such an archive (a known way to hide a file) is
    // read from its local headers, every entry, and flagged.
    if archive.has_duplicate_names() {
        drop(archive);
        reader.rewind()?;
        read_local_headers(reader, visitor, "")?;
        return Err(ArchiveError::Corrupt(
            "entries of the central directory share a name (a way to hide one): \
             every member was read from its local header"
                .into(),
        ));
    }
    for i in 0..archive.len() {
        let header = match archive.by_index_raw(i) {
            Ok(f) => MemberHeader {
                name: member_name(&f),
                kind: kind_of(&f),
                size: Some(f.size()),
                packed: Some(f.compressed_size()),
                mtime: utc_mtime(&f),
                encrypted: f.encrypted(),
            },
            Err(e) => return Err(ArchiveError::Corrupt(format!("member {i}: {e}"))),
        };
        let flow = match header.unreadable_reason() {
            Some(why) => visitor.member(header, MemberData::Unreadable(why.into())),
            None => match archive.by_index(i) {
                Ok(mut f) => visitor.member(header, MemberData::Stream(&mut f)),
                Err(e) => {
                    let why = match e {
                        ::zip::result::ZipError::UnsupportedArchive(m) => {
                            format!("zip: not supported: {m}")
                        }
                        ::zip::result::ZipError::CompressionMethodNotSupported(m) => {
                            format!("zip compression method {m} not supported")
                        }
                        other => format!("zip: {other}"),
                    };
                    visitor.member(header, MemberData::Unreadable(why))
                }
            },
        };
        if let ControlFlow::Break(stop) = flow {
            return Err(ArchiveError::Stopped(stop));
        }
    }
    Ok(())
}

/// Reads members from their local headers, front to back: a ZIP whose
/// central directory is missing or damaged still gives up what it holds.
fn read_local_headers<R: Read>(
    mut reader: R,
    visitor: &mut dyn Visitor,
    why: &str,
) -> Result<(), ArchiveError> {
    let mut count = 0u64;
    loop {
        let mut f = match ::zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if count == 0 => {
                return Err(ArchiveError::Corrupt(format!(
                    "{why}; no local header either: {e}"
                )));
            }
            Err(e) => {
                return Err(ArchiveError::Corrupt(format!(
                    "{why}; then at member {count}: {e}"
                )));
            }
        };
        count += 1;
        let header = MemberHeader {
            name: member_name(&f),
            kind: kind_of(&f),
            size: Some(f.size()),
            packed: Some(f.compressed_size()),
            mtime: utc_mtime(&f),
            encrypted: f.encrypted(),
        };
        let flow = match header.unreadable_reason() {
            Some(why) => visitor.member(header, MemberData::Unreadable(why.into())),
            None => visitor.member(header, MemberData::Stream(&mut f)),
        };
        if let ControlFlow::Break(stop) = flow {
            return Err(ArchiveError::Stopped(stop));
        }
        // The rest of the member (if the visitor stopped early) is skipped
        // by the crate when `f` is dropped.
    }
    Ok(())
}
