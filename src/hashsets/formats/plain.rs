//! Plain hex lists: one digest per line, MD5 / SHA-1 / SHA-256 told apart by
//! length (64 hex characters: see [`Hex64`]),
//! `#` comments, blank lines, CRLF, either case; anything after the digest
//! (separated by whitespace or a comma) is kept as the name.

use std::io::BufRead;

use super::{LineResult, parse_lines};
use crate::hashsets::{Entry, HashSetError, Hex64, ParseReport, entry_from_hex};

/// Splits `hex[sep rest]` at the first whitespace or comma. The separator
/// may be any Unicode space (U+3000, U+00A0: several bytes long), so the
/// split is by character, never at a byte offset plus one.
pub(crate) fn split_first_field(line: &str) -> (&str, &str) {
    match line.split_once(|c: char| c.is_whitespace() || c == ',') {
        Some((hex, rest)) => (hex, rest.trim()),
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn multi_byte_separators_split_without_panicking() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        for sep in ["\u{3000}", "\u{a0}", "\u{2003}", " ", "\t", ","] {
            let line = format!("{md5}{sep}name.txt");
            assert_eq!(split_first_field(&line), (md5, "name.txt"), "{sep:?}");
        }
        let text = format!("{md5}\u{3000}a\n{md5}\u{a0}\n\u{3000}\n");
        let mut report = ParseReport::default();
        let mut got = Vec::new();
        parse(&mut text.as_bytes(), Hex64::Either, &mut report, &mut |e| {
            got.push(e)
        })
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name.as_deref(), Some("a"));
        assert_eq!(got[1].name, None);
        assert_eq!(report.rejected, 0);
    }
}
