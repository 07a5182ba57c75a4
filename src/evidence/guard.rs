//! The output guard: nothing Ferret writes ever lands inside the evidence
//! (forensic invariant 1), whatever the output is (an inventory file, a
//! case file, a report folder) and whichever front end asked.
//!
//! Where an output would land is worked out as the OS would resolve it when
//! writing, one component at a time from the file-system root: each folder
//! passed through is compared with every evidence root, by resolved name
//! and by (device, inode), so `..`, folder links, a link at the last
//! component, another name of the evidence folder and a bind mount of it
//! are all recognised. A link is read only once the folder holding it is
//! known to lie outside the evidence (following or reading a link moves its
//! access time), and a link with other hard links is refused unread; a
//! loop is an error. Nothing else looks at the path before this check.
//!
//! New files are created with `O_CREAT | O_EXCL` (which never follows a link
//! at the last component). `--force` removes the old directory entry first
//! if it is a file or a link (a link itself, never its target), and refuses
//! one with other hard links (one of them may be evidence), a folder, a
//! device, a FIFO or a socket. `-` means standard output and the null device
//! is written as it is.

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
    /// `--force` on a device, FIFO or socket: only files and links are
    /// replaced.
    #[error("{} is not a regular file or a link: not replaced", escape_path(.0))]
    NotReplaceable(PathBuf),
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
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let null = std::fs::metadata("/dev/null").ok().map(|m| m.rdev());
        std::fs::metadata(path)
            .is_ok_and(|m| m.file_type().is_char_device() && Some(m.rdev()) == null)
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

/// Links followed at most while resolving one output path (as the OS does:
/// a loop is an error, not a stack overflow).
const MAX_LINKS: u32 = 40;

/// (device, inode) of an existing path, following links (`stat`, which
/// moves no access time).
fn id_of(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The evidence roots as the guard compares them: resolved paths and the
/// (device, inode) of each root folder, so a bind mount or another name of
/// the same folder is recognised too.
struct Roots<'a> {
    given: &'a [&'a Path],
    real: Vec<PathBuf>,
    ids: Vec<Option<(u64, u64)>>,
    mounts: super::MountTable,
    /// Each root's device and path within its filesystem.
    within: Vec<Option<(String, PathBuf)>>,
}

impl<'a> Roots<'a> {
    fn new(given: &'a [&'a Path]) -> Self {
        let real: Vec<PathBuf> = given
            .iter()
            .map(|r| {
                std::fs::canonicalize(r)
                    .or_else(|_| std::path::absolute(r))
                    .unwrap_or_else(|_| r.to_path_buf())
            })
            .collect();
        let ids = given.iter().map(|r| id_of(r)).collect();
        let mounts = if given.is_empty() {
            super::MountTable::default()
        } else {
            super::MountTable::read()
        };
        let within = real.iter().map(|r| mounts.locate(r)).collect();
        Roots {
            given,
            real,
            ids,
            mounts,
            within,
        }
    }

    /// The root `dir` (a real, existing folder, or a path below one) is or
    /// lies in: by resolved name, or by being the same folder.
    /// A folder inside a root that is mounted elsewhere too (a bind mount
    /// of a subfolder) is found by its path within the filesystem.
    fn holding(&self, dir: &Path, id: Option<(u64, u64)>) -> Option<&'a Path> {
        let here = if self.given.is_empty() {
            None
        } else {
            self.mounts.locate(dir)
        };
        self.given.iter().enumerate().find_map(|(i, root)| {
            let by_name = self.real.get(i).is_some_and(|r| dir.starts_with(r));
            let by_id = id.is_some() && self.ids.get(i).copied().flatten() == id;
            let by_mount = match (&here, self.within.get(i)) {
                (Some((dev, path)), Some(Some((root_dev, root_path)))) => {
                    dev == root_dev && path.starts_with(root_path)
                }
                _ => false,
            };
            (by_name || by_id || by_mount).then_some(*root)
        })
    }
}

/// Resolves `path` as the OS would when writing it, one component at a time
/// from the file-system root, and refuses it as soon as a folder it passes
/// through is (or is inside) an evidence root. Links are read only in
/// folders already known to be outside the evidence (reading a link moves
/// its access time), at most [`MAX_LINKS`] of them. Returns the resolved
/// path (its missing tail added lexically).
fn resolve_checked(path: &Path, roots: &Roots<'_>) -> Result<PathBuf, GuardError> {
    let inside = |resolved: &Path, root: &Path| GuardError::InsideEvidence {
        path: path.to_path_buf(),
        resolved: resolved.to_path_buf(),
        root: root.to_path_buf(),
    };
    let io = |source: io::Error| GuardError::Io {
        path: path.to_path_buf(),
        source,
    };
    let abs = std::path::absolute(path).map_err(io)?;
    let mut at = PathBuf::new();
    let mut pending: std::collections::VecDeque<std::ffi::OsString> = Default::default();
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => at.push(c.as_os_str()),
            Component::CurDir => {}
            other => pending.push_back(other.as_os_str().to_os_string()),
        }
    }
    if let Some(root) = roots.holding(&at, id_of(&at)) {
        return Err(inside(&at, root));
    }
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        if part == ".." {
            at.pop();
            continue;
        }
        if part == "." {
            continue;
        }
        let next = at.join(&part);
        match std::fs::symlink_metadata(&next) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // The rest does not exist yet: it is made below `at`, which
                // is outside the evidence. A `..` in it could not be checked
                // now (the folder it climbs out of is made later, and the
                // OS then resolves what follows for real): refused.
                if pending.iter().any(|p| p == "..") {
                    return Err(io(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the path goes up (..) out of a folder that does not exist yet; give it without ..",
                    )));
                }
                let mut out = next;
                for rest in pending {
                    if rest != "." {
                        out.push(rest);
                    }
                }
                return match roots.holding(&out, None) {
                    Some(root) => Err(inside(&out, root)),
                    None => Ok(out),
                };
            }
            Err(e) => return Err(io(e)),
            Ok(m) if m.file_type().is_symlink() => {
                // `at` is outside the evidence, so this name is; but a link
                // with other hard links may be one inside the evidence, and
                // reading it would move its access time: refused unread.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::MetadataExt;
                    if m.nlink() > 1 {
                        return Err(GuardError::HardLinked {
                            path: next,
                            links: m.nlink(),
                        });
                    }
                }
                links += 1;
                if links > MAX_LINKS {
                    return Err(io(io::Error::other("too many levels of symbolic links")));
                }
                let target = std::fs::read_link(&next).map_err(io)?;
                let mut parts: Vec<std::ffi::OsString> = Vec::new();
                for c in target.components() {
                    match c {
                        Component::Prefix(_) | Component::RootDir => {
                            at = PathBuf::new();
                            at.push(c.as_os_str());
                            parts.clear();
                        }
                        Component::CurDir => {}
                        other => parts.push(other.as_os_str().to_os_string()),
                    }
                }
                for p in parts.into_iter().rev() {
                    pending.push_front(p);
                }
            }
            Ok(_) => {
                at = next;
                if let Some(root) = roots.holding(&at, id_of(&at)) {
                    return Err(inside(&at, root));
                }
            }
        }
    }
    Ok(at)
}

/// Refuses `path` when it would land in (or be) one of `evidence_roots`, by
/// name or by being the same folder (a bind mount, another name of it),
/// whether through `..`, folder links or a link at the last component.
/// Nothing inside the evidence is read or touched while checking.
pub fn check_outside(path: &Path, evidence_roots: &[&Path]) -> Result<(), GuardError> {
    resolve_checked(path, &Roots::new(evidence_roots)).map(|_| ())
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
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(GuardError::IsDir(path.to_path_buf()));
    }
    if !kind.is_file() && !kind.is_symlink() {
        return Err(GuardError::NotReplaceable(path.to_path_buf()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // A second name of the same inode (a file, or a link) may be evidence.
        if meta.nlink() > 1 {
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
///
/// The path is checked before anything else looks at it: even a `stat`
/// through a link inside the evidence moves that link's access time.
pub fn open_output(
    path: &Path,
    evidence_roots: &[&Path],
    force: bool,
) -> Result<Box<dyn io::Write + Send>, GuardError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdout()));
    }
    check_outside(path, evidence_roots)?;
    Ok(match OutputTarget::parse(path) {
        OutputTarget::Stdout => Box::new(io::stdout()),
        OutputTarget::Null => Box::new(io::sink()),
        OutputTarget::File(path) => Box::new(create_output(&path, evidence_roots, force)?),
    })
}
