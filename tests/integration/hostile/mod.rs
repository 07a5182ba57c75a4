//! Hostile input (issue 13): one module per finding of the adversarial
//! review, each reproducing the input and checking it is now handled (the
//! hash-set ones import it with the real binary and check the exit code,
//! the message, and the child's peak memory and time; the index ones
//! damage a compiled set as an attacker or a careless tool would: helpers
//! below).

mod case_opener;
mod case_schema;
#[cfg(unix)]
mod deep_tree;
mod importer_panic;
mod index_body;
mod index_props;
#[cfg(unix)]
mod index_truncated;
mod pdq_review;
#[cfg(unix)]
mod read_only_media;
mod rebuild_options;
mod report_folder;
mod results_tampering;
mod resume_and_guard;
mod terminal_injection;
mod unbounded_imports;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Peak memory any import here may take.
pub const MAX_RSS_KB: u64 = 100 * 1024;

/// Longest any import here may run.
pub const MAX_TIME: Duration = Duration::from_secs(20);

/// What one `ferret hashset import` did.
#[derive(Debug)]
pub struct Import {
    /// Exit code (`None`: killed).
    pub code: Option<i32>,
    /// The first MiB of stderr.
    pub stderr: String,
    /// Bytes written to stderr.
    pub stderr_len: u64,
    /// Peak resident memory, KiB (`None` where /proc does not say).
    pub peak_kb: Option<u64>,
    /// Wall-clock time.
    pub took: Duration,
}

impl Import {
    /// Asserts the run stayed within [`MAX_RSS_KB`] and [`MAX_TIME`].
    pub fn assert_bounded(&self) {
        assert!(self.took < MAX_TIME, "took {:?}: {self:?}", self.took);
        match self.peak_kb {
            Some(kb) => assert!(kb < MAX_RSS_KB, "peak RSS {kb} KiB: {self:?}"),
            None => eprintln!("SKIP: peak RSS not measured (no /proc/<pid>/status VmHWM)"),
        }
    }
}

/// Peak resident set of a live process, from `/proc/<pid>/status`.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Imports `file` as an alert set into a fresh library in `dir`, with
/// `extra` arguments before the file; polls the child's peak memory every
/// few milliseconds (its high-water mark only grows, so a poll after any
/// growth sees it) and kills it past twice [`MAX_TIME`] or 1 GiB.
pub fn import(dir: &Path, file: &Path, extra: &[&str]) -> Import {
    let lib = dir.join("lib");
    let err_path = dir.join("stderr.txt");
    let err = File::create(&err_path).expect("stderr file");
    let started = Instant::now();
    let mut child = crate::util::ferret()
        .arg("hashset")
        .arg("--library")
        .arg(&lib)
        .args(["import", "-k", "alert"])
        .args(extra)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .expect("spawn ferret");
    let mut peak = None;
    let status = loop {
        if let Some(kb) = vm_hwm(child.id()) {
            peak = peak.max(Some(kb));
            if kb > 1024 * 1024 {
                let _ = child.kill();
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > 2 * MAX_TIME {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    let took = started.elapsed();
    let stderr_len = std::fs::metadata(&err_path).map_or(0, |m| m.len());
    let mut head = Vec::new();
    use std::io::Read as _;
    File::open(&err_path)
        .and_then(|f| f.take(1 << 20).read_to_end(&mut head))
        .expect("read stderr");
    Import {
        code: status.code(),
        stderr: String::from_utf8_lossy(&head).into_owned(),
        stderr_len,
        peak_kb: peak,
        took,
    }
}

/// Writes `data` to `dir/name`.
pub fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write input");
    p
}

/// An MD5 that parses.
pub const MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

// Helpers of the index tests.

use crate::util;
use std::process::Output;

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

/// The provenance of a test set `p` of builder `b`, as an import of
/// `format` would record it (counts and entries from the builder).
pub fn provenance_of(
    b: &ferret::hashsets::index::IndexBuilder,
    format: ferret::hashsets::Format,
    categories: Option<ferret::hashsets::index::CategoryProfile>,
    pdq: Option<ferret::hashsets::PdqMatch>,
) -> ferret::hashsets::index::Provenance {
    ferret::hashsets::index::Provenance {
        name: "p".into(),
        kind: ferret::hashsets::SetKind::Alert,
        format,
        source_path: "p.txt".into(),
        source_sha256: String::new(),
        source_len: 0,
        counts: b.counts(),
        entries: b.len(),
        rejected: 0,
        imported_at: String::new(),
        tool_version: String::new(),
        source_profile: None,
        categories,
        embedded_name: None,
        hex64: None,
        pdq,
    }
}
