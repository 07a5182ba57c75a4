//! Plain hex lists: one digest per line, MD5 / SHA-1 / SHA-256 told apart by
//! length (64 hex characters: see [`Hex64`]),
//! `#` comments, blank lines, CRLF, either case; anything after the digest
//! (separated by whitespace or a comma) is kept as the name.

use std::io::BufRead;

use super::{Line, Lines, strip_bom, text_problem};
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
    let mut lines = Lines::new(reader);
    while let Some((n, line)) = lines.next_line().map_err(|e| io_err(report, e))? {
        let raw = match line {
            Line::TooLong => {
                report.reject(n, "line too long");
                continue;
            }
            Line::Text(t) => strip_bom(t),
        };
        if let Some(p) = text_problem(raw) {
            report.reject(n, p);
            continue;
        }
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (hex, rest) = split_first_field(text);
        match entry_from_hex(hex, hex64) {
            Ok(mut e) => {
                if !rest.is_empty() {
                    e.name = Some(rest.to_string());
                }
                report.entries += 1;
                sink(e);
            }
            Err(why) => report.reject(n, why),
        }
    }
    Ok(())
}

pub(crate) fn io_err(report: &ParseReport, source: std::io::Error) -> HashSetError {
    HashSetError::Io {
        path: report.source.clone(),
        source,
    }
}
