//! `manifest.sha256`: the closing file of every report folder, one
//! `sha256sum -c`-compatible line per file, and its re-check
//! (`ferret verify`), which also finds files added since.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::folder::{ReportError, write_err};

/// Opens a file of a report folder for reading: never through a link and
/// never anything but a regular file (a FIFO or device named `items.csv`
/// is refused, not read: opened non-blocking, checked, then read).
fn open_regular(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        opts.custom_flags(flags.bits() as i32);
    }
    let f = opts.open(path).map_err(|e| {
        // O_NOFOLLOW refuses a link (ELOOP): say what it is.
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "a symbolic link (not followed)",
            )
        } else {
            e
        }
    })?;
    let kind = f.metadata()?.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (not read)",
        ));
    }
    Ok(f)
}

/// The SHA-256 of a file, as lower-case hex.
pub(super) fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = open_regular(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(h.finalize()))
}

/// Writes `manifest.sha256` listing `files` of `dir`, in that order;
/// returns the manifest's own SHA-256.
pub(super) fn write_manifest(
    dir: &Path,
    files: &[String],
    anchor_line: &str,
) -> Result<String, ReportError> {
    let path = dir.join("manifest.sha256");
    let mut text = format!("{anchor_line}\n");
    for f in files {
        let file = dir.join(f);
        let sum = sha256_file(&file).map_err(write_err(&file))?;
        text.push_str(&format!("{sum}  {f}\n"));
    }
    {
        use std::io::Write as _;
        let mut f = File::create(&path).map_err(write_err(&path))?;
        f.write_all(text.as_bytes()).map_err(write_err(&path))?;
        f.sync_all().map_err(write_err(&path))?;
    }
    sha256_file(&path).map_err(write_err(&path))
}

fn read_err(path: &Path) -> impl Fn(io::Error) -> ReportError + '_ {
    move |source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// The audit anchor a report carries (row, BLAKE3 hash), from its
/// `manifest.sha256`.
pub fn read_anchor(dir: &Path) -> Result<(i64, String), ReportError> {
    let manifest = dir.join("manifest.sha256");
    let mut text = String::new();
    open_regular(&manifest)
        .and_then(|mut f| (&mut f).take(1 << 20).read_to_string(&mut text))
        .map_err(read_err(&manifest))?;
    let bad = || ReportError::Read {
        path: manifest.clone(),
        source: io::Error::new(io::ErrorKind::InvalidData, "no audit anchor line"),
    };
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("# ferret audit anchor: "))
        .ok_or_else(bad)?;
    let row = line
        .split_once("audit row ")
        .and_then(|(_, r)| r.split(',').next())
        .and_then(|r| r.trim().parse::<i64>().ok())
        .ok_or_else(bad)?;
    let hash = line
        .split_once("BLAKE3 ")
        .and_then(|(_, h)| h.get(..64))
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(bad)?;
    Ok((row, hash.to_string()))
}

/// Re-checks a report folder against its manifest: returns the problems
/// (empty when everything matches), e.g. `items.csv: changed`.
pub fn verify_report(dir: &Path) -> Result<Vec<String>, ReportError> {
    let manifest = dir.join("manifest.sha256");
    let mut text = String::new();
    open_regular(&manifest)
        .and_then(|mut f| {
            // A manifest lists a handful of files: 1 MiB is far beyond any.
            (&mut f).take(1 << 20).read_to_string(&mut text)
        })
        .map_err(read_err(&manifest))?;
    let mut problems = Vec::new();
    let mut listed = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue; // the audit anchor (a comment to sha256sum -c)
        }
        let Some((sum, name)) = line.split_once("  ") else {
            problems.push(format!("manifest.sha256:{}: malformed line", i + 1));
            continue;
        };
        listed.insert(name.to_string());
        let shown = crate::pathfmt::display_safe(name);
        if name.is_empty()
            || name.contains('/')
            || name.contains('\\')
            || name == "."
            || name == ".."
        {
            problems.push(format!("{shown}: not a file name of the report folder"));
            continue;
        }
        let p = dir.join(name);
        match sha256_file(&p) {
            Ok(actual) if actual == sum => {}
            Ok(_) => problems.push(format!(
                "{shown}: changed (SHA-256 differs from the manifest)"
            )),
            Err(e) => problems.push(format!("{shown}: {e}")),
        }
    }
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))?.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if n != "manifest.sha256" && !listed.contains(&n) {
            problems.push(format!(
                "{}: not in the manifest",
                crate::pathfmt::escape_path(entry.file_name())
            ));
        }
    }
    Ok(problems)
}
