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
    /// What matched: a digest, or a PDQ hash within the set's threshold.
    pub basis: Basis,
    /// Entry id within the set.
    pub entry: u32,
    /// Raw category of the entry, where it has one.
    pub category: Option<i64>,
}

/// What a hit matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// An exact digest.
    Digest(Algorithm),
    /// A PDQ perceptual hash within the set's threshold: a near-duplicate
    /// (a resized, re-encoded or mirrored copy), never proof of identity.
    Pdq {
        /// Hamming distance, 0-256.
        distance: u32,
        /// On the last hit listed for a set: how many more of its entries
        /// lie within the threshold, not listed (at most
        /// [`MAX_PDQ_HITS`] are, nearest first).
        more: u32,
    },
}

/// Most PDQ hits recorded for one picture and one set, nearest first; the
/// rest are counted on the last. A set with thousands of entries around
/// one picture (near-identical copies, or a list built to flood) would
/// otherwise write a hit row per entry for every such picture.
pub const MAX_PDQ_HITS: usize = 32;

impl Basis {
    /// `md5`, `sha1`, `sha256`, `blake3` or `pdq` (the case's `algorithm`).
    pub fn name(self) -> &'static str {
        match self {
            Basis::Digest(a) => a.name(),
            Basis::Pdq { .. } => "pdq",
        }
    }

    /// Entries of the same set within the threshold beyond those listed.
    pub fn more(self) -> u32 {
        match self {
            Basis::Digest(_) => 0,
            Basis::Pdq { more, .. } => more,
        }
    }

    /// The distance of a PDQ match.
    pub fn distance(self) -> Option<u32> {
        match self {
            Basis::Digest(_) => None,
            Basis::Pdq { distance, .. } => Some(distance),
        }
    }
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
                        basis: Basis::Digest(a),
                        entry: id,
                        category: entry.category,
                    });
                }
            }
        }
        hits
    }

    /// True when some set holds PDQ hashes: a scan must then compute the
    /// PDQ hash of every picture, or it would miss their near-duplicates.
    pub fn has_pdq(&self) -> bool {
        self.sets.iter().any(|s| s.pdq_count() > 0)
    }

    /// Why a picture of PDQ `quality` was not matched against some PDQ
    /// set (its quality is below that set's minimum), for the case to
    /// show: such a picture is too featureless for its hash to tell
    /// pictures apart, and the case says it was not matched rather than
    /// leave it unmatched without a word.
    pub fn pdq_quality_note(&self, quality: u8) -> Option<String> {
        let below: Vec<String> = self
            .sets
            .iter()
            .filter_map(|s| {
                let m = s.pdq_match()?;
                (quality < m.min_quality)
                    .then(|| format!("{} (minimum {})", s.provenance().name, m.min_quality))
            })
            .collect();
        (!below.is_empty()).then(|| {
            format!(
                "PDQ quality {quality} is too low to match on: not matched against {}",
                below.join(", ")
            )
        })
    }

    /// The names of the sets that hold PDQ hashes.
    pub fn pdq_sets(&self) -> Vec<String> {
        self.sets
            .iter()
            .filter(|s| s.pdq_count() > 0)
            .map(|s| s.provenance().name.clone())
            .collect()
    }

    /// Every PDQ entry of every set within that set's threshold of a
    /// picture of `quality` (each set's quality minimum applied to both
    /// sides), by any of its `views` (its hash, then those of its rotated
    /// and mirrored views, so that a rotated or mirrored copy of a listed
    /// picture is found): one hit per entry, at its smallest distance,
    /// nearest first within a set.
    pub fn lookup_pdq(&self, views: &[[u8; 32]], quality: u8) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut best = Vec::new();
        for (si, set) in self.sets.iter().enumerate() {
            if set.pdq_count() == 0 {
                continue;
            }
            // One per entry, at its nearest view's distance, nearest first.
            set.lookup_pdq(views, quality, &mut best);
            let more = best.len().saturating_sub(MAX_PDQ_HITS);
            best.truncate(MAX_PDQ_HITS);
            let last = best.len().saturating_sub(1);
            for (i, f) in best.iter().enumerate() {
                let (Some(entry), Some(kind)) = (set.entry(f.entry), set.kind_of(f.entry)) else {
                    self.note_damage(set, format!("entry {} unreadable", f.entry));
                    continue;
                };
                hits.push(Hit {
                    set: si as u16,
                    kind,
                    basis: Basis::Pdq {
                        distance: f.distance,
                        more: if i == last {
                            u32::try_from(more).unwrap_or(u32::MAX)
                        } else {
                            0
                        },
                    },
                    entry: f.entry,
                    category: entry.category,
                });
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
