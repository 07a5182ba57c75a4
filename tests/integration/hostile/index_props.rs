//! Property tests of the index reader: whatever the bytes (random, or a
//! valid index with bytes changed, cut short or resealed), opening, lookups,
//! entries, kinds, digests and verification never panic, and a changed byte
//! never goes unnoticed; a valid index built from random entries gives back
//! exactly what was put in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ferret::Algorithm;
use ferret::hashsets::index::{CategoryProfile, IndexBuilder};
use ferret::hashsets::{CompiledSet, Entry, Format, PdqEntry, PdqMatch, SetKind};
use proptest::prelude::*;

use super::reseal;

/// A fresh file name per case (a set from an earlier case may still be
/// mapped while the next is written).
fn case_path(dir: &Path) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    dir.join(format!("case{}.fhs", N.fetch_add(1, Ordering::Relaxed)))
}

/// One random entry: some digests, maybe a category, name and extra field.
#[derive(Debug, Clone)]
struct Spec {
    md5: Option<[u8; 16]>,
    sha1: Option<[u8; 20]>,
    sha256: Option<[u8; 32]>,
    category: Option<i64>,
    name: Option<String>,
    pdq: Option<([u8; 32], Option<u8>)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<Option<[u8; 16]>>(),
        any::<Option<[u8; 20]>>(),
        any::<Option<[u8; 32]>>(),
        prop::option::of(0i64..6),
        prop::option::of("[a-z]{0,12}"),
        prop::option::of((any::<[u8; 32]>(), prop::option::of(0u8..=100))),
    )
        .prop_filter("an entry has a digest", |(m, s, s2, _, _, p)| {
            m.is_some() || s.is_some() || s2.is_some() || p.is_some()
        })
        .prop_map(|(md5, sha1, sha256, category, name, pdq)| Spec {
            md5,
            sha1,
            sha256,
            category,
            name,
            pdq,
        })
}

fn entry(s: &Spec) -> Entry {
    let mut e = Entry::default();
    e.digests.md5 = s.md5;
    e.digests.sha1 = s.sha1;
    e.digests.sha256 = s.sha256;
    e.category = s.category;
    e.name = s.name.clone();
    e.pdq = s.pdq.map(|(hash, quality)| PdqEntry { hash, quality });
    if s.category == Some(5) {
        e.extra.push(("Series".into(), "x".into()));
    }
    e
}

/// Writes a valid index of `specs` (categorised by the US profile when
/// `vics`) and returns its path.
fn build(dir: &Path, specs: &[Spec], vics: bool) -> PathBuf {
    let mut b = IndexBuilder::default();
    for s in specs {
        b.add(&entry(s)).unwrap();
    }
    let format = if vics { Format::Vics } else { Format::Plain };
    let provenance = super::provenance_of(
        &b,
        format,
        vics.then(CategoryProfile::us),
        b.has_pdq().then(PdqMatch::default),
    );
    let path = case_path(dir);
    b.write(&path, &provenance).unwrap();
    path
}

/// Asks a set everything a caller can, checking only what must hold of
/// any set: no panic, no id it does not have.
fn poke(set: &CompiledSet, probes: &[Vec<u8>]) {
    let n = set.entry_count();
    for a in Algorithm::ALL {
        let mut ids = Vec::new();
        for p in probes {
            let mut d = p.clone();
            d.resize(a.digest_len(), 0);
            set.lookup(a, &d, &mut ids);
        }
        let keys: Vec<&[u8]> = probes.iter().map(Vec::as_slice).collect();
        let mut pairs = Vec::new();
        set.lookup_batch(a, &keys, &mut pairs);
        assert!(
            ids.iter()
                .chain(pairs.iter().map(|(_, id)| id))
                .all(|&id| u64::from(id) < n)
        );
        for (d, id) in set.digests(a).take(10_000) {
            assert_eq!(d.len(), a.digest_len());
            assert!(u64::from(id) < n);
        }
    }
    for id in [0, 1, 2, n.saturating_sub(1) as u32, n as u32, u32::MAX] {
        let known = u64::from(id) < n;
        assert_eq!(set.entry(id).is_some(), known);
        assert_eq!(set.kind_of(id).is_some(), known);
    }
    let mut near = Vec::new();
    for p in probes {
        let mut h = [0u8; 32];
        h[..p.len().min(32)].copy_from_slice(&p[..p.len().min(32)]);
        set.lookup_pdq(&[h], 100, &mut near);
        assert!(
            near.iter()
                .all(|f| u64::from(f.entry) < n && f.distance <= 64)
        );
    }
    for (_, id, q) in set.pdq_entries().into_iter().take(10_000) {
        assert!(u64::from(id) < n && q.is_none_or(|q| q <= 100));
    }
    let _ = set.verify();
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes, some behind a valid magic and version.
    #[test]
    fn arbitrary_bytes_never_panic(
        mut bytes in prop::collection::vec(any::<u8>(), 0..1200),
        framed in any::<bool>(),
        probes in prop::collection::vec(prop::collection::vec(any::<u8>(), 16..=32), 0..8),
    ) {
        if framed && bytes.len() >= 12 {
            bytes[..8].copy_from_slice(b"FERRETHS");
            bytes[8..12].copy_from_slice(&4u32.to_le_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = case_path(dir.path());
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(set) = CompiledSet::open(&path) {
            poke(&set, &probes);
        }
    }

    /// A valid index with bytes changed (flipped, then maybe resealed so
    /// that the checksums hold), cut short or lengthened: never a panic;
    /// unsealed, a change never passes verification.
    #[test]
    fn damaged_indexes_never_panic_and_never_verify(
        specs in prop::collection::vec(spec(), 1..40),
        vics in any::<bool>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
        sealed in any::<bool>(),
        probes in prop::collection::vec(prop::collection::vec(any::<u8>(), 16..=32), 0..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = build(dir.path(), &specs, vics);
        let mut b = std::fs::read(&path).unwrap();
        for (at, x) in &flips {
            let i = at.index(b.len());
            b[i] ^= x;
        }
        if let Some(cut) = cut {
            let len = cut.index(b.len() + 64);
            b.resize(len, 0);
        }
        if sealed && b.len() > 200 {
            let header_len = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
            if header_len + 32 <= b.len() && header_len >= 224 {
                reseal(&mut b);
            }
        }
        let original = std::fs::read(&path).unwrap();
        let damaged = case_path(dir.path());
        std::fs::write(&damaged, &b).unwrap();
        if let Ok(set) = CompiledSet::open(&damaged) {
            poke(&set, &probes);
            if !sealed && b != original {
                prop_assert!(set.verify().is_err(), "a changed byte went unnoticed");
            }
        }
    }

    /// Every digest put in is found with its entry ids, kind and category;
    /// other digests are not; batches and `digests()` agree.
    #[test]
    fn a_valid_index_round_trips(
        specs in prop::collection::vec(spec(), 1..200),
        vics in any::<bool>(),
        others in prop::collection::vec(any::<[u8; 32]>(), 0..32),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = build(dir.path(), &specs, vics);
        let set = CompiledSet::open(&path).unwrap();
        prop_assert!(set.verify().is_ok());
        prop_assert_eq!(set.entry_count(), specs.len() as u64);
        let mut want: BTreeMap<(Algorithm, Vec<u8>), BTreeSet<u32>> = BTreeMap::new();
        for (id, s) in specs.iter().enumerate() {
            let id = id as u32;
            let digests = [
                (Algorithm::Md5, s.md5.map(|d| d.to_vec())),
                (Algorithm::Sha1, s.sha1.map(|d| d.to_vec())),
                (Algorithm::Sha256, s.sha256.map(|d| d.to_vec())),
            ];
            for (a, d) in digests {
                if let Some(d) = d {
                    want.entry((a, d)).or_default().insert(id);
                }
            }
            let info = set.entry(id).unwrap();
            prop_assert_eq!(info.category, s.category);
            prop_assert_eq!(&info.name, &s.name);
            let kind = if vics { CategoryProfile::us().kind_of(s.category) } else { SetKind::Alert };
            prop_assert_eq!(set.kind_of(id), Some(kind));
        }
        for ((a, d), ids) in &want {
            let mut got = Vec::new();
            set.lookup(*a, d, &mut got);
            prop_assert_eq!(&got.iter().copied().collect::<BTreeSet<u32>>(), ids);
            prop_assert_eq!(got.len(), ids.len());
        }
        for a in [Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256] {
            let listed: Vec<(Vec<u8>, u32)> = set.digests(a).collect();
            let expected: Vec<(Vec<u8>, u32)> = want
                .iter()
                .filter(|((wa, _), _)| *wa == a)
                .flat_map(|((_, d), ids)| ids.iter().map(move |&id| (d.clone(), id)))
                .collect();
            prop_assert_eq!(listed, expected);
            let keys: Vec<Vec<u8>> = others
                .iter()
                .map(|o| o[..a.digest_len()].to_vec())
                .chain(want.keys().filter(|(wa, _)| *wa == a).map(|(_, d)| d.clone()))
                .collect();
            let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            let mut pairs = Vec::new();
            set.lookup_batch(a, &refs, &mut pairs);
            let mut single = Vec::new();
            for (k, key) in keys.iter().enumerate() {
                let mut ids = Vec::new();
                set.lookup(a, key, &mut ids);
                if !want.contains_key(&(a, key.clone())) {
                    prop_assert!(ids.is_empty(), "an absent digest was found");
                }
                single.extend(ids.into_iter().map(|id| (k, id)));
            }
            pairs.sort();
            single.sort();
            prop_assert_eq!(pairs, single);
        }
        // BLAKE3: none was added, none is found.
        let mut ids = Vec::new();
        set.lookup(Algorithm::Blake3, &[0u8; 32], &mut ids);
        prop_assert!(ids.is_empty());
        // PDQ: exactly the entries within 31 bits whose stated quality is
        // at least 50, against a comparison with every entry; a picture
        // below quality 50 matches nothing.
        let queries: Vec<[u8; 32]> = specs
            .iter()
            .filter_map(|s| s.pdq.map(|(h, _)| {
                let mut near = h;
                near[0] ^= 0x0f;
                near[31] ^= 0xf0;
                [h, near]
            }))
            .flatten()
            .chain(others.iter().copied())
            .collect();
        for q in &queries {
            let mut got = Vec::new();
            set.lookup_pdq(std::slice::from_ref(q), 50, &mut got);
            let mut got: Vec<(u32, u32)> = got.iter().map(|f| (f.entry, f.distance)).collect();
            got.sort();
            let want: Vec<(u32, u32)> = specs
                .iter()
                .enumerate()
                .filter_map(|(id, s)| {
                    let (h, quality) = s.pdq?;
                    let d: u32 = h.iter().zip(q).map(|(a, b)| (a ^ b).count_ones()).sum();
                    (d <= 31 && quality.is_none_or(|q| q >= 50)).then_some((id as u32, d))
                })
                .collect();
            prop_assert_eq!(got, want);
            let mut low = Vec::new();
            set.lookup_pdq(std::slice::from_ref(q), 49, &mut low);
            prop_assert!(low.is_empty());
        }
        let listed: Vec<_> = set.pdq_entries();
        let expected: Vec<_> = specs
            .iter()
            .enumerate()
            .filter_map(|(id, s)| s.pdq.map(|(h, q)| (h, id as u32, q)))
            .collect();
        prop_assert_eq!(listed, expected);
    }
}
