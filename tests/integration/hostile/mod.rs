//! Hostile input (issue 13): one module per finding of the adversarial
//! review, each reproducing the input and checking it is now handled (the
//! hash-set ones import it with the real binary and check the exit code,
//! the message, and the child's peak memory and time, helpers below).

mod case_opener;
mod case_schema;
mod importer_panic;
#[cfg(unix)]
mod read_only_media;
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
