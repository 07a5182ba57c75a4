//! Digest throughput: each algorithm alone, the one-pass combination, and
//! the read-buffer size used by the scan (`cargo bench --bench digest`).
//!
//! Reference rates on this machine (OpenSSL, per core): MD5 584 MB/s,
//! SHA-1 1,517 MB/s, SHA-256 1,392 MB/s, BLAKE3 ≈ 3,700 MB/s; so one pass of
//! MD5+SHA-1+SHA-256 is bounded at ≈ 324 MB/s per core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ferret::hashing::{MultiHasher, hash_stream};
use ferret::{Algorithm, AlgorithmSet};

const LEN: usize = 16 << 20;

fn data() -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..LEN)
        .map(|_| {
            x ^= x << 7;
            x ^= x >> 9;
            x as u8
        })
        .collect()
}

fn per_algorithm(c: &mut Criterion) {
    let data = data();
    let mut g = c.benchmark_group("digest");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(10);
    let sets: [(&str, AlgorithmSet); 6] = [
        ("md5", AlgorithmSet::of(&[Algorithm::Md5])),
        ("sha1", AlgorithmSet::of(&[Algorithm::Sha1])),
        ("sha256", AlgorithmSet::of(&[Algorithm::Sha256])),
        ("blake3", AlgorithmSet::of(&[Algorithm::Blake3])),
        (
            "md5+sha1+sha256",
            AlgorithmSet::of(&[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]),
        ),
        ("all4", AlgorithmSet::ALL),
    ];
    for (name, set) in sets {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut h = MultiHasher::new(set);
                for chunk in data.chunks(256 * 1024) {
                    h.update(chunk);
                }
                h.finalize()
            })
        });
    }
    g.finish();
}

fn read_loop(c: &mut Criterion) {
    let data = data();
    let mut g = c.benchmark_group("hash_stream");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(10);
    let set = AlgorithmSet::of(&[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]);
    let mut buf = Vec::new();
    g.bench_function("cursor/md5+sha1+sha256", |b| {
        b.iter(|| hash_stream(&mut std::io::Cursor::new(&data), set, &mut buf))
    });
    g.finish();
}

criterion_group!(benches, per_algorithm, read_loop);
criterion_main!(benches);
