//! Perceptual hashes of the pictures a scan meets: after a file is hashed,
//! a still picture (by its signature) is read again (from the page cache,
//! as it was just read) and decoded under the preview's limits, and its
//! PDQ hash and quality are recorded; a picture that cannot be decoded is
//! recorded with the reason, never skipped silently. Its hash is then
//! matched against the PDQ entries of the selected sets.

use std::io::Read;

use super::walk::FileTask;
use crate::evidence::EvidenceRoot;
use crate::job::{FileRecord, Outcome, Perceptual};

/// What the scan records of `rec`'s picture, if it is one: `None` for any
/// file that is no picture (by its signature).
pub(super) fn of_file(
    root: &EvidenceRoot,
    task: &FileTask,
    rec: &FileRecord,
) -> Option<Perceptual> {
    let Outcome::Hashed { class, len, .. } = &rec.outcome else {
        return None;
    };
    if let Some(not_decoded) = crate::perceptual::picture(class)? {
        return Some(not_decoded);
    }
    let max = crate::perceptual::MAX_INPUT;
    if *len > max as u64 {
        return Some(Perceptual::NotHashed(format!(
            "larger than the {} MiB decoded for a perceptual hash",
            max >> 20
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(*len).unwrap_or(0).min(max));
    let read = root
        .open_item(&task.rel_path, task.stream.as_deref())
        .map_err(|e| e.to_string())
        .and_then(|f| {
            f.take(max as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())
        });
    if let Err(e) = read {
        return Some(Perceptual::NotHashed(format!(
            "could not be read again: {e}"
        )));
    }
    if bytes.len() as u64 != *len {
        return Some(Perceptual::NotHashed(
            "changed since it was hashed: no perceptual hash".into(),
        ));
    }
    Some(Perceptual::of_image(&bytes))
}

/// The PDQ hits of a picture's hash against the selected sets' PDQ
/// entries, added to `hits` (nothing for a picture without a PDQ hash).
pub(super) fn match_sets(
    perceptual: Option<&Perceptual>,
    catalog: &crate::hashsets::HashSetCatalog,
    hits: &mut Vec<crate::hashsets::Hit>,
) {
    if let Some(p @ Perceptual::Pdq { quality, .. }) = perceptual
        && catalog.has_pdq()
    {
        hits.extend(catalog.lookup_pdq(&p.all_views(), *quality));
    }
}
