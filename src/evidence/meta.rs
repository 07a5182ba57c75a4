//! Entry metadata: kind, size, MACB times (UTC), mode, inode.

use std::fmt;

/// What a directory entry is. Only [`EntryKind::File`] is ever opened for reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link (recorded with its target, never followed).
    Symlink,
    /// Named pipe (never opened: opening one can block forever).
    Fifo,
    /// Unix domain socket.
    Socket,
    /// Block device node.
    BlockDevice,
    /// Character device node.
    CharDevice,
    /// Anything else the OS reports.
    Other,
}

impl EntryKind {
    /// Stable lower-case name, as written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Fifo => "fifo",
            EntryKind::Socket => "socket",
            EntryKind::BlockDevice => "block_device",
            EntryKind::CharDevice => "char_device",
            EntryKind::Other => "other",
        }
    }

    /// Derives the kind from the `S_IFMT` bits of a Unix mode.
    pub fn from_mode(mode: u32) -> Self {
        match mode & 0o170000 {
            0o100000 => EntryKind::File,
            0o040000 => EntryKind::Dir,
            0o120000 => EntryKind::Symlink,
            0o010000 => EntryKind::Fifo,
            0o140000 => EntryKind::Socket,
            0o060000 => EntryKind::BlockDevice,
            0o020000 => EntryKind::CharDevice,
            _ => EntryKind::Other,
        }
    }
}

/// A point in time, UTC, with nanosecond precision (invariant 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl UtcTime {
    /// Builds a time, clamping out-of-range nanoseconds.
    pub fn new(secs: i64, nanos: u32) -> Self {
        UtcTime {
            secs,
            nanos: nanos.min(999_999_999),
        }
    }

    /// The current time.
    pub fn now() -> Self {
        let ts = jiff::Timestamp::now();
        UtcTime::new(ts.as_second(), ts.subsec_nanosecond().unsigned_abs())
    }

    /// ISO 8601 in UTC with a `Z`, e.g. `2024-05-01T10:00:00.5Z`
    /// (fraction only when non-zero).
    pub fn to_iso8601(self) -> String {
        match jiff::Timestamp::new(self.secs, self.nanos as i32) {
            Ok(ts) => ts.to_string(),
            // Outside jiff's range (year ±9999): keep the raw value, still UTC.
            Err(_) => format!("@{}.{:09}Z", self.secs, self.nanos),
        }
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso8601())
    }
}

/// Metadata of an entry, as returned by `lstat`/`statx` or `fstat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Meta {
    /// Size in bytes (for links: the target's length).
    pub size: u64,
    /// Unix mode bits including the file type (0 where unknown).
    pub mode: u32,
    /// Inode number or file id (0 where unknown).
    pub inode: u64,
    /// Device id of the filesystem holding the entry.
    pub dev: u64,
    /// Hard-link count.
    pub nlink: u64,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Last modification (M).
    pub mtime: Option<UtcTime>,
    /// Last access (A).
    pub atime: Option<UtcTime>,
    /// Last status change (C).
    pub ctime: Option<UtcTime>,
    /// Creation / birth (B), where the filesystem records it.
    pub btime: Option<UtcTime>,
    /// Windows file attributes (`FILE_ATTRIBUTE_*`: hidden, system, …),
    /// where the OS reports them.
    pub attributes: Option<u32>,
    /// The reparse tag of a Windows reparse point (junction, symbolic
    /// link, cloud placeholder, …).
    pub reparse_tag: Option<u32>,
}

impl Meta {
    /// The permission bits only (e.g. `0o644`).
    pub fn permissions(&self) -> u32 {
        self.mode & 0o7777
    }

    /// The Windows attributes an examiner reads (`hidden,system`), and a
    /// reparse point's kind (`reparse=junction`), comma-separated; `None`
    /// where the OS reports no attributes.
    pub fn attributes_text(&self) -> Option<String> {
        let bits = self.attributes?;
        let mut names: Vec<String> = super::attributes::attribute_names(bits)
            .into_iter()
            .map(str::to_owned)
            .collect();
        if let Some(tag) = self.reparse_tag {
            names.push(match super::attributes::reparse_tag_name(tag) {
                Some(n) => format!("reparse={n}"),
                None => format!("reparse=0x{tag:08x}"),
            });
        }
        Some(names.join(","))
    }
}
