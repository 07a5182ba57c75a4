//! The full check of a PDQ index, which opening leaves out to stay
//! instant: the body checksum (so any changed byte is found), then what
//! exact recall rests on, for a file whose checksum was forged too: the
//! bucket lines' counts add up to the entry count and their overflow
//! follows bucket order to the header's total, and every record holds an
//! entry index in range, filed under that entry's own key, in (key, index)
//! order. Each table then lists every entry exactly once (it holds as many
//! records as entries, none twice), so a probe misses nothing.
//!
//! Without it a damaged index still never panics or reports an entry that
//! is not within the threshold (every hit is measured on the stored
//! entry), but it may miss one.

use super::IndexError;
use super::layout::{INLINE, Padded, SUM_LEN};
use super::view::{PdqIndexView, line_words};

/// Bytes hashed between two looks at the stop flag.
const STOP_EVERY: usize = 1 << 22;

impl PdqIndexView<'_> {
    /// Checks the whole index (see the module header): one read of it, plus
    /// one random read of an entry per record.
    pub fn verify(&self) -> Result<(), IndexError> {
        self.verify_until(&|| false).map(|_| ())
    }

    /// [`verify`](Self::verify), giving up when `stop` says so: `Ok(true)`
    /// when the index is sound, `Ok(false)` when stopped, an error naming
    /// the first fault otherwise.
    pub fn verify_until(&self, stop: &dyn Fn() -> bool) -> Result<bool, IndexError> {
        let mut sum = blake3::Hasher::new();
        for piece in self.body.chunks(STOP_EVERY) {
            if stop() {
                return Ok(false);
            }
            sum.update(piece);
        }
        if sum.finalize().as_bytes() != &self.body_sum {
            return Err(IndexError::BodyChecksum);
        }
        for t in 0..self.tables.len() {
            if !self.check_table(t, stop)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn check_table(&self, t: usize, stop: &dyn Fn() -> bool) -> Result<bool, IndexError> {
        let Some(table) = self.tables.get(t) else {
            return Ok(true);
        };
        let bad_bucket = |bucket: usize, reason| IndexError::BadBucket {
            table: t as u32,
            bucket: bucket as u64,
            reason,
        };
        let bad_record = |bucket: usize, record: usize, reason| IndexError::BadRecord {
            table: t as u32,
            bucket: bucket as u64,
            record: record as u64,
            reason,
        };
        let rem_bits = table.sub.rem_bits();
        let mask = (1u32 << rem_bits) - 1;
        let (mut records, mut overflow) = (0usize, 0usize);
        for (bucket, line) in table.lines.iter().enumerate() {
            if bucket % (1 << 16) == 0 && stop() {
                return Ok(false);
            }
            let words = line_words(line);
            let [start, count, ..] = words;
            if start as usize != overflow {
                return Err(bad_bucket(bucket, "overflow not in bucket order"));
            }
            let inline = (count as usize).min(INLINE);
            let extra = count as usize - inline;
            if words.iter().skip(2 + inline).any(|&w| w != 0) {
                return Err(bad_bucket(bucket, "unused record slots not zero"));
            }
            let spilled = table
                .overflow
                .get(overflow..overflow + extra)
                .ok_or_else(|| bad_bucket(bucket, "overflow past the table's overflow records"))?;
            let all = words
                .iter()
                .skip(2)
                .take(inline)
                .copied()
                .chain(spilled.iter().map(|r| u32::from_le_bytes(*r)));
            let mut previous: Option<(u32, u32)> = None;
            for (i, rec) in all.enumerate() {
                let (id, low) = (rec >> rem_bits, rec & mask);
                let Some(e) = self.entries.get(id as usize) else {
                    return Err(bad_record(bucket, i, "entry index out of range"));
                };
                if table.sub.key(&Padded::new(e)) != ((bucket as u32) << rem_bits) | low {
                    return Err(bad_record(
                        bucket,
                        i,
                        "filed under a key that is not its entry's",
                    ));
                }
                if previous.is_some_and(|p| p >= (low, id)) {
                    return Err(bad_record(bucket, i, "out of order or repeated"));
                }
                previous = Some((low, id));
            }
            records += count as usize;
            overflow += extra;
            if records > self.entries.len() {
                return Err(bad_bucket(bucket, "more records than entries"));
            }
        }
        if records != self.entries.len() || overflow != table.overflow.len() {
            return Err(bad_bucket(
                table.lines.len(),
                "record counts do not add up to the entries",
            ));
        }
        Ok(true)
    }
}

// The body checksum is one BLAKE3 output.
const _: () = assert!(SUM_LEN == blake3::OUT_LEN);
