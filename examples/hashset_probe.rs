//! Measures a compiled set: open time (median of 21 opens), the time of a
//! whole verification (file checksum and structure, one thread, file in the
//! page cache), and lookup rate for random digests (misses) and for digests
//! in the set (hits), one thread.
//! `cargo run --release --example hashset_probe -- PATH.fhs ALGO [N]`

use std::time::Instant;

use ferret::Algorithm;
use ferret::hashsets::CompiledSet;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::Path::new(&args[1]);
    let algo: Algorithm = args[2].parse().expect("algorithm");
    let n: usize = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5_000_000);
    let mut opens = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        let set = CompiledSet::open(path).expect("open");
        opens.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(set.entry_count());
    }
    opens.sort_by(f64::total_cmp);
    let set = CompiledSet::open(path).expect("open");
    let t = Instant::now();
    set.verify().expect("verify");
    let verify_ms = t.elapsed().as_secs_f64() * 1e3;
    let len = algo.digest_len();
    let mut x = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Every pass gets keys of its own: a key looked up twice would find its
    // cache lines warm and flatter the rate.
    let mut random_keys = || -> Vec<Vec<u8>> {
        (0..n)
            .map(|_| (0..len).map(|_| (next() >> 32) as u8).collect())
            .collect()
    };
    let (cold_keys, miss_keys, miss_keys_b) = (random_keys(), random_keys(), random_keys());
    // Present keys in random order (a scan's files do not arrive sorted),
    // copied after shuffling so that they sit in memory in lookup order.
    let mut present: Vec<Vec<u8>> = set.digests(algo).step_by(5).map(|(d, _)| d).collect();
    for i in (1..present.len()).rev() {
        present.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    let half = present.len().min(2 * n) / 2;
    let hit_keys: Vec<Vec<u8>> = present[..half].to_vec();
    let hit_keys_b: Vec<Vec<u8>> = present[half..2 * half].to_vec();
    drop(present);
    let single = |keys: &[Vec<u8>]| {
        let mut out = Vec::new();
        let t = Instant::now();
        let mut found = 0usize;
        for k in keys {
            out.clear();
            set.lookup(algo, k, &mut out);
            found += out.len();
        }
        (keys.len() as f64 / t.elapsed().as_secs_f64(), found)
    };
    let batched = |keys: &[Vec<u8>]| {
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        // The output buffer is reused by a real caller: its pages are
        // already there (the page faults of a fresh 80 MB vector are not
        // lookup time).
        let mut pairs = vec![(0usize, 0u32); keys.len()];
        pairs.clear();
        let t = Instant::now();
        set.lookup_batch(algo, &refs, &mut pairs);
        (keys.len() as f64 / t.elapsed().as_secs_f64(), pairs.len())
    };
    // The first pass pages the index in (cold start).
    let (cold_rate, _) = single(&cold_keys);
    let (miss_rate, _) = single(&miss_keys);
    let (hit_rate, found) = single(&hit_keys);
    let (batch_hit_rate, found_b) = batched(&hit_keys_b);
    let (batch_rate, _) = batched(&miss_keys_b);
    assert_eq!(found, hit_keys.len(), "every present key found");
    assert_eq!(
        found_b,
        hit_keys_b.len(),
        "every present key found (batched)"
    );
    let size = std::fs::metadata(path).expect("size").len();
    let count = set
        .provenance()
        .counts
        .get(algo.name())
        .copied()
        .unwrap_or(0);
    println!(
        "{}: {} entries, {count} {algo}; file {:.1} MB = {:.3}x raw {algo} bytes; open median {:.2} ms (max {:.2}); \
         verify {verify_ms:.0} ms ({:.2} GB/s); \
         lookups/s/core: {:.1} M random misses ({:.1} M cold), {:.1} M present ({found} found); \
         batched: {:.1} M misses, {:.1} M present",
        path.display(),
        set.entry_count(),
        size as f64 / 1e6,
        size as f64 / (count as f64 * len as f64),
        opens[opens.len() / 2],
        opens[opens.len() - 1],
        size as f64 / verify_ms / 1e6,
        miss_rate / 1e6,
        cold_rate / 1e6,
        hit_rate / 1e6,
        batch_rate / 1e6,
        batch_hit_rate / 1e6
    );
}
