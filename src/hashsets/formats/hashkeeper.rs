//! HashKeeper `.hsh` (CSV: `file_id, hashset_id, file_name, directory, hash,
//! file_size, …`; MD5) and its `.hke` companion, whose `notable_flag` marks a
//! known-bad set and whose `name` names it.

use std::io::{BufRead, Read as _};
use std::path::Path;

use super::csv_generic::{column, parse_records};
use super::records::Records;
use crate::hashsets::{HashSetError, Hex64, ParseReport, message};

/// What a `.hke` file says about its set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HkeInfo {
    /// Set name.
    pub name: Option<String>,
    /// `notable_flag` (known-bad) as recorded.
    pub notable: Option<bool>,
}

/// Most bytes of a `.hke` read: it is one header and one record.
const MAX_HKE: u64 = 64 * 1024;

/// Reads the `.hke` beside a `.hsh`, if there is one (its first 64 KiB).
pub fn read_hke(hsh: &Path) -> Option<HkeInfo> {
    let mut data = Vec::new();
    std::fs::File::open(hsh.with_extension("hke"))
        .and_then(|f| f.take(MAX_HKE).read_to_end(&mut data))
        .ok()?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&data[..]);
    let headers = rdr.headers().ok()?.clone();
    let rec = rdr.records().next()?.ok()?;
    let get = |k: &str| {
        headers
            .iter()
            .position(|h| h.trim_matches('"').eq_ignore_ascii_case(k))
            .and_then(|i| rec.get(i))
            .map(|v| v.trim().to_string())
    };
    Some(HkeInfo {
        name: get("name")
            .filter(|n| !n.is_empty())
            .map(|n| message::excerpt(&n, message::MAX_REASON_CHARS)),
        notable: get("notable_flag")
            .map(|v| matches!(v.as_str(), "1" | "T" | "t" | "Y" | "y" | "true")),
    })
}

/// Parses a `.hsh` file.
pub fn parse(
    reader: &mut dyn BufRead,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(crate::hashsets::Entry),
) -> Result<(), HashSetError> {
    let mut rows = Records::new(reader, b',');
    parse_records(&mut rows, Hex64::Either, report, sink, &|header, row, e| {
        e.media_id = column(header, row, "file_id")
            .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse().ok());
    })
}
