//! Bounded CSV records for the CSV-shaped formats (generic CSV, NSRL
//! `NSRLFile.txt` and `NSRLProd.txt`, HashKeeper).
//!
//! The `csv` crate's reader grows its buffer to hold whatever record comes:
//! one 16 MB field took 75 MB, one record of an NSRL zip bomb 400 MB. Here
//! csv-core's parser (the state machine under the `csv` crate, so quoting
//! and line ends are read the same way) writes into buffers capped at
//! [`MAX_RECORD`] bytes and [`MAX_FIELDS`] fields. A record past either cap
//! is read to its end into a small scratch buffer that is thrown away, and
//! returned as [`Row::TooLong`]: one reject, never held in memory.

use std::io::{self, BufRead};

use super::MAX_LINE;

/// Most bytes of field data one record may hold: the line limit, since a
/// real hash-set record is one short line.
pub const MAX_RECORD: usize = MAX_LINE;

/// Most fields one record may have (real formats have 5 to 12).
pub const MAX_FIELDS: usize = 1024;

/// Scratch space for reading past an over-long record.
const SKIP_BUF: usize = 8 * 1024;

/// One parsed record: its fields' bytes, unquoted.
#[derive(Debug, Default)]
pub struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
}

impl Record {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields
    }

    /// True when the record has no field.
    pub fn is_empty(&self) -> bool {
        self.fields == 0
    }

    /// Field `i`, if the record has it.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.fields {
            return None;
        }
        let start = match i.checked_sub(1) {
            Some(prev) => *self.ends.get(prev)?,
            None => 0,
        };
        let end = *self.ends.get(i)?;
        self.data.get(start..end)
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.fields).filter_map(|i| self.get(i))
    }
}

/// What [`Records::next_record`] found.
pub enum Row<'a> {
    /// A record within the caps.
    Fields(&'a Record),
    /// A record past [`MAX_RECORD`] bytes or [`MAX_FIELDS`] fields, skipped.
    TooLong,
}

/// Reads CSV records with bounded memory.
pub struct Records<R> {
    reader: R,
    core: csv_core::Reader,
    record: Record,
    skip_out: Vec<u8>,
    skip_ends: Vec<usize>,
    /// Line ends consumed so far (csv-core counts only those outside
    /// quotes; a reject must name the physical line).
    newlines: u64,
}

impl<R: BufRead> Records<R> {
    /// Records of `reader`, fields split at `delimiter` (RFC 4180 quoting).
    pub fn new(reader: R, delimiter: u8) -> Self {
        Records {
            reader,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            record: Record {
                data: vec![0; MAX_RECORD],
                ends: vec![0; MAX_FIELDS],
                fields: 0,
            },
            skip_out: vec![0; SKIP_BUF],
            skip_ends: vec![0; 64],
            newlines: 0,
        }
    }

    /// The next record with the 1-based line it starts on, or `None` at the
    /// end of the input.
    pub fn next_record(&mut self) -> io::Result<Option<(u64, Row<'_>)>> {
        // Line ends before a record (blank lines, the LF of a CRLF) belong
        // to none; csv-core skips them too, so taking them here changes
        // nothing but the line number, which becomes the record's first.
        loop {
            let input = fill(&mut self.reader)?;
            let n = input
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
            self.newlines += newlines(input, n);
            self.reader.consume(n);
            if n == 0 {
                break;
            }
        }
        let line = self.newlines + 1;
        let (mut out_len, mut ends_len, mut too_long) = (0usize, 0usize, false);
        loop {
            let input = fill(&mut self.reader)?;
            let (out, ends) = if too_long {
                (self.skip_out.as_mut_slice(), self.skip_ends.as_mut_slice())
            } else {
                (
                    self.record.data.get_mut(out_len..).unwrap_or_default(),
                    self.record.ends.get_mut(ends_len..).unwrap_or_default(),
                )
            };
            let (result, n_in, n_out, n_ends) = self.core.read_record(input, out, ends);
            self.newlines += newlines(input, n_in);
            self.reader.consume(n_in);
            if !too_long {
                out_len += n_out;
                ends_len += n_ends;
            }
            match result {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull
                | csv_core::ReadRecordResult::OutputEndsFull => too_long = true,
                csv_core::ReadRecordResult::Record if too_long => {
                    return Ok(Some((line, Row::TooLong)));
                }
                csv_core::ReadRecordResult::Record => {
                    self.record.fields = ends_len;
                    return Ok(Some((line, Row::Fields(&self.record))));
                }
                csv_core::ReadRecordResult::End => return Ok(None),
            }
        }
    }
}

/// The reader's buffer, refilled if empty (empty at the end of input).
fn fill<R: BufRead>(reader: &mut R) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Re-borrowed so the loop can retry after an interruption.
            _ => return reader.fill_buf(),
        }
    }
}

/// Line feeds among the first `n` bytes of `input`.
fn newlines(input: &[u8], n: usize) -> u64 {
    let taken = input.get(..n).unwrap_or(input);
    taken.iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> Vec<(u64, Option<Vec<Vec<u8>>>)> {
        let mut r = Records::new(data, b',');
        let mut out = Vec::new();
        while let Some((line, row)) = r.next_record().unwrap() {
            out.push((
                line,
                match row {
                    Row::Fields(f) => Some(f.iter().map(<[u8]>::to_vec).collect()),
                    Row::TooLong => None,
                },
            ));
        }
        out
    }

    #[test]
    fn quoted_fields_and_bounded_records() {
        let mut data = b"a,\"b,\"\"c\"\"\nd\",e\r\n".to_vec();
        data.extend_from_slice(b"\"");
        data.extend(std::iter::repeat_n(b'x', MAX_RECORD * 3));
        data.extend_from_slice(b"\nstill quoted\",y\n");
        data.extend(std::iter::repeat_n(b',', MAX_FIELDS + 5));
        data.extend_from_slice(b"\nlast,1");
        let got = all(&data);
        assert_eq!(
            got.len(),
            4,
            "{:?}",
            got.iter().map(|g| g.0).collect::<Vec<_>>()
        );
        assert_eq!(
            got[0],
            (
                1,
                Some(vec![b"a".to_vec(), b"b,\"c\"\nd".to_vec(), b"e".to_vec()])
            )
        );
        assert_eq!(got[1], (3, None), "over-long quoted record, read past");
        assert_eq!(got[2], (5, None), "too many fields");
        assert_eq!(got[3], (6, Some(vec![b"last".to_vec(), b"1".to_vec()])));
    }
}
