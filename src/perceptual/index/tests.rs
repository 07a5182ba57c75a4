//! Exact recall against brute force (random, clustered, the PDQ corpus),
//! the format's checks, and hostile bytes.
#![allow(clippy::indexing_slicing, clippy::unwrap_used)]

use proptest::prelude::*;

use super::Strategy as Method;
use super::layout::{
    BODY_SUM_AT, HASH_LEN, Header, SUM_LEN, check_substrings, distance, distance_within, regions,
};
use super::plan::{ball, choose_shape};
use super::{IndexError, PdqIndex, PdqIndexView, PdqSearcher};

type Hash = [u8; HASH_LEN];

const THRESHOLDS: [u32; 9] = [0, 1, 15, 31, 32, 63, 100, 255, 256];

/// xorshift64*: deterministic test data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hash(&mut self) -> Hash {
        let mut h = [0u8; HASH_LEN];
        for c in h.chunks_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        h
    }
    /// `h` with `k` distinct bits flipped.
    fn near(&mut self, h: &Hash, k: u32) -> Hash {
        let mut out = *h;
        let mut flipped = 0;
        while flipped < k {
            let bit = self.below(256) as usize;
            if (out[bit / 8] ^ h[bit / 8]) & (0x80 >> (bit % 8)) == 0 {
                out[bit / 8] ^= 0x80 >> (bit % 8);
                flipped += 1;
            }
        }
        out
    }
}

fn brute(entries: &[Hash], q: &Hash, threshold: u32) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u32, distance(e, q)))
        .filter(|&(_, d)| d <= threshold)
        .collect();
    v.sort_by_key(|&(i, d)| (d, i));
    v
}

fn naive_distance(a: &Hash, b: &Hash) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Queries near entries (0 to threshold + 8 bits away) and random ones.
fn queries(rng: &mut Rng, entries: &[Hash], count: usize) -> Vec<Hash> {
    (0..count)
        .map(|i| {
            if i % 2 == 1 || entries.is_empty() {
                rng.hash()
            } else {
                let e = entries[rng.below(entries.len() as u64) as usize];
                let k = rng.below(72) as u32;
                rng.near(&e, k)
            }
        })
        .collect()
}

/// Checks every strategy against brute force at every threshold.
fn assert_exact(entries: &[Hash], qs: &[Hash], tuned: u32) {
    let bytes = PdqIndex::build_for_threshold(entries, tuned).unwrap();
    let view = PdqIndexView::open(&bytes).unwrap();
    view.verify().unwrap();
    assert_eq!(view.len(), entries.len());
    let mut out = Vec::new();
    for t in THRESHOLDS {
        for strategy in [Method::Auto, Method::Probe, Method::Scan] {
            let mut s = PdqSearcher::with_strategy(&view, t, strategy);
            for q in qs {
                s.query(q, &mut out);
                assert_eq!(out, brute(entries, q, t), "threshold {t}, {strategy:?}");
            }
        }
    }
}

/// `centres` random hashes, each with `per` members 0 to `spread` bits away,
/// plus exact duplicates.
fn clustered(rng: &mut Rng, centres: usize, per: usize, spread: u64) -> Vec<Hash> {
    let cs: Vec<Hash> = (0..centres).map(|_| rng.hash()).collect();
    let mut v = Vec::new();
    for c in &cs {
        v.push(*c);
        v.push(*c);
        for _ in 0..per {
            let k = rng.below(spread + 1) as u32;
            v.push(rng.near(c, k));
        }
    }
    v
}

#[test]
fn distance_counts_differing_bits() {
    let mut rng = Rng(7);
    for _ in 0..1000 {
        let (a, b) = (rng.hash(), rng.hash());
        let d = naive_distance(&a, &b);
        assert_eq!(distance(&a, &b), d);
        for r in [0, d.saturating_sub(1), d, d + 1, 256] {
            assert_eq!(distance_within(&a, &b, r), Some(d).filter(|&d| d <= r));
        }
        let k = (rng.next() % 40) as u32;
        let c = rng.near(&a, k);
        let d = naive_distance(&a, &c);
        assert_eq!(distance_within(&a, &c, 31), Some(d).filter(|&d| d <= 31));
    }
    assert_eq!(distance(&[0xff; 32], &[0; 32]), 256);
}

#[test]
fn random_set_is_exact() {
    let mut rng = Rng(1);
    let entries: Vec<Hash> = (0..3000).map(|_| rng.hash()).collect();
    let qs = queries(&mut rng, &entries, 60);
    assert_exact(&entries, &qs, 31);
}

#[test]
fn clustered_set_is_exact() {
    let mut rng = Rng(2);
    let entries = clustered(&mut rng, 5, 400, 40);
    let mut qs = queries(&mut rng, &entries, 40);
    // The centres themselves, and points between clusters' edges.
    qs.extend(entries.iter().step_by(401).copied());
    assert_exact(&entries, &qs, 31);
}

#[test]
fn shaped_for_other_thresholds_is_exact() {
    let mut rng = Rng(3);
    let mut entries = clustered(&mut rng, 20, 50, 20);
    entries.extend((0..2000).map(|_| rng.hash()));
    let qs = queries(&mut rng, &entries, 30);
    for tuned in [0, 10, 63] {
        assert_exact(&entries, &qs, tuned);
    }
}

#[test]
fn larger_random_set_probes_and_is_exact() {
    let mut rng = Rng(4);
    let entries: Vec<Hash> = (0..100_000).map(|_| rng.hash()).collect();
    let bytes = PdqIndex::build(&entries).unwrap();
    let view = PdqIndexView::open(&bytes).unwrap();
    view.verify().unwrap();
    let mut s = view.searcher(31);
    assert!(s.probes(), "at 100k entries, threshold 31 should probe");
    let mut out = Vec::new();
    let qs = queries(&mut rng, &entries, 200);
    for q in &qs {
        s.query(q, &mut out);
        assert_eq!(out, brute(&entries, q, 31));
    }
    assert!(!view.searcher(120).probes(), "threshold 120 should scan");
}

#[test]
fn empty_and_tiny_sets() {
    for n in [0usize, 1, 2, 7] {
        let mut rng = Rng(5 + n as u64);
        let entries: Vec<Hash> = (0..n).map(|_| rng.hash()).collect();
        let qs = queries(&mut rng, &entries, 10);
        assert_exact(&entries, &qs, 31);
    }
}

#[test]
fn entries_round_trip() {
    let mut rng = Rng(9);
    let entries: Vec<Hash> = (0..500).map(|_| rng.hash()).collect();
    let bytes = PdqIndex::build(&entries).unwrap();
    let view = PdqIndexView::open(&bytes).unwrap();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(view.entry(i as u32), Some(*e));
    }
    assert_eq!(view.entry(500), None);
    assert_eq!(view.tuned_threshold(), 31);
    // The body starts on a cache line.
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    assert_eq!((header_len + SUM_LEN) % 64, 0);
}

#[test]
fn every_shape_is_valid() {
    for n in [0, 1, 100, 5_000, 1 << 20, 10_000_000, u32::MAX] {
        for t in [0, 31, 63, 255, 1000] {
            let subs = choose_shape(n, t);
            check_substrings(&subs, n).unwrap();
        }
    }
    // The cut measured in examples/pdq_index_bench.rs: 11 substrings.
    assert_eq!(choose_shape(10_000_000, 31).len(), 11);
}

#[test]
fn flips_enumerate_every_mask_once() {
    for bits in 0..=12 {
        let mut all = Vec::new();
        for ones in 0..=bits {
            let f: Vec<u32> = super::query::flips_for_test(bits, ones);
            assert!(f.iter().all(|m| m.count_ones() == ones && *m < 1 << bits));
            all.extend(f);
        }
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1 << bits);
        assert_eq!(ball(bits, bits), f64::from(1u32 << bits));
    }
}

/// The ThreatExchange regression lists: 100 needles against 1,350 haystack
/// hashes (one 64-hex hash per line, first field).
#[test]
fn threatexchange_needles_match_brute_force() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/pdq");
    let base = std::path::Path::new(dir).join("data/reg-test-input");
    let read = |name: &str| -> Option<Vec<Hash>> {
        let text = std::fs::read_to_string(base.join(name)).ok()?;
        Some(
            text.lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter(|f| !f.starts_with('#'))
                .map(|f| {
                    let mut h = [0u8; HASH_LEN];
                    hex::decode_to_slice(f.get(..64).unwrap(), &mut h).unwrap();
                    h
                })
                .collect(),
        )
    };
    let (Some(needles), Some(haystack)) = (read("needles.txt"), read("haystack.txt")) else {
        eprintln!("skipped: PDQ corpus not found under {dir}");
        return;
    };
    assert_eq!((needles.len(), haystack.len()), (100, 1350));
    let bytes = PdqIndex::build(&haystack).unwrap();
    let view = PdqIndexView::open(&bytes).unwrap();
    view.verify().unwrap();
    let mut out = Vec::new();
    let mut matched = 0;
    for strategy in [Method::Auto, Method::Probe] {
        let mut s = PdqSearcher::with_strategy(&view, 31, strategy);
        matched = 0;
        for n in &needles {
            s.query(n, &mut out);
            assert_eq!(out, brute(&haystack, n, 31));
            matched += usize::from(!out.is_empty());
        }
    }
    // Real hashes: every needle is a near-duplicate of some haystack entry.
    assert!(matched > 0, "no needle matched: is the corpus right?");
    eprintln!("{matched}/100 needles within 31 of the haystack");
}

#[test]
fn damaged_headers_are_refused() {
    let mut rng = Rng(11);
    let entries: Vec<Hash> = (0..50).map(|_| rng.hash()).collect();
    let good = PdqIndex::build(&entries).unwrap();
    let open = |b: &[u8]| PdqIndexView::open(b).map(|v| v.len());
    assert!(matches!(open(&[]), Err(IndexError::Truncated { .. })));
    assert!(matches!(
        open(&good[..40]),
        Err(IndexError::Truncated { .. })
    ));
    let mut b = good.clone();
    b[0] ^= 1;
    assert_eq!(open(&b), Err(IndexError::NotAnIndex));
    let mut b = good.clone();
    b[8] = 9;
    assert!(matches!(
        open(&b),
        Err(IndexError::Version { found: 9, .. })
    ));
    let mut b = good.clone();
    b[80] ^= 1;
    assert_eq!(open(&b), Err(IndexError::HeaderChecksum));
    assert!(matches!(
        open(&good[..good.len() - 1]),
        Err(IndexError::Length { .. })
    ));
    let mut b = good.clone();
    b.push(0);
    assert!(matches!(open(&b), Err(IndexError::Length { .. })));
    // Resealed (a forger who recomputes the checksums): still refused.
    let mut b = good.clone();
    b[24] = 51; // one more entry than the file holds
    reseal(&mut b);
    assert!(matches!(open(&b), Err(IndexError::BadHeader(_))));
    let mut b = good.clone();
    b[72 + 2] += 1; // first substring one bit longer: overlaps the next
    reseal(&mut b);
    assert!(matches!(open(&b), Err(IndexError::BadHeader(_))));
    // A body byte: opens (opening is instant), verify finds it.
    let mut b = good.clone();
    let last = b.len() - 1;
    b[last] ^= 0x40;
    let view = PdqIndexView::open(&b).unwrap();
    assert_eq!(view.verify(), Err(IndexError::BodyChecksum));
}

#[test]
fn forged_tables_are_found_by_verify() {
    let mut rng = Rng(12);
    let entries: Vec<Hash> = (0..300).map(|_| rng.hash()).collect();
    let good = PdqIndex::build(&entries).unwrap();
    let h = Header::decode(&good).unwrap();
    let r = regions(h.header_len as usize, h.entries, &h.substrings).unwrap();
    let forged = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        edit(&mut b);
        reseal(&mut b);
        PdqIndexView::open(&b).unwrap().verify()
    };
    // Two entries' hashes swapped: every table files them under wrong keys.
    let swapped = forged(&|b| {
        for i in 0..HASH_LEN {
            b.swap(r.entries + i, r.entries + HASH_LEN + i);
        }
    });
    assert!(matches!(swapped, Err(IndexError::BadRecord { .. })));
    // The first line's overflow start, or its count, changed.
    let (lines, _) = r.tables[0];
    let start = forged(&|b| b[lines] = 1);
    assert!(matches!(start, Err(IndexError::BadBucket { .. })));
    let count = forged(&|b| b[lines + 4] = b[lines + 4].wrapping_add(1));
    assert!(count.is_err(), "{count:?}");
    // A record's entry index pointing past the entries.
    let rem_bits = h.substrings[0].bits - h.substrings[0].bucket_bits;
    let far = forged(&|b| {
        let at = (0..1 << h.substrings[0].bucket_bits)
            .map(|i| lines + i * 64)
            .find(|&l| b[l + 4] > 0)
            .unwrap();
        b[at + 8..at + 12].copy_from_slice(&(4000u32 << rem_bits).to_le_bytes());
    });
    assert!(matches!(far, Err(IndexError::BadRecord { .. })));
}

/// Recomputes both checksums, as a forger would.
fn reseal(b: &mut [u8]) {
    let Some(field) = b.get(12..16) else {
        return;
    };
    let header_len = u32::from_le_bytes(field.try_into().unwrap()) as usize;
    if b.len() < header_len + SUM_LEN || header_len < BODY_SUM_AT + SUM_LEN {
        return;
    }
    let body = *blake3::hash(&b[header_len + SUM_LEN..]).as_bytes();
    b[BODY_SUM_AT..BODY_SUM_AT + SUM_LEN].copy_from_slice(&body);
    let head = *blake3::hash(&b[..header_len]).as_bytes();
    b[header_len..header_len + SUM_LEN].copy_from_slice(&head);
}

/// Opening, verifying and querying `b` never panics, and a query never
/// reports an entry that is not within the threshold; when `b` verifies,
/// queries equal brute force over its entries.
fn survive(b: &[u8], q: &Hash, threshold: u32) {
    let Ok(view) = PdqIndexView::open(b) else {
        return;
    };
    let sound = view.verify().is_ok();
    let entries = view.entries();
    let want = brute(entries, q, threshold);
    let mut out = Vec::new();
    for strategy in [Method::Auto, Method::Probe] {
        PdqSearcher::with_strategy(&view, threshold, strategy).query(q, &mut out);
        assert!(out.iter().all(|hit| want.contains(hit)), "invented a hit");
        if sound {
            assert_eq!(out, want);
        }
    }
}

fn small_set() -> impl Strategy<Value = Vec<Hash>> {
    (
        prop::collection::vec(any::<Hash>(), 0..40),
        prop::collection::vec(
            (any::<prop::sample::Index>(), 0u32..40, any::<u64>()),
            0..40,
        ),
    )
        .prop_map(|(mut v, near)| {
            if !v.is_empty() {
                for (i, k, seed) in near {
                    let e = v[i.index(v.len())];
                    let mut rng = Rng(seed | 1);
                    v.push(rng.near(&e, k));
                }
            }
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn small_sets_are_exact(
        entries in small_set(),
        pick in any::<prop::sample::Index>(),
        flips in 0u32..80,
        seed in any::<u64>(),
        threshold in 0u32..300,
        tuned in prop::sample::select(&[0u32, 31, 63][..]),
    ) {
        let mut rng = Rng(seed | 1);
        let q = if entries.is_empty() { rng.hash() } else { rng.near(&entries[pick.index(entries.len())], flips) };
        let bytes = PdqIndex::build_for_threshold(&entries, tuned).unwrap();
        let view = PdqIndexView::open(&bytes).unwrap();
        let mut out = Vec::new();
        for strategy in [Method::Auto, Method::Probe, Method::Scan] {
            PdqSearcher::with_strategy(&view, threshold, strategy).query(&q, &mut out);
            prop_assert_eq!(&out, &brute(&entries, &q, threshold));
        }
    }

    #[test]
    fn hostile_bytes_never_panic(
        seed in any::<u64>(),
        n in 0usize..60,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        resealed in any::<bool>(),
        threshold in prop::sample::select(&[0u32, 31, 63, 200][..]),
    ) {
        let mut rng = Rng(seed | 1);
        let entries: Vec<Hash> = (0..n).map(|_| rng.hash()).collect();
        let mut b = PdqIndex::build(&entries).unwrap();
        for (at, x) in &edits {
            let i = at.index(b.len());
            b[i] ^= x | 1;
        }
        if truncate {
            b.truncate(cut.index(b.len() + 1));
        }
        if resealed {
            reseal(&mut b);
        }
        let q = match entries.first() { Some(e) => rng.near(e, 10), None => rng.hash() };
        survive(&b, &q, threshold);
    }

    #[test]
    fn arbitrary_bytes_never_panic(mut b in prop::collection::vec(any::<u8>(), 0..600), head in any::<bool>()) {
        // Half the time behind a valid magic and version, to reach deeper.
        if head && b.len() >= 12 {
            b[..8].copy_from_slice(b"FERRETPQ");
            b[8..12].copy_from_slice(&1u32.to_le_bytes());
            reseal(&mut b);
        }
        survive(&b, &[0; HASH_LEN], 31);
    }
}
