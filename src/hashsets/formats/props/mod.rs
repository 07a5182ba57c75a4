//! Property tests of every hash-set parser and the sniffer: hostile input
//! (arbitrary bytes, arbitrary Unicode, mutations of valid samples) never
//! panics and never yields more entries than the input has records
//! ([`hostile`]); well-formed generated input round-trips, digests and
//! names included ([`round_trip`]). Case counts are kept modest so the
//! whole suite runs in a few seconds.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod hostile;
mod round_trip;

use std::io::Cursor;
use std::path::Path;

use super::{csv_generic, encase, hashdeep, hashkeeper, nsrl_legacy, pdq, plain, sums, vics};
use crate::hashsets::{Entry, Format, HashSetError, Hex64, ParseReport};

/// Every format parsed from bytes in memory (RDS v3 needs a file on disk).
const FORMATS: [Format; 10] = [
    Format::Plain,
    Format::Pdq,
    Format::Sums,
    Format::Hashdeep,
    Format::NsrlLegacy,
    Format::NsrlZip,
    Format::Csv,
    Format::Vics,
    Format::Encase,
    Format::HashKeeper,
];

/// What one parse gave.
struct Run {
    result: Result<(), HashSetError>,
    entries: Vec<Entry>,
    report: ParseReport,
}

/// Parses `data` as `format`.
fn run(format: Format, data: &[u8]) -> Run {
    let mut report = ParseReport::new(Path::new("input"));
    let mut entries = Vec::new();
    let sink = &mut |e| entries.push(e);
    let r = &mut report;
    let input = &mut &data[..];
    let result = match format {
        Format::Plain => plain::parse(input, Hex64::Either, r, sink),
        Format::Sums => sums::parse(input, Hex64::Either, r, sink),
        Format::Hashdeep => hashdeep::parse(input, r, sink),
        Format::NsrlLegacy => nsrl_legacy::parse(input, r, sink),
        Format::NsrlZip => nsrl_legacy::parse_zip(Cursor::new(data), r, sink),
        Format::Csv => csv_generic::parse(input, Hex64::Either, r, sink),
        Format::Vics => vics::parse(input, r, sink),
        Format::Encase => encase::parse(input, r, sink),
        Format::HashKeeper => hashkeeper::parse(input, r, sink),
        Format::Pdq => pdq::parse(input, r, sink),
        Format::NsrlV3 => Ok(()),
    };
    Run {
        result,
        entries,
        report,
    }
}

/// Most entries `data` can hold as `format`: one per line or record.
fn most_entries(format: Format, data: &[u8]) -> usize {
    let count = |pred: fn(&u8) -> bool| data.iter().filter(|b| pred(b)).count();
    match format {
        Format::Plain | Format::Sums | Format::Hashdeep | Format::Pdq => count(|b| *b == b'\n') + 1,
        // csv-core ends a record at CR, LF or CRLF.
        Format::NsrlLegacy | Format::Csv | Format::HashKeeper => {
            count(|b| matches!(b, b'\n' | b'\r')) + 1
        }
        // Every media record is an object.
        Format::Vics => count(|b| *b == b'{'),
        Format::Encase => data.len().saturating_sub(1152) / 18,
        // Inflated members are bounded by their own record rules; a zip of
        // n bytes cannot describe more than a few records per byte.
        Format::NsrlZip => usize::MAX,
        Format::NsrlV3 => 0,
    }
}

/// True when `text` would show as itself: no control or bidi characters.
fn printable(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

/// The invariants every parse keeps, whatever the input.
fn check(format: Format, data: &[u8], run: &Run) -> Result<(), String> {
    let n = run.entries.len();
    if run.report.entries != n as u64 {
        return Err(format!(
            "report says {} entries, sink got {n}",
            run.report.entries
        ));
    }
    let most = most_entries(format, data);
    if n > most {
        return Err(format!("{n} entries from input that holds at most {most}"));
    }
    if run.entries.iter().any(Entry::is_empty) {
        return Err("an entry without a digest".into());
    }
    let listed = run.report.first_rejects.len();
    if listed > crate::hashsets::MAX_LISTED_REJECTS || listed as u64 > run.report.rejected {
        return Err(format!(
            "{listed} rejects listed of {}",
            run.report.rejected
        ));
    }
    for line in run.report.reject_lines() {
        if !printable(&line) || line.chars().count() > 240 {
            return Err(format!("unsafe reject line {line:?}"));
        }
    }
    if let Err(e) = &run.result {
        let shown = e.to_string();
        if !printable(&shown) || shown.chars().count() > 600 {
            return Err(format!("unsafe error {shown:?}"));
        }
    }
    Ok(())
}
