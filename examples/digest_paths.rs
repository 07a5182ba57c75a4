//! Digest throughput on one core through every path this CPU has: one
//! stream a file (the RustCrypto and BLAKE3 crates) and sixteen files at
//! once in SIMD lanes (`ferret-lanes`, each instruction set), from memory,
//! so only the digests are measured. `bench/digests.sh` runs it next to
//! `openssl speed`.
//!
//! `cargo run --release --example digest_paths -- [FILE_SIZE [TOTAL_MIB]]`
//! (defaults: 64 KiB files, 512 MiB in all); prints one line per path and
//! algorithm set: `path algorithms MB/s`, the median of five runs.

use std::io::Cursor;
use std::time::Instant;

use ferret::hashing::{DigestPaths, Isa, MultiBuffer, hash_bytes};
use ferret::{Algorithm, AlgorithmSet};

fn main() {
    let mut args = std::env::args().skip(1);
    let size: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64 << 10);
    let total: usize = args
        .next()
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(512)
        << 20;
    let count = (total / size.max(1)).max(1);
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let files: Vec<Vec<u8>> = (0..count.min(256))
        .map(|_| {
            (0..size)
                .map(|_| {
                    x ^= x << 7;
                    x ^= x >> 9;
                    x as u8
                })
                .collect()
        })
        .collect();
    let sets = [
        ("md5", AlgorithmSet::of(&[Algorithm::Md5])),
        ("sha1", AlgorithmSet::of(&[Algorithm::Sha1])),
        ("sha256", AlgorithmSet::of(&[Algorithm::Sha256])),
        (
            "md5+sha1+sha256",
            AlgorithmSet::of(&[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]),
        ),
    ];
    println!("# {count} files of {size} bytes, one thread, MB/s (median of 5)");
    // The one-stream MD5 compressions: the fastest here (a file finishing
    // alone, every one-stream MD5) and the portable one.
    let blocks: Vec<[u8; 64]> = files[0].as_chunks::<64>().0.to_vec();
    type Compress = fn(&mut [u32; 4], &[[u8; 64]]);
    let compressions: [(&str, Compress); 2] = [
        ("alone", ferret_lanes::md5_compress),
        ("alone-portable", ferret_lanes::md5_compress_portable),
    ];
    for (name, compress) in compressions {
        let rate = median(|| {
            let t = Instant::now();
            let mut state = ferret_lanes::MD5_INIT;
            for _ in 0..count {
                compress(&mut state, &blocks);
            }
            std::hint::black_box(state);
            (count * blocks.len() * 64) as f64 / t.elapsed().as_secs_f64() / 1e6
        });
        println!("{name} md5 {rate:.0}");
    }
    for (name, set) in sets {
        let rate = median(|| {
            let t = Instant::now();
            for i in 0..count {
                std::hint::black_box(hash_bytes(&files[i % files.len()], set));
            }
            (count * size) as f64 / t.elapsed().as_secs_f64() / 1e6
        });
        println!("single {name} {rate:.0}");
        for isa in [Isa::Avx2, Isa::Avx512] {
            for sha_single in [true, false] {
                let paths = DigestPaths {
                    lanes: Some(isa),
                    sha_single,
                };
                let no_sha = !set.contains(Algorithm::Sha1) && !set.contains(Algorithm::Sha256);
                if !isa.available() || (!sha_single && no_sha) {
                    continue;
                }
                if MultiBuffer::<usize, Cursor<&[u8]>>::new(set, paths).is_none() {
                    continue;
                }
                let rate = median(|| {
                    let mut mb = MultiBuffer::new(set, paths).expect("checked above");
                    let t = Instant::now();
                    let mut next = 0;
                    loop {
                        while next < count && mb.free() > 0 {
                            let data: &[u8] = &files[next % files.len()];
                            if mb.add(next, Cursor::new(data)).is_err() {
                                break;
                            }
                            next += 1;
                        }
                        if mb.is_empty() {
                            break;
                        }
                        std::hint::black_box(mb.step().len());
                    }
                    (count * size) as f64 / t.elapsed().as_secs_f64() / 1e6
                });
                let ni = if sha_single { "" } else { "-sha-lanes" };
                println!("lanes-{}{ni} {name} {rate:.0}", isa.name());
            }
        }
    }
}

fn median(mut run: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..5).map(|_| run()).collect();
    v.sort_by(f64::total_cmp);
    v[2]
}
