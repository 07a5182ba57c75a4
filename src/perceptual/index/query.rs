//! Answering queries: every entry within the threshold, nothing else,
//! sorted by (distance, entry index).
//!
//! A probe of table `t` at radius `ρ` visits every bucket whose bits differ
//! from the query key's top bits in `j <= ρ` places, and in each keeps the
//! records whose low key bits differ in at most `ρ - j`: exactly the
//! entries whose substring is within `ρ`. Each is then verified on its full
//! 256 bits. An entry found by several tables is reported by the first
//! one whose radius it meets (checked on the entry itself), so no set of
//! seen ids is needed.
//!
//! Probes run in batches, each in three passes (bucket bounds, records,
//! entries) whose loads do not depend on one another within the pass, so
//! the processor keeps many cache misses in flight; candidates are appended
//! without a branch on the key test (a mispredicted branch per record was
//! the other cost).

use super::layout::{HASH_LEN, Padded, distance};
use super::plan::{Route, probe_radii, route};
use super::view::{PdqIndexView, TableView};

/// Probes per batch: enough loads in flight, small enough to stay in L1.
const BATCH: usize = 256;

/// How a searcher answers: the cheaper of the two (`Auto`), or one forced
/// (for tests and measurements; both are exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// The cheaper route by the cost model, per threshold.
    #[default]
    Auto,
    /// Probe the substring tables.
    Probe,
    /// Compare every entry.
    Scan,
}

/// Queries at one threshold over one index, with its scratch buffers kept
/// between queries. Make one per worker thread and set.
pub struct PdqSearcher<'v> {
    view: &'v PdqIndexView<'v>,
    threshold: u32,
    /// Probe radius per table, or `None` when every entry is scanned.
    radii: Option<Vec<Option<u32>>>,
    keys: Vec<u32>,
    probes: Vec<(u32, u32)>,
    ranges: Vec<(&'v [[u8; 5]], u32)>,
    candidates: Vec<u32>,
}

impl PdqIndexView<'_> {
    /// Every entry within `threshold` of `hash`, as `(entry index,
    /// distance)` sorted by distance then index, into `out` (cleared first).
    /// For many queries, [`searcher`](Self::searcher) keeps the plan and
    /// the buffers.
    pub fn query(&self, hash: &[u8; HASH_LEN], threshold: u32, out: &mut Vec<(u32, u32)>) {
        self.searcher(threshold).query(hash, out);
    }

    /// A searcher at `threshold` (any value; 256 and above match every
    /// entry).
    pub fn searcher<'v>(&'v self, threshold: u32) -> PdqSearcher<'v> {
        PdqSearcher::with_strategy(self, threshold, Strategy::Auto)
    }
}

impl<'v> PdqSearcher<'v> {
    /// A searcher at `threshold` answering by `strategy`.
    pub fn with_strategy(
        view: &'v PdqIndexView<'v>,
        threshold: u32,
        strategy: Strategy,
    ) -> PdqSearcher<'v> {
        let subs: Vec<_> = view.tables.iter().map(|t| t.sub).collect();
        let n = view.entries.len() as u32;
        let radii = match strategy {
            Strategy::Auto => match route(&subs, n, threshold) {
                Route::Probe(radii) => Some(radii),
                Route::Scan => None,
            },
            Strategy::Scan => None,
            Strategy::Probe if threshold >= 8 * HASH_LEN as u32 => None,
            Strategy::Probe => Some(probe_radii(&subs, n, threshold).0),
        };
        PdqSearcher {
            view,
            threshold,
            radii,
            keys: Vec::with_capacity(subs.len()),
            probes: Vec::with_capacity(BATCH),
            ranges: Vec::with_capacity(BATCH),
            candidates: Vec::new(),
        }
    }

    /// Whether this searcher probes tables (else it scans every entry).
    pub fn probes(&self) -> bool {
        self.radii.is_some()
    }

    /// Every entry within the threshold of `hash`, as `(entry index,
    /// distance)` sorted by distance then index, into `out` (cleared first).
    pub fn query(&mut self, hash: &[u8; HASH_LEN], out: &mut Vec<(u32, u32)>) {
        out.clear();
        match self.radii.take() {
            None => self.scan(hash, out),
            Some(radii) => {
                self.probe(hash, &radii, out);
                self.radii = Some(radii);
            }
        }
        out.sort_unstable_by_key(|&(i, d)| (d, i));
        // Only a damaged table can list an entry twice in one bucket.
        out.dedup();
    }

    fn scan(&self, hash: &[u8; HASH_LEN], out: &mut Vec<(u32, u32)>) {
        for (i, e) in self.view.entries.iter().enumerate() {
            let d = distance(e, hash);
            if d <= self.threshold {
                out.push((i as u32, d));
            }
        }
    }

    fn probe(&mut self, hash: &[u8; HASH_LEN], radii: &[Option<u32>], out: &mut Vec<(u32, u32)>) {
        let q = Padded::new(hash);
        let view = self.view;
        self.keys.clear();
        self.keys.extend(view.tables.iter().map(|t| t.sub.key(&q)));
        for (t, (table, radius)) in view.tables.iter().zip(radii).enumerate() {
            let (Some(radius), Some(&key)) = (*radius, self.keys.get(t)) else {
                continue;
            };
            let rem_bits = table.sub.rem_bits();
            let top = key >> rem_bits;
            for j in 0..=radius.min(table.sub.bucket_bits) {
                let budget = radius - j;
                for flips in Flips::new(table.sub.bucket_bits, j) {
                    self.probes.push((top ^ flips, budget));
                    if self.probes.len() == BATCH {
                        self.run_batch(t, table, hash, radii, out);
                    }
                }
            }
            self.run_batch(t, table, hash, radii, out);
        }
    }

    /// Visits the batched buckets of table `t`, verifies what they hold.
    fn run_batch(
        &mut self,
        t: usize,
        table: &TableView<'v>,
        hash: &[u8; HASH_LEN],
        radii: &[Option<u32>],
        out: &mut Vec<(u32, u32)>,
    ) {
        let rem_bits = table.sub.rem_bits();
        let low = self.keys.get(t).map_or(0, |k| k & ((1 << rem_bits) - 1));
        self.ranges.clear();
        self.ranges.extend(
            self.probes
                .iter()
                .map(|&(b, budget)| (table.bucket(b), budget)),
        );
        self.probes.clear();
        self.candidates.clear();
        for &(records, budget) in &self.ranges {
            if budget >= rem_bits {
                self.candidates.extend(records.iter().map(entry_id));
                continue;
            }
            let base = self.candidates.len();
            self.candidates.resize(base + records.len(), 0);
            let mut kept = 0;
            if let Some(slots) = self.candidates.get_mut(base..) {
                for r in records {
                    if let Some(slot) = slots.get_mut(kept) {
                        *slot = entry_id(r);
                    }
                    kept += usize::from((u32::from(r[0]) ^ low).count_ones() <= budget);
                }
            }
            self.candidates.truncate(base + kept);
        }
        let entries = self.view.entries;
        for &id in &self.candidates {
            let Some(e) = entries.get(id as usize) else {
                continue;
            };
            let d = distance(e, hash);
            if d <= self.threshold && self.first_table(e, t, radii) {
                out.push((id, d));
            }
        }
    }

    /// Whether table `t` is the first probed table within whose radius
    /// entry `e` lies (the one that reports it).
    fn first_table(&self, e: &[u8; HASH_LEN], t: usize, radii: &[Option<u32>]) -> bool {
        let p = Padded::new(e);
        let earlier = self.view.tables.iter().zip(radii).zip(&self.keys).take(t);
        !earlier.into_iter().any(|((table, radius), &qk)| {
            radius.is_some_and(|r| (table.sub.key(&p) ^ qk).count_ones() <= r)
        })
    }
}

/// The entry index of a record.
#[inline(always)]
fn entry_id(r: &[u8; 5]) -> u32 {
    u32::from_le_bytes([r[1], r[2], r[3], r[4]])
}

/// The masks [`Flips`] enumerates, for the tests.
#[cfg(test)]
pub(super) fn flips_for_test(bits: u32, ones: u32) -> Vec<u32> {
    Flips::new(bits, ones).collect()
}

/// Every `bits`-bit mask with exactly `ones` bits set, in increasing order
/// (Gosper's hack).
struct Flips {
    next: Option<u64>,
    limit: u64,
}

impl Flips {
    fn new(bits: u32, ones: u32) -> Flips {
        Flips {
            next: (ones <= bits).then(|| (1u64 << ones) - 1),
            limit: 1u64 << bits,
        }
    }
}

impl Iterator for Flips {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let x = self.next.filter(|&x| x < self.limit)?;
        self.next = if x == 0 {
            None
        } else {
            let c = x & x.wrapping_neg();
            let r = x + c;
            Some((((r ^ x) >> 2) / c) | r)
        };
        Some(x as u32)
    }
}
