//! Replacing a file of the hash library atomically: written whole to a
//! temporary file in the same folder, flushed to disk, renamed over the old
//! one, and the folder flushed. A reader never sees a half-written file,
//! and a compiled set that a scan has memory-mapped is never truncated or
//! rewritten under it (which would kill the scan with SIGBUS): the scan
//! keeps reading the old file, which lives on until it is unmapped.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `path` through `write` (handed the temporary file, empty) and
/// renames the result over `path`. On an error the temporary file is
/// removed and `path` is untouched.
pub(crate) fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let (tmp, mut file) = create_temp(path)?;
    let written = write(&mut file).and_then(|()| file.sync_all());
    drop(file);
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_folder(path)
}

/// A new, empty file beside `path` (`.NAME.PID.N.tmp`: hidden, and never
/// taken for a set by the library's listing, which wants `*.fhs`).
fn create_temp(path: &Path) -> io::Result<(PathBuf, File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("no file name"))?
        .to_string_lossy();
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Flushes the folder holding `path`, so the rename survives a power loss
/// (Unix; elsewhere a folder cannot be opened for that and the rename is
/// left to the file system).
fn sync_folder(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
