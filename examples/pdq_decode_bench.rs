//! Times the PDQ of pictures (decode + hash), per stage, one thread:
//! `cargo run --release --example pdq_decode_bench -- FILE...`.
//! Prints per file: bytes, pixels, the scaled JPEG decode (if taken), the
//! full decode, and the whole `pdq_of_image`, as medians of 5 runs.

use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(f: &mut dyn FnMut()) -> f64 {
    median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    )
}

fn main() {
    let limits = ferret::perceptual::scan_limits();
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read");
        let scaled = time(&mut || {
            let _ = ferret::perceptual::jpeg_scaled(&bytes, &limits);
        });
        let full = time(&mut || {
            let _ = ferret::perceptual::decode_rgb8(&bytes, &limits);
        });
        let pdq = time(&mut || {
            let _ = ferret::perceptual::pdq_dihedral_of_image(&bytes);
        });
        // The hash of each path, against the full decode's.
        let hash = |d: Option<ferret::perceptual::Rgb8>| {
            d.and_then(|(w, h, rgb)| ferret::perceptual::hash_rgb8(w, h, &rgb))
        };
        let full_hash = hash(ferret::perceptual::decode_rgb8(&bytes, &limits).ok());
        let dist = |d: Option<ferret::perceptual::HashAndQuality>| match (&full_hash, d) {
            (Some(a), Some(b)) => format!("{} (q {})", a.hash.distance(&b.hash), b.quality),
            _ => "-".into(),
        };
        let scaled_hash =
            hash(ferret::perceptual::jpeg_scaled(&bytes, &limits).and_then(Result::ok));
        println!(
            "{path}: {} KB, scaled decode {scaled:.1} ms, full decode {full:.1} ms, PDQ {pdq:.1} ms; \
             bits from full: scaled {}",
            bytes.len() / 1000,
            dist(scaled_hash)
        );
    }
}
