//! Finding digests in a compiled set: one key at a time ([`lookup`]) or
//! many at once with their memory loads overlapped ([`lookup_batch`]), both
//! ending in the one bucket search. The hot path of a scan's set matching.
//!
//! [`lookup`]: CompiledSet::lookup
//! [`lookup_batch`]: CompiledSet::lookup_batch

use super::layout::{be64, bucket_of, u32_at};
use super::raw::prefetch;
use super::read::{CompiledSet, Table};
use crate::hashing::Algorithm;

impl CompiledSet {
    /// Entry ids whose `algorithm` digest equals `digest`.
    pub fn lookup(&self, algorithm: Algorithm, digest: &[u8], out: &mut Vec<u32>) {
        let Some(t) = self.tables[algorithm as usize] else {
            return;
        };
        if digest.len() != algorithm.digest_len() {
            return;
        }
        let (lo, hi) = self.bucket_range(&t, digest);
        self.search(&t, lo, hi, digest, |id| out.push(id));
    }

    /// Searches records `lo..hi` of table `t` for `digest`, calling `found`
    /// with the entry id of every equal record.
    fn search(&self, t: &Table, lo: usize, hi: usize, digest: &[u8], mut found: impl FnMut(u32)) {
        let b: &[u8] = &self.map;
        let width = digest.len() + 2;
        let key = &digest[2..];
        let kl = key.len();
        let rec = |i: usize| &b[t.records + i * width..t.records + i * width + width];
        // Ordering against a record: its first 8 bytes as one big-endian
        // integer decide all but equal-prefix cases (no memcmp call).
        let k8 = be64(key);
        let less = |i: usize| {
            let r = rec(i);
            match be64(r).cmp(&k8) {
                std::cmp::Ordering::Equal => r[8..kl] < key[8..],
                o => o.is_lt(),
            }
        };
        // Buckets hold about four records, so a linear scan reads one or two
        // cache lines: one bounds check for the bucket, then each record's
        // first 8 bytes as one integer (profiled: the closure-per-record form
        // cost a third more per lookup). A bucket made big by a skewed set
        // (many digests sharing a prefix) is searched by interpolation on the
        // key's next 32 bits, then galloping, then binary search.
        if hi - lo <= 16 {
            let Some(bucket) = b.get(t.records + lo * width..t.records + hi * width) else {
                return;
            };
            for r in bucket.chunks_exact(width) {
                match be64(r).cmp(&k8) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Greater => return,
                    std::cmp::Ordering::Equal => match r[8..kl].cmp(&key[8..]) {
                        std::cmp::Ordering::Less => continue,
                        std::cmp::Ordering::Greater => return,
                        std::cmp::Ordering::Equal => found(u32_at(r, kl)),
                    },
                }
            }
            return;
        }
        let (mut a, mut z);
        {
            let k = ((be64(digest) << t.bits) >> 32) as u32;
            let est = lo + ((u64::from(k) * (hi - lo) as u64) >> 32) as usize;
            let est = est.min(hi - 1);
            if less(est) {
                let mut step = 1;
                a = est + 1;
                while a + step < hi && less(a + step) {
                    a += step + 1;
                    step *= 2;
                }
                z = (a + step + 1).min(hi);
            } else {
                let mut step = 1;
                z = est;
                while z > lo + step && !less(z - step - 1) {
                    z -= step + 1;
                    step *= 2;
                }
                a = z.saturating_sub(step + 1).max(lo);
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
        while a < hi && be64(rec(a)) == k8 && rec(a)[8..kl] == key[8..] {
            found(u32_at(rec(a), kl));
            a += 1;
        }
    }

    /// The record range of `digest`'s bucket. Clamped: the body is not
    /// checksummed, and a damaged prefix table must give wrong answers at
    /// worst, never an out-of-range read.
    fn bucket_range(&self, t: &Table, digest: &[u8]) -> (usize, usize) {
        let (b, at): (&[u8], usize) = match (t.copy, &self.prefix_copy) {
            (Some(off), Some(c)) => (c, off),
            _ => (&self.map, t.prefix),
        };
        let at = at + bucket_of(digest, t.bits) * 4;
        let hi = (u32_at(b, at + 4) as usize).min(t.count);
        let lo = (u32_at(b, at) as usize).min(hi);
        (lo, hi)
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
        let Some(t) = self.tables[algorithm as usize] else {
            return;
        };
        let b: &[u8] = &self.map;
        let width = algorithm.digest_len() + 2;
        let len = algorithm.digest_len();
        let (pb, pbase): (&[u8], usize) = match (t.copy, &self.prefix_copy) {
            (Some(off), Some(c)) => (c, off),
            _ => (b, t.prefix),
        };
        let n = keys.len();
        let mut ranges = [(0usize, 0usize); RING];
        for i in 0..n + SEARCH {
            if let Some(k) = keys.get(i).filter(|k| k.len() == len) {
                prefetch(pb, pbase + bucket_of(k, t.bits) * 4);
            }
            if let Some(j) = i.checked_sub(RECORDS).filter(|&j| j < n) {
                let r = if keys[j].len() == len {
                    self.bucket_range(&t, keys[j])
                } else {
                    (0, 0)
                };
                if r.1 > r.0 {
                    prefetch(b, t.records + r.0 * width);
                    prefetch(b, t.records + r.1 * width - 1);
                }
                ranges[j % RING] = r;
            }
            if let Some(j) = i.checked_sub(SEARCH).filter(|&j| j < n) {
                let (lo, hi) = ranges[j % RING];
                if hi > lo {
                    self.search(&t, lo, hi, keys[j], |id| out.push((j, id)));
                }
            }
        }
    }
}
