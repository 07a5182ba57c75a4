//! Writing a PDQ index: the entries as given, then per substring a counting
//! sort of the entries by key into bucket lines (see `layout.rs`). One pass
//! over the entries per substring; the output is the whole file in memory,
//! which the caller writes out (or opens in place).

use super::layout::{
    HASH_LEN, Header, INLINE, LINE, Padded, SUM_LEN, Substring, header_len_for, regions,
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
        let mut subs = plan::choose_shape(n, threshold);
        let header_len = header_len_for(subs.len());
        // A first pass sizes each table's overflow, so the file is
        // allocated once, at its final size.
        for s in subs.iter_mut() {
            let (starts, _) = bucket_starts(entries, *s, false);
            s.overflow = starts
                .windows(2)
                .map(|w| match *w {
                    [lo, hi] => (hi - lo).saturating_sub(INLINE as u32),
                    _ => 0,
                })
                .sum();
        }
        let regions = regions(header_len, n, &subs).ok_or_else(too_many)?;
        let mut out = Vec::new();
        out.try_reserve_exact(regions.file_len)
            .map_err(|_| too_many())?;
        out.resize(regions.entries, 0);
        out.extend_from_slice(entries.as_flattened());
        for (&s, &(lines_at, _)) in subs.iter().zip(&regions.tables) {
            out.resize(lines_at, 0);
            push_table(&mut out, entries, s);
        }
        out.resize(regions.file_len, 0);
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

/// Where each bucket of substring `s` starts in the sorted records
/// (`2^bucket_bits + 1` values, the last the entry count), and the keys
/// if `keep_keys`.
fn bucket_starts(
    entries: &[[u8; HASH_LEN]],
    s: Substring,
    keep_keys: bool,
) -> (Vec<u32>, Vec<u32>) {
    let rem_bits = s.rem_bits();
    let mut starts = vec![0u32; (1usize << s.bucket_bits) + 1];
    let mut keys = Vec::with_capacity(if keep_keys { entries.len() } else { 0 });
    for e in entries {
        let k = s.key(&Padded::new(e));
        if let Some(c) = starts.get_mut((k >> rem_bits) as usize + 1) {
            *c += 1;
        }
        if keep_keys {
            keys.push(k);
        }
    }
    let mut sum = 0u32;
    for c in starts.iter_mut() {
        sum += *c;
        *c = sum;
    }
    (starts, keys)
}

/// Appends the bucket lines and overflow records of substring `s`.
fn push_table(out: &mut Vec<u8>, entries: &[[u8; HASH_LEN]], s: Substring) {
    let rem_bits = s.rem_bits();
    let rem_mask = (1u32 << rem_bits) - 1;
    let (starts, keys) = bucket_starts(entries, s, true);
    // Entries are placed in index order, so a bucket is sorted by index and
    // a stable sort by the low key bits then sorts it by (key, index).
    let mut records = vec![0u32; entries.len()];
    let mut cursor = starts.clone();
    for (id, &k) in keys.iter().enumerate() {
        let Some(c) = cursor.get_mut((k >> rem_bits) as usize) else {
            continue;
        };
        if let Some(r) = records.get_mut(*c as usize) {
            *r = ((id as u32) << rem_bits) | (k & rem_mask);
        }
        *c += 1;
    }
    drop(keys);
    let base = out.len();
    out.resize(base + (1usize << s.bucket_bits) * LINE, 0);
    let mut overflow = Vec::new();
    let lines = out.get_mut(base..).unwrap_or_default();
    for (pair, line) in starts.windows(2).zip(lines.chunks_exact_mut(LINE)) {
        let [lo, hi] = *pair else { continue };
        let Some(bucket) = records.get_mut(lo as usize..hi as usize) else {
            continue;
        };
        if rem_bits > 0 {
            bucket.sort_by_key(|r| r & rem_mask);
        }
        let (inline, rest) = bucket.split_at(bucket.len().min(INLINE));
        let head = [overflow.len() as u32, hi - lo];
        for (slot, v) in line.chunks_exact_mut(4).zip(head.iter().chain(inline)) {
            slot.copy_from_slice(&v.to_le_bytes());
        }
        overflow.extend_from_slice(rest);
    }
    for r in &overflow {
        out.extend_from_slice(&r.to_le_bytes());
    }
}
