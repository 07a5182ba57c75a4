//! Hostile hash-set indexes, one file per finding of the adversarial review
//! of the compiled index (each was reproduced on the release binary before
//! the fix): a changed body turned a known-bad hit into known-good
//! (`index_body`), an index cut short under a scan killed it
//! (`index_truncated`), an automatic rebuild dropped import options
//! (`rebuild_options`); `index_props` throws random and damaged indexes at
//! the reader.

mod index_body;
mod index_props;
#[cfg(unix)]
mod index_truncated;
mod rebuild_options;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util;

/// Header fields the tests patch (see `src/hashsets/index/layout.rs`).
pub const FILE_SUM_AT: usize = 160;
pub const ENTRIES_OFF_AT: usize = 128;
pub const STRINGS_OFF_AT: usize = 136;

/// Lower-case hex MD5 of `data`.
pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(
        ferret::hashing::hash_bytes(data, ferret::AlgorithmSet::ALL)
            .md5
            .unwrap(),
    )
}

/// A VICS 2.0 (US profile) source with `(category, md5)` records.
pub fn vics_source(dir: &Path, name: &str, records: &[(i64, &str)]) -> PathBuf {
    let values: Vec<String> = records
        .iter()
        .enumerate()
        .map(|(i, (c, md5))| {
            format!(
                "{{\"MediaID\":{},\"Category\":{c},\"MD5\":\"{md5}\"}}",
                i + 1
            )
        })
        .collect();
    let text = format!(
        "{{\"@odata.context\":\"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media\",\"value\":[{}]}}",
        values.join(",")
    );
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `ferret hashset --library LIB ARGS…`.
pub fn hashset(lib: &Path, args: &[&str]) -> Output {
    util::ferret()
        .args(["hashset", "--library"])
        .arg(lib)
        .args(args)
        .output()
        .unwrap()
}

/// Runs `ferret inventory -f jsonl --library LIB -s SET EVIDENCE`.
pub fn inventory(lib: &Path, set: &str, evidence: &Path) -> Output {
    util::ferret()
        .args(["inventory", "-f", "jsonl", "--library"])
        .arg(lib)
        .args(["-s", set])
        .arg(evidence)
        .output()
        .unwrap()
}

/// stdout and stderr of `out`, for messages.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The little-endian u64 at `at`.
pub fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Recomputes both checksums of a compiled set, as a forger who knows the
/// format would: the file checksum (BLAKE3 of the file with it and the
/// header checksum zeroed), then the header checksum. What is left to catch
/// such a file is the structure check.
pub fn reseal(b: &mut [u8]) {
    let header_len = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    b[FILE_SUM_AT..FILE_SUM_AT + 32].fill(0);
    b[header_len..header_len + 32].fill(0);
    let sum = blake3::hash(b);
    b[FILE_SUM_AT..FILE_SUM_AT + 32].copy_from_slice(sum.as_bytes());
    let header = blake3::hash(&b[..header_len]);
    b[header_len..header_len + 32].copy_from_slice(header.as_bytes());
}

/// Rewrites `path` with `bytes` through a new file renamed over it (the
/// way a careless tool would replace it, without truncating a mapping).
pub fn replace(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("edit");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
