//! Writing a PDQ index: the entries as given, then per substring a counting
//! sort of the entries by key into buckets (see `layout.rs`). One pass over
//! the entries per substring; the output is the whole file in memory, which
//! the caller writes out (or opens in place).

use super::layout::{
    HASH_LEN, Header, Padded, RECORD_LEN, SUM_LEN, Substring, header_len_for, regions,
};
use super::{DEFAULT_THRESHOLD, IndexError, plan};

/// Builds PDQ indexes (see the module header for the format).
pub struct PdqIndex;

impl PdqIndex {
    /// The serialized index of `entries` (entry `i` is `entries[i]`), its
    /// substrings chosen for queries at the default threshold (31).
    pub fn build(entries: &[[u8; HASH_LEN]]) -> Result<Vec<u8>, IndexError> {
        Self::build_for_threshold(entries, DEFAULT_THRESHOLD)
    }

    /// The serialized index of `entries`, its substrings chosen for queries
    /// at `threshold`. Any threshold can be queried later; this one is the
    /// fastest.
    pub fn build_for_threshold(
        entries: &[[u8; HASH_LEN]],
        threshold: u32,
    ) -> Result<Vec<u8>, IndexError> {
        let too_many = || IndexError::TooManyEntries {
            entries: entries.len(),
            max: u32::MAX,
        };
        let n = u32::try_from(entries.len()).map_err(|_| too_many())?;
        let subs = plan::choose_shape(n, threshold);
        let header_len = header_len_for(subs.len());
        let regions = regions(header_len, n, &subs).ok_or_else(too_many)?;
        let mut out = Vec::new();
        out.try_reserve_exact(regions.file_len)
            .map_err(|_| too_many())?;
        out.resize(header_len + SUM_LEN, 0);
        out.extend_from_slice(entries.as_flattened());
        let keys_scratch = &mut Vec::new();
        for &s in &subs {
            push_table(&mut out, entries, s, keys_scratch);
        }
        debug_assert_eq!(out.len(), regions.file_len);
        let body_start = header_len + SUM_LEN;
        let body_sum = *blake3::hash(out.get(body_start..).unwrap_or_default()).as_bytes();
        let header = Header {
            header_len: header_len as u32,
            file_len: out.len() as u64,
            entries: n,
            tuned_threshold: threshold,
            substrings: subs,
            body_sum,
        }
        .encode();
        let header_sum = blake3::hash(&header);
        for (d, s) in out
            .iter_mut()
            .zip(header.iter().chain(header_sum.as_bytes()))
        {
            *d = *s;
        }
        Ok(out)
    }
}

/// Appends the bucket table and the records of substring `s` to `out`.
fn push_table(out: &mut Vec<u8>, entries: &[[u8; HASH_LEN]], s: Substring, keys: &mut Vec<u32>) {
    let rem_bits = s.rem_bits();
    let rem_mask = (1u32 << rem_bits) - 1;
    keys.clear();
    keys.extend(entries.iter().map(|e| s.key(&Padded::new(e))));
    // starts[b] = records in buckets before b; starts[2^bits] = entries.
    let mut starts = vec![0u32; (1usize << s.bucket_bits) + 1];
    for &k in keys.iter() {
        if let Some(c) = starts.get_mut((k >> rem_bits) as usize + 1) {
            *c += 1;
        }
    }
    let mut sum = 0u32;
    for c in starts.iter_mut() {
        sum += *c;
        *c = sum;
    }
    let mut records = vec![[0u8; RECORD_LEN]; entries.len()];
    let mut cursor = starts.clone();
    // Entries are placed in index order, so a bucket is sorted by index and
    // a stable sort by the low key bits then sorts it by (key, index).
    for (id, &k) in keys.iter().enumerate() {
        let Some(c) = cursor.get_mut((k >> rem_bits) as usize) else {
            continue;
        };
        if let Some(r) = records.get_mut(*c as usize) {
            let [i0, i1, i2, i3] = (id as u32).to_le_bytes();
            *r = [(k & rem_mask) as u8, i0, i1, i2, i3];
        }
        *c += 1;
    }
    if rem_bits > 0 {
        for pair in starts.windows(2) {
            if let [lo, hi] = *pair
                && let Some(bucket) = records.get_mut(lo as usize..hi as usize)
            {
                bucket.sort_by_key(|r| r[0]);
            }
        }
    }
    for b in &starts {
        out.extend_from_slice(&b.to_le_bytes());
    }
    out.extend_from_slice(records.as_flattened());
}
