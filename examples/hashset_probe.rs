//! Measures a compiled set: open time (median of 21 opens) and lookup rate
//! for random digests (misses) and for digests in the set (hits), one thread.
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
    let len = algo.digest_len();
    let mut x = 0x1234_5678_9abc_def0u64;
    let keys: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 32) as u8
                })
                .collect()
        })
        .collect();
    // Present keys in random order (a scan's files do not arrive sorted).
    let mut hits: Vec<Vec<u8>> = set
        .digests(algo)
        .step_by(7)
        .take(n)
        .map(|(d, _)| d)
        .collect();
    for i in (1..hits.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        hits.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let mut out = Vec::new();
    let rate = |keys: &[Vec<u8>], out: &mut Vec<u32>| {
        let t = Instant::now();
        let mut found = 0usize;
        for k in keys {
            out.clear();
            set.lookup(algo, k, out);
            found += out.len();
        }
        (keys.len() as f64 / t.elapsed().as_secs_f64(), found)
    };
    // First pass pages the index in (cold start); the second is measured.
    let (cold_rate, _) = rate(&keys, &mut out);
    let (miss_rate, _) = rate(&keys, &mut out);
    let (hit_rate, found) = rate(&hits, &mut out);
    let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let mut pairs = Vec::new();
    let t = Instant::now();
    set.lookup_batch(algo, &refs, &mut pairs);
    let batch_rate = keys.len() as f64 / t.elapsed().as_secs_f64();
    let refs: Vec<&[u8]> = hits.iter().map(Vec::as_slice).collect();
    pairs.clear();
    let t = Instant::now();
    set.lookup_batch(algo, &refs, &mut pairs);
    let batch_hit_rate = hits.len() as f64 / t.elapsed().as_secs_f64();
    assert_eq!(pairs.len(), found, "batch and single lookups agree");
    let size = std::fs::metadata(path).expect("size").len();
    let count = set
        .provenance()
        .counts
        .get(algo.name())
        .copied()
        .unwrap_or(0);
    println!(
        "{}: {} entries, {count} {algo}; file {:.1} MB = {:.3}x raw {algo} bytes; open median {:.2} ms (max {:.2}); \
         lookups/s/core: {:.1} M random misses ({:.1} M cold), {:.1} M present ({found} found); \
         batched: {:.1} M misses, {:.1} M present",
        path.display(),
        set.entry_count(),
        size as f64 / 1e6,
        size as f64 / (count as f64 * len as f64),
        opens[opens.len() / 2],
        opens[opens.len() - 1],
        miss_rate / 1e6,
        cold_rate / 1e6,
        hit_rate / 1e6,
        batch_rate / 1e6,
        batch_hit_rate / 1e6
    );
}
