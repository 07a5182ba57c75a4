//! Writes N random hex digests, one per line (benchmark hash sets).
//! `cargo run --release --example gen_hashes -- md5|sha1|sha256 N OUT [SEED]`

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, algo, n, out, ..] = &args[..] else {
        eprintln!("usage: gen_hashes md5|sha1|sha256 N OUT [SEED]");
        std::process::exit(2);
    };
    let len = match algo.as_str() {
        "md5" => 16,
        "sha1" => 20,
        _ => 32,
    };
    let n: u64 = n.parse().expect("N");
    let mut x: u64 = args
        .get(4)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let mut buf = vec![0u8; len];
    let mut hex = vec![0u8; len * 2 + 1];
    for _ in 0..n {
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = (x >> 24) as u8;
        }
        hex::encode_to_slice(&buf, &mut hex[..len * 2]).expect("len");
        hex[len * 2] = b'\n';
        w.write_all(&hex)?;
    }
    w.flush()
}
