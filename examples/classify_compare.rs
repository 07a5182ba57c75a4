//! Measures how often `infer` and `file-format` agree with libmagic (Debian
//! `file` 5.44) on the signature corpus. Used once to choose the classifier;
//! kept so the choice can be re-checked when either crate is updated:
//! `cargo run --example classify_compare`.

use std::path::Path;

const GENERIC: [&str; 3] = ["application/octet-stream", "text/plain", "inode/x-empty"];

fn rows(corpus: &Path) -> Vec<(std::path::PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    let tsv = std::fs::read_to_string(corpus.join("infer-testdata/EXPECTED.tsv")).unwrap();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        out.push((
            corpus.join("infer-testdata").join(f[0]),
            vec![f[4].to_string()],
        ));
    }
    let tsv = std::fs::read_to_string("tests/data/libmagic-tests-mime.tsv").unwrap();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        out.push((
            corpus.join("libmagic-tests").join(f[0]),
            vec![f[1].to_string()],
        ));
    }
    out
}

fn agrees(found: Option<&str>, expected: &[String]) -> bool {
    match found {
        None => expected.iter().any(|e| GENERIC.contains(&e.as_str())),
        Some(m) => expected.iter().any(|e| e == m),
    }
}

fn main() {
    let corpus = Path::new("../shared/corpus/signatures");
    let rows = rows(corpus);
    let (mut a_infer, mut a_ff) = (0, 0);
    for (path, expected) in &rows {
        let data = std::fs::read(path).unwrap();
        let head = &data[..data.len().min(16 * 1024)];
        let i = infer::get(head).map(|t| t.mime_type().to_string());
        let ff = file_format::FileFormat::from_bytes(head);
        let ffm = (ff != file_format::FileFormat::ArbitraryBinaryData
            && ff != file_format::FileFormat::PlainText)
            .then(|| ff.media_type().to_string());
        let (ai, af) = (
            agrees(i.as_deref(), expected),
            agrees(ffm.as_deref(), expected),
        );
        a_infer += ai as usize;
        a_ff += af as usize;
        let mark = |found: &Option<String>, ok: bool| {
            format!(
                "{}{}",
                found.as_deref().unwrap_or("-"),
                if ok { "" } else { " ✗" }
            )
        };
        let name = path.file_name().unwrap().to_string_lossy();
        let (mi, mf) = (mark(&i, ai), mark(&ffm, af));
        println!(
            "{name:<45} libmagic={:<40} infer={mi:<40} file-format={mf}",
            expected[0]
        );
    }
    println!(
        "\n{} samples: infer agrees {} ({:.1}%), file-format agrees {} ({:.1}%)",
        rows.len(),
        a_infer,
        100.0 * a_infer as f64 / rows.len() as f64,
        a_ff,
        100.0 * a_ff as f64 / rows.len() as f64
    );
}
