//! RAR 1.5–4.x: a chain of blocks, each `HEAD_CRC u16, HEAD_TYPE u8,
//! HEAD_FLAGS u16, HEAD_SIZE u16`, the header CRC being the low 16 bits of
//! the CRC32 of the header from `HEAD_TYPE` on. File and service blocks
//! carry their packed size; other blocks with `LONG_BLOCK` an `ADD_SIZE`.

use std::io::{Read, Seek};

use super::{
    Cursor, DataFacts, MAX_NAME, Source, corrupt, crc32, deliver, dos_time, need,
    stream_member_name,
};
use crate::archive::{ArchiveError, MemberHeader, MemberKind, Visitor};
use crate::evidence::UtcTime;

const HEAD_MARK: u8 = 0x72;
const HEAD_MAIN: u8 = 0x73;
const HEAD_FILE: u8 = 0x74;
const HEAD_SERVICE: u8 = 0x7a;
const HEAD_END: u8 = 0x7b;

const LONG_BLOCK: u16 = 0x8000;

const MHD_VOLUME: u16 = 0x01;
const MHD_PASSWORD: u16 = 0x80;
const MHD_FIRSTVOLUME: u16 = 0x100;

const LHD_SPLIT_BEFORE: u16 = 0x01;
const LHD_SPLIT_AFTER: u16 = 0x02;
const LHD_PASSWORD: u16 = 0x04;
const LHD_WINDOWMASK: u16 = 0xe0;
const LHD_DIRECTORY: u16 = 0xe0;
const LHD_LARGE: u16 = 0x100;
const LHD_UNICODE: u16 = 0x200;
const LHD_SALT: u16 = 0x400;
const LHD_EXTTIME: u16 = 0x1000;

const BASE_SIZE: u16 = 7;
const SIGNATURE: &[u8] = b"Rar!\x1a\x07\x00";
/// Base header plus the fixed fields of a file header (`SIZEOF_FILEHEAD3`).
const FILE_FIXED: u64 = 32;
const METHOD_STORE: u8 = 0x30;

const HOST_MSDOS: u8 = 0;
const HOST_OS2: u8 = 1;
const HOST_WIN32: u8 = 2;
const HOST_UNIX: u8 = 3;
const HOST_BEOS: u8 = 5;

/// Reads blocks from just after the signature to the end block (or, as
/// RAR before 2.9 wrote none, to the end of the file at a block boundary).
pub(super) fn read<R: Read + Seek>(
    src: &mut Source<R>,
    visitor: &mut dyn Visitor,
) -> Result<(), ArchiveError> {
    let mut main_flags = 0u16;
    let mut parent: Option<Vec<u8>> = None;
    loop {
        if src.at_end() {
            return Ok(());
        }
        let start = src.pos;
        let mut header = src.read_vec(u64::from(BASE_SIZE), "block header")?;
        let mut base = Cursor::new(&header);
        let head_crc = need(base.u16(), "HEAD_CRC", start)?;
        let head_type = need(base.u8(), "HEAD_TYPE", start)?;
        let flags = need(base.u16(), "HEAD_FLAGS", start)?;
        let head_size = need(base.u16(), "HEAD_SIZE", start)?;
        if head_size < BASE_SIZE {
            return Err(corrupt(format!(
                "block header at offset {start} claims {head_size} bytes"
            )));
        }
        if head_type == HEAD_MARK && header == SIGNATURE {
            // A repeated signature (some writers put two): its "CRC" is
            // the letters "Ra", so it is skipped unchecked.
            continue;
        }
        header.extend(src.read_vec(u64::from(head_size - BASE_SIZE), "block header")?);
        let checked = header.get(2..).unwrap_or_default();
        if crc32(&[checked]) & 0xffff != u32::from(head_crc) {
            return Err(corrupt(format!(
                "block header CRC mismatch at offset {start}"
            )));
        }
        let body = header.get(usize::from(BASE_SIZE)..).unwrap_or_default();
        let data_start = src.pos;
        match head_type {
            HEAD_MAIN => {
                if flags & MHD_PASSWORD != 0 {
                    return Err(ArchiveError::EncryptedHeaders);
                }
                main_flags = flags;
            }
            HEAD_FILE | HEAD_SERVICE => {
                let file = FileHeader::parse(body, flags, head_type == HEAD_SERVICE, start)?;
                let name = if head_type == HEAD_FILE {
                    parent = Some(file.name.clone());
                    Some(file.name.clone())
                } else if file.name == b"STM" {
                    parent
                        .as_deref()
                        .map(|p| stream_member_name(p, &file.stream_name()))
                } else {
                    None
                };
                match name {
                    Some(name) => {
                        let decodable = head_type == HEAD_FILE;
                        let (header, facts) = file.member(name, main_flags, decodable);
                        deliver(src, visitor, header, facts.plan(), data_start, file.packed)?;
                    }
                    None => src.skip_data(data_start, file.packed)?,
                }
                continue;
            }
            HEAD_END => return Ok(()),
            _ => {
                // Old comment, AV, sub-block, recovery, signature blocks:
                // skipped by their ADD_SIZE.
                let add = if flags & LONG_BLOCK != 0 {
                    need(Cursor::new(body).u32(), "ADD_SIZE", start)?
                } else {
                    0
                };
                src.skip_data(data_start, u64::from(add))?;
                continue;
            }
        }
        src.skip_data(data_start, 0)?;
    }
}

/// A file or service block's header.
struct FileHeader {
    flags: u16,
    packed: u64,
    size: u64,
    host_os: u8,
    crc: u32,
    mtime: Option<UtcTime>,
    method: u8,
    attr: u32,
    name: Vec<u8>,
    /// Service blocks: the bytes between the name and the salt (for `STM`,
    /// the stream name in UTF-16LE).
    sub_data: Vec<u8>,
}

impl FileHeader {
    fn parse(body: &[u8], flags: u16, service: bool, at: u64) -> Result<Self, ArchiveError> {
        let mut c = Cursor::new(body);
        let pack_low = need(c.u32(), "PACK_SIZE", at)?;
        let unp_low = need(c.u32(), "UNP_SIZE", at)?;
        let host_os = need(c.u8(), "HOST_OS", at)?;
        let crc = need(c.u32(), "FILE_CRC", at)?;
        let ftime = need(c.u32(), "FTIME", at)?;
        let _unp_ver = need(c.u8(), "UNP_VER", at)?;
        let method = need(c.u8(), "METHOD", at)?;
        let name_size = need(c.u16(), "NAME_SIZE", at)?;
        let attr = need(c.u32(), "ATTR", at)?;
        let (pack_high, unp_high) = if flags & LHD_LARGE != 0 {
            (
                need(c.u32(), "HIGH_PACK_SIZE", at)?,
                need(c.u32(), "HIGH_UNP_SIZE", at)?,
            )
        } else {
            (0, 0)
        };
        if u64::from(name_size) > MAX_NAME {
            return Err(corrupt(format!("name of {name_size} bytes at offset {at}")));
        }
        let raw_name = need(c.take(u64::from(name_size)), "FILE_NAME", at)?;
        let name = decode_name(raw_name, flags & LHD_UNICODE != 0);
        let sub_data = if service {
            // As UnRAR: what the header holds beyond the fixed fields, the
            // high sizes and the name.
            let large = if flags & LHD_LARGE != 0 { 8 } else { 0 };
            let len =
                (body.len() as u64 + 7).saturating_sub(FILE_FIXED + large + u64::from(name_size));
            c.take(len).unwrap_or_default().to_vec()
        } else {
            Vec::new()
        };
        if flags & LHD_SALT != 0 {
            let _salt = c.take(8);
        }
        let dos = dos_time(ftime);
        let mtime = if flags & LHD_EXTTIME != 0 {
            ext_mtime(&mut c, dos).or(dos)
        } else {
            dos
        };
        Ok(FileHeader {
            flags,
            packed: u64::from(pack_high) << 32 | u64::from(pack_low),
            size: u64::from(unp_high) << 32 | u64::from(unp_low),
            host_os,
            crc,
            mtime,
            method,
            attr,
            name,
            sub_data,
        })
    }

    fn kind(&self) -> MemberKind {
        if self.flags & LHD_WINDOWMASK == LHD_DIRECTORY {
            return MemberKind::Dir;
        }
        match self.host_os {
            HOST_UNIX | HOST_BEOS => match self.attr & 0o170_000 {
                0o120_000 => MemberKind::Symlink,
                0o040_000 => MemberKind::Dir,
                0 | 0o100_000 => MemberKind::File,
                _ => MemberKind::Other,
            },
            // A directory attribute on a member that holds data: read as
            // a file (its data is never left unread).
            HOST_MSDOS | HOST_OS2 | HOST_WIN32 if self.attr & 0x10 != 0 && self.packed == 0 => {
                MemberKind::Dir
            }
            _ => MemberKind::File,
        }
    }

    fn stream_name(&self) -> String {
        let units: Vec<u16> = self
            .sub_data
            .chunks_exact(2)
            .map(|p| {
                u16::from_le_bytes([
                    p.first().copied().unwrap_or(0),
                    p.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        String::from_utf16_lossy(&units)
    }

    fn member(&self, name: Vec<u8>, main_flags: u16, decodable: bool) -> (MemberHeader, DataFacts) {
        let kind = self.kind();
        let encrypted = self.flags & LHD_PASSWORD != 0;
        let split = (self.flags & (LHD_SPLIT_BEFORE | LHD_SPLIT_AFTER) != 0).then(|| {
            if main_flags & MHD_VOLUME == 0 {
                "split across volumes".to_string()
            } else if main_flags & MHD_FIRSTVOLUME != 0 {
                "split across volumes (volume 1 of a set)".to_string()
            } else {
                "split across volumes (a later volume of a set)".to_string()
            }
        });
        let method = (self.method != METHOD_STORE)
            .then(|| format!("RAR 4 compression method {:#04x}", self.method));
        // The decoder would hold the packed member whole in memory.
        let too_big = method.is_some() && self.packed > super::MAX_RAR4_PACKED;
        let header = MemberHeader {
            name,
            kind,
            size: Some(self.size),
            packed: Some(self.packed),
            mtime: self.mtime,
            encrypted,
        };
        let facts = DataFacts {
            kind,
            encrypted,
            split,
            method,
            decodable: decodable && !too_big,
            too_big: too_big.then(|| {
                format!(
                    "RAR 4 compressed member of {} MiB packed: the decoder holds a member's packed \
                     data whole in memory, and Ferret decodes at most {} MiB",
                    self.packed >> 20,
                    super::MAX_RAR4_PACKED >> 20
                )
            }),
            size: Some(self.size),
            packed: self.packed,
            crc: Some(self.crc),
        };
        (header, facts)
    }
}

/// The modification time from the extended-time field: the DOS time plus
/// up to 3 bytes of 100 ns units and a one-second flag.
fn ext_mtime(c: &mut Cursor<'_>, dos: Option<UtcTime>) -> Option<UtcTime> {
    let flags = c.u16()?;
    let rmode = flags >> 12;
    if rmode & 8 == 0 {
        return None;
    }
    let dos = dos?;
    let count = u32::from(rmode & 3);
    let mut rem = 0u32;
    for j in 0..count {
        rem |= u32::from(c.u8()?) << ((j + 3 - count) * 8);
    }
    let secs = dos.secs + i64::from(rmode & 4 != 0);
    Some(UtcTime::new(secs, rem.saturating_mul(100)))
}

/// A RAR 4 name: with the Unicode flag, `OEM name NUL encoded UTF-16` (or
/// UTF-8 when there is no NUL); without it, OEM bytes kept raw. `\`
/// between components becomes `/`.
fn decode_name(raw: &[u8], unicode: bool) -> Vec<u8> {
    if unicode {
        let text = match raw.iter().position(|&b| b == 0) {
            Some(nul) => {
                let oem = raw.get(..nul).unwrap_or_default();
                let enc = raw.get(nul + 1..).unwrap_or_default();
                if enc.is_empty() {
                    return oem_name(oem);
                }
                String::from_utf16_lossy(&decode_unicode(oem, enc))
            }
            None => String::from_utf8_lossy(raw).into_owned(),
        };
        text.replace('\\', "/").into_bytes()
    } else {
        oem_name(raw)
    }
}

/// Raw OEM bytes, `\` turned into `/` only after an ASCII byte (a `\` after
/// a byte ≥ 0x80 is the second byte of a double-byte character).
fn oem_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut prev_ascii = true;
    for &b in raw {
        out.push(if b == b'\\' && prev_ascii { b'/' } else { b });
        prev_ascii = b < 0x80;
    }
    out
}

/// RAR 3/4's compressed UTF-16 (UnRAR `EncodeFileName::Decode`): a high
/// byte, then 2-bit opcodes: a low byte (high 0), a low byte with the high
/// byte, a full unit, or a run copied from the OEM name (with a correction).
fn decode_unicode(oem: &[u8], enc: &[u8]) -> Vec<u16> {
    const MAX_UNITS: usize = MAX_NAME as usize;
    let mut out: Vec<u16> = Vec::new();
    let mut e = Cursor::new(enc);
    let Some(high) = e.u8() else {
        return out;
    };
    let high = u16::from(high) << 8;
    let mut flags = 0u8;
    let mut flag_bits = 0u32;
    while !e.is_empty() && out.len() < MAX_UNITS {
        if flag_bits == 0 {
            let Some(f) = e.u8() else { break };
            flags = f;
            flag_bits = 8;
        }
        match flags >> 6 {
            0 => {
                let Some(b) = e.u8() else { break };
                out.push(u16::from(b));
            }
            1 => {
                let Some(b) = e.u8() else { break };
                out.push(u16::from(b) + high);
            }
            2 => {
                let Some(u) = e.u16() else { break };
                out.push(u);
            }
            _ => {
                let Some(len) = e.u8() else { break };
                if len & 0x80 != 0 {
                    let Some(correction) = e.u8() else { break };
                    for _ in 0..(usize::from(len & 0x7f) + 2) {
                        let Some(&b) = oem.get(out.len()) else { break };
                        out.push(u16::from(b.wrapping_add(correction)) + high);
                    }
                } else {
                    for _ in 0..(usize::from(len) + 2) {
                        let Some(&b) = oem.get(out.len()) else { break };
                        out.push(u16::from(b));
                    }
                }
            }
        }
        flags <<= 2;
        flag_bits -= 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_names_decode_per_the_rar4_scheme() {
        // High byte 0x88; opcode 1 (low byte + high) → U+8868 '表';
        // opcode 0 → 'a'; opcode 3 run of 2 copied from the OEM name.
        let enc = [0x88, 0b01_00_11_00, 0x68, b'a', 0x00];
        let units = decode_unicode(b"??ab", &enc);
        assert_eq!(String::from_utf16_lossy(&units), "表aab");
        assert_eq!(decode_name(b"x\\y\0", true), b"x/y");
        assert_eq!(decode_name("d\\é".as_bytes(), true), "d/é".as_bytes());
        // Shift-JIS 表 is 0x95 0x5c: the 0x5c is not a separator.
        assert_eq!(oem_name(b"\x95\x5c\\a"), b"\x95\x5c/a");
    }
}
