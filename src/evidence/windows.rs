//! The Windows primitives of NTFS evidence: alternate data streams, the
//! evidence open that freezes last-access, attribute bits and reparse tags
//! read without following the point, and the volumes an examiner picks from.
//!
//! Guarantees:
//! - nothing here writes to evidence. The one call that changes a handle's
//!   state, `SetFileTime` with `0xFFFFFFFF` for last-access only, is the
//!   documented way to stop the file system from updating last-access
//!   through that handle; no attribute or time is ever set;
//! - evidence is opened with every share mode, so the owner of a file in use
//!   is never blocked, and a reparse point is opened itself, never followed;
//! - paths past `MAX_PATH` stay reachable: an absolute path is handed to the
//!   OS in its `\\?\` form, which also keeps the trailing dots and spaces
//!   Win32 would strip (a file named `x.` is reached, not `x`).
//!
//! The crate denies `unsafe_code` (`lib.rs`); this file allows it for the
//! Win32 calls alone. Each block says why it is sound: the pointers handed
//! to the OS come from live, NUL-terminated buffers of the stated length,
//! and every handle is owned by exactly one value that closes it.
#![allow(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle};
use std::path::{Component, Path, PathBuf, Prefix};
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_FILE_READ_ONLY, ERROR_HANDLE_EOF, ERROR_INVALID_FUNCTION,
    ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, ERROR_WRITE_PROTECT, FILETIME, GENERIC_READ,
    HANDLE, INVALID_HANDLE_VALUE, MAX_PATH, WIN32_ERROR,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, FILE_ATTRIBUTE_REPARSE_POINT, FILE_ATTRIBUTE_TAG_INFO, FILE_FLAG_BACKUP_SEMANTICS,
    FILE_FLAG_OPEN_REPARSE_POINT, FILE_FLAG_SEQUENTIAL_SCAN, FILE_READ_ATTRIBUTES,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_ATTRIBUTES,
    FileAttributeTagInfo, FindClose, FindFirstFileW, FindFirstStreamW, FindNextStreamW,
    FindStreamInfoStandard, GetDriveTypeW, GetFileInformationByHandleEx, GetLogicalDriveStringsW,
    GetVolumeInformationW, OPEN_EXISTING, SetFileTime, WIN32_FIND_DATAW, WIN32_FIND_STREAM_DATA,
};
use windows_sys::Win32::System::Diagnostics::Debug::{
    GetThreadErrorMode, SEM_FAILCRITICALERRORS, SetThreadErrorMode,
};

/// One data stream of a file as `FindFirstStreamW`/`FindNextStreamW`
/// report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawStream {
    /// `":hidden.jpg:$DATA"`, or `"::$DATA"` for the unnamed stream, without
    /// the trailing NUL.
    pub(crate) name: Vec<u16>,
    /// Logical size in bytes.
    pub(crate) size: u64,
}

/// All data streams of the file at `path`, the unnamed one included.
///
/// A file with no data stream (a directory without named streams) and a
/// file system without streams (FAT, exFAT: the call is refused as invalid
/// or unsupported) give an empty list.
pub(crate) fn find_streams(path: &Path) -> io::Result<Vec<RawStream>> {
    let wide = wide_path(path)?;
    let mut data = WIN32_FIND_STREAM_DATA::default();
    // SAFETY: `wide` is NUL-terminated; `data` is a live
    // WIN32_FIND_STREAM_DATA, the structure FindStreamInfoStandard fills;
    // flags must be 0.
    let handle = unsafe {
        FindFirstStreamW(
            wide.as_ptr(),
            FindStreamInfoStandard,
            (&raw mut data).cast(),
            0,
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        let err = io::Error::last_os_error();
        return match win32_code(&err) {
            Some(ERROR_HANDLE_EOF | ERROR_INVALID_PARAMETER | ERROR_NOT_SUPPORTED) => {
                Ok(Vec::new())
            }
            _ => Err(err),
        };
    }
    let find = FindHandle(handle);
    let mut streams = vec![raw_stream(&data)?];
    loop {
        // SAFETY: `find` holds the live search handle FindFirstStreamW
        // returned; `data` is the same structure type it filled.
        let more = unsafe { FindNextStreamW(find.0, (&raw mut data).cast()) };
        if more == 0 {
            let err = io::Error::last_os_error();
            return match win32_code(&err) {
                Some(ERROR_HANDLE_EOF) => Ok(streams),
                _ => Err(err),
            };
        }
        streams.push(raw_stream(&data)?);
    }
}

fn raw_stream(data: &WIN32_FIND_STREAM_DATA) -> io::Result<RawStream> {
    let size = u64::try_from(data.StreamSize)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "negative stream size"))?;
    Ok(RawStream {
        name: until_nul(&data.cStreamName).to_vec(),
        size,
    })
}

/// Every share mode: the evidence open never blocks the file's owner.
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
/// Directories open too (backup semantics), reads run front to back, and a
/// reparse point is opened itself.
/// `FILE_FLAG_OPEN_NO_RECALL`: the data of an offline or cloud file is
/// not fetched (and so never written to the evidence volume); reading it
/// then fails and is recorded with the reason.
const OPEN_NO_RECALL: u32 = 0x0010_0000;
const EVIDENCE_FLAGS: u32 = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_SEQUENTIAL_SCAN | OPEN_NO_RECALL;
/// What reading evidence needs.
const READ_ACCESS: u32 = GENERIC_READ | FILE_READ_ATTRIBUTES;

/// Opens a file, a directory or one stream of a file (`C:\d\f.jpg:s.jpg`)
/// to read it as evidence. The flag is `true` when last-access is frozen for
/// this handle.
///
/// The first attempt adds `FILE_WRITE_ATTRIBUTES`, only to call
/// `SetFileTime` with last-access `0xFFFFFFFF` before anything is read
/// (documented: operations through the handle then leave last-access
/// alone). Where that access is refused (read-only media, no right to
/// write attributes) or the freeze fails, the file is opened read-only and
/// last-access may move as the volume's policy says.
///
/// `reparse_point_itself`: open a reparse point itself
/// (`FILE_FLAG_OPEN_REPARSE_POINT`), never what it points at. The caller
/// passes `false` only for a reparse point that is not a link (a compressed,
/// deduplicated or placeholder file), whose content Windows presents only
/// through its filter: read raw, it would read as empty.
pub(crate) fn open_read(path: &Path, reparse_point_itself: bool) -> io::Result<(File, bool)> {
    let wide = wide_path(path)?;
    let flags = if reparse_point_itself {
        EVIDENCE_FLAGS | FILE_FLAG_OPEN_REPARSE_POINT
    } else {
        EVIDENCE_FLAGS
    };
    match create_file(&wide, READ_ACCESS | FILE_WRITE_ATTRIBUTES, flags) {
        Ok(file) => {
            if freeze_last_access(&file) {
                return Ok((file, true));
            }
            // Keep no handle able to write attributes when it buys nothing.
            drop(file);
        }
        Err(err) if !write_refused(&err) => return Err(err),
        Err(_) => {}
    }
    Ok((create_file(&wide, READ_ACCESS, flags)?, false))
}

/// Errors with which the attribute-writing open fails where the plain read
/// may still succeed: the access itself is refused (ACL, read-only file
/// system, write-protected medium) or the file system does not take it.
fn write_refused(err: &io::Error) -> bool {
    matches!(
        win32_code(err),
        Some(
            ERROR_ACCESS_DENIED
                | ERROR_WRITE_PROTECT
                | ERROR_FILE_READ_ONLY
                | ERROR_NOT_SUPPORTED
                | ERROR_INVALID_FUNCTION
                | ERROR_INVALID_PARAMETER
        )
    )
}

fn create_file(wide: &[u16], access: u32, flags: u32) -> io::Result<File> {
    // SAFETY: `wide` is NUL-terminated (wide_path); null security attributes
    // and a null template are allowed for OPEN_EXISTING.
    let handle = unsafe {
        CreateFileW(
            wide.as_ptr(),
            access,
            SHARE_ALL,
            ptr::null(),
            OPEN_EXISTING,
            flags,
            ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CreateFileW returned a valid handle that nothing else owns;
    // the File takes it over and closes it once.
    Ok(unsafe { File::from_raw_handle(handle) })
}

/// `SetFileTime(h, NULL, {0xFFFFFFFF, 0xFFFFFFFF}, NULL)`: last-access is
/// no longer updated through this handle; creation and write times are
/// passed as NULL, which leaves them as they are.
fn freeze_last_access(file: &File) -> bool {
    let keep = FILETIME {
        dwLowDateTime: u32::MAX,
        dwHighDateTime: u32::MAX,
    };
    // SAFETY: the handle is live for the borrow of `file`; `keep` outlives
    // the call; the two null pointers are documented as "do not change".
    unsafe { SetFileTime(file.as_raw_handle(), ptr::null(), &keep, ptr::null()) != 0 }
}

/// The `FILE_ATTRIBUTE_*` bits of `path` and, when it is a reparse point,
/// its tag, read from the directory entry without opening or following it.
///
/// A volume or share root has no directory entry: its bits and tag come
/// from a handle opened for attributes only. Names with wildcards (`*?` and
/// the DOS wildcards `<>"`) are refused, as the search would match other
/// entries.
pub(crate) fn attributes(path: &Path) -> io::Result<(u32, Option<u32>)> {
    let wildcard = path.components().any(|c| match c {
        Component::Normal(name) => name
            .encode_wide()
            .any(|u| matches!(u, 0x2A | 0x3F | 0x3C | 0x3E | 0x22)), // * ? < > "
        _ => false,
    });
    if wildcard {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "wildcard in a path whose attributes are read",
        ));
    }
    let wide = wide_path(path)?;
    let root = match absolute(path) {
        Some(abs) => abs.names.is_empty(),
        None => path.file_name().is_none(),
    };
    if root {
        return root_attributes(&wide);
    }
    let mut data = WIN32_FIND_DATAW::default();
    // SAFETY: `wide` is NUL-terminated; `data` is a live WIN32_FIND_DATAW.
    let handle = unsafe { FindFirstFileW(wide.as_ptr(), &raw mut data) };
    if handle == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    drop(FindHandle(handle));
    let bits = data.dwFileAttributes;
    let tag = (bits & FILE_ATTRIBUTE_REPARSE_POINT != 0).then_some(data.dwReserved0);
    Ok((bits, tag))
}

/// A root's bits and tag from a handle opened for attributes only (no data
/// access, so no last-access update), the reparse point itself if it is one.
fn root_attributes(wide: &[u16]) -> io::Result<(u32, Option<u32>)> {
    let file = create_file(
        wide,
        FILE_READ_ATTRIBUTES,
        EVIDENCE_FLAGS | FILE_FLAG_OPEN_REPARSE_POINT,
    )?;
    let mut info = FILE_ATTRIBUTE_TAG_INFO {
        FileAttributes: 0,
        ReparseTag: 0,
    };
    let size = u32::try_from(size_of::<FILE_ATTRIBUTE_TAG_INFO>())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: the handle is live for the borrow of `file`; `info` is the
    // structure FileAttributeTagInfo fills, of exactly `size` bytes.
    let read = unsafe {
        GetFileInformationByHandleEx(
            file.as_raw_handle(),
            FileAttributeTagInfo,
            (&raw mut info).cast(),
            size,
        )
    } != 0;
    if !read {
        return Err(io::Error::last_os_error());
    }
    let bits = info.FileAttributes;
    let tag = (bits & FILE_ATTRIBUTE_REPARSE_POINT != 0).then_some(info.ReparseTag);
    Ok((bits, tag))
}

/// A volume of the system, for the evidence picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Volume {
    /// `E:\`.
    pub(crate) root: PathBuf,
    /// Volume label, empty when none or unreadable.
    pub(crate) label: String,
    /// `NTFS`, `exFAT`…, empty when unreadable (no medium).
    pub(crate) filesystem: String,
    /// `removable`, `fixed`, `network`, `cdrom`, `ramdisk` or `unknown`.
    pub(crate) kind: &'static str,
    /// The volume reports `FILE_READ_ONLY_VOLUME`.
    pub(crate) read_only: bool,
}

/// `FILE_READ_ONLY_VOLUME` (`winnt.h`); defined here to spare the
/// `Win32_System_SystemServices` feature for one constant.
const FILE_READ_ONLY_VOLUME: u32 = 0x0008_0000;

/// Every drive letter of the system. A drive whose volume cannot be read (an
/// empty card reader) is still listed, with empty label and file system.
pub(crate) fn volumes() -> Vec<Volume> {
    // An empty removable drive must not raise a "no disk" dialog.
    let _quiet = QuietErrors::new();
    drive_roots().iter().map(|root| volume(root)).collect()
}

/// The roots `GetLogicalDriveStringsW` lists, each NUL-terminated.
fn drive_roots() -> Vec<Vec<u16>> {
    // 26 drives of 4 characters ("C:\" and NUL) and the final NUL.
    let mut buf = vec![0_u16; 26 * 4 + 1];
    // The list can grow between two calls (a drive plugged in): retry a
    // few times, then give up rather than loop.
    for _ in 0..4 {
        let Ok(capacity) = u32::try_from(buf.len()) else {
            return Vec::new();
        };
        // SAFETY: `buf` is writable for `capacity` UTF-16 units.
        let needed = unsafe { GetLogicalDriveStringsW(capacity, buf.as_mut_ptr()) };
        let Ok(needed) = usize::try_from(needed) else {
            return Vec::new();
        };
        if needed == 0 || needed > 1 << 16 {
            return Vec::new();
        }
        if needed < buf.len() {
            buf.truncate(needed);
            return buf
                .split(|&u| u == 0)
                .filter(|root| !root.is_empty())
                .map(|root| root.iter().copied().chain([0]).collect())
                .collect();
        }
        buf.resize(needed + 1, 0);
    }
    Vec::new()
}

fn volume(root: &[u16]) -> Volume {
    // SAFETY: `root` is NUL-terminated (drive_roots).
    let kind = match unsafe { GetDriveTypeW(root.as_ptr()) } {
        2 => "removable", // DRIVE_REMOVABLE
        3 => "fixed",     // DRIVE_FIXED
        4 => "network",   // DRIVE_REMOTE
        5 => "cdrom",     // DRIVE_CDROM
        6 => "ramdisk",   // DRIVE_RAMDISK
        _ => "unknown",   // DRIVE_UNKNOWN, DRIVE_NO_ROOT_DIR
    };
    // MAX_PATH + 1 is the documented maximum for both buffers.
    const LEN: u32 = MAX_PATH + 1;
    let mut label = [0_u16; LEN as usize];
    let mut filesystem = [0_u16; LEN as usize];
    let mut flags = 0_u32;
    // SAFETY: `root` is NUL-terminated; both buffers are writable for LEN
    // units; the serial number and component length are optional (null).
    let read = unsafe {
        GetVolumeInformationW(
            root.as_ptr(),
            label.as_mut_ptr(),
            LEN,
            ptr::null_mut(),
            ptr::null_mut(),
            &raw mut flags,
            filesystem.as_mut_ptr(),
            LEN,
        )
    } != 0;
    let (label, filesystem, flags) = if read {
        (from_wide(&label), from_wide(&filesystem), flags)
    } else {
        (String::new(), String::new(), 0)
    };
    Volume {
        root: PathBuf::from(OsString::from_wide(until_nul(root))),
        label,
        filesystem,
        kind,
        read_only: flags & FILE_READ_ONLY_VOLUME != 0,
    }
}

/// Adds `SEM_FAILCRITICALERRORS` to this thread's error mode while it lives, so the
/// system returns an error instead of asking the user to insert a disk.
struct QuietErrors {
    previous: Option<u32>,
}

impl QuietErrors {
    fn new() -> Self {
        // SAFETY: no arguments; reads this thread's mode.
        let current = unsafe { GetThreadErrorMode() };
        let mut previous = 0_u32;
        // SAFETY: `previous` is a live u32 for the old mode.
        let set =
            unsafe { SetThreadErrorMode(current | SEM_FAILCRITICALERRORS, &raw mut previous) } != 0;
        Self {
            previous: set.then_some(previous),
        }
    }
}

impl Drop for QuietErrors {
    fn drop(&mut self) {
        if let Some(previous) = self.previous {
            // SAFETY: restores the mode read above; the old-mode pointer is
            // optional (null).
            unsafe { SetThreadErrorMode(previous, ptr::null_mut()) };
        }
    }
}

/// A search handle from `FindFirstFileW` or `FindFirstStreamW`, closed with
/// `FindClose` (not `CloseHandle`) exactly once.
struct FindHandle(HANDLE);

impl Drop for FindHandle {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful FindFirst* call and is
        // closed here only.
        unsafe { FindClose(self.0) };
    }
}

/// The Win32 error code an `io::Error` from `last_os_error` carries.
fn win32_code(err: &io::Error) -> Option<WIN32_ERROR> {
    err.raw_os_error().map(i32::cast_unsigned)
}

/// A fixed buffer up to its first NUL.
fn until_nul(buf: &[u16]) -> &[u16] {
    buf.split(|&u| u == 0).next().unwrap_or(buf)
}

fn from_wide(buf: &[u16]) -> String {
    String::from_utf16_lossy(until_nul(buf))
}

/// Where an absolute Win32 path starts.
enum Anchor<'a> {
    /// `C:\`.
    Disk(u8),
    /// `\\server\share\`.
    Unc(&'a OsStr, &'a OsStr),
}

/// An absolute, non-verbatim path taken apart: `.` dropped and `..` applied
/// as Win32 applies them (lexically, never above the root), separators of
/// either kind. The names themselves are kept exactly, trailing dots and
/// spaces included.
struct Absolute<'a> {
    anchor: Anchor<'a>,
    names: Vec<&'a OsStr>,
}

/// `None` for a path the `\\?\` form must not touch: relative, rooted on
/// the current drive (`\x`), drive-relative (`C:x`), already verbatim, or a
/// device path (`\\.\`).
fn absolute(path: &Path) -> Option<Absolute<'_>> {
    let mut components = path.components();
    let anchor = match components.next()? {
        Component::Prefix(prefix) => match prefix.kind() {
            Prefix::Disk(letter) => Anchor::Disk(letter),
            Prefix::UNC(server, share) => Anchor::Unc(server, share),
            _ => return None,
        },
        _ => return None,
    };
    if components.next()? != Component::RootDir {
        return None;
    }
    let mut names = Vec::new();
    for component in components {
        match component {
            Component::Normal(name) => names.push(name),
            Component::ParentDir => {
                names.pop();
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(Absolute { anchor, names })
}

/// `path` as the NUL-terminated UTF-16 the wide calls take: an absolute
/// path in its `\\?\` (or `\\?\UNC\`) form, any other unchanged. A NUL
/// inside the path is refused.
fn wide_path(path: &Path) -> io::Result<Vec<u16>> {
    if path.as_os_str().encode_wide().any(|u| u == 0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path contains a NUL character",
        ));
    }
    let mut wide: Vec<u16> = match absolute(path) {
        None => path.as_os_str().encode_wide().collect(),
        Some(Absolute { anchor, names }) => {
            let mut wide: Vec<u16> = match anchor {
                Anchor::Disk(letter) => {
                    let mut w: Vec<u16> = r"\\?\".encode_utf16().collect();
                    w.extend([u16::from(letter), u16::from(b':')]);
                    w
                }
                Anchor::Unc(server, share) => {
                    let mut w: Vec<u16> = r"\\?\UNC\".encode_utf16().collect();
                    w.extend(server.encode_wide());
                    w.push(u16::from(b'\\'));
                    w.extend(share.encode_wide());
                    w
                }
            };
            for name in &names {
                wide.push(u16::from(b'\\'));
                wide.extend(name.encode_wide());
            }
            // A root keeps its separator: `\\?\C:` is the volume device
            // itself, `\\?\C:\` its root directory.
            if names.is_empty() {
                wide.push(u16::from(b'\\'));
            }
            wide
        }
    };
    wide.push(0);
    Ok(wide)
}
