//! Classification agreement with libmagic on the signature corpus.

use std::path::Path;

use ferret::classify::classify;

use crate::util;

/// Measured when `infer` was chosen (see `src/classify/mod.rs`): 81 of 119
/// samples agree with libmagic 5.44's MIME type.
const AGREEMENT_FLOOR: usize = 78;

#[test]
fn signature_corpus_agreement_does_not_regress() {
    let Some(corpus) = util::corpus() else { return };
    let sig = corpus.join("signatures");
    let mut rows: Vec<(std::path::PathBuf, String)> = Vec::new();
    let tsv = std::fs::read_to_string(sig.join("infer-testdata/EXPECTED.tsv")).unwrap();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        rows.push((sig.join("infer-testdata").join(f[0]), f[4].to_string()));
    }
    // libmagic's MIME for its own test files, by Debian `file` 5.44 (tests/data).
    let tsv = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/libmagic-tests-mime.tsv"),
    )
    .unwrap();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        rows.push((sig.join("libmagic-tests").join(f[0]), f[1].to_string()));
    }
    assert_eq!(rows.len(), 119);
    let mut agree = 0;
    for (path, want) in &rows {
        let data = std::fs::read(path).unwrap();
        let c = classify(&data[..data.len().min(16 * 1024)], path);
        let ok = c.mime == want
            || (c.typical_ext.is_none()
                && matches!(want.as_str(), "application/octet-stream" | "text/plain"));
        agree += usize::from(ok);
    }
    eprintln!(
        "classification agrees with libmagic on {agree}/{} samples",
        rows.len()
    );
    assert!(
        agree >= AGREEMENT_FLOOR,
        "agreement fell to {agree}/{}",
        rows.len()
    );
}
