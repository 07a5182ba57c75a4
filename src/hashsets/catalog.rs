//! The sets selected for a scan, and matching a file's digests against them.

use std::sync::Arc;

use super::{CompiledSet, SetKind};
use crate::hashing::{Algorithm, AlgorithmSet, DigestSet};

/// One match of a file against one set entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Index of the set in the catalog.
    pub set: u16,
    /// What the match means (category profile applied).
    pub kind: SetKind,
    /// The digest that matched.
    pub algorithm: Algorithm,
    /// Entry id within the set.
    pub entry: u32,
    /// Raw category of the entry, where it has one.
    pub category: Option<i64>,
}

/// Loaded sets, shared read-only by every hashing thread.
#[derive(Clone, Default)]
pub struct HashSetCatalog {
    sets: Vec<Arc<CompiledSet>>,
}

impl HashSetCatalog {
    /// A catalog of the given sets (at most 65,535).
    pub fn new(sets: Vec<CompiledSet>) -> Self {
        HashSetCatalog {
            sets: sets
                .into_iter()
                .take(u16::MAX as usize)
                .map(Arc::new)
                .collect(),
        }
    }

    /// The sets, in hit-index order.
    pub fn sets(&self) -> &[Arc<CompiledSet>] {
        &self.sets
    }

    /// Every digest some entry of some set holds: what a scan must compute
    /// so that no entry can go unmatched.
    pub fn required_algorithms(&self) -> AlgorithmSet {
        self.sets.iter().fold(AlgorithmSet::EMPTY, |need, set| {
            need.union(set_algorithms(set))
        })
    }

    /// True when no set is loaded.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// Every entry of every set that one of `digests` matches. A file matched
    /// by two algorithms of the same entry yields one hit (the first
    /// algorithm in MD5, SHA-1, SHA-256, BLAKE3 order).
    pub fn lookup(&self, digests: &DigestSet) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut ids = Vec::new();
        for (si, set) in self.sets.iter().enumerate() {
            let start = hits.len();
            for a in Algorithm::ALL {
                let Some(d) = digests.get(a) else { continue };
                ids.clear();
                set.lookup(a, d, &mut ids);
                for &id in &ids {
                    if hits[start..].iter().any(|h: &Hit| h.entry == id) {
                        continue;
                    }
                    let category = set.entry(id).category;
                    hits.push(Hit {
                        set: si as u16,
                        kind: set.kind_of(id),
                        algorithm: a,
                        entry: id,
                        category,
                    });
                }
            }
        }
        hits
    }
}

/// The digests `set` holds entries for: what matching it needs computed.
pub fn set_algorithms(set: &CompiledSet) -> AlgorithmSet {
    Algorithm::ALL
        .into_iter()
        .filter(|a| set.digests(*a).next().is_some())
        .fold(AlgorithmSet::EMPTY, AlgorithmSet::with)
}

/// How a file's hits classify it: any alert wins over ignore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// No hit.
    None,
    /// Only informational hits.
    Info,
    /// Only known-good (and informational) hits: filtered out.
    KnownGood,
    /// At least one alert hit: flagged.
    Alert,
}

/// The verdict for a file's hits.
pub fn verdict(hits: &[Hit]) -> Verdict {
    if hits.iter().any(|h| h.kind == SetKind::Alert) {
        Verdict::Alert
    } else if hits.iter().any(|h| h.kind == SetKind::Ignore) {
        Verdict::KnownGood
    } else if hits.is_empty() {
        Verdict::None
    } else {
        Verdict::Info
    }
}
