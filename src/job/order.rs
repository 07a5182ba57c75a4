//! The order files are hashed in.
//!
//! In the field the first question is "is there known material here?", so
//! by default ([`Order::HitsFirst`]) files likely to match an alert set are
//! hashed first. After the metadata pre-walk every file falls into a band,
//! from what is known without reading it (extension, size, path):
//!
//! | band | files |
//! |---|---|
//! | 0 | picture extension, typical photo size (16 KiB–32 MiB), outside system folders |
//! | 1 | video extension, typical video size (512 KiB–8 GiB), outside system folders |
//! | 2 | picture/video extension at other sizes, archives, files without a known extension of photo size (renamed pictures), outside system folders |
//!
//! An archive (ZIP or RAR, by its extension, outside system folders) whose
//! directory names a picture is raised to band 0, one naming a video to
//! band 1: its members are hashed within the same order. The directory is
//! read when the order is made (at most [`PEEK_MAX`] archives, for at most
//! [`PEEK_BUDGET`]); past that, archives stay in band 2.
//! | 3 | everything else outside system folders, tiny files (< 1 KiB) last within it |
//! | 4 | system and program folders (`Windows`, `Program Files`, `usr`, `Library`, `node_modules`, …) |
//! | 5 | likely known-good: executables, libraries, drivers, bytecode |
//!
//! Pictures go before videos: known-material sets are mostly pictures, and
//! a picture costs a hundredth of a video's bytes.
//!
//! Within a band files keep walk order, except that on a spinning disk they
//! go by inode number (close inodes sit close on disk on ext4/XFS/NTFS).
//! Bands only change the order: every file is hashed. [`Order::Walk`]
//! keeps the walk's order exactly (for comparison, `--order walk`).

use super::FileTask;
use super::device::DeviceKind;

/// Order of hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Likely hits first (the default).
    #[default]
    HitsFirst,
    /// The walk's order.
    Walk,
}

impl Order {
    /// `hits-first` or `walk`.
    pub fn name(self) -> &'static str {
        match self {
            Order::HitsFirst => "hits-first",
            Order::Walk => "walk",
        }
    }
}

impl std::str::FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "hits-first" | "hits" => Ok(Order::HitsFirst),
            "walk" => Ok(Order::Walk),
            other => Err(format!("unknown order {other:?} (hits-first or walk)")),
        }
    }
}

const PICTURE: &[&str] = &[
    "jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "webp", "heic", "heif", "tif", "tiff",
    "avif", "jxl", "psd", "nef", "cr2", "cr3", "arw", "dng", "orf", "raf", "rw2",
];
const VIDEO: &[&str] = &[
    "mp4", "m4v", "mov", "avi", "wmv", "mkv", "webm", "flv", "3gp", "3g2", "mpg", "mpeg", "ts",
    "mts", "m2ts", "vob", "asf", "divx", "ogv",
];
const ARCHIVE: &[&str] = &["zip", "rar", "7z", "tar", "gz", "tgz", "cbz", "cbr"];
const KNOWN_GOOD: &[&str] = &[
    "exe", "dll", "sys", "drv", "ocx", "cpl", "mui", "cat", "msi", "msp", "so", "dylib", "ko", "a",
    "o", "lib", "pyc", "pyo", "class", "jar", "dex", "nls", "pdb", "efi",
];
/// Path components (lower case) that mark operating-system and program
/// folders.
const SYSTEM: &[&str] = &[
    "windows",
    "program files",
    "program files (x86)",
    "programdata",
    "winsxs",
    "system32",
    "syswow64",
    "usr",
    "lib",
    "lib64",
    "bin",
    "sbin",
    "etc",
    "opt",
    "boot",
    "snap",
    "system",
    "library",
    "applications",
    "node_modules",
    "site-packages",
    "dist-packages",
    ".git",
    ".cargo",
    ".rustup",
    ".npm",
    "steamapps",
];

/// The band of a file (0 = hash first).
pub fn band(task: &FileTask) -> u8 {
    let path = task.rel_path.as_os_str().as_encoded_bytes();
    let lower = path.to_ascii_lowercase();
    // A named data stream is banded by its own name (`notes.txt:photo.jpg`).
    let stream = task
        .stream
        .as_ref()
        .map(|s| s.as_encoded_bytes().to_ascii_lowercase());
    let name = match &stream {
        Some(s) => s.as_slice(),
        None => lower
            .rsplit(|&c| c == b'/' || c == b'\\')
            .next()
            .unwrap_or(&[]),
    };
    let ext = match name.iter().rposition(|&c| c == b'.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => &[][..],
    };
    let is = |list: &[&str]| list.iter().any(|e| e.as_bytes() == ext);
    let system = lower
        .split(|&c| c == b'/' || c == b'\\')
        .rev()
        .skip(1)
        .any(|dir| SYSTEM.iter().any(|s| s.as_bytes() == dir));
    let size = task.meta.size;
    let (picture, video) = (is(PICTURE), is(VIDEO));
    if is(KNOWN_GOOD) {
        5
    } else if system {
        4
    } else if picture && (16 << 10..=32 << 20).contains(&size) {
        0
    } else if video && (512 << 10..=8 << 30).contains(&size) {
        1
    } else if picture
        || video
        || is(ARCHIVE)
        || (!known_extension(ext) && (16 << 10..=32 << 20).contains(&size))
    {
        2
    } else {
        3
    }
}

/// Extensions that name a format other than a picture or video (a file
/// carrying one is less likely a renamed picture).
fn known_extension(ext: &[u8]) -> bool {
    const OTHER: &[&str] = &[
        "txt", "log", "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "rtf",
        "html", "htm", "xml", "json", "csv", "ini", "cfg", "conf", "db", "sqlite", "mp3", "wav",
        "flac", "ogg", "m4a", "iso", "img", "vmdk", "vhd", "vhdx", "dd", "e01", "pst", "ost",
        "eml", "msg", "js", "css", "py", "c", "h", "rs", "java", "md", "lnk", "tmp", "bak",
    ];
    OTHER.iter().any(|e| e.as_bytes() == ext)
}

/// Archives whose directory is read to order them, at most.
pub const PEEK_MAX: usize = 10_000;
/// Time spent reading archive directories to order them, at most.
pub const PEEK_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);
/// Member names read from one archive's directory, at most.
pub const PEEK_NAMES: usize = 100_000;

/// The band an archive's members raise it to: 0 if one is named as a
/// picture, 1 if one is named as a video.
pub fn member_band<N: AsRef<[u8]>>(names: &[N]) -> Option<u8> {
    let mut best = None;
    for name in names {
        let lower = name.as_ref().to_ascii_lowercase();
        let base = lower
            .rsplit(|&c| c == b'/' || c == b'\\')
            .next()
            .unwrap_or(&[]);
        let ext = match base.iter().rposition(|&c| c == b'.') {
            Some(i) if i > 0 => base.get(i + 1..).unwrap_or(&[]),
            _ => continue,
        };
        if PICTURE.iter().any(|e| e.as_bytes() == ext) {
            return Some(0);
        }
        if VIDEO.iter().any(|e| e.as_bytes() == ext) {
            best = Some(1);
        }
    }
    best
}

/// Whether `task` is an archive whose directory may raise it: band 2 by an
/// archive extension that [`crate::archive::peek_names`] reads.
pub fn peekable(task: &FileTask) -> bool {
    let name = task
        .stream
        .as_ref()
        .map(|s| s.as_encoded_bytes())
        .unwrap_or_else(|| task.rel_path.as_os_str().as_encoded_bytes())
        .to_ascii_lowercase();
    let peek_ext = [&b".zip"[..], b".cbz", b".rar", b".cbr"];
    band(task) == 2 && peek_ext.iter().any(|e| name.ends_with(e))
}

/// Puts `tasks` in hashing order. `peek` gives the band an archive's
/// directory raises it to (asked only of [`peekable`] tasks, in walk
/// order; `None` keeps its band).
pub fn arrange(
    tasks: &mut [FileTask],
    order: Order,
    device: DeviceKind,
    peek: &mut dyn FnMut(&FileTask) -> Option<u8>,
) {
    if order == Order::Walk {
        return;
    }
    let mut band_of = |t: &FileTask| {
        let b = band(t);
        if peekable(t) {
            peek(t).map_or(b, |p| p.min(b))
        } else {
            b
        }
    };
    match device {
        DeviceKind::SolidState => {
            tasks.sort_by_cached_key(|t| {
                let b = band_of(t);
                // Tiny files go last within the "everything else" band.
                (b, b == 3 && t.meta.size < 1024)
            });
        }
        DeviceKind::Rotational => {
            tasks.sort_by_cached_key(|t| (band_of(t), t.meta.dev, t.meta.inode));
        }
    }
}
