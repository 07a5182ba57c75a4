//! The ThreatExchange corpus: hashes of the C++ reference on Pillow's
//! pixels (exact for lossless files, within a tolerance for JPEG), the
//! upstream tests' literal hashes, and the matching behaviour they imply.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::super::pdq::MATCH_THRESHOLD;
use super::super::*;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/pdq");

/// JPEGs are decoded by zune-jpeg here and libjpeg-turbo (Pillow) there.
const JPEG_TOLERANCE: u32 = 10;

/// Lossless pictures that cannot match the reference exactly, and why.
const LOSSLESS_EXCEPTIONS: &[(&str, &str)] = &[];

fn corpus() -> Option<&'static Path> {
    let path = Path::new(CORPUS);
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: PDQ corpus not found at {CORPUS}");
        None
    }
}

/// Data rows of a corpus TSV, split on tabs.
fn rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join(name)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn is_jpeg(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".jpg") || lower.ends_with(".jpeg")
}

struct Computed {
    single: HashAndQuality,
    dihedral: DihedralHashes,
}

/// Every corpus picture decoded and hashed once, shared by the tests.
fn computed() -> &'static HashMap<String, Computed> {
    static COMPUTED: OnceLock<HashMap<String, Computed>> = OnceLock::new();
    COMPUTED.get_or_init(|| {
        let paths: Vec<String> = rows("expected-cpp.tsv")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        paths
            .par_iter()
            .map(|rel| (rel.clone(), hash_file(&Path::new(CORPUS).join(rel))))
            .collect()
    })
}

fn hash_file(path: &Path) -> Computed {
    let bytes = std::fs::read(path).unwrap();
    let (w, h, rgb) = decode_rgb8(&bytes, &DecodeLimits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Computed {
        single: hash_rgb8(w, h, &rgb).unwrap(),
        dihedral: dihedral_rgb8(w, h, &rgb).unwrap(),
    }
}

fn hex(text: &str) -> PdqHash {
    PdqHash::from_hex(text).unwrap_or_else(|| panic!("bad hex {text}"))
}

fn histogram(distances: &[u32]) -> String {
    let mut counts = BTreeMap::new();
    for d in distances {
        *counts.entry(*d).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(d, n)| format!("{d}:{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn corpus_matches_cpp_reference() {
    let Some(_) = corpus() else { return };
    let computed = computed();
    let (mut exact, mut jpeg) = (0, Vec::new());
    let mut failures = Vec::new();
    for row in rows("expected-cpp.tsv") {
        let (path, want, quality) = (&row[0], hex(&row[1]), row[2].parse::<u8>().unwrap());
        let got = &computed[path].single;
        let distance = got.hash.distance(&want);
        if is_jpeg(path) {
            jpeg.push(distance);
            if distance > 0 || got.quality != quality {
                println!(
                    "{path}: JPEG {distance} bits, q{} vs q{quality}",
                    got.quality
                );
            }
            if distance > JPEG_TOLERANCE {
                failures.push(format!("{path}: JPEG {distance} bits from the reference"));
            }
        } else if let Some((_, why)) = LOSSLESS_EXCEPTIONS.iter().find(|(p, _)| p == path) {
            println!("{path}: {distance} bits (known: {why})");
        } else if distance != 0 || got.quality != quality {
            failures.push(format!(
                "{path}: {} q{} != {} q{quality} ({distance} bits)",
                got.hash, got.quality, want
            ));
        } else {
            exact += 1;
        }
    }
    println!(
        "lossless exact: {exact}; JPEG distances (bits:count): {}",
        histogram(&jpeg)
    );
    println!("JPEG max {}", jpeg.iter().max().unwrap_or(&0));
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn corpus_dihedral_matches_cpp_reference() {
    let Some(_) = corpus() else { return };
    let computed = computed();
    let (mut exact, mut jpeg) = (0, Vec::new());
    let mut failures = Vec::new();
    for row in rows("expected-cpp-dihedral.tsv") {
        let (path, name, want) = (&row[0], &row[1], hex(&row[2]));
        let quality = row[3].parse::<u8>().unwrap();
        let which = Dihedral::ALL
            .into_iter()
            .find(|d| d.as_str() == name)
            .unwrap();
        let got = &computed[path].dihedral;
        let distance = got.get(which).distance(&want);
        if is_jpeg(path) {
            jpeg.push(distance);
            if distance > JPEG_TOLERANCE {
                failures.push(format!("{path} {name}: JPEG {distance} bits"));
            }
        } else if LOSSLESS_EXCEPTIONS.iter().any(|(p, _)| p == path) {
            println!("{path} {name}: {distance} bits (known exception)");
        } else if distance != 0 || got.quality != quality {
            failures.push(format!(
                "{path} {name}: {distance} bits, q{} vs q{quality}",
                got.quality
            ));
        } else {
            exact += 1;
        }
    }
    println!(
        "dihedral lossless exact: {exact}; JPEG distances (bits:count): {}",
        histogram(&jpeg)
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn corpus_within_upstream_tolerances() {
    let Some(_) = corpus() else { return };
    let computed = computed();
    let mut seen = Vec::new();
    for row in rows("expected-reference.tsv") {
        let (path, want, source) = (&row[0], hex(&row[1]), &row[2]);
        let Some(got) = computed.get(path) else {
            assert_eq!(row[5], "-", "{path} listed with a C++ value but not hashed");
            continue;
        };
        let distance = got.single.hash.distance(&want);
        seen.push(distance);
        // The Python port's tolerance; the README measured every
        // implementation within 12 bits of the C++ values.
        assert!(distance <= 16, "{path} ({source}): {distance} bits");
    }
    println!(
        "upstream reference distances (bits:count): {}",
        histogram(&seen)
    );
    assert_eq!(seen.len(), 43);
}

#[test]
fn bridge_mods_match_the_original() {
    let Some(_) = corpus() else { return };
    let computed = computed();
    let original = computed["data/bridge-mods/aaa-orig.jpg"].single.hash;
    for (path, c) in computed
        .iter()
        .filter(|(p, _)| p.starts_with("data/bridge-mods/"))
    {
        let distance = c.single.hash.distance(&original);
        println!("{path}: {distance}");
        assert!(distance <= MATCH_THRESHOLD, "{path}: {distance} bits");
    }
}

#[test]
fn labelme_pictures_do_not_match_each_other() {
    let Some(_) = corpus() else { return };
    let computed = computed();
    let labelme: Vec<_> = computed
        .iter()
        .filter(|(p, _)| p.starts_with("data/reg-test-input/labelme-subset/"))
        .collect();
    assert_eq!(labelme.len(), 7);
    for (i, (a, ha)) in labelme.iter().enumerate() {
        for (b, hb) in labelme.iter().skip(i + 1) {
            let distance = ha.single.hash.distance(&hb.single.hash);
            assert!(distance > MATCH_THRESHOLD, "{a} vs {b}: {distance} bits");
        }
    }
}

#[test]
fn dihedral_hashes_match_rotated_files() {
    let Some(_) = corpus() else { return };
    let computed = computed();
    let dir = "data/reg-test-input/dih/";
    let original = &computed[&format!("{dir}bridge-1-original.jpg")].dihedral;
    let files = [
        (Dihedral::Original, "bridge-1-original.jpg"),
        (Dihedral::Rotate90, "bridge-2-rotate-90.jpg"),
        (Dihedral::Rotate180, "bridge-3-rotate-180.jpg"),
        (Dihedral::Rotate270, "bridge-4-rotate-270.jpg"),
        (Dihedral::FlipX, "bridge-5-flipx.jpg"),
        (Dihedral::FlipY, "bridge-6-flipy.jpg"),
        (Dihedral::FlipPlus1, "bridge-7-flip-plus-1.jpg"),
        (Dihedral::FlipMinus1, "bridge-8-flip-minus-1.jpg"),
    ];
    let mut report = Vec::new();
    for (which, file) in files {
        let stored = computed[&format!("{dir}{file}")].single.hash;
        let distance = original.get(which).distance(&stored);
        report.push(format!("{}:{distance}", which.as_str()));
        // The README measured 0-8 bits with the C++ reference.
        assert!(
            distance <= 12,
            "{file} vs {}: {distance} bits",
            which.as_str()
        );
        // ...and every other symmetry is far from this file.
        for other in Dihedral::ALL.into_iter().filter(|o| *o != which) {
            assert!(original.get(other).distance(&stored) > MATCH_THRESHOLD);
        }
    }
    println!("dihedral vs rotated files: {}", report.join(" "));
}

#[test]
fn exif_orientation_is_not_applied() {
    let Some(_) = corpus() else { return };
    let computed = computed();
    let dir = "data/reg-test-input/exif-rotn/";
    let upright = computed[&format!("{dir}exif-rotn-1.jpg")].single.hash;
    for n in [3, 6, 8] {
        let distance = computed[&format!("{dir}exif-rotn-{n}.jpg")]
            .single
            .hash
            .distance(&upright);
        assert!(distance > 100, "exif-rotn-{n}: {distance}");
    }
}
