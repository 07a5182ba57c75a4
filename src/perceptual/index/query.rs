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
//! Probes run in batches, in passes: touch every bucket line of the batch
//! (plain loads whose results only feed a black box: with nothing waiting
//! on them the processor keeps a dozen or more misses in flight), then
//! read the lines from cache; the same for overflow records and for the
//! candidates' entries. Records are kept without a branch on the key test.

use super::layout::{HASH_LEN, INLINE, Padded, distance_within};
use super::plan::{LINEAR_COST, Route, probe_radii, route};
use super::view::{PdqIndexView, TableView, line_words};

/// Probes per batch: enough misses to overlap, and few enough lines
/// (16 KiB) and candidates to stay in L1.
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
    /// The cost model's expected random memory accesses per query.
    expected: f64,
    keys: Vec<u32>,
    probes: Vec<(u32, u32)>,
    spill: Vec<(&'v [[u8; 4]], u32)>,
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
        let expected = match radii {
            Some(_) => probe_radii(&subs, n, threshold).1,
            None => f64::from(n) * LINEAR_COST,
        };
        PdqSearcher {
            view,
            threshold,
            radii,
            expected,
            keys: Vec::with_capacity(subs.len()),
            probes: Vec::with_capacity(BATCH),
            spill: Vec::new(),
            candidates: Vec::new(),
        }
    }

    /// Whether this searcher probes tables (else it scans every entry).
    pub fn probes(&self) -> bool {
        self.radii.is_some()
    }

    /// The cost model's expected cost of one query for uniform hashes, in
    /// random memory accesses (bucket lines and candidates, records read
    /// from loaded lines at a twentieth each; a scan counts its entries at
    /// their sequential cost): with a measured time per access it bounds
    /// the queries/s a machine can reach.
    pub fn expected_accesses(&self) -> f64 {
        self.expected
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
            if let Some(d) = distance_within(e, hash, self.threshold) {
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
        let mask = (1u32 << rem_bits) - 1;
        let low = self.keys.get(t).map_or(0, |k| k & mask);
        let test = |budget: u32| match budget {
            0 => Test::Equal,
            b if b >= rem_bits => Test::All,
            b => Test::Within(b),
        };
        touch(
            self.probes
                .iter()
                .map(|&(b, _)| table.lines.get(b as usize).map_or(0, |l| l[0])),
        );
        // `candidates` only grows: slots past `kept` are scratch, written
        // before they are read.
        grow(&mut self.candidates, self.probes.len() * INLINE);
        self.spill.clear();
        let mut kept = 0;
        for &(b, budget) in &self.probes {
            let Some(line) = table.lines.get(b as usize) else {
                continue;
            };
            let words = line_words(line);
            let [_, count, ..] = words;
            let records = words.iter().skip(2).take((count as usize).min(INLINE));
            let test = test(budget);
            kept = keep(
                records.copied(),
                test,
                low,
                mask,
                rem_bits,
                &mut self.candidates,
                kept,
            );
            if count as usize > INLINE {
                self.spill.push((table.overflow_of(&words), budget));
            }
        }
        if !self.spill.is_empty() {
            touch(
                self.spill
                    .iter()
                    .map(|(r, _)| r.first().map_or(0, |x| x[0])),
            );
            for &(records, budget) in &self.spill {
                grow(&mut self.candidates, kept + records.len());
                let records = records.iter().map(|r| u32::from_le_bytes(*r));
                let test = test(budget);
                kept = keep(
                    records,
                    test,
                    low,
                    mask,
                    rem_bits,
                    &mut self.candidates,
                    kept,
                );
            }
        }
        self.probes.clear();
        let entries = self.view.entries;
        let found = self.candidates.get(..kept).unwrap_or_default();
        touch(
            found
                .iter()
                .map(|&id| entries.get(id as usize).map_or(0, |e| e[0])),
        );
        for &id in found {
            let Some(e) = entries.get(id as usize) else {
                continue;
            };
            if let Some(d) = distance_within(e, hash, self.threshold)
                && self.first_table(e, t, radii)
            {
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

/// Which records of a bucket are candidates: those whose low key bits
/// differ from the query's in at most the bucket's remaining budget.
#[derive(Clone, Copy)]
enum Test {
    /// The budget covers every record bit.
    All,
    /// Budget 0: equal low bits.
    Equal,
    /// At most this many differing bits.
    Within(u32),
}

/// Writes the entry index of every record that passes `test` into `out`
/// from `at` on (`out` has room for all of them) and returns where the
/// kept ones end. Every record is written and the end advanced by the test,
/// so no branch depends on the record.
#[inline(always)]
fn keep(
    records: impl Iterator<Item = u32>,
    test: Test,
    low: u32,
    mask: u32,
    rem_bits: u32,
    out: &mut [u32],
    mut at: usize,
) -> usize {
    for rec in records {
        if let Some(slot) = out.get_mut(at) {
            *slot = rec >> rem_bits;
        }
        at += usize::from(match test {
            Test::All => true,
            Test::Equal => (rec ^ low) & mask == 0,
            Test::Within(b) => ((rec ^ low) & mask).count_ones() <= b,
        });
    }
    at
}

/// Makes `v` at least `len` long.
#[inline(always)]
fn grow(v: &mut Vec<u32>, len: usize) {
    if v.len() < len {
        v.resize(len, 0);
    }
}

/// Loads every byte `bytes` yields and discards them: the cache lines they
/// lie on are fetched together, as no instruction waits for one of them.
#[inline(always)]
fn touch(bytes: impl Iterator<Item = u8>) {
    let mut acc = 0u8;
    for b in bytes {
        acc ^= b;
    }
    std::hint::black_box(acc);
}

/// The masks [`Flips`] enumerates, for the tests.
#[cfg(test)]
pub(super) fn flips_for_test(bits: u32, ones: u32) -> Vec<u32> {
    Flips::new(bits, ones).collect()
}

/// Every `bits`-bit mask with exactly `ones` bits set, in increasing order.
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
        // The next mask with as many bits (Gosper's hack, without its
        // division: a division per probe cost more than the probe's work).
        self.next = (x != 0).then(|| {
            let t = x | (x - 1);
            let low = ((!t & (t + 1)) - 1).checked_shr(x.trailing_zeros() + 1);
            (t + 1) | low.unwrap_or(0)
        });
        Some(x as u32)
    }
}
