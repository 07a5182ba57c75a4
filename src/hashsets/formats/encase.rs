//! Legacy EnCase (≤ 6) `.hash` files, as read by The Sleuth Kit: magic
//! `HASH\r\n\xff\0` at 0, set name in UTF-16LE at 1032 (at most 39
//! characters), then 18-byte records from 1152: a 16-byte MD5 and 2 bytes of
//! unknown use. A trailing partial record is rejected.

use std::io::Read;

use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, ParseReport, message};

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"HASH\r\n\xff\x00";
const NAME_AT: usize = 1032;
const NAME_CHARS: usize = 39;
const RECORDS_AT: usize = 1152;
const RECORD_LEN: usize = 18;

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

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
    let malformed = |reason: String| HashSetError::Malformed {
        path: report.source.clone(),
        reason,
    };
    let mut head = [0u8; RECORDS_AT];
    let got = read_full(reader, &mut head).map_err(io)?;
    if !head.starts_with(MAGIC) {
        return Err(malformed(
            "not an EnCase hash file (no HASH\\r\\n\\xff\\0 magic)".into(),
        ));
    }
    if got < RECORDS_AT {
        return Err(malformed(format!(
            "EnCase hash file shorter than its {RECORDS_AT}-byte header"
        )));
    }
    let units: Vec<u16> = head
        .get(NAME_AT..NAME_AT + NAME_CHARS * 2)
        .unwrap_or_default()
        .chunks_exact(2)
        .map(|c| match c {
            [lo, hi] => u16::from_le_bytes([*lo, *hi]),
            _ => 0,
        })
        .take_while(|&u| u != 0)
        .collect();
    let name = String::from_utf16_lossy(&units);
    if !name.trim().is_empty() {
        report.embedded_name = Some(message::excerpt(name.trim(), message::MAX_REASON_CHARS));
    }
    let mut rec = [0u8; RECORD_LEN];
    let mut index = 0u64;
    loop {
        let filled = read_full(reader, &mut rec).map_err(io)?;
        if filled == 0 {
            break;
        }
        index += 1;
        let Some(md5) = rec.first_chunk::<16>().filter(|_| filled == RECORD_LEN) else {
            report.reject(
                index,
                format!("truncated record ({filled} of {RECORD_LEN} bytes)"),
            );
            break;
        };
        report.entries += 1;
        sink(Entry::with_digest(Algorithm::Md5, md5));
    }
    Ok(())
}
