//! What a resumed scan may skip: entries a case already holds.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;

use crate::evidence::Meta;
use crate::pathfmt::item_key;

/// Paths already recorded, with the size and mtime (ns) they had.
#[derive(Debug, Clone, Default)]
pub struct ResumeSet {
    done: HashMap<Vec<u8>, (Option<u64>, Option<i64>)>,
}

impl ResumeSet {
    /// From `path → (size, mtime in ns since the epoch)`.
    pub fn new(done: HashMap<Vec<u8>, (Option<u64>, Option<i64>)>) -> Self {
        ResumeSet { done }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }

    /// True when `rel` is recorded with this size and mtime (a file that
    /// changed since is read again).
    pub fn is_done(&self, rel: &Path, stream: Option<&OsStr>, meta: &Meta) -> bool {
        let mtime = meta.mtime.and_then(|t| {
            t.secs
                .checked_mul(1_000_000_000)?
                .checked_add(i64::from(t.nanos))
        });
        self.done
            .get(&item_key(rel, stream))
            .is_some_and(|&(size, m)| size == Some(meta.size) && m == mtime)
    }
}
