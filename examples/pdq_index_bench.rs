//! Measures the PDQ near-neighbour index (`perceptual::index`) at scale:
//! for 10 M entries (uniform random, clustered, and a few dense centres) it
//! reports build time, serialized size, open and verify time, peak memory,
//! and single-thread queries/s at threshold 31 (half the queries within 0-31
//! bits of an entry, half random; median of 3 runs of 20,000 fresh
//! queries), with the index in page-aligned memory on 4 KiB pages and on
//! transparent huge pages (as a file mapping without and with
//! `MADV_HUGEPAGE`). Ten queries per set are checked against a full scan
//! (exact recall at scale).
//! `cargo run --release --no-default-features --example pdq_index_bench [ENTRIES]`

use std::time::Instant;

use ferret::perceptual::index::{PdqIndex, PdqIndexView, PdqSearcher, Strategy};

type Hash = [u8; 32];

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
        let mut h = [0u8; 32];
        for c in h.chunks_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        h
    }
    /// `h` with `k` random bits flipped (distinct bits, so exactly `k` away).
    fn near(&mut self, h: &Hash, k: u32) -> Hash {
        let mut out = *h;
        let mut flipped = 0;
        while flipped < k {
            let bit = self.below(256) as usize;
            let m = 0x80 >> (bit % 8);
            if (out[bit / 8] ^ h[bit / 8]) & m == 0 {
                out[bit / 8] ^= m;
                flipped += 1;
            }
        }
        out
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Field `name` of a /proc file of `kB` lines, in MiB.
fn proc_mib(file: &str, name: &str) -> u64 {
    let status = std::fs::read_to_string(file).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// `bytes` copied into page-aligned anonymous memory, advised for huge
/// pages or against them.
fn mapped(bytes: &[u8], huge: bool) -> memmap2::Mmap {
    let mut map = memmap2::MmapMut::map_anon(bytes.len()).expect("anonymous map");
    let advice = if huge {
        memmap2::Advice::HugePage
    } else {
        memmap2::Advice::NoHugePage
    };
    let _ = map.advise(advice);
    map.copy_from_slice(bytes);
    map.make_read_only().expect("read-only")
}

/// `centres` random hashes with `per` members each, 0 to `spread` bits
/// from their centre, in random order.
fn clustered(rng: &mut Rng, centres: usize, per: usize, spread: u64) -> Vec<Hash> {
    let cs: Vec<Hash> = (0..centres).map(|_| rng.hash()).collect();
    let mut v = Vec::with_capacity(centres * per);
    for _ in 0..per {
        for c in &cs {
            let k = rng.below(spread + 1) as u32;
            v.push(rng.near(c, k));
        }
    }
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
    v
}

/// Half within 0-31 bits of a random entry, half random, interleaved.
fn queries(rng: &mut Rng, entries: &[Hash], count: usize) -> Vec<Hash> {
    (0..count)
        .map(|i| {
            if i % 2 == 0 {
                let e = entries[rng.below(entries.len() as u64) as usize];
                let k = rng.below(32) as u32;
                rng.near(&e, k)
            } else {
                rng.hash()
            }
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Queries/s at `threshold` (median of `runs` runs of `count` fresh
/// queries) and mean hits per query.
fn rate(
    view: &PdqIndexView<'_>,
    entries: &[Hash],
    rng: &mut Rng,
    threshold: u32,
    runs: usize,
    count: usize,
) -> (f64, f64) {
    let mut s = view.searcher(threshold);
    let mut out = Vec::new();
    let mut rates = Vec::new();
    let mut hits = 0usize;
    for _ in 0..runs {
        let qs = queries(rng, entries, count);
        let t = Instant::now();
        for q in &qs {
            s.query(q, &mut out);
            hits += out.len();
        }
        rates.push(count as f64 / t.elapsed().as_secs_f64());
    }
    (median(rates), hits as f64 / (runs * count) as f64)
}

/// This machine's floor for independent random reads: nanoseconds per
/// 64-byte line read at random from 1 GiB (huge pages advised), in batches
/// of 256 loads with nothing waiting on them, as the index's passes do;
/// median of 5, measured once.
fn floor_ns() -> f64 {
    static FLOOR: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *FLOOR.get_or_init(|| {
        let size = 1usize << 30;
        let buf = mapped(&vec![1u8; size], true);
        let lines = size / 64;
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut idx = vec![0usize; 256];
        let rounds = 4000;
        median(
            (0..5)
                .map(|_| {
                    let mut acc = 0u8;
                    let t = Instant::now();
                    for _ in 0..rounds {
                        for x in idx.iter_mut() {
                            *x = rng.below(lines as u64) as usize * 64;
                        }
                        for &x in &idx {
                            acc ^= buf.get(x).copied().unwrap_or(0);
                        }
                    }
                    std::hint::black_box(acc);
                    t.elapsed().as_secs_f64() * 1e9 / (rounds * idx.len()) as f64
                })
                .collect(),
        )
    })
}

fn measure(name: &str, entries: &[Hash], rng: &mut Rng) {
    println!("\n== {name}: {} entries", entries.len());
    let t = Instant::now();
    let bytes = PdqIndex::build(entries).expect("build");
    let build_s = t.elapsed().as_secs_f64();
    let hwm = proc_mib("/proc/self/status", "VmHWM:");
    let t = Instant::now();
    let view = PdqIndexView::open(&bytes).expect("open");
    let open_us = t.elapsed().as_secs_f64() * 1e6;
    let shape = view.shape();
    println!(
        "build {build_s:.2} s; size {:.0} MiB ({:.1} B/entry); {} substrings {:?} (bits, bucket bits)",
        bytes.len() as f64 / (1 << 20) as f64,
        bytes.len() as f64 / entries.len() as f64,
        shape.len(),
        shape
    );
    println!(
        "open {open_us:.1} us; peak memory so far {hwm} MiB (entries + index + build scratch)"
    );
    let t = Instant::now();
    view.verify().expect("verify");
    println!(
        "verify (checksum + every record) {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // Exact recall at scale: ten queries against a full scan.
    let mut scan = PdqSearcher::with_strategy(&view, 31, Strategy::Scan);
    let mut probe = PdqSearcher::with_strategy(&view, 31, Strategy::Probe);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut scan_s = 0.0;
    for q in queries(rng, entries, 10) {
        let t = Instant::now();
        scan.query(&q, &mut a);
        scan_s += t.elapsed().as_secs_f64();
        probe.query(&q, &mut b);
        assert_eq!(a, b, "probe differs from a full scan");
    }
    println!(
        "10 queries equal to a full scan; a scan takes {:.1} ms ({:.2} ns/entry)",
        scan_s * 100.0,
        scan_s / 10.0 / entries.len() as f64 * 1e9
    );
    println!(
        "cost model at threshold 31: {:.0} random accesses per query (bucket lines + candidates), \
         so at most {:.0} queries/s at the measured {:.1} ns per access",
        probe.expected_accesses(),
        1e9 / (probe.expected_accesses() * floor_ns()),
        floor_ns()
    );
    drop(view);
    for huge in [false, true] {
        let map = mapped(&bytes, huge);
        let thp = proc_mib("/proc/self/smaps_rollup", "AnonHugePages:");
        let view = PdqIndexView::open(&map).expect("open");
        let pages = if huge { "huge pages" } else { "4 KiB pages" };
        let (qps, hits) = rate(&view, entries, rng, 31, 3, 20_000);
        println!(
            "threshold 31, {pages} (AnonHugePages {thp} MiB): {qps:.0} queries/s, {hits:.2} hits/query"
        );
        if huge {
            for t in [15, 63] {
                let s = view.searcher(t);
                let how = if s.probes() { "probes" } else { "scans" };
                let count = if t > 31 { 20 } else { 2000 };
                let (qps, hits) = rate(&view, entries, rng, t, 3, count);
                println!("threshold {t} ({how}): {qps:.0} queries/s, {hits:.2} hits/query");
            }
        }
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    println!("CPU: {}", cpu_model());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let random: Vec<Hash> = (0..n).map(|_| rng.hash()).collect();
    measure("random", &random, &mut rng);
    drop(random);
    let per = 100;
    let c = clustered(&mut rng, n / per, per, 16);
    measure("clustered (100 per centre, 0-16 bits out)", &c, &mut rng);
    drop(c);
    let per = 10_000;
    let c = clustered(&mut rng, (n / per).max(1), per, 20);
    measure(
        "few dense centres (10,000 per centre, 0-20 bits out)",
        &c,
        &mut rng,
    );
}
