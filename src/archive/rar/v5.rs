//! RAR 5: a chain of headers, each `CRC32 u32, header size vint, header
//! type vint, header flags vint, [extra area size vint], [data size vint]`,
//! type-specific fields, then the extra area (records of `size vint, type
//! vint, data`) at the header's end; the CRC32 covers the size and the
//! header. Then the data area, if the header says it has one.

use std::io::{Read, Seek};

use super::{
    Cursor, DataFacts, MAX_NAME, Source, corrupt, crc32, deliver, filetime, need,
    stream_member_name,
};
use crate::archive::{ArchiveError, MemberHeader, MemberKind, Visitor};
use crate::evidence::UtcTime;

/// The format's own bound on a header.
const MAX_HEADER: u64 = 2 * 1024 * 1024;

const HEAD_MAIN: u64 = 1;
const HEAD_FILE: u64 = 2;
const HEAD_SERVICE: u64 = 3;
const HEAD_CRYPT: u64 = 4;
const HEAD_END: u64 = 5;

const HFL_EXTRA: u64 = 0x1;
const HFL_DATA: u64 = 0x2;
const HFL_SPLIT_BEFORE: u64 = 0x8;
const HFL_SPLIT_AFTER: u64 = 0x10;

const MHFL_VOLUME: u64 = 0x1;
const MHFL_VOLNUMBER: u64 = 0x2;

const FHFL_DIRECTORY: u64 = 0x1;
const FHFL_UTIME: u64 = 0x2;
const FHFL_CRC32: u64 = 0x4;
const FHFL_UNPUNKNOWN: u64 = 0x8;

const FHEXTRA_CRYPT: u64 = 0x01;
const FHEXTRA_HTIME: u64 = 0x03;
const FHEXTRA_VERSION: u64 = 0x04;
const FHEXTRA_REDIR: u64 = 0x05;
const FHEXTRA_SUBDATA: u64 = 0x07;

const HOST_UNIX: u64 = 1;

/// Reads headers from just after the signature to the end-of-archive header.
pub(super) fn read<R: Read + Seek>(
    src: &mut Source<R>,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    // The volume number (1-based) when the archive is a volume of a set.
    let mut volume: Option<u64> = None;
    let mut parent: Option<Vec<u8>> = None;
    loop {
        if src.at_end() {
            return Err(corrupt(
                "archive ends without an end-of-archive header".into(),
            ));
        }
        let start = src.pos;
        let block = Block::read(src)?;
        let data_start = src.pos;
        let mut body = Cursor::new(&block.body);
        match block.head_type {
            HEAD_MAIN => {
                let flags = need(body.vint(), "archive flags", start)?;
                if flags & MHFL_VOLUME != 0 {
                    let number = if flags & MHFL_VOLNUMBER != 0 {
                        need(body.vint(), "volume number", start)?
                    } else {
                        0
                    };
                    volume = Some(number.saturating_add(1));
                }
            }
            HEAD_FILE | HEAD_SERVICE => {
                let file = FileHeader::parse(&mut body, &block.extra, start)?;
                let name = if block.head_type == HEAD_FILE {
                    parent = Some(file.name.clone());
                    Some(file.name.clone())
                } else if file.name == b"STM" {
                    let stream = String::from_utf8_lossy(&file.service_data);
                    parent.as_deref().map(|p| stream_member_name(p, &stream))
                } else {
                    None
                };
                if let Some(name) = name {
                    let decodable = block.head_type == HEAD_FILE;
                    let (header, facts) = file.member(name, &block, volume, decodable);
                    deliver(
                        src,
                        visitor,
                        header,
                        facts.plan(),
                        data_start,
                        block.data_size,
                    )?;
                    continue;
                }
            }
            HEAD_CRYPT => return Err(ArchiveError::EncryptedHeaders),
            HEAD_END => return Ok(()),
            _ => {}
        }
        src.skip_data(data_start, block.data_size)?;
    }
}

/// One header, its CRC checked, split into its parts.
struct Block {
    head_type: u64,
    flags: u64,
    data_size: u64,
    /// The type-specific fields.
    body: Vec<u8>,
    extra: Vec<u8>,
}

impl Block {
    fn read<R: Read + Seek>(src: &mut Source<R>) -> Result<Self, ArchiveError> {
        let start = src.pos;
        let crc_bytes = src.read_vec(4, "header CRC")?;
        let expected = need(Cursor::new(&crc_bytes).u32(), "header CRC", start)?;
        let mut size_bytes = Vec::with_capacity(10);
        loop {
            let b = src.read_u8("header size")?;
            size_bytes.push(b);
            if b & 0x80 == 0 {
                break;
            }
            if size_bytes.len() >= 10 {
                return Err(corrupt(format!(
                    "header size at offset {start} over 10 bytes"
                )));
            }
        }
        let size = need(Cursor::new(&size_bytes).vint(), "header size", start)?;
        if size == 0 || size > MAX_HEADER {
            return Err(corrupt(format!(
                "header at offset {start} claims {size} bytes"
            )));
        }
        let data = src.read_vec(size, "header")?;
        if crc32(&[&size_bytes, &data]) != expected {
            return Err(corrupt(format!("header CRC mismatch at offset {start}")));
        }
        let mut c = Cursor::new(&data);
        let head_type = need(c.vint(), "header type", start)?;
        let flags = need(c.vint(), "header flags", start)?;
        let extra_size = if flags & HFL_EXTRA != 0 {
            need(c.vint(), "extra area size", start)?
        } else {
            0
        };
        let data_size = if flags & HFL_DATA != 0 {
            need(c.vint(), "data size", start)?
        } else {
            0
        };
        let rest = c.rest();
        let body_len = usize::try_from(extra_size)
            .ok()
            .and_then(|e| rest.len().checked_sub(e))
            .ok_or_else(|| {
                corrupt(format!(
                    "extra area of {extra_size} bytes overruns the header at offset {start}"
                ))
            })?;
        let (body, extra) = rest.split_at_checked(body_len).unwrap_or((rest, &[]));
        Ok(Block {
            head_type,
            flags,
            data_size,
            body: body.to_vec(),
            extra: extra.to_vec(),
        })
    }
}

/// A file or service header.
struct FileHeader {
    flags: u64,
    size: Option<u64>,
    attr: u64,
    mtime: Option<UtcTime>,
    crc: Option<u32>,
    compression: u64,
    host_os: u64,
    name: Vec<u8>,
    encrypted: bool,
    /// Redirection record type: 1 Unix symlink, 2 Windows symlink,
    /// 3 junction, 4 hard link, 5 file copy.
    redirection: Option<u64>,
    /// Service headers: for `STM`, the stream name.
    service_data: Vec<u8>,
}

impl FileHeader {
    fn parse(c: &mut Cursor<'_>, extra: &[u8], at: u64) -> Result<Self, ArchiveError> {
        let flags = need(c.vint(), "file flags", at)?;
        let unpacked = need(c.vint(), "unpacked size", at)?;
        let attr = need(c.vint(), "attributes", at)?;
        let mut mtime = if flags & FHFL_UTIME != 0 {
            Some(UtcTime::new(i64::from(need(c.u32(), "mtime", at)?), 0))
        } else {
            None
        };
        let crc = if flags & FHFL_CRC32 != 0 {
            Some(need(c.u32(), "data CRC32", at)?)
        } else {
            None
        };
        let compression = need(c.vint(), "compression information", at)?;
        let host_os = need(c.vint(), "host OS", at)?;
        let name_len = need(c.vint(), "name length", at)?;
        if name_len > MAX_NAME {
            return Err(corrupt(format!("name of {name_len} bytes at offset {at}")));
        }
        let name = need(c.take(name_len), "name", at)?.to_vec();

        let mut encrypted = false;
        let mut redirection = None;
        let mut service_data = Vec::new();
        let mut version = None;
        let mut records = Cursor::new(extra);
        while !records.is_empty() {
            let size = need(records.vint(), "extra record size", at)?;
            let record = records.take(size).ok_or_else(|| {
                corrupt(format!(
                    "extra record of {size} bytes overruns the header at offset {at}"
                ))
            })?;
            let mut r = Cursor::new(record);
            match r.vint() {
                Some(FHEXTRA_CRYPT) => encrypted = true,
                Some(FHEXTRA_HTIME) => {
                    if let Some(t) = time_record(&mut r) {
                        mtime = Some(t);
                    }
                }
                Some(FHEXTRA_VERSION) => version = r.vint().and_then(|_flags| r.vint()),
                Some(FHEXTRA_REDIR) => redirection = r.vint(),
                Some(FHEXTRA_SUBDATA) => service_data = r.rest().to_vec(),
                _ => {}
            }
        }
        let mut name = name;
        if let Some(version) = version {
            // As RAR itself extracts an older version kept by `-ver`.
            name.extend(format!(";{version}").into_bytes());
        }
        Ok(FileHeader {
            flags,
            size: (flags & FHFL_UNPUNKNOWN == 0).then_some(unpacked),
            attr,
            mtime,
            crc,
            compression,
            host_os,
            name,
            encrypted,
            redirection,
            service_data,
        })
    }

    fn kind(&self) -> MemberKind {
        match self.redirection {
            Some(1..=3) => MemberKind::Symlink,
            Some(4 | 5) => MemberKind::HardLink,
            Some(_) => MemberKind::Other,
            None if self.flags & FHFL_DIRECTORY != 0 => MemberKind::Dir,
            None if self.host_os == HOST_UNIX => match self.attr & 0o170_000 {
                0o120_000 => MemberKind::Symlink,
                0o040_000 => MemberKind::Dir,
                0 | 0o100_000 => MemberKind::File,
                _ => MemberKind::Other,
            },
            None => MemberKind::File,
        }
    }

    fn member(
        &self,
        name: Vec<u8>,
        block: &Block,
        volume: Option<u64>,
        decodable: bool,
    ) -> (MemberHeader, DataFacts) {
        let kind = self.kind();
        let split =
            (block.flags & (HFL_SPLIT_BEFORE | HFL_SPLIT_AFTER) != 0).then(|| match volume {
                Some(n) => format!("split across volumes (volume {n} of a set)"),
                None => "split across volumes".to_string(),
            });
        let method_number = (self.compression >> 7) & 7;
        let method =
            (method_number != 0).then(|| format!("RAR 5 compression method {method_number}"));
        let header = MemberHeader {
            name,
            kind,
            size: self.size,
            packed: Some(block.data_size),
            mtime: self.mtime,
            encrypted: self.encrypted,
        };
        let facts = DataFacts {
            kind,
            encrypted: self.encrypted,
            split,
            method,
            decodable,
            too_big: None,
            size: self.size,
            packed: block.data_size,
            crc: self.crc,
        };
        (header, facts)
    }
}

/// The modification time from a time record (Unix seconds, optionally
/// with nanoseconds, or a Windows FILETIME); `None` if it has none or is
/// short.
fn time_record(r: &mut Cursor<'_>) -> Option<UtcTime> {
    const UNIX: u64 = 0x1;
    const MTIME: u64 = 0x2;
    const CTIME: u64 = 0x4;
    const ATIME: u64 = 0x8;
    const UNIX_NS: u64 = 0x10;
    let flags = r.vint()?;
    if flags & MTIME == 0 {
        return None;
    }
    let unix = flags & UNIX != 0;
    let mtime = if unix {
        UtcTime::new(i64::from(r.u32()?), 0)
    } else {
        return Some(filetime(r.u64()?));
    };
    if flags & UNIX_NS == 0 {
        return Some(mtime);
    }
    // The nanosecond fields follow all the times, in the same order.
    let others = [CTIME, ATIME].iter().filter(|&&f| flags & f != 0).count();
    r.take(4 * others as u64)?;
    Some(UtcTime::new(mtime.secs, r.u32()?))
}
