//! A set's PDQ entries: finding every one within the set's threshold of a
//! picture's PDQ hash (the near-neighbour index of `perceptual::index`,
//! read in place from the set's map), each with its entry id, quality and
//! distance; and the full check of that region, which `verify` runs.

use super::layout::{NONE_U32, PDQ_ROW, u32_at};
use super::read::{CompiledSet, PdqRegion};
use crate::hashsets::PdqMatch;
use crate::perceptual::index::PdqIndexView;

/// One PDQ entry a picture matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdqFound {
    /// The set's entry id.
    pub entry: u32,
    /// Hamming distance between the picture's hash and the entry's.
    pub distance: u32,
}

impl CompiledSet {
    /// How many PDQ hashes the set holds.
    pub fn pdq_count(&self) -> u64 {
        self.pdq.map_or(0, |p| p.count as u64)
    }

    /// How the set's PDQ entries match (`None` when it has none).
    pub fn pdq_match(&self) -> Option<PdqMatch> {
        self.pdq.and(self.provenance().pdq)
    }

    /// The PDQ index, opened over the map (its header is checked again: a
    /// few hundred bytes).
    fn pdq_view(&self) -> Option<(PdqIndexView<'_>, PdqRegion)> {
        let r = self.pdq?;
        let b: &[u8] = &self.map;
        let bytes = b.get(r.index..)?.get(..r.index_len)?;
        Some((PdqIndexView::open(bytes).ok()?, r))
    }

    /// The entry id and stated quality of PDQ row `i`.
    fn pdq_row(&self, r: &PdqRegion, i: u32) -> Option<(u32, Option<u32>)> {
        let at = r.rows.checked_add((i as usize).checked_mul(PDQ_ROW)?)?;
        let id = u32_at(&self.map, at)?;
        let q = u32_at(&self.map, at + 4)?;
        Some((id, (q != NONE_U32).then_some(q)))
    }

    /// Every PDQ entry within the set's threshold of any of `views` (a
    /// picture's hash, and those of its rotated and mirrored views), where
    /// the picture's `quality` and the entry's stated quality are both at
    /// least the set's minimum, into `out` (cleared first): one per entry,
    /// at its smallest distance, nearest first. The index is opened and the
    /// query planned once for all the views.
    pub fn lookup_pdq(&self, views: &[[u8; 32]], quality: u8, out: &mut Vec<PdqFound>) {
        out.clear();
        let (Some(m), Some((view, r))) = (self.pdq_match(), self.pdq_view()) else {
            return;
        };
        if quality < m.min_quality {
            return;
        }
        let mut searcher = view.searcher(m.threshold);
        let mut near = Vec::new();
        for hash in views {
            searcher.query(hash, &mut near);
            for &(i, distance) in &near {
                // A row the set cannot read, or an entry id out of range,
                // exists only in a damaged set, which `verify` fails before
                // any hit is used.
                let Some((entry, q)) = self.pdq_row(&r, i) else {
                    continue;
                };
                if u64::from(entry) >= self.entry_count()
                    || q.is_some_and(|q| q < u32::from(m.min_quality))
                {
                    continue;
                }
                out.push(PdqFound { entry, distance });
            }
        }
        out.sort_unstable_by_key(|f| (f.entry, f.distance));
        out.dedup_by_key(|f| f.entry);
        out.sort_unstable_by_key(|f| (f.distance, f.entry));
    }

    /// Every PDQ hash of the set with its entry id and stated quality, in
    /// entry order (for export and inspection). Short on a damaged set.
    pub fn pdq_entries(&self) -> Vec<([u8; 32], u32, Option<u8>)> {
        let Some((view, r)) = self.pdq_view() else {
            return Vec::new();
        };
        (0..r.count as u32)
            .map_while(|i| {
                let (id, q) = self.pdq_row(&r, i)?;
                Some((view.entry(i)?, id, q.and_then(|q| u8::try_from(q).ok())))
            })
            .collect()
    }

    /// The full check of the PDQ region: the index's own structure, and
    /// every row's entry id in range and increasing (rows are written in
    /// entry order) and quality 0-100 or unstated. `None` when stopped.
    pub(super) fn check_pdq(&self, stop: &dyn Fn() -> bool) -> Option<Result<(), String>> {
        let Some(r) = self.pdq else {
            return Some(Ok(()));
        };
        let Some((view, r)) = self.pdq_view().filter(|(_, x)| x.count == r.count) else {
            return Some(Err("PDQ index unreadable".into()));
        };
        match view.verify_until(stop) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(Err(format!("PDQ index: {e}"))),
        }
        let mut last = None;
        for i in 0..r.count as u32 {
            let Some((id, q)) = self.pdq_row(&r, i) else {
                return Some(Err(format!("PDQ row {i} unreadable")));
            };
            if u64::from(id) >= self.entry_count() || last.is_some_and(|l| id <= l) {
                return Some(Err(format!(
                    "PDQ row {i}: entry id {id} out of order or range"
                )));
            }
            if q.is_some_and(|q| q > 100) {
                return Some(Err(format!("PDQ row {i}: quality out of range")));
            }
            last = Some(id);
        }
        Some(Ok(()))
    }
}
