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
//! Within bands 0-2 files go by [`tier`]: known material is distributed
//! material, so it sits where things are downloaded, saved, received,
//! shared and cached, at distributed sizes; a camera's originals are the
//! user's own pictures, far less likely in a hash set:
//!
//! | tier | files |
//! |---|---|
//! | 0 | under a download, desktop, saved/received, cache, temp, P2P, messenger or recycle-bin folder ([`DISTRIBUTED`]) |
//! | 1 | elsewhere |
//! | 2 | camera originals: in a camera folder (`DCIM`, `Camera`, …) or camera-named (`IMG_`, `DSC_`, `PXL_`, …) and over 2 MiB; and any picture over 8 MiB |
//!
//! Within a tier files keep walk order, except that on a spinning disk they
//! go by inode number (close inodes sit close on disk on ext4/XFS/NTFS):
//! seeks are saved inside a tier, never across tiers.
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

/// Folder names (lower case) where distributed material lands: downloads,
/// the desktop, saved and received pictures, browser and app caches, temp
/// folders, P2P and messenger folders, recycle bins (Windows, macOS and
/// Linux layouts).
pub const DISTRIBUTED: &[&str] = &[
    "downloads",
    "download",
    "desktop",
    "saved",
    "saved pictures",
    "received",
    "received files",
    "cache",
    "caches",
    "cache2",
    "inetcache",
    "temporary internet files",
    "temp",
    "tmp",
    "roaming",
    "$recycle.bin",
    "recycler",
    ".trash",
    "trash",
    "telegram",
    "telegram desktop",
    "whatsapp",
    "signal",
    "skype",
    "discord",
    "kik",
    "snapchat",
    "wickr",
    "incoming",
    "torrents",
    "bittorrent",
    "utorrent",
    "qbittorrent",
    "emule",
    "limewire",
    "frostwire",
    "shareaza",
];

/// Folder names (lower case) of a camera's own pictures.
const CAMERA_DIRS: &[&str] = &["dcim", "camera", "camera roll", "camera uploads"];
/// Name prefixes (lower case) of camera originals.
const CAMERA_NAMES: &[&str] = &[
    "img_", "dsc_", "dscn", "dsc0", "pxl_", "dji_", "gopr", "p10",
];

/// A file's tier within bands 0-2 (0 = first): where it sits and how big
/// it is (see the module's table).
pub fn tier(task: &FileTask) -> u8 {
    let lower = task
        .rel_path
        .as_os_str()
        .as_encoded_bytes()
        .to_ascii_lowercase();
    let mut parts = lower.split(|&c| c == b'/' || c == b'\\').rev();
    let name = parts.next().unwrap_or(&[]);
    let dirs: Vec<&[u8]> = parts.collect();
    let in_any = |list: &[&str]| dirs.iter().any(|d| list.iter().any(|s| s.as_bytes() == *d));
    let size = task.meta.size;
    if in_any(DISTRIBUTED) {
        0
    } else if (size > 2 << 20
        && (in_any(CAMERA_DIRS) || CAMERA_NAMES.iter().any(|p| name.starts_with(p.as_bytes()))))
        || size > 8 << 20
    {
        2
    } else {
        1
    }
}

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
    // Tiers order bands 0-2 (pictures, videos, their likely renames).
    let tier_of = |t: &FileTask, b: u8| if b <= 2 { tier(t) } else { 1 };
    match device {
        DeviceKind::SolidState => {
            tasks.sort_by_cached_key(|t| {
                let b = band_of(t);
                // Tiny files go last within the "everything else" band.
                (b, tier_of(t, b), b == 3 && t.meta.size < 1024)
            });
        }
        DeviceKind::Rotational => {
            tasks.sort_by_cached_key(|t| {
                let b = band_of(t);
                (b, tier_of(t, b), t.meta.dev, t.meta.inode)
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn task(path: &str, size: u64) -> FileTask {
        FileTask {
            rel_path: path.into(),
            stream: None,
            meta: crate::evidence::Meta {
                size,
                ..Default::default()
            },
        }
    }

    /// The priority table: (path, size) to (band, tier).
    #[test]
    fn paths_and_sizes_to_bands_and_tiers() {
        const KB: u64 = 1 << 10;
        const MB: u64 = 1 << 20;
        let table: &[(&str, u64, u8, u8)] = &[
            // Distributed locations first, whatever the layout.
            ("Users/kim/Downloads/a.jpg", 300 * KB, 0, 0),
            ("Users/kim/Desktop/b.png", 90 * KB, 0, 0),
            ("Users/kim/Pictures/Saved/c.jpg", MB, 0, 0),
            (
                "Users/kim/AppData/Roaming/Telegram Desktop/d.jpg",
                200 * KB,
                0,
                0,
            ),
            ("Users/kim/AppData/Local/Temp/e.jpg", 200 * KB, 0, 0),
            ("$Recycle.Bin/S-1-5-21/$RAB12.jpg", 200 * KB, 0, 0),
            ("home/kim/.local/share/Trash/files/f.jpg", 200 * KB, 0, 0),
            // Not yet: a macOS user's Library is a system folder (band 4),
            // caches and all (issue 18 reworks the bands).
            ("Users/kim/Library/Caches/g.jpg", 200 * KB, 4, 0),
            ("home/kim/Downloads/torrents/clip.mp4", 40 * MB, 1, 0),
            // Elsewhere: tier 1.
            ("Users/kim/Documents/old/h.jpg", 500 * KB, 0, 1),
            ("Users/kim/Pictures/holiday.jpg", 2 * MB, 0, 1),
            // Camera originals last among pictures.
            (
                "Users/kim/Pictures/DCIM/100APPLE/IMG_0001.JPG",
                4 * MB,
                0,
                2,
            ),
            ("Users/kim/Pictures/Camera Roll/x.jpg", 3 * MB, 0, 2),
            ("Users/kim/Pictures/DSC_0042.JPG", 5 * MB, 0, 2),
            ("Users/kim/Pictures/poster.png", 12 * MB, 0, 2),
            // A small camera-named file is not an original.
            ("Users/kim/Pictures/IMG_0002.jpg", 800 * KB, 0, 1),
            // A renamed picture at photo size in Downloads: band 2, tier 0.
            ("Users/kim/Downloads/photo.dat2", 300 * KB, 2, 0),
        ];
        for &(path, size, band_want, tier_want) in table {
            let t = task(path, size);
            assert_eq!(
                (band(&t), tier(&t)),
                (band_want, tier_want),
                "{path} ({size} bytes)"
            );
        }
    }

    /// Tiers never cross on a spinning disk: a camera original with a low
    /// inode waits for a downloaded picture with a high one.
    #[test]
    fn spinning_disk_order_keeps_tiers_and_inodes_inside_them() {
        let mut tasks: Vec<FileTask> = [
            ("Users/kim/Pictures/DCIM/IMG_0001.JPG", 4 << 20, 10),
            ("Users/kim/Pictures/DCIM/IMG_0002.JPG", 4 << 20, 11),
            ("Users/kim/Downloads/z.jpg", 200 << 10, 900),
            ("Users/kim/Downloads/a.jpg", 200 << 10, 500),
            ("Users/kim/Pictures/me.jpg", 200 << 10, 20),
        ]
        .into_iter()
        .map(|(p, size, inode)| {
            let mut t = task(p, size);
            t.meta.inode = inode;
            t
        })
        .collect();
        arrange(
            &mut tasks,
            Order::HitsFirst,
            DeviceKind::Rotational,
            &mut |_| None,
        );
        let order: Vec<String> = tasks
            .iter()
            .map(|t| t.rel_path.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            order,
            [
                "Users/kim/Downloads/a.jpg",
                "Users/kim/Downloads/z.jpg",
                "Users/kim/Pictures/me.jpg",
                "Users/kim/Pictures/DCIM/IMG_0001.JPG",
                "Users/kim/Pictures/DCIM/IMG_0002.JPG",
            ]
        );
    }
}
