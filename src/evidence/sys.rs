//! The platform layer: handle-relative directory listing, `lstat`, `readlink`
//! and safe open. Unix uses `rustix` (`openat`, `getdents`, `statx`,
//! `openat2`); other platforms fall back to path-based `std::fs` calls, which
//! keep the no-follow and no-special-file rules but cannot reach paths past
//! the OS limit.

#[cfg(unix)]
pub(crate) use unix::*;

#[cfg(not(unix))]
pub(crate) use fallback::*;

#[cfg(unix)]
mod unix {
    use std::ffi::{OsStr, OsString};
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::{Component, Path, PathBuf};

    use rustix::fs::{AtFlags, Dir, Mode, OFlags};

    use crate::evidence::streams::{StreamInfo, StreamInterface};
    use crate::evidence::{EntryKind, Meta, MountState, UtcTime};

    #[cfg(any(target_os = "linux", target_os = "android"))]
    const NOATIME: OFlags = OFlags::NOATIME;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const NOATIME: OFlags = OFlags::empty();

    /// Paths at least this long are opened one component at a time, because
    /// `openat`/`openat2` refuse paths of `PATH_MAX` (4096) bytes or more.
    const LONG_PATH: usize = 4000;

    fn dir_flags() -> OFlags {
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW | NOATIME
    }

    fn file_flags() -> OFlags {
        // NONBLOCK: should the name now be a FIFO, open() must not wait for a writer.
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK | NOATIME
    }

    /// `openat`, retrying without `O_NOATIME` when the kernel refuses it
    /// (EPERM: we neither own the file nor hold CAP_FOWNER).
    fn openat_noatime(dir: BorrowedFd<'_>, name: &OsStr, flags: OFlags) -> io::Result<OwnedFd> {
        match rustix::fs::openat(dir, name, flags, Mode::empty()) {
            Err(rustix::io::Errno::PERM) if flags.contains(NOATIME) && !NOATIME.is_empty() => {
                rustix::fs::openat(dir, name, flags - NOATIME, Mode::empty())
                    .map_err(io::Error::from)
            }
            r => r.map_err(io::Error::from),
        }
    }

    /// An open directory: listed through, and used as the base for its children.
    pub(crate) struct DirHandle {
        dir: Dir,
    }

    impl DirHandle {
        fn fd(&self) -> io::Result<BorrowedFd<'_>> {
            self.dir.fd().map_err(io::Error::from)
        }
    }

    /// Handle on the evidence root (the root itself may be reached through a
    /// link: it is the examiner's choice; nothing below it is).
    pub(crate) type RootHandle = OwnedFd;

    /// Raises the soft limit on open files to the hard limit (once; a
    /// refusal changes nothing: the walk does not need many).
    pub(crate) fn raise_open_file_limit() {
        use rustix::process::{Resource, getrlimit, setrlimit};
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let mut lim = getrlimit(Resource::Nofile);
            if lim.current < lim.maximum {
                lim.current = lim.maximum;
                let _ = setrlimit(Resource::Nofile, lim);
            }
        });
    }

    pub(crate) fn open_root(path: &Path) -> io::Result<RootHandle> {
        openat_noatime(
            rustix::fs::CWD,
            path.as_os_str(),
            dir_flags() - OFlags::NOFOLLOW,
        )
    }

    /// How the filesystem holding the root is mounted.
    pub(crate) fn mount_state(root: &RootHandle) -> io::Result<MountState> {
        use rustix::fs::StatVfsMountFlags as F;
        let st = rustix::fs::fstatvfs(root)?;
        Ok(MountState {
            read_only: st.f_flag.contains(F::RDONLY),
            atime_updates: !st.f_flag.intersects(F::RDONLY | F::NOATIME),
        })
    }

    /// A fresh listing handle on the root directory.
    pub(crate) fn list_root(root: &RootHandle) -> io::Result<DirHandle> {
        let fd = openat_noatime(root.as_fd(), OsStr::new("."), dir_flags())?;
        Ok(DirHandle { dir: Dir::new(fd)? })
    }

    /// Opens a child directory relative to its parent, never through a link.
    pub(crate) fn open_subdir(parent: &DirHandle, name: &OsStr) -> io::Result<DirHandle> {
        let fd = openat_noatime(parent.fd()?, name, dir_flags())?;
        Ok(DirHandle { dir: Dir::new(fd)? })
    }

    /// Lists a directory's names (without `.` and `..`). A failure part-way
    /// returns the names read so far together with the error.
    pub(crate) fn list_dir(dir: &mut DirHandle) -> (Vec<OsString>, Option<io::Error>) {
        let mut names = Vec::new();
        while let Some(entry) = dir.dir.read() {
            match entry {
                Ok(e) => {
                    let name = e.file_name().to_bytes();
                    if name != b"." && name != b".." {
                        names.push(OsString::from_vec(name.to_vec()));
                    }
                }
                Err(e) => return (names, Some(e.into())),
            }
        }
        (names, None)
    }

    /// `lstat` of a child, relative to its parent's handle.
    pub(crate) fn stat_at(dir: &DirHandle, name: &OsStr) -> io::Result<Meta> {
        stat_impl(dir.fd()?, name, AtFlags::SYMLINK_NOFOLLOW)
    }

    /// Reads a link's target (raw bytes, unresolved).
    pub(crate) fn readlink_at(dir: &DirHandle, name: &OsStr) -> io::Result<PathBuf> {
        let target = rustix::fs::readlinkat(dir.fd()?, name, Vec::new())?;
        Ok(PathBuf::from(OsString::from_vec(target.into_bytes())))
    }

    /// `fstat` of an open file.
    pub(crate) fn fstat_meta(file: &File) -> io::Result<Meta> {
        stat_impl(file.as_fd(), OsStr::new(""), AtFlags::EMPTY_PATH)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn stat_impl(dir: BorrowedFd<'_>, name: &OsStr, flags: AtFlags) -> io::Result<Meta> {
        use rustix::fs::StatxFlags;
        let want = StatxFlags::BASIC_STATS | StatxFlags::BTIME;
        match rustix::fs::statx(dir, name, flags, want) {
            Ok(st) => {
                let t = |ts: rustix::fs::StatxTimestamp| Some(UtcTime::new(ts.tv_sec, ts.tv_nsec));
                let has_btime =
                    StatxFlags::from_bits_retain(st.stx_mask).contains(StatxFlags::BTIME);
                Ok(Meta {
                    size: st.stx_size,
                    mode: u32::from(st.stx_mode),
                    inode: st.stx_ino,
                    dev: rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor),
                    nlink: u64::from(st.stx_nlink),
                    uid: st.stx_uid,
                    gid: st.stx_gid,
                    mtime: t(st.stx_mtime),
                    atime: t(st.stx_atime),
                    ctime: t(st.stx_ctime),
                    btime: if has_btime { t(st.stx_btime) } else { None },
                    attributes: None,
                    reparse_tag: None,
                })
            }
            // Kernels before 4.11 (or seccomp filters) lack statx.
            Err(rustix::io::Errno::NOSYS) => plain_stat(dir, name, flags),
            Err(e) => Err(e.into()),
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn stat_impl(dir: BorrowedFd<'_>, name: &OsStr, flags: AtFlags) -> io::Result<Meta> {
        plain_stat(dir, name, flags)
    }

    #[allow(clippy::unnecessary_cast)] // field widths differ between platforms
    fn plain_stat(dir: BorrowedFd<'_>, name: &OsStr, flags: AtFlags) -> io::Result<Meta> {
        let st = if flags.contains(AtFlags::EMPTY_PATH) {
            rustix::fs::fstat(dir)?
        } else {
            rustix::fs::statat(dir, name, flags)?
        };
        let t = |s: i64, ns: i64| Some(UtcTime::new(s, ns.clamp(0, 999_999_999) as u32));
        Ok(Meta {
            size: st.st_size.max(0) as u64,
            mode: st.st_mode as u32,
            inode: st.st_ino as u64,
            dev: st.st_dev as u64,
            nlink: st.st_nlink as u64,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            mtime: t(st.st_mtime as i64, st.st_mtime_nsec as i64),
            atime: t(st.st_atime as i64, st.st_atime_nsec as i64),
            ctime: t(st.st_ctime as i64, st.st_ctime_nsec as i64),
            btime: None,
            attributes: None,
            reparse_tag: None,
        })
    }

    /// Opens a regular file below `root` for reading: read-only, no atime
    /// update, no link followed anywhere in the path, non-blocking.
    pub(crate) fn open_file_beneath(root: &RootHandle, rel: &Path) -> io::Result<File> {
        let fd = if rel.as_os_str().len() >= LONG_PATH {
            open_by_components(root.as_fd(), rel)?
        } else {
            open_short(root.as_fd(), rel)?
        };
        let file = File::from(fd);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // Advisory only: a failure changes nothing but read-ahead.
            let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::Sequential);
        }
        Ok(file)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn open_short(root: BorrowedFd<'_>, rel: &Path) -> io::Result<OwnedFd> {
        use rustix::fs::ResolveFlags;
        use std::sync::atomic::{AtomicBool, Ordering};
        // openat2 (Linux 5.6+) refuses any link in any component and any `..`
        // escape; older kernels get the component-wise walk instead.
        static NO_OPENAT2: AtomicBool = AtomicBool::new(false);
        if NO_OPENAT2.load(Ordering::Relaxed) {
            return open_by_components(root, rel);
        }
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        let open = |flags| rustix::fs::openat2(root, rel, flags, Mode::empty(), resolve);
        match open(file_flags()) {
            Ok(fd) => Ok(fd),
            Err(rustix::io::Errno::PERM) if !NOATIME.is_empty() => {
                open(file_flags() - NOATIME).map_err(io::Error::from)
            }
            Err(rustix::io::Errno::NOSYS) => {
                NO_OPENAT2.store(true, Ordering::Relaxed);
                open_by_components(root, rel)
            }
            Err(e) => Err(e.into()),
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn open_short(root: BorrowedFd<'_>, rel: &Path) -> io::Result<OwnedFd> {
        open_by_components(root, rel)
    }

    /// Opens each directory of `rel` with `O_NOFOLLOW` relative to the last,
    /// then the file: works at any depth and never passes through a link.
    fn open_by_components(root: BorrowedFd<'_>, rel: &Path) -> io::Result<OwnedFd> {
        let names: Vec<&OsStr> = rel
            .components()
            .map(|c| match c {
                Component::Normal(n) => Ok(n),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "path component is not a plain name",
                )),
            })
            .collect::<io::Result<_>>()?;
        let Some((last, dirs)) = names.split_last() else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty path"));
        };
        let mut held: Option<OwnedFd> = None;
        for name in dirs {
            let base = held.as_ref().map_or(root, |fd| fd.as_fd());
            let next = openat_noatime(base, name, dir_flags())?;
            held = Some(next);
        }
        let base = held.as_ref().map_or(root, |fd| fd.as_fd());
        openat_noatime(base, last, file_flags())
    }

    /// Maps `lstat` mode bits to a kind.
    pub(crate) fn kind_of(meta: &Meta) -> EntryKind {
        EntryKind::from_mode(meta.mode)
    }

    /// How the root's filesystem shows named data streams: `ntfs-3g` (a
    /// FUSE filesystem that answers for its own `system.ntfs_attrib_be`
    /// attribute; only the attribute's size is asked, nothing is read) with
    /// the xattr stream interface, or none.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn stream_interface(root: &RootHandle) -> StreamInterface {
        const FUSE_SUPER_MAGIC: u64 = 0x6573_5546;
        let Ok(st) = rustix::fs::fstatfs(root) else {
            return StreamInterface::None;
        };
        #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
        let magic = st.f_type as u64;
        const NTFS3_SUPER_MAGIC: u64 = 0x7366_746e;
        const NTFS_SB_MAGIC: u64 = 0x5346_544e;
        if magic == NTFS3_SUPER_MAGIC || magic == NTFS_SB_MAGIC {
            return StreamInterface::NtfsHidden;
        }
        if magic != FUSE_SUPER_MAGIC
            || rustix::fs::fgetxattr_query(root, "system.ntfs_attrib_be").is_err()
        {
            return StreamInterface::None;
        }
        // ntfs-3g. With its xattr stream interface an absent `user.` name is
        // "no data"; with `streams_interface=none` or `windows` the whole
        // `user.` namespace is "not supported". (Only a name is asked.)
        match rustix::fs::fgetxattr_query(root, "user.ferret-probe-absent") {
            Err(rustix::io::Errno::NOTSUP) => StreamInterface::NtfsHidden,
            _ => StreamInterface::NtfsXattr,
        }
    }

    /// No stream interface is known off Linux.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn stream_interface(_root: &RootHandle) -> StreamInterface {
        StreamInterface::None
    }

    /// Opens an entry to read its extended attributes: a directory as a
    /// directory, anything else as a file (read-only, no atime, no link
    /// followed, non-blocking).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn open_for_xattrs(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<OwnedFd> {
        match openat_noatime(dir, name, file_flags()) {
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::ISDIR.raw_os_error()) => {
                openat_noatime(dir, name, dir_flags())
            }
            r => r,
        }
    }

    /// The named data streams of an entry (`user.NAME` attributes of an
    /// `ntfs-3g` mount), with their sizes.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn list_streams(dir: &DirHandle, name: &OsStr) -> io::Result<Vec<StreamInfo>> {
        use crate::evidence::streams::{stream_from_xattr, xattr_names};
        let fd = open_for_xattrs(dir.fd()?, name)?;
        let mut list = Vec::new();
        for _ in 0..4 {
            let want = rustix::fs::flistxattr_query(&fd)?;
            list = vec![0u8; want];
            match rustix::fs::flistxattr(&fd, &mut list[..]) {
                Ok(n) => {
                    list.truncate(n);
                    break;
                }
                // The list grew between the two calls: ask again.
                Err(rustix::io::Errno::RANGE) => list.clear(),
                Err(e) => return Err(e.into()),
            }
        }
        let mut streams = Vec::new();
        for attr in xattr_names(&list) {
            let Some(stream) = stream_from_xattr(attr) else {
                continue;
            };
            // A stream whose size cannot be read is still listed: reading
            // it then fails and is recorded with its own reason.
            let size = rustix::fs::fgetxattr_query(&fd, attr).unwrap_or(0);
            streams.push(StreamInfo {
                name: stream,
                size: size as u64,
            });
        }
        Ok(streams)
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn list_streams(_dir: &DirHandle, _name: &OsStr) -> io::Result<Vec<StreamInfo>> {
        Ok(Vec::new())
    }

    /// Reads a named data stream whole through the xattr interface (at most
    /// [`XATTR_SIZE_MAX`] bytes: a larger one is an error that says so).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn read_stream(
        root: &RootHandle,
        rel: &Path,
        stream: &OsStr,
    ) -> io::Result<(Vec<u8>, Meta)> {
        use crate::evidence::streams::{XATTR_SIZE_MAX, XATTR_STREAM_PREFIX};
        // An empty `rel` is the root folder itself (its own streams).
        let (parent, name) = match (rel.parent(), rel.file_name()) {
            (Some(p), Some(n)) => (p, n),
            _ if rel.as_os_str().is_empty() => (Path::new(""), OsStr::new(".")),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not a plain path",
                ));
            }
        };
        let dir = if parent.as_os_str().is_empty() {
            openat_noatime(root.as_fd(), OsStr::new("."), dir_flags())?
        } else {
            open_dir_by_components(root.as_fd(), parent)?
        };
        let fd = open_for_xattrs(dir.as_fd(), name)?;
        let meta = stat_impl(fd.as_fd(), OsStr::new(""), AtFlags::EMPTY_PATH)?;
        let mut attr = XATTR_STREAM_PREFIX.to_vec();
        attr.extend_from_slice(stream.as_bytes());
        let attr = OsString::from_vec(attr);
        let size = rustix::fs::fgetxattr_query(&fd, attr.as_os_str())? as u64;
        // The interface reports at most XATTR_SIZE_MAX for a larger stream
        // (and reads only that much of it): a stream of that size may be
        // larger, so it is never hashed from here (a truncated digest would
        // be wrong in silence).
        if size >= XATTR_SIZE_MAX {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "stream of {XATTR_SIZE_MAX} bytes or more: Linux reads at most \
                     {XATTR_SIZE_MAX} bytes of a stream through ntfs-3g's xattr interface and \
                     cannot tell a larger one's size; scan this volume on Windows to read it"
                ),
            ));
        }
        let mut data = vec![0u8; size as usize];
        let n = rustix::fs::fgetxattr(&fd, attr.as_os_str(), &mut data[..])?;
        data.truncate(n);
        Ok((
            data,
            Meta {
                size: n as u64,
                ..meta
            },
        ))
    }

    /// Windows' stream files are not opened on Unix.
    pub(crate) fn open_stream_file(
        _root: &RootHandle,
        _rel: &Path,
        _stream: &OsStr,
    ) -> io::Result<File> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no Windows streams on this system",
        ))
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn read_stream(
        _root: &RootHandle,
        _rel: &Path,
        _stream: &OsStr,
    ) -> io::Result<(Vec<u8>, Meta)> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no stream interface",
        ))
    }

    /// Opens each directory of `rel` relative to the last, never through a link.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn open_dir_by_components(root: BorrowedFd<'_>, rel: &Path) -> io::Result<OwnedFd> {
        let mut held: Option<OwnedFd> = None;
        for c in rel.components() {
            let Component::Normal(name) = c else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "path component is not a plain name",
                ));
            };
            let base = held.as_ref().map_or(root, |fd| fd.as_fd());
            held = Some(openat_noatime(base, name, dir_flags())?);
        }
        held.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty path"))
    }
}

#[cfg(not(unix))]
mod fallback {
    use std::ffi::{OsStr, OsString};
    use std::fs::{self, File};
    use std::io;
    use std::path::{Path, PathBuf};

    use crate::evidence::streams::{StreamInfo, StreamInterface};
    use crate::evidence::{EntryKind, Meta, MountState, UtcTime};

    /// A directory, by path (no handle-relative calls on this platform).
    pub(crate) struct DirHandle {
        path: PathBuf,
    }

    /// The root, by path.
    pub(crate) type RootHandle = PathBuf;

    /// Nothing to raise: handles here are paths.
    pub(crate) fn raise_open_file_limit() {}

    pub(crate) fn open_root(path: &Path) -> io::Result<RootHandle> {
        if !fs::metadata(path)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(path.to_path_buf())
    }

    pub(crate) fn list_root(root: &RootHandle) -> io::Result<DirHandle> {
        Ok(DirHandle { path: root.clone() })
    }

    /// On Windows: the volume holding the root is read-only if it says so
    /// (`FILE_READ_ONLY_VOLUME`: a write-blocked or read-only medium);
    /// otherwise writable, with access-time updates assumed.
    #[cfg(windows)]
    pub(crate) fn mount_state(root: &RootHandle) -> io::Result<MountState> {
        let full = std::path::absolute(root).unwrap_or_else(|_| root.clone());
        let bytes = crate::pathfmt::path_bytes(&full);
        let plain = crate::pathfmt::without_verbatim_prefix(bytes).to_ascii_uppercase();
        let read_only = crate::evidence::windows::volumes().iter().any(|v| {
            let vol = crate::pathfmt::path_bytes(&v.root).to_ascii_uppercase();
            v.read_only && !vol.is_empty() && plain.starts_with(&vol)
        });
        Ok(MountState {
            read_only,
            atime_updates: !read_only,
        })
    }

    /// Unknown here: assume writable with atime updates (the safe guess).
    #[cfg(not(windows))]
    pub(crate) fn mount_state(_root: &RootHandle) -> io::Result<MountState> {
        Ok(MountState {
            read_only: false,
            atime_updates: true,
        })
    }

    pub(crate) fn open_subdir(parent: &DirHandle, name: &OsStr) -> io::Result<DirHandle> {
        let path = parent.path.join(name);
        if fs::symlink_metadata(&path)?.file_type().is_symlink() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a link"));
        }
        Ok(DirHandle { path })
    }

    pub(crate) fn list_dir(dir: &mut DirHandle) -> (Vec<OsString>, Option<io::Error>) {
        let mut names = Vec::new();
        let rd = match fs::read_dir(&dir.path) {
            Ok(rd) => rd,
            Err(e) => return (names, Some(e)),
        };
        for entry in rd {
            match entry {
                Ok(e) => names.push(e.file_name()),
                Err(e) => return (names, Some(e)),
            }
        }
        (names, None)
    }

    /// Windows attribute bits, and the reparse tag of a reparse point (read
    /// without following it).
    #[cfg(windows)]
    fn windows_attributes(md: &fs::Metadata, path: &Path) -> (Option<u32>, Option<u32>) {
        use std::os::windows::fs::MetadataExt;
        const REPARSE_POINT: u32 = 0x400;
        let bits = md.file_attributes();
        let tag = if bits & REPARSE_POINT != 0 {
            crate::evidence::windows::attributes(path)
                .ok()
                .and_then(|(_, tag)| tag)
        } else {
            None
        };
        (Some(bits), tag)
    }

    #[cfg(not(windows))]
    fn windows_attributes(_md: &fs::Metadata, _path: &Path) -> (Option<u32>, Option<u32>) {
        (None, None)
    }

    fn to_meta(md: &fs::Metadata, path: &Path) -> Meta {
        let (attributes, reparse_tag) = windows_attributes(md, path);
        let t = |r: io::Result<std::time::SystemTime>| {
            r.ok()
                .map(|t| match t.duration_since(std::time::UNIX_EPOCH) {
                    Ok(d) => UtcTime::new(d.as_secs() as i64, d.subsec_nanos()),
                    Err(e) => UtcTime::new(-(e.duration().as_secs() as i64), 0),
                })
        };
        let ft = md.file_type();
        let mode = if ft.is_symlink() {
            0o120000
        } else if ft.is_dir() {
            0o040755
        } else if ft.is_file() {
            0o100644
        } else {
            0
        };
        Meta {
            size: md.len(),
            mode,
            inode: 0,
            dev: 0,
            nlink: 1,
            uid: 0,
            gid: 0,
            mtime: t(md.modified()),
            atime: t(md.accessed()),
            ctime: None,
            btime: t(md.created()),
            attributes,
            reparse_tag,
        }
    }

    pub(crate) fn stat_at(dir: &DirHandle, name: &OsStr) -> io::Result<Meta> {
        let path = dir.path.join(name);
        Ok(to_meta(&fs::symlink_metadata(&path)?, &path))
    }

    pub(crate) fn readlink_at(dir: &DirHandle, name: &OsStr) -> io::Result<PathBuf> {
        fs::read_link(dir.path.join(name))
    }

    pub(crate) fn fstat_meta(file: &File) -> io::Result<Meta> {
        let md = file.metadata()?;
        #[cfg(windows)]
        {
            use std::os::windows::fs::MetadataExt;
            let mut meta = to_meta(&md, Path::new(""));
            meta.attributes = Some(md.file_attributes());
            meta.reparse_tag = None;
            Ok(meta)
        }
        #[cfg(not(windows))]
        Ok(to_meta(&md, Path::new("")))
    }

    /// Opens a regular file for reading. On Windows: every share mode (the
    /// owner of a file in use is never blocked), backup semantics,
    /// last-access frozen on the handle where the volume allows it; a name
    /// surrogate (symbolic link, junction) is refused, never followed; any
    /// other reparse point (a compressed, deduplicated or placeholder file)
    /// is read as Windows presents its content, so nothing reads as empty.
    #[cfg(windows)]
    pub(crate) fn open_file_beneath(root: &RootHandle, rel: &Path) -> io::Result<File> {
        let path = root.join(rel);
        let md = fs::symlink_metadata(&path)?;
        if md.file_type().is_symlink() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a link"));
        }
        let (meta_attrs, tag) = windows_attributes(&md, &path);
        let reparse = meta_attrs.is_some_and(|a| a & 0x400 != 0);
        if tag.is_some_and(crate::evidence::attributes::is_name_surrogate) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a link"));
        }
        let (file, _frozen) = crate::evidence::windows::open_read(&path, !reparse)?;
        Ok(file)
    }

    #[cfg(not(windows))]
    pub(crate) fn open_file_beneath(root: &RootHandle, rel: &Path) -> io::Result<File> {
        let path = root.join(rel);
        if fs::symlink_metadata(&path)?.file_type().is_symlink() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a link"));
        }
        File::open(path)
    }

    /// Windows lists named streams; elsewhere there are none to list.
    pub(crate) fn stream_interface(_root: &RootHandle) -> StreamInterface {
        if cfg!(windows) {
            StreamInterface::Windows
        } else {
            StreamInterface::None
        }
    }

    /// The named data streams of an entry (`FindFirstStreamW`).
    #[cfg(windows)]
    pub(crate) fn list_streams(dir: &DirHandle, name: &OsStr) -> io::Result<Vec<StreamInfo>> {
        let raw = crate::evidence::windows::find_streams(&dir.path.join(name))?;
        Ok(raw
            .into_iter()
            .filter_map(|r| {
                crate::evidence::streams::stream_from_windows(&r.name)
                    .map(|name| StreamInfo { name, size: r.size })
            })
            .collect())
    }

    #[cfg(not(windows))]
    pub(crate) fn list_streams(_dir: &DirHandle, _name: &OsStr) -> io::Result<Vec<StreamInfo>> {
        Ok(Vec::new())
    }

    /// Opens `rel:stream` for reading, the evidence way.
    #[cfg(windows)]
    pub(crate) fn open_stream_file(
        root: &RootHandle,
        rel: &Path,
        stream: &OsStr,
    ) -> io::Result<File> {
        // An empty `rel` is the root folder itself (its own streams).
        let path = if rel.as_os_str().is_empty() {
            root.clone()
        } else {
            root.join(rel)
        };
        if fs::symlink_metadata(&path)?.file_type().is_symlink() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a link"));
        }
        let mut named = path.into_os_string();
        named.push(":");
        named.push(stream);
        named.push(":$DATA");
        let (file, _frozen) = crate::evidence::windows::open_read(Path::new(&named), true)?;
        Ok(file)
    }

    #[cfg(not(windows))]
    pub(crate) fn open_stream_file(
        _root: &RootHandle,
        _rel: &Path,
        _stream: &OsStr,
    ) -> io::Result<File> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no named streams here",
        ))
    }

    /// Streams are opened as files here, never read through xattrs.
    pub(crate) fn read_stream(
        _root: &RootHandle,
        _rel: &Path,
        _stream: &OsStr,
    ) -> io::Result<(Vec<u8>, Meta)> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no xattr streams here",
        ))
    }

    pub(crate) fn kind_of(meta: &Meta) -> EntryKind {
        EntryKind::from_mode(meta.mode)
    }
}
