//! Finding digests in a compiled set: one key at a time ([`lookup`]) or
//! many at once with their memory loads overlapped ([`lookup_batch`]), both
//! ending in the one bucket search. The hot path of a scan's set matching.
//!
//! [`lookup`]: CompiledSet::lookup
//! [`lookup_batch`]: CompiledSet::lookup_batch

use std::cmp::Ordering;

use super::layout::{be64, bucket_of, record_width, u32_at};
use super::raw::prefetch;
use super::read::{CompiledSet, Table};
use crate::hashing::Algorithm;

impl CompiledSet {
    /// Entry ids whose `algorithm` digest equals `digest` (only ids below
    /// [`entry_count`](Self::entry_count)).
    pub fn lookup(&self, algorithm: Algorithm, digest: &[u8], out: &mut Vec<u32>) {
        let Some(t) = self.table(algorithm) else {
            return;
        };
        if digest.len() != algorithm.digest_len() {
            return;
        }
        if let Some((lo, hi)) = self.bucket_range(t, digest) {
            self.search(t, lo, hi, digest, |id| out.push(id));
        }
    }

    /// Searches records `lo..hi` of table `t` for `digest` (of the table's
    /// length), calling `found` with the entry id of every equal record
    /// whose id the set has: a record with an id out of range exists only
    /// in a damaged set, which `verify` fails before any hit is used.
    fn search(&self, t: &Table, lo: usize, hi: usize, digest: &[u8], mut found: impl FnMut(u32)) {
        let b: &[u8] = &self.map;
        let width = record_width(digest.len());
        let entries = self.entries;
        let mut found = |id: u32| {
            if u64::from(id) < entries {
                found(id);
            }
        };
        // The digest without the two bytes the prefix table holds; its
        // first 8 bytes as one big-endian integer order all but
        // equal-prefix cases (no memcmp call). Digests are 16 bytes and up,
        // so these all answer.
        let (Some(key), Some(k8)) = (digest.get(2..), digest.get(2..).and_then(be64)) else {
            return;
        };
        let kl = key.len();
        let Some(key_rest) = key.get(8..) else {
            return;
        };
        let Some(recs) = b.get(t.records + lo * width..t.records + hi * width) else {
            return;
        };
        // Buckets hold about four records, so a linear scan reads one or two
        // cache lines: one bounds check for the bucket, then each record's
        // first 8 bytes as one integer (profiled: the closure-per-record form
        // cost a third more per lookup). A bucket made big by a skewed set
        // (many digests sharing a prefix) is searched by interpolation on the
        // key's next 32 bits, then galloping, then binary search.
        if hi - lo <= 16 {
            for r in recs.chunks_exact(width) {
                let Some(r8) = be64(r) else { return };
                match r8.cmp(&k8) {
                    Ordering::Less => continue,
                    Ordering::Greater => return,
                    Ordering::Equal => {
                        let Some(rest) = r.get(8..kl) else { return };
                        match rest.cmp(key_rest) {
                            Ordering::Less => continue,
                            Ordering::Greater => return,
                            Ordering::Equal => {
                                if let Some(id) = u32_at(r, kl) {
                                    found(id);
                                }
                            }
                        }
                    }
                }
            }
            return;
        }
        // Record `i` of the bucket, and whether it sorts before the key.
        let n = hi - lo;
        let rec = |i: usize| recs.get(i * width..).and_then(|r| r.get(..width));
        let less = |i: usize| {
            rec(i).is_some_and(|r| match be64(r).map(|r8| r8.cmp(&k8)) {
                Some(Ordering::Equal) => r.get(8..kl).is_some_and(|x| x < key_rest),
                o => o == Some(Ordering::Less),
            })
        };
        let (mut a, mut z);
        {
            let Some(top) = be64(digest) else { return };
            let k = ((top << t.bits) >> 32) as u32;
            let est = ((u64::from(k) * n as u64) >> 32) as usize;
            let est = est.min(n - 1);
            if less(est) {
                let mut step = 1;
                a = est + 1;
                while a + step < n && less(a + step) {
                    a += step + 1;
                    step *= 2;
                }
                z = (a + step + 1).min(n);
            } else {
                let mut step = 1;
                z = est;
                while z > step && !less(z - step - 1) {
                    z -= step + 1;
                    step *= 2;
                }
                a = z.saturating_sub(step + 1);
            }
            while a < z {
                let mid = a + (z - a) / 2;
                if less(mid) {
                    a = mid + 1;
                } else {
                    z = mid;
                }
            }
        }
        while let Some(r) = rec(a) {
            if be64(r) != Some(k8) || r.get(8..kl) != Some(key_rest) {
                break;
            }
            if let Some(id) = u32_at(r, kl) {
                found(id);
            }
            a += 1;
        }
    }

    /// The record range of `digest`'s bucket. Clamped to the table: a
    /// damaged prefix table (which `verify` finds, but a scan may look up
    /// before it has) gives wrong answers at worst, never an out-of-range
    /// read.
    #[inline(always)]
    fn bucket_range(&self, t: &Table, digest: &[u8]) -> Option<(usize, usize)> {
        let (b, at): (&[u8], usize) = match (t.copy, &self.prefix_copy) {
            (Some(off), Some(c)) => (c, off),
            _ => (&self.map, t.prefix),
        };
        let at = at + bucket_of(digest, t.bits)? * 4;
        let hi = (u32_at(b, at + 4)? as usize).min(t.count);
        let lo = (u32_at(b, at)? as usize).min(hi);
        Some((lo, hi))
    }

    /// Looks up many digests at once: `out` receives `(key index, entry id)`
    /// for every match, in key order. Faster than one
    /// [`lookup`](Self::lookup) per key on big sets: the loads of many keys
    /// are in flight at once (software prefetch, a pipeline 32 keys deep)
    /// instead of each key waiting for its own cache and TLB misses.
    pub fn lookup_batch(&self, algorithm: Algorithm, keys: &[&[u8]], out: &mut Vec<(usize, u32)>) {
        // A three-stage software pipeline: prefetch key i's prefix entry,
        // then (RECORDS keys later) read it and prefetch its bucket's first
        // and last line, then (SEARCH keys later) search the bucket.
        const RECORDS: usize = 16;
        const SEARCH: usize = 32;
        const RING: usize = 32;
        let Some(t) = self.table(algorithm) else {
            return;
        };
        let b: &[u8] = &self.map;
        let width = record_width(algorithm.digest_len());
        let len = algorithm.digest_len();
        let (pb, pbase): (&[u8], usize) = match (t.copy, &self.prefix_copy) {
            (Some(off), Some(c)) => (c, off),
            _ => (b, t.prefix),
        };
        let key = |i: usize| keys.get(i).copied().filter(|k| k.len() == len);
        let n = keys.len();
        let mut ranges = [(0usize, 0usize); RING];
        for i in 0..n + SEARCH {
            if let Some(bucket) = key(i).and_then(|k| bucket_of(k, t.bits)) {
                prefetch(pb, pbase + bucket * 4);
            }
            if let Some(j) = i.checked_sub(RECORDS).filter(|&j| j < n) {
                let r = key(j)
                    .and_then(|k| self.bucket_range(t, k))
                    .unwrap_or((0, 0));
                if r.1 > r.0 {
                    prefetch(b, t.records + r.0 * width);
                    prefetch(b, t.records + r.1 * width - 1);
                }
                if let Some(slot) = ranges.get_mut(j % RING) {
                    *slot = r;
                }
            }
            if let Some(j) = i.checked_sub(SEARCH).filter(|&j| j < n) {
                let (lo, hi) = ranges.get(j % RING).copied().unwrap_or((0, 0));
                if let Some(k) = key(j).filter(|_| hi > lo) {
                    self.search(t, lo, hi, k, |id| out.push((j, id)));
                }
            }
        }
    }
}
