//! Plain hex lists: one digest per line, MD5 / SHA-1 / SHA-256 told apart by
//! length (64 hex characters: see [`Hex64`]),
//! `#` comments, blank lines, CRLF, either case; anything after the digest
//! (separated by whitespace or a comma) is kept as the name.

use std::io::BufRead;

use super::{LineResult, parse_lines};
use crate::hashsets::{Entry, HashSetError, Hex64, ParseReport, entry_from_hex};

/// Splits `hex[sep rest]` at the first whitespace or comma.
pub(crate) fn split_first_field(line: &str) -> (&str, &str) {
    match line.find(|c: char| c.is_whitespace() || c == ',') {
        Some(i) => (&line[..i], line[i + 1..].trim()),
        None => (line, ""),
    }
}

/// Parses a plain list.
pub fn parse(
    reader: &mut dyn BufRead,
    hex64: Hex64,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    parse_lines(reader, report, sink, &mut |line| {
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            return LineResult::Skip;
        }
        let (hex, rest) = split_first_field(text);
        match entry_from_hex(hex, hex64) {
            Ok(mut e) => {
                if !rest.is_empty() {
                    e.name = Some(rest.to_string());
                }
                LineResult::Entry(e)
            }
            Err(why) => LineResult::Reject(why),
        }
    })
}

pub(crate) fn io_err(report: &ParseReport, source: std::io::Error) -> HashSetError {
    HashSetError::Io {
        path: report.source.clone(),
        source,
    }
}
