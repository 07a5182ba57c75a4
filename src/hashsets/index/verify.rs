//! The full check of a compiled set, which opening leaves out to stay
//! instant: the file checksum (BLAKE3 of every byte, so a changed digest,
//! entry id or category is found), then the structure the lookups rely on
//! (prefix tables in order, every record in its bucket and sorted, every
//! entry id below the entry count, every entry row's strings inside the
//! string heap). A set that passes answers every lookup right; one that
//! fails is refused whole, never half-used.
//!
//! Costs one read of the file on one thread: 90-110 ms for 8 M MD5 entries
//! (a 152 MB index in the page cache, about 1.5 GB/s for checksum and
//! record walk together; `examples/hashset_probe.rs` measures it), so about
//! 0.7 s for a 1 GB set, plus the disk read when the file is not cached.

use super::layout::{ENTRY_LEN, bucket_of, file_sum, record_width, u32_at, u64_at};
use super::read::{CompiledSet, Table};
use crate::hashing::Algorithm;
use crate::hashsets::HashSetError;

/// How many buckets are walked between two looks at the stop flag.
const STOP_EVERY: usize = 1 << 16;

impl CompiledSet {
    /// Checks the whole set (see the module header). The outcome is kept:
    /// asking again costs nothing.
    pub fn verify(&self) -> Result<(), HashSetError> {
        self.verify_until(&|| false).map(|_| ())
    }

    /// [`verify`](Self::verify), giving up when `stop` says so: `Ok(true)`
    /// when the set is sound, `Ok(false)` when stopped before the end
    /// (nothing is kept then), an error naming what is wrong otherwise.
    pub fn verify_until(&self, stop: &dyn Fn() -> bool) -> Result<bool, HashSetError> {
        let done = match self.verified.get() {
            Some(done) => done,
            None => match self.check(stop) {
                Some(outcome) => self.verified.get_or_init(|| outcome),
                None => return Ok(false),
            },
        };
        match done {
            Ok(()) => Ok(true),
            Err(reason) => Err(HashSetError::BadIndex {
                path: self.path().to_path_buf(),
                reason: reason.clone(),
            }),
        }
    }

    /// The checks; `None` when stopped.
    fn check(&self, stop: &dyn Fn() -> bool) -> Option<Result<(), String>> {
        let b: &[u8] = &self.map;
        match file_sum(b, self.header_len, stop) {
            None if stop() => return None,
            None => return Some(Err("file shorter than its header".into())),
            Some(sum) if sum != self.file_sum => {
                return Some(Err(
                    "checksum mismatch: the file changed after Ferret wrote it".into(),
                ));
            }
            Some(_) => {}
        }
        for (a, t) in Algorithm::ALL.iter().zip(&self.tables) {
            if let Some(t) = t {
                match self.check_table(*a, t, stop) {
                    Some(Ok(())) => {}
                    other => return other,
                }
            }
        }
        if let Err(e) = self.check_entries() {
            return Some(Err(e));
        }
        self.check_pdq(stop)
    }

    /// Table `t` of algorithm `a`: prefix offsets never decrease and end at
    /// the count, each record lies in its bucket, records are sorted within
    /// it, and every entry id is below the entry count.
    fn check_table(
        &self,
        a: Algorithm,
        t: &Table,
        stop: &dyn Fn() -> bool,
    ) -> Option<Result<(), String>> {
        let b: &[u8] = &self.map;
        let width = record_width(a.digest_len());
        let key_len = width - 4;
        let buckets = 1usize << t.bits;
        let (Some(prefix), Some(records)) = (
            b.get(t.prefix..).and_then(|p| p.get(..(buckets + 1) * 4)),
            b.get(t.records..).and_then(|r| r.get(..t.count * width)),
        ) else {
            return Some(Err(format!("{a} table outside the file")));
        };
        let mut lo = 0usize;
        for bucket in 0..buckets {
            if bucket % STOP_EVERY == 0 && stop() {
                return None;
            }
            let next = u32_at(prefix, (bucket + 1) * 4).map(|n| n as usize);
            let Some((hi, recs)) = next.and_then(|hi| {
                let recs = records.get(lo * width..hi.checked_mul(width)?)?;
                Some((hi, recs))
            }) else {
                return Some(Err(format!(
                    "{a} prefix table out of order at bucket {bucket}"
                )));
            };
            // The digest's first two bytes are the bucket's top 16 bits.
            let top = ((bucket >> (t.bits - 16)) as u16).to_be_bytes();
            let mut previous: Option<&[u8]> = None;
            for (i, r) in recs.chunks_exact(width).enumerate() {
                let Some((key, id)) = r.split_at_checked(key_len) else {
                    return Some(Err(format!("{a} record {} unreadable", lo + i)));
                };
                let id = u32_at(id, 0).unwrap_or(u32::MAX);
                if u64::from(id) >= self.entries {
                    return Some(Err(format!(
                        "{a} record {}: entry id {id} out of range ({} entries)",
                        lo + i,
                        self.entries
                    )));
                }
                let [k0, k1, ..] = *key else {
                    return Some(Err(format!("{a} record {} unreadable", lo + i)));
                };
                let head = [top[0], top[1], k0, k1];
                if bucket_of(&head, t.bits) != Some(bucket) {
                    return Some(Err(format!("{a} record {} outside its bucket", lo + i)));
                }
                if previous.is_some_and(|p| p > key) {
                    return Some(Err(format!("{a} record {} out of order", lo + i)));
                }
                previous = Some(key);
            }
            lo = hi;
        }
        Some(if lo == t.count {
            Ok(())
        } else {
            Err(format!("{a} prefix table does not add up"))
        })
    }

    /// Every entry row's name and extra fields lie inside the string heap.
    fn check_entries(&self) -> Result<(), String> {
        let Some(t) = self.entry_table else {
            return Ok(());
        };
        let b: &[u8] = &self.map;
        let rows = b
            .get(t.rows..)
            .and_then(|r| r.get(..(self.entries as usize) * ENTRY_LEN))
            .ok_or("entry table outside the file")?;
        let inside = |off: Option<u64>, len: Option<u32>| {
            off.zip(len).is_some_and(|(off, len)| {
                off.checked_add(u64::from(len))
                    .is_some_and(|end| end <= t.strings_len as u64)
            })
        };
        for (i, row) in rows.chunks_exact(ENTRY_LEN).enumerate() {
            let name_len = u32_at(row, 32);
            if name_len != Some(u32::MAX) && !inside(u64_at(row, 24), name_len) {
                return Err(format!("entry {i}: name outside the string heap"));
            }
            if !inside(u64_at(row, 36), u32_at(row, 44)) {
                return Err(format!("entry {i}: extra fields outside the string heap"));
            }
        }
        Ok(())
    }
}
