//! `manifest.sha256`: the closing file of every report folder, one
//! `sha256sum -c`-compatible line per file, and its re-check
//! (`ferret verify`), which also finds files added since.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::folder::{ReportError, write_err};

/// The SHA-256 of a file, as lower-case hex.
pub(super) fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Writes `manifest.sha256` listing `files` of `dir`, in that order;
/// returns the manifest's own SHA-256.
pub(super) fn write_manifest(dir: &Path, files: &[String]) -> Result<String, ReportError> {
    let path = dir.join("manifest.sha256");
    let mut text = String::new();
    for f in files {
        let file = dir.join(f);
        let sum = sha256_file(&file).map_err(write_err(&file))?;
        text.push_str(&format!("{sum}  {f}\n"));
    }
    std::fs::write(&path, &text).map_err(write_err(&path))?;
    sha256_file(&path).map_err(write_err(&path))
}

fn read_err(path: &Path) -> impl Fn(io::Error) -> ReportError + '_ {
    move |source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Re-checks a report folder against its manifest: returns the problems
/// (empty when everything matches), e.g. `items.csv: changed`.
pub fn verify_report(dir: &Path) -> Result<Vec<String>, ReportError> {
    let manifest = dir.join("manifest.sha256");
    let text = std::fs::read_to_string(&manifest).map_err(read_err(&manifest))?;
    let mut problems = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let Some((sum, name)) = line.split_once("  ") else {
            problems.push(format!("manifest.sha256:{}: malformed line", i + 1));
            continue;
        };
        listed.insert(name.to_string());
        let p = dir.join(name);
        if name.contains('/') || name.contains("..") {
            problems.push(format!("{name}: path outside the report folder"));
            continue;
        }
        match sha256_file(&p) {
            Ok(actual) if actual == sum => {}
            Ok(_) => problems.push(format!(
                "{name}: changed (SHA-256 differs from the manifest)"
            )),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))?.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if n != "manifest.sha256" && !listed.contains(&n) {
            problems.push(format!("{n}: not in the manifest"));
        }
    }
    Ok(problems)
}
