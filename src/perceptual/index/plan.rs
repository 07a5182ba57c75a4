//! How a query is answered, and how an index is cut: one cost model, in
//! units of one random memory access, used by the builder to choose the
//! substrings and by every query to choose its probe radii or a linear
//! scan.
//!
//! The search is exact by the pigeonhole principle: cut 256 bits into `m`
//! substrings; if two hashes are within `r = a*m + e` (`e < m`) of each
//! other, then among any `e + 1` chosen substrings one is within `a`, or
//! among the other `m - e - 1` one is within `a - 1` (otherwise the total
//! would be at least `(e + 1)(a + 1) + (m - e - 1)a = r + 1`). So probing
//! `e + 1` tables at radius `a` and the rest at `a - 1` (none when `a` is
//! 0) finds every entry within `r`. Which tables get the larger radius is
//! free: the cheapest ones.
//!
//! The model assumes uniform hashes; clustered sets cost more than it says
//! when a query lands in a cluster, but every answer stays exact: the model
//! only picks between exact methods.

use super::layout::{
    HASH_LEN, INLINE, LINE, MAX_BUCKET_BITS, MAX_SUBSTRING_BITS, Substring, max_rem_bits,
};

/// Cost of visiting one bucket: its line, one random access.
const LINE_COST: f64 = 1.0;
/// Cost of one record read in a line already loaded.
const RECORD_COST: f64 = 0.05;
/// Cost of one candidate: its 32-byte entry is one random access.
const CANDIDATE_COST: f64 = 1.0;
/// Cost of one entry in a linear scan: 4.7-6 ns per entry against 35-40 ns
/// per random access at 10 M entries (`pdq_index_bench`; at threshold 63
/// probing, which this picks, ran 44 queries/s against 21 for the scan).
pub(super) const LINEAR_COST: f64 = 0.15;
/// Bucket lines take at most this many bytes per entry per substring (8:
/// about 9.5 records a bucket at 10 M entries, as big as the records).
const LINE_BYTES_PER_ENTRY: u64 = 8;

/// How one query is answered.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Route {
    /// Compare every entry.
    Scan,
    /// Probe each table at its radius (`None`: not probed).
    Probe(Vec<Option<u32>>),
}

/// `sum_{j <= radius} C(bits, j)`: how many keys of `bits` bits lie within
/// `radius` of one.
pub(super) fn ball(bits: u32, radius: u32) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for j in 1..=radius.min(bits) {
        term *= f64::from(bits - j + 1) / f64::from(j);
        sum += term;
    }
    sum
}

/// The chance that a Poisson count of mean `mean` exceeds what a line holds.
fn overflow_chance(mean: f64) -> f64 {
    let mut term = (-mean).exp();
    let mut within = term;
    for i in 1..=INLINE {
        term *= mean / i as f64;
        within += term;
    }
    (1.0 - within).clamp(0.0, 1.0)
}

/// Expected cost of probing table `s` of `n` uniform entries at `radius`.
fn table_cost(s: Substring, n: f64, radius: u32) -> f64 {
    let buckets = ball(s.bucket_bits, radius);
    let per_bucket = n / 2f64.powi(s.bucket_bits as i32);
    let lines = buckets * (1.0 + overflow_chance(per_bucket));
    let candidates = n * ball(s.bits, radius) / 2f64.powi(s.bits as i32);
    lines * LINE_COST + buckets * per_bucket * RECORD_COST + candidates * CANDIDATE_COST
}

/// The probe radii for threshold `r` (below 256) over `subs` and their
/// expected cost.
pub(super) fn probe_radii(subs: &[Substring], n: u32, r: u32) -> (Vec<Option<u32>>, f64) {
    let n = f64::from(n);
    let m = subs.len() as u32;
    let (a, e) = (r / m, r % m);
    let lower = |s: Substring| a.checked_sub(1).map(|lo| (lo, table_cost(s, n, lo)));
    // The e + 1 tables that cost least to widen from a - 1 to a get a.
    let mut order: Vec<(f64, usize)> = subs
        .iter()
        .enumerate()
        .map(|(i, &s)| (table_cost(s, n, a) - lower(s).map_or(0.0, |l| l.1), i))
        .collect();
    order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let mut radii = vec![None; subs.len()];
    let mut cost = 0.0;
    for (rank, (_, i)) in order.into_iter().enumerate() {
        let (Some(slot), Some(&s)) = (radii.get_mut(i), subs.get(i)) else {
            continue;
        };
        if rank <= e as usize {
            *slot = Some(a);
            cost += table_cost(s, n, a);
        } else if let Some((lo, c)) = lower(s) {
            *slot = Some(lo);
            cost += c;
        }
    }
    (radii, cost)
}

/// The cheaper exact route for threshold `r` over `n` entries.
pub(super) fn route(subs: &[Substring], n: u32, r: u32) -> Route {
    if r >= 8 * HASH_LEN as u32 || subs.is_empty() {
        return Route::Scan;
    }
    let (radii, cost) = probe_radii(subs, n, r);
    if cost < f64::from(n) * LINEAR_COST {
        Route::Probe(radii)
    } else {
        Route::Scan
    }
}

/// `m` substrings of (nearly) equal length covering the 256 bits, the longer
/// first, each with `bucket_bits` raised to leave at most `max_rem` bits to
/// its records.
fn cut(m: u32, bucket_bits: u32, max_rem: u32) -> Vec<Substring> {
    let total = 8 * HASH_LEN as u32;
    let (base, longer) = (total / m, total % m);
    let mut start = 0;
    (0..m)
        .map(|i| {
            let bits = base + u32::from(i < longer);
            let s = Substring {
                start,
                bits,
                bucket_bits: bucket_bits.clamp(bits.saturating_sub(max_rem), bits),
                overflow: 0,
            };
            start += bits;
            s
        })
        .collect()
}

/// The substrings an index of `n` entries is cut into, for queries at
/// `threshold`: the cut of least expected cost among 8 to 32 substrings,
/// with bucket lines of at most [`LINE_BYTES_PER_ENTRY`] per entry.
pub(super) fn choose_shape(n: u32, threshold: u32) -> Vec<Substring> {
    let r = threshold.min(8 * HASH_LEN as u32 - 1);
    let max_lines = u64::from(n) * LINE_BYTES_PER_ENTRY / LINE as u64;
    let max_bucket_bits = max_lines.max(1).ilog2().min(MAX_BUCKET_BITS);
    let max_rem = max_rem_bits(n);
    let mut best: Option<(f64, Vec<Substring>)> = None;
    for m in 8 * HASH_LEN as u32 / MAX_SUBSTRING_BITS..=32 {
        for bucket_bits in 0..=max_bucket_bits {
            let subs = cut(m, bucket_bits, max_rem);
            if subs.iter().any(|s| s.bucket_bits > max_bucket_bits) {
                continue;
            }
            let (_, cost) = probe_radii(&subs, n, r);
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, subs));
            }
        }
    }
    // Every set has a feasible cut: 32 substrings of 8 bits leave at most 8
    // bits to the records, and an index of more than 2^24 entries may have
    // 2^(log2 n - 3) >= 2^21 lines, enough for any substring length >= 8.
    best.map_or_else(|| cut(32, 8, 0), |(_, subs)| subs)
}
