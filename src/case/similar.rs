//! Near-duplicate groups inside a case: pictures whose PDQ hashes are
//! within a distance of each other (31 bits of 256 by default, the match
//! threshold) share a `similar_group`, so a reviewer sees a picture with its
//! resized, re-encoded and mirrored copies and can mark them together.
//!
//! Groups are the connected parts of the "within the threshold" relation
//! (single linkage): two pictures share a group when a chain of pictures,
//! each within the threshold of the next, joins them. A picture is
//! compared as it is and turned or mirrored (its eight dihedral views,
//! kept in the case since schema 5), so a rotated or mirrored copy joins
//! the group as it matches a set's entry. A group is named by
//! its lowest file id; a picture alone has no group. Pictures below the
//! minimum quality are left out, as they are of matching: a featureless
//! picture's hash says little about what it shows.
//!
//! Regrouping is done over the whole case after every scan (a new exhibit
//! can join pictures of an earlier one), through the PDQ index that matches
//! hash sets, built in memory: exact (every pair within the threshold is
//! found), and fast enough for the pictures of a seizure (each query probes
//! the index rather than comparing every pair).

use rusqlite::params;

use super::{CaseError, CaseStore};
use crate::perceptual::index::{PdqIndex, PdqIndexView};

/// What a regrouping found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SimilarSummary {
    /// Pictures with a PDQ hash of sufficient quality.
    pub pictures: u64,
    /// Groups of two or more.
    pub groups: u64,
    /// Pictures in some group.
    pub grouped: u64,
}

/// One picture of a group, as `ferret case similar` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimilarItem {
    /// File id.
    pub id: i64,
    /// Exhibit.
    pub exhibit: String,
    /// Item path (escaped, as every output names it).
    pub path: String,
    /// PDQ hash (64 hex).
    pub pdq: String,
    /// Its quality.
    pub quality: i64,
    /// Distance from the item asked about.
    pub distance: u32,
}

/// Smallest root of `i` (path halving).
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while let Some(&p) = parent.get(i) {
        if p == i {
            break;
        }
        let gp = parent.get(p).copied().unwrap_or(p);
        if let Some(slot) = parent.get_mut(i) {
            *slot = gp;
        }
        i = gp;
    }
    i
}

impl CaseStore {
    /// Recomputes every picture's near-duplicate group over the whole case
    /// (see the module header), in one transaction, and logs it.
    pub fn group_similar(
        &self,
        threshold: u32,
        min_quality: u8,
        actor: &str,
    ) -> Result<SimilarSummary, CaseError> {
        group_similar(&self.conn, threshold, min_quality, actor)
    }

    /// The file id of an item named by its id or its item path (as the
    /// outputs print it: path, `:stream`, member chain), in any exhibit.
    /// A text that is both an id and a path names every item it can mean,
    /// so the caller reports the ambiguity rather than pick one.
    pub fn find_item(&self, item: &str) -> Result<Vec<i64>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT id FROM files WHERE path_text || coalesce(':' || stream_text, '')
                 || coalesce(member_text, '') = ?1 ORDER BY id",
        )?;
        let mut ids: Vec<i64> = st
            .query_map([item], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if let Ok(id) = item.parse::<i64>() {
            let found: Option<i64> = rusqlite::OptionalExtension::optional(self.conn.query_row(
                "SELECT id FROM files WHERE id = ?1",
                [id],
                |r| r.get(0),
            ))?;
            if let Some(id) = found
                && !ids.contains(&id)
            {
                ids.insert(0, id);
            }
        }
        Ok(ids)
    }

    /// The pictures of `file_id`'s near-duplicate group, itself first, then
    /// by distance from it and id; empty when it is in no group.
    pub fn similar_to(&self, file_id: i64) -> Result<Vec<SimilarItem>, CaseError> {
        let mut st = self.conn.prepare(
            "SELECT f.id, e.exhibit, f.path_text || coalesce(':' || f.stream_text, '')
                    || coalesce(f.member_text, ''),
                    CASE WHEN typeof(f.pdq) = 'blob' THEN f.pdq END,
                    CASE WHEN typeof(f.pdq_quality) = 'integer' THEN f.pdq_quality END,
                    CASE WHEN typeof(f.pdq_views) = 'blob' THEN f.pdq_views END
             FROM files f JOIN evidence e ON e.id = f.evidence_id
             WHERE f.similar_group = (SELECT similar_group FROM files WHERE id = ?1)",
        )?;
        let rows = st.query_map([file_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<Vec<u8>>>(5)?,
            ))
        })?;
        let rows: Vec<_> = rows.collect::<Result<_, _>>()?;
        let hash_of = |v: &Option<Vec<u8>>| v.as_deref().and_then(|b| <[u8; 32]>::try_from(b).ok());
        // The item's hash and its rotated and mirrored views: a member's
        // distance is to the nearest of them.
        let own: Vec<[u8; 32]> = match rows.iter().find(|r| r.0 == file_id) {
            Some(r) => {
                let views = r.5.as_deref().unwrap_or_default();
                let (views, rest) = views.as_chunks::<32>();
                let views = if views.len() == 7 && rest.is_empty() {
                    views
                } else {
                    &[]
                };
                hash_of(&r.3)
                    .into_iter()
                    .chain(views.iter().copied())
                    .collect()
            }
            None => Vec::new(),
        };
        let mut items: Vec<SimilarItem> = rows
            .iter()
            .filter_map(|(id, exhibit, path, pdq, q, _)| {
                let h = hash_of(pdq)?;
                let distance = own
                    .iter()
                    .map(|o| o.iter().zip(&h).map(|(a, b)| (a ^ b).count_ones()).sum())
                    .min()
                    .unwrap_or(256);
                Some(SimilarItem {
                    id: *id,
                    exhibit: crate::pathfmt::display_safe(exhibit).into_owned(),
                    path: crate::pathfmt::display_safe(path).into_owned(),
                    pdq: hex::encode(h),
                    quality: q.unwrap_or(0),
                    distance,
                })
            })
            .collect();
        items.sort_by_key(|i| (i.id != file_id, i.distance, i.id));
        Ok(items)
    }
}

/// [`CaseStore::group_similar`] on a connection (the scan's writer runs it
/// on its own thread when the scan's records are in).
pub(crate) fn group_similar(
    conn: &rusqlite::Connection,
    threshold: u32,
    min_quality: u8,
    actor: &str,
) -> Result<SimilarSummary, CaseError> {
    let mut ids = Vec::new();
    let mut hashes: Vec<[u8; 32]> = Vec::new();
    // Each picture's rotated and mirrored views, where recorded.
    let mut views: Vec<Vec<[u8; 32]>> = Vec::new();
    {
        let mut st = conn.prepare(
            // Only 32-byte BLOBs are PDQ hashes: any other value (a
            // crafted case) is left out, never an error that would keep
            // a scan's end from being recorded.
            "SELECT id, pdq, CASE WHEN typeof(pdq_views) = 'blob' THEN pdq_views END
             FROM files WHERE typeof(pdq) = 'blob' AND length(pdq) = 32
                 AND pdq_quality >= ?1 ORDER BY id",
        )?;
        let rows = st.query_map([i64::from(min_quality)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, pdq, v) = row?;
            // A hash of another length is no PDQ hash (a crafted case):
            // left out of grouping, never a panic.
            if let Ok(h) = <[u8; 32]>::try_from(pdq.as_slice()) {
                ids.push(id);
                hashes.push(h);
                // Views of any other length than seven hashes: none.
                let v = v.unwrap_or_default();
                let (chunks, rest) = v.as_chunks::<32>();
                views.push(if chunks.len() == 7 && rest.is_empty() {
                    chunks.to_vec()
                } else {
                    Vec::new()
                });
            }
        }
    }
    let mut parent: Vec<usize> = (0..hashes.len()).collect();
    let join = |parent: &mut Vec<usize>, i: usize, j: usize| {
        let (a, b) = (root(parent, i), root(parent, j));
        if a != b {
            // The lower index is the root: a group is named by its
            // lowest file id (ids are in ascending order).
            let (lo, hi) = (a.min(b), a.max(b));
            if let Some(slot) = parent.get_mut(hi) {
                *slot = lo;
            }
        }
    };
    // Identical hashes (copies of one picture) are joined directly and
    // queried once: 20,000 copies of one picture took 99 s as 20,000
    // queries each answering all 20,000.
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    order.sort_unstable_by_key(|&i| hashes.get(i).copied().unwrap_or_default());
    let mut unique: Vec<[u8; 32]> = Vec::new();
    let mut first_of: Vec<usize> = Vec::new();
    for &i in &order {
        let h = hashes.get(i).copied().unwrap_or_default();
        match (unique.last(), first_of.last()) {
            (Some(u), Some(&f)) if *u == h => join(&mut parent, f, i),
            _ => {
                unique.push(h);
                first_of.push(i);
            }
        }
    }
    if unique.len() > 1 {
        let bytes = PdqIndex::build_for_threshold(&unique, threshold)
            .map_err(|e| CaseError::Grouping(e.to_string()))?;
        let view = PdqIndexView::open(&bytes).map_err(|e| CaseError::Grouping(e.to_string()))?;
        let mut searcher = view.searcher(threshold);
        let mut near = Vec::new();
        for (u, h) in unique.iter().enumerate() {
            let Some(&i) = first_of.get(u) else { continue };
            // The picture as it is and turned or mirrored: a rotated copy
            // of a picture joins its group, as it matches its set entry.
            let turned = views.get(i).map(Vec::as_slice).unwrap_or_default();
            for view in std::iter::once(h).chain(turned) {
                searcher.query(view, &mut near);
                for &(v, _) in &near {
                    if let Some(&j) = first_of.get(v as usize) {
                        join(&mut parent, i, j);
                    }
                }
            }
        }
    }
    let roots: Vec<usize> = (0..hashes.len()).map(|i| root(&mut parent, i)).collect();
    let mut size = vec![0u64; hashes.len()];
    for &r in &roots {
        if let Some(n) = size.get_mut(r) {
            *n += 1;
        }
    }
    let mut summary = SimilarSummary {
        pictures: hashes.len() as u64,
        ..Default::default()
    };
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE files SET similar_group = NULL WHERE similar_group IS NOT NULL",
        [],
    )?;
    {
        let mut set = tx.prepare("UPDATE files SET similar_group = ?1 WHERE id = ?2")?;
        for (i, &r) in roots.iter().enumerate() {
            if size.get(r).copied().unwrap_or(0) < 2 {
                continue;
            }
            if r == i {
                summary.groups += 1;
            }
            summary.grouped += 1;
            if let (Some(group), Some(id)) = (ids.get(r), ids.get(i)) {
                set.execute(params![group, id])?;
            }
        }
    }
    super::audit::append(
        &tx,
        actor,
        "similar_grouped",
        &serde_json::json!({"threshold": threshold, "min_quality": min_quality,
                            "pictures": summary.pictures, "groups": summary.groups,
                            "grouped": summary.grouped})
        .to_string(),
    )?;
    tx.commit()?;
    Ok(summary)
}
