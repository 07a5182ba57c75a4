//! The order files are hashed in.
//!
//! In the field the first question is "is there known material here?", so
//! by default ([`Order::HitsFirst`]) files likely to match an alert set are
//! hashed first. Every file is still hashed, once; only the order changes.
//! [`Order::Walk`] keeps the walk's order exactly (`--order walk`).
//!
//! After the metadata pre-walk every file gets a **band**, from what is
//! known without reading it (extension, size, path):
//!
//! | band | files |
//! |---|---|
//! | 0 | picture extension, typical photo size (16 KiB–32 MiB), outside system folders |
//! | 1 | video extension, typical video size (512 KiB–8 GiB), outside system folders |
//! | 2 | picture/video extension at other sizes, archives, files without a known extension of photo size (renamed pictures), outside system folders |
//! | 3 | everything else outside system folders, tiny files (< 1 KiB) last within it |
//! | 4 | system and program folders (`Windows`, `Program Files`, `usr`, `node_modules`, …; `Library`, `System`, `Applications` at a volume's top or in a home) |
//! | 5 | likely known-good: executables, libraries, drivers, bytecode |
//!
//! and, in bands 0-2, a **tier** ([`tier`]): known material is distributed
//! material, so it sits where things are downloaded, saved, received,
//! shared and cached, at distributed sizes; a camera's originals are the
//! user's own pictures, far less likely in a hash set:
//!
//! | tier | files |
//! |---|---|
//! | 0 | under a download, desktop, saved/received, attachment, cache, temp, P2P, messenger or recycle-bin folder ([`DISTRIBUTED`], [`DISTRIBUTED_APPS`]), at distributed sizes |
//! | 1 | elsewhere, at distributed sizes |
//! | 2 | in such a folder but large: a picture over 8 MiB, a video over 512 MiB, a camera original (below) |
//! | 3 | camera originals (over 2 MiB in `DCIM`, `Camera`, `Camera Roll`…, or camera-named: `IMG_`, `VID_`, `DSC_`, `PXL_`…) and large files elsewhere |
//!
//! The deepest telling folder decides: a cache inside a system folder
//! (`Users/kim/Library/Caches`, `Windows/Temp`) is distributed, a system
//! folder inside a download folder (`Downloads/tool/node_modules`) is system.
//! Outside a user's home a system or program folder keeps its own folders
//! named like download or messenger ones (`Program Files/Telegram Desktop`,
//! `Windows/SoftwareDistribution/Download`): only temp folders, caches and
//! attachments there are distributed.
//!
//! Files are hashed by **stage** ([`stage`]), then band, then tier:
//! pictures, videos and renames at distributed sizes (tiers 0-1 of bands
//! 0-2) first, then the large ones in distributed folders, then camera
//! originals and large files elsewhere, then bands 3, 4, 5. A camera roll
//! waits for every downloaded clip, not only for the pictures.
//!
//! Two looks inside files lift them before the order is made:
//! - An archive (ZIP or RAR, by its extension, outside system folders)
//!   whose directory names a picture is raised to band 0, one naming a
//!   video to band 1: its members are hashed within the same order (at
//!   most [`PEEK_MAX`] archives, for at most [`PEEK_BUDGET`]; past that,
//!   archives stay in band 2).
//! - A file's **first bytes** ([`HEAD_BYTES`]): a picture or video under
//!   another name (`.dat`, `.pdf`, `.mp3`, none) goes to band 0 or 1 (2
//!   past photo or video sizes), tier 0: hidden on purpose (tier 2 past
//!   distributed sizes). Which files are looked at, and how many, is a
//!   plan ([`head_plan`]) under a cost model ([`CostModel`]): looks take at
//!   most [`HEAD_SHARE`] of the modeled scan time (and [`HEAD_MAX`]),
//!   distributed locations first. On solid state all looks come before
//!   hashing; on a spinning disk only those in distributed locations (the
//!   high-priority places), and the rest, with what is left of the budget,
//!   once the pictures in distributed locations (band 0, tier 0) are
//!   hashed: the first alerts do not wait for them ([`Looks`]).
//!
//! Within a tier files keep walk order, except that on a spinning disk they
//! go by inode number (close inodes sit close on disk on ext4/XFS/NTFS):
//! seeks are saved inside a tier, never across tiers.

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
/// folders, mail and message attachments, P2P and messenger folders,
/// recycle bins (Windows, macOS and Linux layouts).
pub const DISTRIBUTED: &[&str] = &[
    "downloads",
    "download",
    "descargas",
    "téléchargements",
    // The same, decomposed (as HFS+ stores names).
    "te\u{301}le\u{301}chargements",
    "telechargements",
    "desktop",
    "saved",
    "saved pictures",
    "received",
    "received files",
    "attachments",
    "cache",
    "caches",
    ".cache",
    "cache2",
    "cache_data",
    "inetcache",
    "temporary internet files",
    "temp",
    "tmp",
    "roaming",
    "$recycle.bin",
    "recycler",
    ".trash",
    "trash",
    "signal",
    "kik",
    "incoming",
    "incomplete",
    "my shared folder",
    "mega",
    "mega downloads",
];

/// Fragments (lower case) of P2P, messenger and sharing apps' folder
/// names, found anywhere in a folder's name (`Telegram Desktop`,
/// `ru.keepcoder.Telegram`, `5319275A.WhatsAppDesktop_cv1g1gvanyjgm`,
/// `uTorrent`).
pub const DISTRIBUTED_APPS: &[&str] = &[
    "telegram",
    "whatsapp",
    "torrent",
    "emule",
    "limewire",
    "frostwire",
    "shareaza",
    "soulseek",
    "snapchat",
    "wickr",
    "discord",
    "skype",
    "viber",
    "threema",
    "megasync",
];

/// Folder names (lower case) of a camera's own pictures.
const CAMERA_DIRS: &[&str] = &["dcim", "camera", "camera roll", "camera uploads"];
/// Name prefixes (lower case) of camera originals.
const CAMERA_NAMES: &[&str] = &[
    "img_", "vid_", "mvi_", "dsc_", "dscn", "dsc0", "pxl_", "dji_", "gopr", "gx0", "p10",
];

/// Where a file sits, by the deepest folder that says: under a
/// download/cache/P2P folder inside a system folder
/// (`Users/kim/Library/Caches`, `Windows/Temp`) it is distributed; under
/// a system folder inside a distributed one (`Downloads/tool/lib`) it is
/// system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Distributed,
    System,
    Elsewhere,
}

/// The folders of a relative path (lower case bytes, root first) and the
/// file's own name.
fn split_path(lower: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let mut parts: Vec<&[u8]> = lower.split(|&c| c == b'/' || c == b'\\').collect();
    let name = parts.pop().unwrap_or(&[]);
    (parts, name)
}

/// macOS system folders (lower case): system folders only at a volume's
/// root or right in a home folder (`Library`, `Users/kim/Library`), since
/// a user's own `Music/Library` or `Documents/System` is not.
const SYSTEM_AT_TOP: &[&str] = &["system", "library", "applications"];

/// Distributed folders that stay distributed inside a system or program
/// folder outside a user's home (`Windows/Temp`, a volume's
/// `Library/Caches`); any other (`Windows/SoftwareDistribution/Download`,
/// `Program Files/Telegram Desktop`, `opt/discord`) is the system's or the
/// program's own.
const DISTRIBUTED_IN_SYSTEM: &[&str] = &[
    "temp",
    "tmp",
    "cache",
    "caches",
    "inetcache",
    "temporary internet files",
    "attachments",
];

fn place(dirs: &[&[u8]]) -> Place {
    let home = matches!(dirs.first(), Some(&b"users" | &b"home"));
    let mut distributed = false;
    for (depth, dir) in dirs.iter().enumerate().rev() {
        let named = DISTRIBUTED.iter().any(|s| s.as_bytes() == *dir)
            || DISTRIBUTED_APPS
                .iter()
                .any(|s| dir.windows(s.len()).any(|w| w == s.as_bytes()));
        if named && (home || DISTRIBUTED_IN_SYSTEM.iter().any(|s| s.as_bytes() == *dir)) {
            return Place::Distributed;
        }
        distributed |= named;
        let top = depth == 0 || (home && depth == 2);
        if SYSTEM.iter().any(|s| s.as_bytes() == *dir)
            || (top && SYSTEM_AT_TOP.iter().any(|s| s.as_bytes() == *dir))
        {
            return Place::System;
        }
    }
    if distributed {
        Place::Distributed
    } else {
        Place::Elsewhere
    }
}

/// A task's path and, for a named data stream, the stream's name, in
/// lower case: what bands, tiers and looks are decided from.
struct Lower {
    path: Vec<u8>,
    stream: Option<Vec<u8>>,
}

impl Lower {
    fn of(task: &FileTask) -> Lower {
        Lower {
            path: task
                .rel_path
                .as_os_str()
                .as_encoded_bytes()
                .to_ascii_lowercase(),
            stream: task
                .stream
                .as_ref()
                .map(|s| s.as_encoded_bytes().to_ascii_lowercase()),
        }
    }

    /// The folders (root first) and the name the file goes by: a named
    /// data stream's own (`notes.txt:photo.jpg` goes by `photo.jpg`), else
    /// the file's.
    fn parts(&self) -> (Vec<&[u8]>, &[u8]) {
        let (dirs, own) = split_path(&self.path);
        (dirs, self.stream.as_deref().unwrap_or(own))
    }
}

/// The extension of a lower-case name (`""` for none).
fn extension(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&c| c == b'.') {
        Some(i) if i > 0 => name.get(i + 1..).unwrap_or(&[]),
        _ => &[],
    }
}

/// A file's tier within bands 0-2 (0 = first): where it sits and how big
/// it is (see the module's table).
pub fn tier(task: &FileTask) -> u8 {
    let lower = Lower::of(task);
    let (dirs, name) = lower.parts();
    let size = task.meta.size;
    let video = VIDEO.iter().any(|e| e.as_bytes() == extension(name));
    let camera = size > 2 << 20
        && (dirs
            .iter()
            .any(|d| CAMERA_DIRS.iter().any(|c| c.as_bytes() == *d))
            || CAMERA_NAMES.iter().any(|p| name.starts_with(p.as_bytes())));
    match (
        place(&dirs) == Place::Distributed,
        large(video, size) || camera,
    ) {
        (true, false) => 0,
        (false, false) => 1,
        (true, true) => 2,
        (false, true) => 3,
    }
}

/// Past distributed sizes: a film or an episode (a video over 512 MiB: a
/// DVD rip is 700 MB), a poster-sized picture or anything else over 8 MiB.
fn large(video: bool, size: u64) -> bool {
    if video {
        size > 512 << 20
    } else {
        size > 8 << 20
    }
}

/// The band of a file (0 = hash first).
pub fn band(task: &FileTask) -> u8 {
    let lower = Lower::of(task);
    let (dirs, name) = lower.parts();
    let ext = extension(name);
    let is = |list: &[&str]| list.iter().any(|e| e.as_bytes() == ext);
    let size = task.meta.size;
    let (picture, video) = (is(PICTURE), is(VIDEO));
    if is(KNOWN_GOOD) {
        5
    } else if place(&dirs) == Place::System {
        4
    } else if picture && PHOTO_SIZE.contains(&size) {
        0
    } else if video && VIDEO_SIZE.contains(&size) {
        1
    } else if picture
        || video
        || is(ARCHIVE)
        || (!known_extension(ext) && PHOTO_SIZE.contains(&size))
    {
        2
    } else {
        3
    }
}

/// Typical sizes of a photo (band 0).
const PHOTO_SIZE: std::ops::RangeInclusive<u64> = 16 << 10..=32 << 20;
/// Typical sizes of a video (band 1).
const VIDEO_SIZE: std::ops::RangeInclusive<u64> = 512 << 10..=8 << 30;

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
        let ext = extension(base);
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
    let lower = Lower::of(task);
    let name = lower.parts().1;
    let peek_ext = [&b".zip"[..], b".cbz", b".rar", b".cbr"];
    band(task) == 2 && peek_ext.iter().any(|e| name.ends_with(e))
}

/// Bytes read from the start of a file to see its signature before the
/// order is made (one page: a picture's or video's signature is in its
/// first bytes).
pub const HEAD_BYTES: usize = 4096;

/// Share of the modeled scan time (see [`CostModel`]) the looks at first
/// bytes may take.
pub const HEAD_SHARE: f64 = 0.10;

/// Looks at first bytes are planned to take at most this long, and stop
/// once they have (checked between files: one stalled read can overrun it).
pub const HEAD_MAX: std::time::Duration = std::time::Duration::from_secs(15);

/// The cost model the order is planned with: the time of one access (a
/// file's open and first read) and the sequential read rate.
///
/// - Spinning disk: 4 ms per access in inode order (a short seek plus half
///   a turn at 7,200 rpm; a random seek is about 8 ms), 150 MB/s: one
///   access costs as much as reading 600 KB.
/// - Solid state: 0.1 ms per access, 500 MB/s (SATA; NVMe is faster at
///   both, so the plan is conservative there).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostModel {
    /// Seconds per access.
    pub access: f64,
    /// Sequential bytes per second.
    pub bytes_per_sec: f64,
}

impl CostModel {
    /// The model of a device kind.
    pub fn of(device: DeviceKind) -> CostModel {
        match device {
            DeviceKind::Rotational => CostModel {
                access: 0.004,
                bytes_per_sec: 150e6,
            },
            DeviceKind::SolidState => CostModel {
                access: 0.0001,
                bytes_per_sec: 500e6,
            },
        }
    }

    /// Modeled seconds to read `files` files of `bytes` bytes in all.
    pub fn scan_secs(&self, files: u64, bytes: u64) -> f64 {
        files as f64 * self.access + bytes as f64 / self.bytes_per_sec
    }

    /// Seconds the looks at first bytes may take: [`HEAD_SHARE`] of the
    /// modeled scan time, at most [`HEAD_MAX`].
    pub fn head_budget(&self, files: u64, bytes: u64) -> f64 {
        (HEAD_SHARE * self.scan_secs(files, bytes)).min(HEAD_MAX.as_secs_f64())
    }

    /// Modeled seconds of a look at `task`'s first bytes right after one
    /// at `prev` (device, inode, size). On a spinning disk a look at the
    /// next inode of the same device costs the previous file's bytes
    /// passing under the head (the files of a folder written together sit
    /// together), at most an access; any other look costs an access.
    pub fn look_secs(
        &self,
        device: DeviceKind,
        prev: Option<(u64, u64, u64)>,
        task: &FileTask,
    ) -> f64 {
        match (device, prev) {
            (DeviceKind::Rotational, Some((dev, inode, size)))
                if dev == task.meta.dev
                    && (1..=8).contains(&task.meta.inode.wrapping_sub(inode)) =>
            {
                (size as f64 / self.bytes_per_sec).min(self.access)
            }
            _ => self.access,
        }
    }

    /// Modeled seconds to read `tasks` in this order: an access per file
    /// (less for the next inode, [`CostModel::look_secs`]) and the bytes.
    /// On a spinning disk this is what the order costs in seeks; on solid
    /// state any order costs the same.
    pub fn order_secs(&self, device: DeviceKind, tasks: &[FileTask]) -> f64 {
        let mut prev = None;
        let mut secs = 0.0;
        for t in tasks {
            secs += self.look_secs(device, prev, t) + t.meta.size as f64 / self.bytes_per_sec;
            prev = Some((t.meta.dev, t.meta.inode, t.meta.size));
        }
        secs
    }
}

/// The files whose first bytes to read before ordering, and what the
/// model says that costs.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadPlan {
    /// Indices into the tasks, in reading order.
    pub files: Vec<usize>,
    /// Their modeled cost, in seconds.
    pub modeled_secs: f64,
    /// The modeled scan time, in seconds (the budget is a share of it).
    pub scan_secs: f64,
}

/// Whether a look at `task`'s first bytes could lift it into the picture
/// or video bands: outside system folders, of a picture's or video's size
/// (16 KiB to 8 GiB), named as neither.
pub fn head_candidate(task: &FileTask) -> bool {
    let lower = Lower::of(task);
    let (dirs, name) = lower.parts();
    let ext = extension(name);
    let named = [PICTURE, VIDEO]
        .iter()
        .any(|list| list.iter().any(|e| e.as_bytes() == ext));
    let size = task.meta.size;
    !named && (16 << 10..=8 << 30).contains(&size) && place(&dirs) != Place::System
}

/// The band a signature seen in a file's first bytes lifts it to: a
/// picture to 0 (2 past photo sizes), a video to 1 (2 past video sizes).
pub fn lifted_band(media: crate::classify::MediaKind, size: u64) -> Option<u8> {
    use crate::classify::MediaKind;
    match media {
        MediaKind::Image => Some(if PHOTO_SIZE.contains(&size) { 0 } else { 2 }),
        MediaKind::Video => Some(if VIDEO_SIZE.contains(&size) { 1 } else { 2 }),
        _ => None,
    }
}

/// Which looks at first bytes a plan takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Looks {
    /// Every candidate (solid state: looks are cheap, all made before
    /// hashing).
    All,
    /// Candidates in distributed locations (a spinning disk, before
    /// hashing: the high-priority places).
    Near,
    /// The other candidates (a spinning disk, once the pictures in
    /// distributed locations are hashed, with what is left of the budget).
    Far,
}

/// The files whose first bytes to read before ordering, within
/// [`CostModel::head_budget`]: candidates in distributed locations first,
/// then the rest; within each, files without a known extension first
/// (band 2), then documents and others (3), then programs (5); on a
/// spinning disk by inode inside each of those groups (one sweep of the
/// head per group, neighbours costing little: [`CostModel::look_secs`]),
/// else in walk order. The plan stops at the first file past the budget.
pub fn head_plan(tasks: &[FileTask], device: DeviceKind) -> HeadPlan {
    let model = CostModel::of(device);
    let (files, bytes) = totals(tasks);
    head_plan_of(
        tasks,
        device,
        Looks::All,
        model.head_budget(files, bytes),
        model.scan_secs(files, bytes),
    )
}

/// The number of files and their bytes (saturating).
pub fn totals(tasks: &[FileTask]) -> (u64, u64) {
    let bytes = tasks
        .iter()
        .fold(0u64, |sum, t| sum.saturating_add(t.meta.size));
    (tasks.len() as u64, bytes)
}

/// [`head_plan`] for the candidates `which` names, within `budget`
/// seconds; `scan_secs` is recorded in the plan.
pub fn head_plan_of(
    tasks: &[FileTask],
    device: DeviceKind,
    which: Looks,
    budget: f64,
    scan_secs: f64,
) -> HeadPlan {
    let model = CostModel::of(device);
    let mut order: Vec<(u8, u8, u64, u64, usize)> = tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| head_candidate(t))
        .filter_map(|(i, t)| {
            let far = place(&Lower::of(t).parts().0) != Place::Distributed;
            let wanted = match which {
                Looks::All => true,
                Looks::Near => !far,
                Looks::Far => far,
            };
            let (dev, inode) = match device {
                DeviceKind::Rotational => (t.meta.dev, t.meta.inode),
                DeviceKind::SolidState => (0, 0),
            };
            wanted.then(|| (u8::from(far), band(t), dev, inode, i))
        })
        .collect();
    order.sort_unstable();
    let mut plan = HeadPlan {
        files: Vec::new(),
        modeled_secs: 0.0,
        scan_secs,
    };
    let mut prev = None;
    for (.., i) in order {
        let Some(t) = tasks.get(i) else { continue };
        let cost = model.look_secs(device, prev, t);
        if plan.modeled_secs + cost > budget {
            break;
        }
        plan.modeled_secs += cost;
        plan.files.push(i);
        prev = Some((t.meta.dev, t.meta.inode, t.meta.size));
    }
    plan
}

/// The stage a file is hashed in, from its band and tier: pictures,
/// videos and their likely renames at distributed sizes first (stage 0,
/// tiers 0-1 of bands 0-2, by band then tier); then the large ones in
/// distributed folders (1, tier 2), then camera originals and large files
/// elsewhere (2, tier 3); then bands 3, 4 and 5 (stages 3-5). A camera
/// roll waits for every downloaded clip, not only for the pictures.
pub fn stage(band: u8, tier: u8) -> u8 {
    match (band, tier) {
        (0..=2, 0..=1) => 0,
        (0..=2, 2) => 1,
        (0..=2, _) => 2,
        (b, _) => b,
    }
}

/// Stage, band, tier, then (solid state) whether tiny or (spinning disk)
/// device and inode: a file's place in the hashing order.
pub type SortKey = (u8, u8, u8, u64, u64);

fn key_of(t: &FileTask, device: DeviceKind, band: u8, tier: u8) -> SortKey {
    let stage = stage(band, tier);
    match device {
        // Tiny files go last within the "everything else" band.
        DeviceKind::SolidState => (
            stage,
            band,
            tier,
            u64::from(band == 3 && t.meta.size < 1024),
            0,
        ),
        DeviceKind::Rotational => (stage, band, tier, t.meta.dev, t.meta.inode),
    }
}

/// The band and tier a look at first bytes lifts a file to, if lower than
/// its band: tier 0 (hidden on purpose), tier 2 past distributed sizes.
fn lift(band: u8, lifted: Option<u8>, size: u64) -> Option<(u8, u8)> {
    let l = lifted.filter(|&l| l < band)?;
    Some((l, if large(l == 1, size) { 2 } else { 0 }))
}

/// Each task's [`SortKey`] for hits-first order. `peek` gives the band an
/// archive's directory raises it to (asked only of [`peekable`] tasks, in
/// order; `None` keeps its band). `lifted` gives, by index, the band a
/// look at a file's first bytes lifted it to ([`lifted_band`]; shorter
/// than `tasks`, or `None`, for none).
pub fn sort_keys(
    tasks: &[FileTask],
    device: DeviceKind,
    peek: &mut dyn FnMut(&FileTask) -> Option<u8>,
    lifted: &[Option<u8>],
) -> Vec<SortKey> {
    tasks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut b = band(t);
            if peekable(t) {
                b = peek(t).map_or(b, |p| p.min(b));
            }
            // Tiers order bands 0-2 (pictures, videos, their likely renames).
            let mut tier = if b <= 2 { tier(t) } else { 1 };
            if let Some(l) = lift(b, lifted.get(i).copied().flatten(), t.meta.size) {
                (b, tier) = l;
            }
            key_of(t, device, b, tier)
        })
        .collect()
}

/// Lifts the keys of tasks a later look found to be pictures or videos
/// (`lifted` by index, as in [`sort_keys`]).
pub fn lift_keys(
    tasks: &[FileTask],
    keys: &mut [SortKey],
    device: DeviceKind,
    lifted: &[Option<u8>],
) {
    for ((t, key), l) in tasks.iter().zip(keys.iter_mut()).zip(lifted) {
        if let Some((b, tier)) = lift(key.1, *l, t.meta.size) {
            *key = key_of(t, device, b, tier);
        }
    }
}

/// Sorts `tasks` by `keys` (stable: equal keys keep their order), moving
/// each key with its task.
pub fn sort_by_keys(tasks: &mut [FileTask], keys: &mut [SortKey]) {
    let mut by: Vec<(SortKey, usize)> = keys.iter().copied().zip(0..).collect();
    by.sort_by_key(|&(k, _)| k);
    let mut from: Vec<usize> = by.iter().map(|&(_, i)| i).collect();
    permute(tasks, &mut from);
    for (key, (sorted, _)) in keys.iter_mut().zip(by) {
        *key = sorted;
    }
}

/// Puts `tasks` in hashing order ([`sort_keys`], then [`sort_by_keys`]);
/// [`Order::Walk`] keeps them as they are.
pub fn arrange(
    tasks: &mut [FileTask],
    order: Order,
    device: DeviceKind,
    peek: &mut dyn FnMut(&FileTask) -> Option<u8>,
    lifted: &[Option<u8>],
) {
    if order == Order::Walk {
        return;
    }
    let mut keys = sort_keys(tasks, device, peek, lifted);
    sort_by_keys(tasks, &mut keys);
}

/// Reorders `items` in place so that position `k` holds what was at
/// `from[k]` (`from` is a permutation of `0..items.len()`; it is used up).
/// Each cycle of the permutation is followed once: every item moves, none
/// is lost or copied.
fn permute<T>(items: &mut [T], from: &mut [usize]) {
    debug_assert_eq!(items.len(), from.len());
    for start in 0..from.len().min(items.len()) {
        let mut at = start;
        while let Some(&next) = from.get(at) {
            if let Some(slot) = from.get_mut(at) {
                *slot = at;
            }
            if next == start || next == at || next >= items.len() {
                break;
            }
            items.swap(at, next);
            at = next;
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
            ("home/kim/.cache/thumbnails/large/f.png", 40 * KB, 0, 0),
            ("home/kim/Téléchargements/f.jpg", 40 * KB, 0, 0),
            // A distributed folder inside a system one is distributed
            // (macOS caches and messengers, Windows' own temp)...
            ("Users/kim/Library/Caches/g.jpg", 200 * KB, 0, 0),
            (
                "Users/kim/Library/Group Containers/6N38VWS5BX.ru.keepcoder.Telegram/g.jpg",
                200 * KB,
                0,
                0,
            ),
            (
                "Users/kim/Library/Messages/Attachments/g.jpeg",
                200 * KB,
                0,
                0,
            ),
            ("Windows/Temp/g.jpg", 200 * KB, 0, 0),
            (
                "Users/kim/AppData/Local/Packages/5319275A.WhatsAppDesktop_cv1g1gvanyjgm/g.jpg",
                200 * KB,
                0,
                0,
            ),
            // ...and a system folder inside a distributed one is system.
            (
                "Users/kim/Downloads/tool/node_modules/x/logo.png",
                40 * KB,
                4,
                1,
            ),
            ("Users/kim/Library/Preferences/h.png", 40 * KB, 4, 1),
            // A program's or the system's own folder named like a
            // messenger or a download folder stays system...
            ("Program Files/Telegram Desktop/res/x.png", 40 * KB, 4, 1),
            (
                "Program Files/WindowsApps/Microsoft.SkypeApp_1/Assets/x.png",
                40 * KB,
                4,
                1,
            ),
            ("Windows/SoftwareDistribution/Download/x.jpg", 40 * KB, 4, 1),
            ("opt/discord/resources/x.png", 40 * KB, 4, 1),
            // ...unless it is a temp folder or a cache.
            ("Library/Caches/com.apple.x/g.jpg", 200 * KB, 0, 0),
            // A download folder on a data volume is distributed.
            ("Downloads/g.jpg", 200 * KB, 0, 0),
            ("backup/kim/Telegram/g.jpg", 200 * KB, 0, 0),
            ("Library/Desktop Pictures/h.jpg", 4 * MB, 4, 1),
            ("System/Library/CoreServices/h.png", 40 * KB, 4, 1),
            ("Applications/Photos.app/Contents/h.png", 40 * KB, 4, 1),
            // A user's own folder named like a macOS system one is not.
            ("Users/kim/Music/Library/h.jpg", 400 * KB, 0, 1),
            ("Users/kim/Documents/System/h.jpg", 400 * KB, 0, 1),
            ("home/kim/Downloads/torrents/clip.mp4", 40 * MB, 1, 0),
            ("home/kim/Downloads/uTorrent/clip.mp4", 40 * MB, 1, 0),
            // Elsewhere: tier 1.
            ("Users/kim/Documents/old/h.jpg", 500 * KB, 0, 1),
            ("Users/kim/Pictures/holiday.jpg", 2 * MB, 0, 1),
            ("Users/kim/Videos/v.mp4", 400 * MB, 1, 1),
            // Past distributed sizes in a distributed folder: tier 2.
            ("Users/kim/Downloads/Film.2019.mkv", 2 * 1024 * MB, 1, 2),
            (
                "Users/kim/Downloads/eMule/Incoming/Movie.avi",
                700 * MB,
                1,
                2,
            ),
            ("Users/kim/Downloads/Telegram Desktop/v.mp4", 300 * MB, 1, 0),
            ("Users/kim/Downloads/IMG_0003.JPG", 3 * MB, 0, 2),
            ("Users/kim/Downloads/poster.png", 12 * MB, 0, 2),
            // Camera originals and large files elsewhere last: tier 3.
            (
                "Users/kim/Pictures/DCIM/100APPLE/IMG_0001.JPG",
                4 * MB,
                0,
                3,
            ),
            ("Users/kim/Pictures/Camera Roll/x.jpg", 3 * MB, 0, 3),
            ("Users/kim/Pictures/DSC_0042.JPG", 5 * MB, 0, 3),
            ("Users/kim/Pictures/poster.png", 12 * MB, 0, 3),
            ("Users/kim/Videos/VID_0001.mp4", 90 * MB, 1, 3),
            ("Users/kim/Videos/film.mkv", 2 * 1024 * MB, 1, 3),
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
        // A named stream goes by its own name: a camera's video hidden in
        // a text file's stream is a camera original.
        let mut t = task("Users/kim/Documents/notes.txt", 30 * MB);
        t.stream = Some("VID_0001.mp4".into());
        assert_eq!((band(&t), tier(&t)), (1, 3));
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
            &[],
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
    /// Stages: distributed-size pictures, videos and renames first; a
    /// camera roll after every clip.
    #[test]
    fn stages_put_originals_after_every_distributed_size_file() {
        let table = [
            ((0, 0), 0),
            ((1, 1), 0),
            ((2, 1), 0),
            ((0, 2), 1),
            ((1, 2), 1),
            ((0, 3), 2),
            ((2, 3), 2),
            ((3, 1), 3),
            ((4, 1), 4),
            ((5, 1), 5),
        ];
        for ((b, t), want) in table {
            assert_eq!(stage(b, t), want, "band {b} tier {t}");
        }
        let mut tasks = vec![
            task("Users/kim/Pictures/DCIM/IMG_0001.JPG", 4 << 20),
            task("Users/kim/Videos/misc/clip.mp4", 30 << 20),
            task("Users/kim/Downloads/a.jpg", 200 << 10),
        ];
        arrange(
            &mut tasks,
            Order::HitsFirst,
            DeviceKind::SolidState,
            &mut |_| None,
            &[],
        );
        let names: Vec<_> = tasks.iter().map(|t| t.rel_path.clone()).collect();
        assert_eq!(
            names,
            [
                "Users/kim/Downloads/a.jpg",
                "Users/kim/Videos/misc/clip.mp4",
                "Users/kim/Pictures/DCIM/IMG_0001.JPG"
            ]
            .map(std::path::PathBuf::from)
        );
    }

    /// Which files a look at first bytes could lift, and to what.
    #[test]
    fn head_candidates_and_lifted_bands() {
        use crate::classify::MediaKind;
        const KB: u64 = 1 << 10;
        const MB: u64 = 1 << 20;
        let table: &[(&str, u64, bool)] = &[
            ("Users/kim/Documents/old/scan.pdf", 300 * KB, true),
            ("Users/kim/Music/mix.mp3", 400 * KB, true),
            ("Users/kim/AppData/Local/App/data.dat", 300 * KB, true),
            ("Users/kim/notes", 300 * KB, true),
            (
                "Users/kim/AppData/Roaming/Helper/helper.dll",
                300 * KB,
                true,
            ),
            ("Users/kim/Documents/backup.dat", 3 << 30, true),
            // Named as a picture, video or archive already.
            ("Users/kim/Downloads/a.jpg", 300 * KB, false),
            ("Users/kim/Downloads/v.MP4", 30 * MB, false),
            ("Users/kim/Downloads/set.zip", 30 * MB, true),
            // Too small or too large for a picture or video.
            ("Users/kim/Documents/tiny.pdf", 15 * KB, false),
            ("Users/kim/disk.vhdx", 9 << 30, false),
            // System folders are not looked at.
            ("Windows/System32/x.dll", 300 * KB, false),
            ("Program Files/App/data.bin", 300 * KB, false),
        ];
        for &(path, size, want) in table {
            assert_eq!(head_candidate(&task(path, size)), want, "{path}");
        }
        assert_eq!(lifted_band(MediaKind::Image, 300 * KB), Some(0));
        assert_eq!(lifted_band(MediaKind::Image, 40 * MB), Some(2));
        assert_eq!(lifted_band(MediaKind::Video, 30 * MB), Some(1));
        assert_eq!(lifted_band(MediaKind::Video, 100 * KB), Some(2));
        for other in [
            MediaKind::Document,
            MediaKind::Archive,
            MediaKind::Audio,
            MediaKind::Unknown,
        ] {
            assert_eq!(lifted_band(other, 300 * KB), None, "{other:?}");
        }
        // A lifted file goes to tier 0 of its band: before a picture in the
        // user's own folders, after nothing of stage 0 but its band's order.
        let mut tasks = vec![
            task("Users/kim/Pictures/me.jpg", 300 * KB),
            task("Users/kim/Documents/old/scan.pdf", 300 * KB),
            task("Users/kim/Documents/report.pdf", 300 * KB),
        ];
        arrange(
            &mut tasks,
            Order::HitsFirst,
            DeviceKind::SolidState,
            &mut |_| None,
            &[None, Some(0)],
        );
        let names: Vec<_> = tasks.iter().map(|t| t.rel_path.clone()).collect();
        assert_eq!(
            names,
            [
                "Users/kim/Documents/old/scan.pdf",
                "Users/kim/Pictures/me.jpg",
                "Users/kim/Documents/report.pdf"
            ]
            .map(std::path::PathBuf::from)
        );
        // A later look (a spinning disk's second round) lifts a key: the
        // lifted file moves ahead of the tier-1 picture, past distributed
        // sizes it goes to tier 2 (after it).
        let mut tasks = vec![
            task("Users/kim/Pictures/me.jpg", 300 * KB),
            task("Users/kim/Documents/report.pdf", 300 * KB),
            task("Users/kim/Documents/big.pdf", 20 * MB),
        ];
        let mut keys = sort_keys(&tasks, DeviceKind::Rotational, &mut |_| None, &[]);
        lift_keys(
            &tasks,
            &mut keys,
            DeviceKind::Rotational,
            &[None, Some(0), Some(0)],
        );
        sort_by_keys(&mut tasks, &mut keys);
        let names: Vec<_> = tasks.iter().map(|t| t.rel_path.clone()).collect();
        assert_eq!(
            names,
            [
                "Users/kim/Documents/report.pdf",
                "Users/kim/Pictures/me.jpg",
                "Users/kim/Documents/big.pdf"
            ]
            .map(std::path::PathBuf::from)
        );
        assert_eq!(keys[0], (0, 0, 0, 0, 0));
        assert_eq!(keys[2], (1, 0, 2, 0, 0));
    }

    /// The plan: distributed locations first, then files without a known
    /// extension, documents, programs; inode sweeps on a spinning disk;
    /// cut at the budget.
    #[test]
    fn head_plan_follows_priority_inodes_and_the_budget() {
        const KB: u64 = 1 << 10;
        let with_inode = |path: &str, size: u64, inode: u64| {
            let mut t = task(path, size);
            t.meta.inode = inode;
            t
        };
        let tasks = vec![
            with_inode("Users/kim/Documents/b.pdf", 100 * KB, 30), // 0
            with_inode("Users/kim/Documents/a.pdf", 100 * KB, 31), // 1
            with_inode("Users/kim/AppData/App/x.dat", 100 * KB, 50), // 2
            with_inode("Users/kim/Downloads/z.pdf", 100 * KB, 90), // 3
            with_inode("Users/kim/AppData/Roaming/h.dll", 100 * KB, 10), // 4
            with_inode("Users/kim/Downloads/y.pdf", 100 * KB, 60), // 5
            with_inode("Users/kim/Pictures/me.jpg", 100 * KB, 5),  // not a candidate
            // Big enough for a budget of several looks.
            with_inode("Users/kim/Videos/film.mkv", 4 << 30, 7),
        ];
        let ssd = head_plan(&tasks, DeviceKind::SolidState);
        // Walk order within a group on solid state; h.dll is in Roaming, a
        // distributed folder, so it leads its programs' group.
        assert_eq!(ssd.files, [3, 5, 4, 2, 0, 1]);
        let hdd = head_plan(&tasks, DeviceKind::Rotational);
        assert_eq!(hdd.files, [5, 3, 4, 2, 0, 1]);
        // On a spinning disk: 4 ms per look, less for the next inode (the
        // previous file's 100 KiB passing under the head).
        let model = CostModel::of(DeviceKind::Rotational);
        let next = 100.0 * 1024.0 / 150e6;
        let want = 5.0 * 0.004 + next;
        assert!(
            (hdd.modeled_secs - want).abs() < 1e-9,
            "{}",
            hdd.modeled_secs
        );
        let bytes = tasks.iter().map(|t| t.meta.size).sum();
        assert_eq!(hdd.scan_secs, model.scan_secs(8, bytes));
        // The budget is a tenth of the modeled scan: for the six small
        // files and the picture, 3.3 ms, less than one look.
        let mut small: Vec<FileTask> = tasks.iter().take(7).cloned().collect();
        assert!(head_plan(&small, DeviceKind::Rotational).files.is_empty());
        // With a 9.5 MB video, 10 ms: two looks (8 ms), not three (12).
        small.push(with_inode("Users/kim/Videos/f.mkv", 9_500_000, 8));
        let bytes = small.iter().map(|t| t.meta.size).sum();
        let budget = model.head_budget(8, bytes);
        assert!((0.010..0.0101).contains(&budget), "{budget}");
        let plan = head_plan(&small, DeviceKind::Rotational);
        assert_eq!(plan.files, [5, 3]);
        assert_eq!(plan.modeled_secs, 0.008);
    }
    proptest::proptest! {
        /// Whatever the paths, sizes, inodes, looks and device, the order
        /// is a permutation: every file once, none lost or copied.
        #[test]
        fn every_file_is_kept_exactly_once(
            files in proptest::collection::vec(
                (0usize..12, 0u64..(64 << 20), 0u64..64, proptest::option::of(0u8..3)),
                0..200,
            ),
            rotational in proptest::bool::ANY,
        ) {
            const PLACES: [&str; 12] = [
                "Users/kim/Downloads/a.jpg", "Users/kim/Pictures/DCIM/IMG_1.JPG",
                "Users/kim/Documents/x.pdf", "Windows/System32/y.dll", "notes/n.txt",
                "Users/kim/Videos/v.mp4", "Program Files/Telegram Desktop/t.png",
                "Users/kim/Library/Caches/c", "\u{fffd}/\u{7f}.jpg", "", "a.", ".jpg",
            ];
            let mut tasks: Vec<FileTask> = files
                .iter()
                .enumerate()
                .map(|(i, &(p, size, inode, _))| {
                    let mut t = task(&format!("{}{i}", PLACES[p]), size);
                    t.meta.inode = inode;
                    t
                })
                .collect();
            let lifted: Vec<Option<u8>> = files.iter().map(|f| f.3).collect();
            let mut before: Vec<_> = tasks.iter().map(|t| t.rel_path.clone()).collect();
            let device = if rotational { DeviceKind::Rotational } else { DeviceKind::SolidState };
            let _ = head_plan(&tasks, device);
            arrange(&mut tasks, Order::HitsFirst, device, &mut |_| Some(0), &lifted);
            let mut after: Vec<_> = tasks.iter().map(|t| t.rel_path.clone()).collect();
            before.sort();
            after.sort();
            proptest::prop_assert_eq!(before, after);
        }
    }
}
