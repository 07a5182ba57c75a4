//! The output guard: nothing Ferret writes ever lands inside the evidence
//! (forensic invariant 1), whatever the output is (an inventory file, a
//! case file, a report folder) and whichever front end asked.
//!
//! Where an output would land is worked out as the OS would resolve it when
//! writing: the nearest existing ancestor is resolved through links and
//! `..`, the rest is added lexically; a symbolic link at the last component
//! is resolved too (it is never written through, but a link that points into
//! the evidence is refused outright rather than replaced, so a slip of the
//! keyboard cannot even come close). The result is compared with every
//! evidence root, also resolved.
//!
//! New files are created with `O_CREAT | O_EXCL` (which never follows a link
//! at the last component). `--force` removes the old directory entry first,
//! a link itself rather than its target, and refuses a file that has other
//! hard links (one of them may be evidence). `-` means standard output and
//! `/dev/null` is written as it is.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::pathfmt::escape_path;

/// Why an output was refused.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The output would land inside an evidence root.
    #[error("refusing to write {} inside the evidence folder {} (it resolves to {})",
            escape_path(.path), escape_path(.root), escape_path(.resolved))]
    InsideEvidence {
        /// The output as given.
        path: PathBuf,
        /// Where it resolves to.
        resolved: PathBuf,
        /// The evidence root it falls in.
        root: PathBuf,
    },
    /// The output exists and replacing it was not asked for.
    #[error("{} exists (use --force to replace it)", escape_path(.0))]
    Exists(PathBuf),
    /// `--force` on a file with other hard links: one of them may be evidence.
    #[error("{} has {links} hard links (one may be evidence): not replaced; choose another name", escape_path(.path))]
    HardLinked {
        /// The output as given.
        path: PathBuf,
        /// Its link count.
        links: u64,
    },
    /// `--force` on a folder: only files are replaced.
    #[error("{} is a folder: not replaced", escape_path(.0))]
    IsDir(PathBuf),
    /// The OS refused.
    #[error("cannot create {}: {source}", escape_path(.path))]
    Io {
        /// The output as given.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// Standard output (`-`).
    Stdout,
    /// The null device (`/dev/null`): written, never created or replaced.
    Null,
    /// A file to create.
    File(PathBuf),
}

impl OutputTarget {
    /// `-` is standard output, `/dev/null` the null device, anything else a file.
    pub fn parse(path: &Path) -> OutputTarget {
        if path.as_os_str() == "-" {
            OutputTarget::Stdout
        } else if is_null_device(path) {
            OutputTarget::Null
        } else {
            OutputTarget::File(path.to_path_buf())
        }
    }
}

fn is_null_device(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        path == Path::new("/dev/null")
            && std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
    }
    #[cfg(windows)]
    {
        path.as_os_str().eq_ignore_ascii_case("NUL")
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = path;
        false
    }
}

/// Absolute, with `.` and `..` applied lexically (for the part of a path
/// that does not exist yet: it holds no link to follow).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Where writing `path` would land: the nearest existing ancestor resolved
/// through links, the rest added lexically. A link at the last component
/// is resolved to its target.
pub fn resolve_output(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(real) = std::fs::canonicalize(&abs) {
        return real;
    }
    // A dangling link at the last component: where its target would be made.
    if let Ok(target) = std::fs::read_link(&abs) {
        let base = abs.parent().unwrap_or(Path::new("/"));
        let joined = base.join(target);
        if joined != abs {
            return resolve_output(&joined);
        }
    }
    let mut existing = abs.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return lexical(&out);
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => {
                // `..` or a root at the end: apply it lexically, try again.
                let l = lexical(&existing);
                if l == existing {
                    return lexical(&abs);
                }
                existing = l;
            }
        }
    }
}

/// Refuses `path` when it would land in (or be) one of `evidence_roots`.
pub fn check_outside(path: &Path, evidence_roots: &[&Path]) -> Result<(), GuardError> {
    let resolved = resolve_output(path);
    // The name as typed, resolved without the last link: a link pointing
    // elsewhere but itself inside the evidence is refused as well.
    let as_named = match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            resolve_output(parent).join(name)
        }
        _ => resolved.clone(),
    };
    for root in evidence_roots {
        let real_root = resolve_output(root);
        for candidate in [&resolved, &as_named] {
            if candidate.starts_with(&real_root) {
                return Err(GuardError::InsideEvidence {
                    path: path.to_path_buf(),
                    resolved: candidate.clone(),
                    root: root.to_path_buf(),
                });
            }
        }
    }
    Ok(())
}

/// Makes room for a new file at `path` (outside every evidence root): with
/// `force`, an existing file or link is removed (the link itself, never
/// its target); without, an existing entry is refused.
pub fn prepare_new_file(
    path: &Path,
    evidence_roots: &[&Path],
    force: bool,
) -> Result<(), GuardError> {
    check_outside(path, evidence_roots)?;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !force {
        return Err(GuardError::Exists(path.to_path_buf()));
    }
    if meta.is_dir() {
        return Err(GuardError::IsDir(path.to_path_buf()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.is_file() && meta.nlink() > 1 {
            return Err(GuardError::HardLinked {
                path: path.to_path_buf(),
                links: meta.nlink(),
            });
        }
    }
    std::fs::remove_file(path).map_err(|source| GuardError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Creates a new file at `path` for writing, never inside an evidence root
/// and never through a link (`O_EXCL`); see [`prepare_new_file`] for `force`.
pub fn create_output(
    path: &Path,
    evidence_roots: &[&Path],
    force: bool,
) -> Result<File, GuardError> {
    prepare_new_file(path, evidence_roots, force)?;
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    opts.open(path).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => GuardError::Exists(path.to_path_buf()),
        _ => GuardError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// Opens an output target for writing: standard output, the null device,
/// or a new file made by [`create_output`].
pub fn open_output(
    target: &OutputTarget,
    evidence_roots: &[&Path],
    force: bool,
) -> Result<Box<dyn io::Write + Send>, GuardError> {
    Ok(match target {
        OutputTarget::Stdout => Box::new(io::stdout()),
        OutputTarget::Null => Box::new(io::sink()),
        OutputTarget::File(path) => Box::new(create_output(path, evidence_roots, force)?),
    })
}
