//! The sets selected for a scan, and matching a file's digests against them.
//!
//! A catalog also keeps the first damage found in any of its sets (by
//! [`HashSetCatalog::verify`], or by a lookup that met an entry the set does
//! not have): a scan reads it before it uses a hit and fails instead of
//! labelling a file from a damaged set.

use std::sync::{Arc, OnceLock};

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

/// A set of the catalog found damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDamage {
    /// The set's name.
    pub name: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Loaded sets, shared read-only by every hashing thread.
#[derive(Clone, Default)]
pub struct HashSetCatalog {
    sets: Vec<Arc<CompiledSet>>,
    /// The first damage found, shared by every clone.
    damage: Arc<OnceLock<SetDamage>>,
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
            damage: Arc::default(),
        }
    }

    /// Verifies every set in turn ([`CompiledSet::verify_until`]; each set
    /// is checked once, however many catalogs hold it): `Ok(true)` when all
    /// are sound, `Ok(false)` when `stop` ended it first, the damage
    /// (also kept, see [`damage`](Self::damage)) otherwise.
    pub fn verify(&self, stop: &dyn Fn() -> bool) -> Result<bool, SetDamage> {
        for set in &self.sets {
            match set.verify_until(stop) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => {
                    let reason = match e {
                        super::HashSetError::BadIndex { reason, .. } => reason,
                        other => other.to_string(),
                    };
                    return Err(self.note_damage(set, reason).clone());
                }
            }
        }
        self.damage().map_or(Ok(true), |d| Err(d.clone()))
    }

    /// The first damage found in a set of this catalog, if any.
    pub fn damage(&self) -> Option<&SetDamage> {
        self.damage.get()
    }

    /// Keeps `reason` as the damage of `set` unless one is kept already.
    fn note_damage(&self, set: &CompiledSet, reason: String) -> &SetDamage {
        self.damage.get_or_init(|| SetDamage {
            name: set.provenance().name.clone(),
            reason,
        })
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
                    if hits
                        .get(start..)
                        .unwrap_or_default()
                        .iter()
                        .any(|h: &Hit| h.entry == id)
                    {
                        continue;
                    }
                    // `lookup` gives only ids the set has, so both answer;
                    // if they did not, the set is damaged: kept, and the
                    // scan fails rather than give a default kind.
                    let (Some(entry), Some(kind)) = (set.entry(id), set.kind_of(id)) else {
                        self.note_damage(set, format!("entry {id} unreadable"));
                        continue;
                    };
                    hits.push(Hit {
                        set: si as u16,
                        kind,
                        algorithm: a,
                        entry: id,
                        category: entry.category,
                    });
                }
            }
        }
        hits
    }
}

/// The digests `set` holds entries for: what matching it needs computed.
/// Read from the header's counts, not the records, so a damaged first
/// record cannot make a scan skip a digest the set lists.
pub fn set_algorithms(set: &CompiledSet) -> AlgorithmSet {
    Algorithm::ALL
        .into_iter()
        .filter(|a| set.digest_count(*a) > 0)
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
