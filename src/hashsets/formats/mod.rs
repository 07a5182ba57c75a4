//! One parser per hash-set format. Each reads a stream, hands every good
//! record to a callback as an [`Entry`](super::Entry), and counts every bad
//! line in the [`ParseReport`](super::ParseReport) without stopping.
//!
//! Every input here is hostile until parsed: a partner agency's export or a
//! suspect's file. No parser may panic, so indexing and slicing that could
//! (a byte offset inside a multi-byte character, an index past the end) and
//! `unwrap` are denied in this module tree; use `get`, `split_once`,
//! `split_at_checked`, `chunks_exact`.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

pub mod csv_generic;
pub mod encase;
pub mod hashdeep;
pub mod hashkeeper;
pub mod nsrl_legacy;
pub mod nsrl_v3;
pub mod pdq;
pub mod plain;
#[cfg(test)]
mod props;
pub mod records;
pub mod sums;
pub mod vics;

use std::io::{self, BufRead};

use super::{Entry, HashSetError, ParseReport};

/// Longest line accepted; longer lines are rejected (and skipped without
/// being held in memory). Real hash-set lines are far below 64 KiB.
pub const MAX_LINE: usize = 64 * 1024;

/// One line from [`Lines`].
pub enum Line<'a> {
    /// The line's bytes, without the line end (`\n` or `\r\n`).
    Text(&'a [u8]),
    /// The line was longer than [`MAX_LINE`] and was skipped.
    TooLong,
}

/// Bounded line reader over raw bytes (names may not be UTF-8).
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    /// 1-based number of the line last returned.
    pub number: u64,
}

impl<R: BufRead> Lines<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> Self {
        Lines {
            reader,
            buf: Vec::new(),
            number: 0,
        }
    }

    /// The next line with its 1-based number, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr(avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            if !too_long {
                if self.buf.len() + take > MAX_LINE + 2 {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf
                        .extend_from_slice(avail.get(..take).unwrap_or(avail));
                }
            }
            self.reader.consume(take);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if too_long {
            return Ok(Some((self.number, Line::TooLong)));
        }
        let mut line = self.buf.as_slice();
        if let Some(l) = line.strip_suffix(b"\n") {
            line = l;
        }
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        Ok(Some((self.number, Line::Text(line))))
    }
}

fn memchr(hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == b'\n')
}

/// What a line-format parser made of one line. (One lives at a time, moved
/// straight to the sink: its size does not matter.)
#[allow(clippy::large_enum_variant)]
pub enum LineResult {
    /// A good entry.
    Entry(Entry),
    /// A comment, a blank, a header: nothing to count.
    Skip,
    /// A bad line, with the reason.
    Reject(String),
}

/// The line loop shared by the line formats: over-long lines, a BOM and
/// NUL bytes are dealt with here; every other line goes to `handle` as
/// (lossy) UTF-8 text, whose entries go to `sink` and rejects to `report`
/// with their line numbers.
pub fn parse_lines(
    reader: &mut dyn BufRead,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
    handle: &mut dyn FnMut(&str) -> LineResult,
) -> Result<(), HashSetError> {
    let mut lines = Lines::new(reader);
    loop {
        let (n, line) = match lines.next_line() {
            Ok(Some(x)) => x,
            Ok(None) => return Ok(()),
            Err(source) => {
                return Err(HashSetError::Io {
                    path: report.source.clone(),
                    source,
                });
            }
        };
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
        match handle(&String::from_utf8_lossy(raw)) {
            LineResult::Entry(e) => {
                report.entries += 1;
                sink(e);
            }
            LineResult::Skip => {}
            LineResult::Reject(why) => report.reject(n, why),
        }
    }
}

/// Strips a UTF-8 byte-order mark.
pub fn strip_bom(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// Why a text line is unusable before any format rule applies.
pub fn text_problem(line: &[u8]) -> Option<&'static str> {
    if line.contains(&0) {
        Some("NUL byte in line")
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lines_strip_endings_and_bound_length() {
        let mut data = b"a\r\nb\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        data.extend_from_slice(b"\nlast");
        let mut l = Lines::new(&data[..]);
        assert!(matches!(
            l.next_line().unwrap(),
            Some((1, Line::Text(b"a")))
        ));
        assert!(matches!(
            l.next_line().unwrap(),
            Some((2, Line::Text(b"b")))
        ));
        assert!(matches!(l.next_line().unwrap(), Some((3, Line::TooLong))));
        assert!(matches!(
            l.next_line().unwrap(),
            Some((4, Line::Text(b"last")))
        ));
        assert_eq!(l.number, 4);
        assert!(l.next_line().unwrap().is_none());
    }
}
