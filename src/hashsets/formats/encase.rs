//! Legacy EnCase (≤ 6) `.hash` files, as read by The Sleuth Kit: magic
//! `HASH\r\n\xff\0` at 0, set name in UTF-16LE at 1032 (at most 39
//! characters), then 18-byte records from 1152: a 16-byte MD5 and 2 bytes of
//! unknown use. A trailing partial record is rejected.

use std::io::Read;

use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, ParseReport};

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"HASH\r\n\xff\x00";
const NAME_AT: usize = 1032;
const NAME_CHARS: usize = 39;
const RECORDS_AT: usize = 1152;
const RECORD_LEN: usize = 18;

/// Parses an EnCase hash file.
pub fn parse(
    reader: &mut dyn Read,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    let io = |source| HashSetError::Io {
        path: report.source.clone(),
        source,
    };
    let mut head = vec![0u8; RECORDS_AT];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]).map_err(io)? {
            0 => break,
            n => got += n,
        }
    }
    if got < RECORDS_AT || &head[..8] != MAGIC {
        return Err(HashSetError::Malformed {
            path: report.source.clone(),
            reason: format!("EnCase hash file shorter than its {RECORDS_AT}-byte header"),
        });
    }
    let units: Vec<u16> = head[NAME_AT..NAME_AT + NAME_CHARS * 2]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let name = String::from_utf16_lossy(&units);
    if !name.trim().is_empty() {
        report.embedded_name = Some(name.trim().to_string());
    }
    let mut rec = [0u8; RECORD_LEN];
    let mut index = 0u64;
    loop {
        let mut filled = 0;
        while filled < RECORD_LEN {
            match reader.read(&mut rec[filled..]).map_err(io)? {
                0 => break,
                n => filled += n,
            }
        }
        if filled == 0 {
            break;
        }
        index += 1;
        if filled < RECORD_LEN {
            report.reject(
                index,
                format!("truncated record ({filled} of {RECORD_LEN} bytes)"),
            );
            break;
        }
        report.entries += 1;
        sink(Entry::with_digest(Algorithm::Md5, &rec[..16]));
    }
    Ok(())
}
