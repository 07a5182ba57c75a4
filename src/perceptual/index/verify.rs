//! The full check of a PDQ index, which opening leaves out to stay
//! instant: the body checksum (so any changed byte is found), then what
//! exact recall rests on, for a file whose checksum was forged too: every
//! bucket table rises from 0 to the entry count, and every record holds an
//! entry index in range, filed under that entry's own key, in (key, index)
//! order. Each table then lists every entry exactly once (it holds as many
//! records as entries, none twice), so a probe misses nothing.
//!
//! Without it a damaged index still never panics or reports an entry that
//! is not within the threshold (every hit is measured on the stored
//! entry), but it may miss one.

use super::IndexError;
use super::layout::{Padded, SUM_LEN};
use super::view::PdqIndexView;

/// Bytes hashed, or records checked, between two looks at the stop flag.
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
        let n = self.entries.len();
        let bad_bucket = |bucket: usize, reason| IndexError::BadBucket {
            table: t as u32,
            bucket: bucket as u64,
            reason,
        };
        let bad_record = |record: usize, reason| IndexError::BadRecord {
            table: t as u32,
            record: record as u64,
            reason,
        };
        let start = |i: usize| table.starts.get(i).map(|s| u32::from_le_bytes(*s) as usize);
        if start(0) != Some(0) {
            return Err(bad_bucket(0, "does not start at record 0"));
        }
        let rem_bits = table.sub.rem_bits();
        let mut lo = 0;
        for bucket in 0..table.starts.len().saturating_sub(1) {
            let hi = start(bucket + 1).unwrap_or(0);
            let Some(records) = table.records.get(lo..hi) else {
                return Err(bad_bucket(
                    bucket,
                    "record range out of order or past the end",
                ));
            };
            let mut previous: Option<(u8, u32)> = None;
            for (i, r) in records.iter().enumerate() {
                let at = lo + i;
                if at % STOP_EVERY == 0 && stop() {
                    return Ok(false);
                }
                let id = u32::from_le_bytes([r[1], r[2], r[3], r[4]]);
                let Some(e) = self.entries.get(id as usize) else {
                    return Err(bad_record(at, "entry index out of range"));
                };
                if u32::from(r[0]) >> rem_bits != 0 {
                    return Err(bad_record(at, "key bits beyond the record's width"));
                }
                let key = ((bucket as u32) << rem_bits) | u32::from(r[0]);
                if table.sub.key(&Padded::new(e)) != key {
                    return Err(bad_record(at, "filed under a key that is not its entry's"));
                }
                if previous.is_some_and(|p| p >= (r[0], id)) {
                    return Err(bad_record(at, "out of order or repeated"));
                }
                previous = Some((r[0], id));
            }
            lo = hi;
        }
        if lo != n {
            return Err(bad_bucket(
                table.starts.len().saturating_sub(1),
                "does not end at the entry count",
            ));
        }
        Ok(true)
    }
}

// The body checksum is one BLAKE3 output.
const _: () = assert!(SUM_LEN == blake3::OUT_LEN);
