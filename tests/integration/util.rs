//! Test helpers: temporary evidence trees with every hostile shape, a stat
//! snapshot that sees atimes, the shared corpus, and external tools.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferret::{FileRecord, MemorySink, ScanError, ScanJob, ScanOptions, ScanSummary};

/// `../shared/corpus`, or `None` (with a printed reason) when absent.
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: {} not found (the shared corpus sits beside the repo)",
            p.display()
        );
        None
    }
}

/// True when `tool` runs; prints a skip reason otherwise.
pub fn have_tool(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty());
    if !ok {
        eprintln!("SKIP: `{tool}` is not installed (.ci/run installs it)");
    }
    ok
}

/// Runs a command and asserts it succeeded, showing its output if not.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The ferret binary built for these tests.
pub fn ferret() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ferret"))
}

/// Scans `root` to the end and returns the records and the result.
pub fn scan(options: ScanOptions) -> (Vec<FileRecord>, Result<ScanSummary, ScanError>) {
    let sink = MemorySink::default();
    let job =
        ScanJob::spawn(options, Box::new(sink.clone()), std::sync::Arc::new(|| {})).expect("spawn");
    let result = job.join();
    (sink.take(), result)
}

/// Raw-bytes path from a byte literal.
pub fn bpath(bytes: &[u8]) -> PathBuf {
    ferret::pathfmt::path_from_bytes(bytes.to_vec())
}

/// Which hostile shapes a tree gets.
#[derive(Debug, Clone, Copy)]
pub struct Shapes {
    /// Names with newline / CR (hashdeep cannot represent them).
    pub newline_names: bool,
    /// A directory chain whose paths exceed 4096 bytes.
    pub deep: bool,
    /// A sparse file larger than 4 GiB.
    pub sparse: bool,
}

impl Shapes {
    pub const ALL: Shapes = Shapes {
        newline_names: true,
        deep: true,
        sparse: true,
    };
}

/// A generated evidence tree and what a scan must find in it.
pub struct HostileTree {
    pub dir: tempfile::TempDir,
    /// Regular files (to be hashed).
    pub files: u64,
    /// Entries recorded without hashing (dirs, links, FIFO, socket).
    pub not_hashed: u64,
    /// Relative path of the file at the bottom of the deep chain.
    pub deep_file: Option<PathBuf>,
    /// Size of the sparse file.
    pub sparse_len: u64,
}

impl HostileTree {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Depth and name length of the deep chain: 21 × (200 + 1) bytes > 4096.
pub const DEEP_LEVELS: usize = 21;
const DEEP_NAME_LEN: usize = 200;
pub const SPARSE_LEN: u64 = (4 << 30) + 4096 + 17;

#[cfg(unix)]
pub fn hostile_tree(shapes: Shapes) -> HostileTree {
    use std::os::unix::net::UnixListener;

    use rustix::fs::{Mode, OFlags};

    let dir = tempfile::Builder::new()
        .prefix("ferret-evidence-")
        .tempdir()
        .expect("tempdir");
    let r = dir.path();
    let w = |rel: &[u8], data: &[u8]| std::fs::write(r.join(bpath(rel)), data).expect("write");
    let (mut files, mut not_hashed) = (0u64, 0u64);

    w(b".hidden", b"hidden file\n");
    std::fs::create_dir(r.join(".secret")).unwrap();
    w(b".secret/inner.txt", b"inside a hidden dir\n");
    w(b"empty.bin", b"");
    w(b"caf\xe9.jpg", b"latin-1 name, not UTF-8\n");
    w(b"back\\slash.txt", b"backslash\n");
    w(b" lead.txt", b"leading space\n");
    w(b"trail.txt ", b"trailing space\n");
    w(b"vanish.txt", b"may be deleted between walk and read\n");
    w(
        b"photo.dll",
        b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00 jpeg named dll",
    );
    files += 9;
    not_hashed += 1; // .secret
    if shapes.newline_names {
        w(b"new\nline.txt", b"newline in name\n");
        w(b"carriage\rreturn.txt", b"CR in name\n");
        files += 2;
    }
    std::os::unix::fs::symlink("loop_b", r.join("loop_a")).unwrap();
    std::os::unix::fs::symlink("loop_a", r.join("loop_b")).unwrap();
    std::os::unix::fs::symlink("..", r.join("up")).unwrap();
    std::os::unix::fs::symlink("does/not/exist", r.join("dangling")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", r.join("outside")).unwrap();
    not_hashed += 5;
    rustix::fs::mknodat(
        rustix::fs::CWD,
        r.join("fifo"),
        rustix::fs::FileType::Fifo,
        Mode::from_raw_mode(0o644),
        0,
    )
    .expect("mkfifo");
    drop(UnixListener::bind(r.join("sock")).expect("socket"));
    not_hashed += 2;

    let mut deep_file = None;
    if shapes.deep {
        // Built with mkdirat/openat: no path-based call can reach the bottom.
        std::fs::create_dir(r.join("deep")).unwrap();
        not_hashed += 1;
        let mut fd = rustix::fs::open(
            r.join("deep"),
            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        let mut rel = PathBuf::from("deep");
        for i in 0..DEEP_LEVELS {
            let name = format!("{i:02}{}", "d".repeat(DEEP_NAME_LEN - 2));
            rustix::fs::mkdirat(&fd, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
            fd = rustix::fs::openat(
                &fd,
                name.as_str(),
                OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .unwrap();
            rel.push(name);
            not_hashed += 1;
        }
        let f = rustix::fs::openat(
            &fd,
            "bottom.txt",
            OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .unwrap();
        rustix::io::write(&f, b"at the bottom of a path longer than PATH_MAX\n").unwrap();
        rel.push("bottom.txt");
        assert!(rel.as_os_str().len() > 4096);
        deep_file = Some(rel);
        files += 1;
    }
    let mut sparse_len = 0;
    if shapes.sparse {
        let f = std::fs::File::create(r.join("sparse.img")).unwrap();
        f.set_len(SPARSE_LEN).unwrap();
        use std::os::unix::fs::FileExt;
        f.write_all_at(b"tail", SPARSE_LEN - 4).unwrap();
        sparse_len = SPARSE_LEN;
        files += 1;
    }
    HostileTree {
        dir,
        files,
        not_hashed,
        deep_file,
        sparse_len,
    }
}

/// Everything `stat` says about each entry below `root`, atime included,
/// gathered with `O_NOATIME` handles so that looking changes nothing.
#[cfg(unix)]
pub fn stat_snapshot(root: &Path) -> BTreeMap<Vec<u8>, [i64; 9]> {
    use rustix::fs::{AtFlags, Dir, Mode, OFlags};
    use std::os::unix::ffi::OsStrExt;
    let mut out = BTreeMap::new();
    fn visit(fd: &std::os::fd::OwnedFd, prefix: Vec<u8>, out: &mut BTreeMap<Vec<u8>, [i64; 9]>) {
        let flags = OFlags::RDONLY
            | OFlags::DIRECTORY
            | OFlags::NOATIME
            | OFlags::NOFOLLOW
            | OFlags::CLOEXEC;
        let dirfd = rustix::fs::openat(fd, ".", flags, Mode::empty()).unwrap();
        let mut dir = Dir::new(dirfd).unwrap();
        let mut names = Vec::new();
        while let Some(e) = dir.read() {
            let e = e.unwrap();
            let n = e.file_name().to_bytes().to_vec();
            if n != b"." && n != b".." {
                names.push(n);
            }
        }
        for n in names {
            let name = std::ffi::OsStr::from_bytes(&n);
            let st = rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW).unwrap();
            let mut key = prefix.clone();
            key.extend_from_slice(&n);
            #[allow(clippy::unnecessary_cast)]
            out.insert(
                key.clone(),
                [
                    st.st_size as i64,
                    st.st_mode as i64,
                    st.st_ino as i64,
                    st.st_mtime as i64,
                    st.st_mtime_nsec as i64,
                    st.st_atime as i64,
                    st.st_atime_nsec as i64,
                    st.st_ctime as i64,
                    st.st_ctime_nsec as i64,
                ],
            );
            if rustix::fs::FileType::from_raw_mode(st.st_mode as _)
                == rustix::fs::FileType::Directory
            {
                let sub = rustix::fs::openat(fd, name, flags, Mode::empty()).unwrap();
                key.push(b'/');
                visit(&sub, key, out);
            }
        }
    }
    let root_fd = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOATIME | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap();
    visit(&root_fd, Vec::new(), &mut out);
    let _ = std::ffi::OsStr::new("").as_bytes();
    out
}

/// A connection of the test's own to a case file, for checking or setting
/// up rows that no public query reaches (the case store keeps its own).
pub fn db(case: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(case).expect("open case database");
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    c
}

/// `ferret scan -q --new --case-number NUMBER --examiner T --case CASE
/// [EXTRA…] EVIDENCE`, which must succeed.
pub fn new_case_scan(case: &Path, evidence: &Path, number: &str, extra: &[&str]) -> Output {
    run_ok(
        ferret()
            .args([
                "scan",
                "-q",
                "--new",
                "--case-number",
                number,
                "--examiner",
                "T",
            ])
            .arg("--case")
            .arg(case)
            .args(extra)
            .arg(evidence),
    )
}

/// Runs `cmd` with its output captured; kills it and fails the test if it
/// is still running after `limit` (what hangs on hostile input must not
/// hang the suite).
pub fn output_within(cmd: &mut Command, limit: std::time::Duration) -> Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{cmd:?} still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Asserts `out` is a refusal (exit 3) whose stderr says `want`.
pub fn assert_refused(out: &Output, want: &str, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{what}: {err}");
    assert!(err.contains(want), "{what}: {err}");
}

/// A hash library in `dir/lib` with one alert set, `bad`, listing the MD5
/// of `bytes` (a harmless "known-bad" file); returns the library folder.
pub fn alert_library(dir: &Path, bytes: &[u8]) -> PathBuf {
    let d = ferret::hashing::hash_bytes(bytes, ferret::AlgorithmSet::ALL);
    let lib = dir.join("lib");
    let set = dir.join("bad.txt");
    std::fs::write(
        &set,
        format!("{}\n", d.hex(ferret::Algorithm::Md5).unwrap()),
    )
    .unwrap();
    run_ok(
        ferret()
            .args(["hashset", "--library"])
            .arg(&lib)
            .args(["import", "-k", "alert", "-n", "bad"])
            .arg(&set),
    );
    lib
}
