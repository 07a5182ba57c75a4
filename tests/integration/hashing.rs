//! Known-answer digests: the BLAKE3 vectors, the empty file, and agreement
//! with coreutils/b3sum on hashdeep's test files.

use std::collections::BTreeMap;

use ferret::hashing::hash_bytes;
use ferret::{Algorithm, AlgorithmSet, ScanOptions};

use crate::util;

#[test]
fn blake3_official_vectors() {
    let Some(corpus) = util::corpus() else { return };
    let text =
        std::fs::read_to_string(corpus.join("hash-vectors/blake3-test-vectors-regenerated.json"))
            .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 22);
    for case in cases {
        let len = case["input_len"].as_u64().unwrap() as usize;
        let input: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let d = hash_bytes(&input, AlgorithmSet::of(&[Algorithm::Blake3]));
        // The vectors hold 131-byte extended outputs; the default hash is the first 32.
        assert_eq!(
            d.hex(Algorithm::Blake3).unwrap(),
            case["hash"].as_str().unwrap()[..64],
            "input_len {len}"
        );
        // Fed in odd-sized pieces, as the read loop does: same answer.
        let mut h = ferret::hashing::MultiHasher::new(AlgorithmSet::ALL);
        for piece in input.chunks(97) {
            h.update(piece);
        }
        assert_eq!(h.finalize().blake3, d.blake3);
    }
}

#[test]
fn empty_file_known_answers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty"), b"").unwrap();
    let (records, r) = util::scan(ScanOptions::new(dir.path()));
    r.unwrap();
    let d = records[0].digests().unwrap();
    assert_eq!(
        d.hex(Algorithm::Md5).unwrap(),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
    assert_eq!(
        d.hex(Algorithm::Sha1).unwrap(),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    assert_eq!(
        d.hex(Algorithm::Sha256).unwrap(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        d.hex(Algorithm::Blake3).unwrap(),
        "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    );
}

/// `HEX  ./name` lines as written by md5sum & co. in the corpus.
fn read_sums(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(|l| {
            let (hex, name) = l.split_once("  ").unwrap();
            (name.trim_start_matches("./").to_string(), hex.to_string())
        })
        .collect()
}

#[test]
fn agrees_with_coreutils_and_b3sum_on_hashdeep_testfiles() {
    let Some(corpus) = util::corpus() else { return };
    let (records, r) = util::scan(ScanOptions::new(corpus.join("hashdeep/testfiles")));
    let summary = r.unwrap();
    assert_eq!(summary.errors, 0);
    for (algo, file) in [
        (Algorithm::Md5, "md5sum.txt"),
        (Algorithm::Sha1, "sha1sum.txt"),
        (Algorithm::Sha256, "sha256sum.txt"),
        (Algorithm::Blake3, "b3sum.txt"),
    ] {
        let expected = read_sums(
            &std::fs::read_to_string(corpus.join("hashdeep/expected/sums").join(file)).unwrap(),
        );
        let ours: BTreeMap<String, String> = records
            .iter()
            .filter_map(|r| {
                let hex = r.digests()?.hex(algo)?;
                Some((r.rel_path.to_str().unwrap().to_string(), hex))
            })
            .collect();
        assert_eq!(ours, expected, "{algo} disagrees with {file}");
        assert_eq!(ours.len(), 17);
    }
}

#[test]
fn split_hashing_equals_one_thread_at_every_boundary() {
    use ferret::hashing::{hash_stream, hash_stream_split, split_groups};
    let sets = [
        AlgorithmSet::ALL,
        AlgorithmSet::of(&[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]),
        AlgorithmSet::of(&[Algorithm::Sha256, Algorithm::Blake3]),
        AlgorithmSet::of(&[Algorithm::Blake3]),
    ];
    // The costliest selected digest goes to the helper, alone.
    assert_eq!(
        split_groups(AlgorithmSet::ALL),
        Some((
            AlgorithmSet::of(&[Algorithm::Sha1, Algorithm::Sha256, Algorithm::Blake3]),
            AlgorithmSet::of(&[Algorithm::Md5])
        ))
    );
    assert_eq!(split_groups(AlgorithmSet::of(&[Algorithm::Blake3])), None);
    const MIB: usize = 1 << 20;
    for len in [0, 1, 16 * 1024 + 1, MIB - 1, MIB, MIB + 1, 3 * MIB + 12_345] {
        let data: Vec<u8> = (0..len)
            .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
            .collect();
        for set in sets {
            let one = hash_stream(&mut &data[..], set, &mut Vec::new()).unwrap();
            // A reader returning odd-sized pieces, as a pipe or FUSE might.
            let mut odd = Odd(&data[..], 0);
            let two = hash_stream_split(&mut odd, set, &mut Vec::new()).unwrap();
            assert_eq!(two.digests, one.digests, "len {len}, {set}");
            assert_eq!(two.len, len as u64);
            assert_eq!(two.header, one.header, "len {len}");
        }
    }
    // A read error mid-file is returned, not swallowed.
    let mut failing = Failing(3 * MIB);
    let err = hash_stream_split(&mut failing, AlgorithmSet::ALL, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}

/// Returns 1, 2, …, 7777 bytes per read, cycling.
struct Odd<'a>(&'a [u8], usize);

impl std::io::Read for Odd<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.1 = self.1 % 7777 + 1;
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Gives `left` zero bytes, then fails.
struct Failing(usize);

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad sector",
            ));
        }
        let n = buf.len().min(self.0);
        buf[..n].fill(0);
        self.0 -= n;
        Ok(n)
    }
}

/// Every digest path (one stream; sixteen files at once in AVX-512 or AVX2
/// lanes, with SHA-1 and SHA-256 in lanes or not) gives the same inventory
/// through the CLI, and each line holds the RustCrypto digests of its file:
/// padding boundaries, empty files, and enough files that lanes fill,
/// refill and drain.
#[test]
fn every_digest_path_gives_the_same_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let mut sizes = vec![
        0usize, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4096, 65_535, 65_536, 65_537,
        300_001,
    ];
    sizes.extend((0..60).map(|i| (i * 7919 * 13) % 150_000));
    let mut files = BTreeMap::new();
    for (i, &n) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..n)
            .map(|j| (j * 31 + i * 7) as u8 ^ (j >> 9) as u8)
            .collect();
        let name = format!("f{i:03}");
        std::fs::write(dir.path().join(&name), &data).unwrap();
        files.insert(name, data);
    }
    let algorithms = AlgorithmSet::of(&[Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]);
    let inventory = |paths: &str| {
        let out = util::run_ok(
            util::ferret()
                .env("FERRET_DIGEST_PATHS", paths)
                // Lanes are the solid-state readers' path, whatever this
                // host's disk is.
                .args([
                    "inventory",
                    "-q",
                    "--device",
                    "ssd",
                    "-a",
                    "md5,sha1,sha256",
                ])
                .args(["-f", "hashdeep"])
                .arg(dir.path()),
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('%') && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    };
    let single = inventory("single");
    assert_eq!(single.len(), files.len());
    for line in &single {
        let f: Vec<&str> = line.split(',').collect();
        let name = std::path::Path::new(f[4])
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let want = ferret::hashing::hash_bytes(&files[name], algorithms);
        assert_eq!(f[0], files[name].len().to_string());
        assert_eq!(Some(f[1].to_string()), want.hex(Algorithm::Md5), "{name}");
        assert_eq!(Some(f[2].to_string()), want.hex(Algorithm::Sha1), "{name}");
        assert_eq!(
            Some(f[3].to_string()),
            want.hex(Algorithm::Sha256),
            "{name}"
        );
    }
    for paths in ["", "sha-lanes", "sha-single", "avx2", "avx2,sha-lanes"] {
        assert_eq!(inventory(paths), single, "FERRET_DIGEST_PATHS={paths}");
    }
    // `--version` says how each digest is computed here.
    let out = util::run_ok(
        util::ferret()
            .env("FERRET_DIGEST_PATHS", "single")
            .arg("--version"),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let one = if ferret_lanes::md5_fast() {
        "AVX-512VL"
    } else {
        "scalar"
    };
    assert!(text.contains(&format!("MD5: one stream ({one})")), "{text}");
    let paths = ferret::hashing::DigestPaths::fastest();
    let out = util::run_ok(
        util::ferret()
            .env_remove("FERRET_DIGEST_PATHS")
            .arg("--version"),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    if let Some(isa) = paths.lanes {
        assert!(
            text.contains(&format!("MD5: 16 files at once ({})", isa.name())),
            "{text}"
        );
    }
}
