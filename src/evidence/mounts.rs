//! Which filesystem and device hold the evidence, as the OS reports them
//! (Linux: `/proc/self/mountinfo`); recorded with each evidence item.

use std::path::Path;

/// The mount holding a path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountInfo {
    /// Filesystem type (`ext4`, `ntfs3`, `vfat`, …).
    pub fs_type: String,
    /// Mount source (the device, e.g. `/dev/sdb1`).
    pub device: String,
    /// Mount options (`ro,noatime,…`).
    pub options: String,
    /// Mount point.
    pub mount_point: String,
}

impl MountInfo {
    /// `ext4 on /dev/sdb1 (ro,noatime)`, as reports and front ends show it.
    pub fn describe(&self) -> String {
        format!("{} on {} ({})", self.fs_type, self.device, self.options)
    }

    /// [`describe`](Self::describe) of a mount that may be unknown.
    pub fn describe_or_unknown(mount: Option<&MountInfo>) -> String {
        mount.map_or_else(|| "filesystem unknown".to_string(), MountInfo::describe)
    }
}

fn unescape_octal(s: &str) -> String {
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    let mut rest = s.as_bytes();
    let mut out = Vec::with_capacity(rest.len());
    while let Some((&first, tail)) = rest.split_first() {
        let octal = match (first, tail) {
            (b'\\', [a, b, c, ..]) if [a, b, c].iter().all(|d| (b'0'..=b'7').contains(*d)) => {
                let v = u16::from(a - b'0') * 64 + u16::from(b - b'0') * 8 + u16::from(c - b'0');
                u8::try_from(v).ok()
            }
            _ => None,
        };
        match (octal, tail.get(3..)) {
            (Some(v), Some(after)) => {
                out.push(v);
                rest = after;
            }
            _ => {
                out.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mounts of this process (`/proc/self/mountinfo`): where each is
/// mounted, which folder of its filesystem it shows, and the device. With
/// it, a folder reached through a bind mount is recognised as the folder it
/// is (the guard compares outputs with evidence roots this way).
#[derive(Debug, Clone, Default)]
pub(crate) struct MountTable {
    /// (mount point, root within the filesystem, `major:minor`).
    entries: Vec<(std::path::PathBuf, std::path::PathBuf, String)>,
}

impl MountTable {
    /// This process's mounts (none where the OS does not say).
    pub(crate) fn read() -> MountTable {
        let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") else {
            return MountTable::default();
        };
        let entries = text
            .lines()
            .filter_map(|line| {
                let (left, _) = line.split_once(" - ")?;
                let l: Vec<&str> = left.split(' ').collect();
                let (dev, root, point) = (l.get(2)?, l.get(3)?, l.get(4)?);
                Some((
                    std::path::PathBuf::from(unescape_octal(point)),
                    std::path::PathBuf::from(unescape_octal(root)),
                    (*dev).to_string(),
                ))
            })
            .collect();
        MountTable { entries }
    }

    /// The device and the path within its filesystem of `real` (a resolved
    /// path): the same folder gives the same answer under any bind mount.
    pub(crate) fn locate(&self, real: &Path) -> Option<(String, std::path::PathBuf)> {
        // The longest mount point holding it; of equal ones, the last
        // mounted (it hides the others).
        let (point, root, dev) = self
            .entries
            .iter()
            .filter(|(p, _, _)| real.starts_with(p))
            .max_by_key(|(p, _, _)| p.as_os_str().len())?;
        let within = real.strip_prefix(point).ok()?;
        Some((dev.clone(), root.join(within)))
    }
}

/// One line of `/proc/self/mountinfo`, the fields Ferret reads.
struct MountLine<'a> {
    point: String,
    options: &'a str,
    fs_type: &'a str,
    source: &'a str,
}

impl<'a> MountLine<'a> {
    /// `id parent major:minor root mount_point options [optional…] - fstype
    /// source super_options`; `None` for a line of another shape.
    fn parse(line: &'a str) -> Option<MountLine<'a>> {
        let (left, right) = line.split_once(" - ")?;
        let mut l = left.split(' ').skip(4);
        let mut r = right.split(' ');
        Some(MountLine {
            point: unescape_octal(l.next()?),
            options: l.next()?,
            fs_type: r.next()?,
            source: r.next()?,
        })
    }
}

/// The mount holding `path` (its real path), where the OS tells.
pub fn mount_info(path: &Path) -> Option<MountInfo> {
    let real = std::fs::canonicalize(path).ok()?;
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mut best: Option<MountInfo> = None;
    for line in text.lines() {
        let Some(MountLine {
            point,
            options,
            fs_type,
            source,
        }) = MountLine::parse(line)
        else {
            continue;
        };
        if !real.starts_with(&point) {
            continue;
        }
        if best
            .as_ref()
            .is_some_and(|b| b.mount_point.len() > point.len())
        {
            continue;
        }
        best = Some(MountInfo {
            fs_type: fs_type.to_string(),
            device: unescape_octal(source),
            options: options.to_string(),
            mount_point: point,
        });
    }
    best
}

/// A drive the examiner may pick as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Drive {
    /// Where it is reached (`E:\`, `/media/usb`): the mount point.
    pub root: std::path::PathBuf,
    /// What to show beside it: label, filesystem, kind, read-only.
    pub detail: String,
    /// Mounted (or flagged) read-only.
    pub read_only: bool,
    /// The device (`/dev/sdb1`), where known.
    pub device: String,
    /// The disk's model (vendor and model from sysfs), where known.
    pub model: Option<String>,
    /// The filesystem's label, where known.
    pub label: Option<String>,
    /// Size in bytes, where known.
    pub size: Option<u64>,
    /// Filesystem type (`vfat`, `NTFS`, …).
    pub fs_type: String,
    /// A removable disk (USB stick, card), where the system says.
    pub removable: Option<bool>,
}

/// Where the Linux drive list reads: `/proc/self/mountinfo`, `/sys` and
/// `/dev/disk/by-label` (fixtures in tests).
#[derive(Debug, Clone)]
pub struct DriveSources {
    /// The text of `mountinfo`.
    pub mountinfo: String,
    /// The sysfs root (`/sys`).
    pub sys: std::path::PathBuf,
    /// The folder of label links (`/dev/disk/by-label`).
    pub by_label: std::path::PathBuf,
}

/// Most bytes read of one small sysfs file.
const SYSFS_MAX: u64 = 4096;

/// A small text file, trimmed (`None`: absent, unreadable, empty).
fn small_text(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(SYSFS_MAX)
        .read_to_string(&mut text)
        .ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| crate::pathfmt::escape_text(text))
}

/// `/dev/disk/by-label` names escape bytes as `\xNN` (udev).
fn unescape_udev(name: &str) -> String {
    let mut out = Vec::new();
    let b = name.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, b.get(i + 1), hex) {
            (b'\\', Some(b'x'), Some(v)) => {
                out.push(v);
                i += 4;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    crate::pathfmt::escape_text(&String::from_utf8_lossy(&out))
}

/// What sysfs says of a block device (`sdb1`): (size in bytes, model,
/// removable), a partition's model and removable flag being its disk's.
fn sysfs_facts(sys: &Path, name: &str) -> (Option<u64>, Option<String>, Option<bool>) {
    let class = sys.join("class/block").join(name);
    let size = small_text(&class.join("size"))
        .and_then(|s| s.parse::<u64>().ok())
        .and_then(|sectors| sectors.checked_mul(512));
    // A partition's folder lies inside its disk's (through the class link).
    let disk = if class.join("partition").exists() {
        std::fs::canonicalize(&class)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
    } else {
        std::fs::canonicalize(&class).ok()
    };
    let Some(disk) = disk else {
        return (size, None, None);
    };
    let model = [
        small_text(&disk.join("device/vendor")),
        small_text(&disk.join("device/model")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let removable = small_text(&disk.join("removable")).map(|r| r == "1");
    (size, (!model.is_empty()).then_some(model), removable)
}

/// The labels of devices: `sdb1` → `USB STICK`.
fn labels(by_label: &Path) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let Ok(dir) = std::fs::read_dir(by_label) else {
        return out;
    };
    for entry in dir.flatten().take(10_000) {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        if let Some(dev) = target.file_name().and_then(|n| n.to_str()) {
            out.insert(
                dev.to_string(),
                unescape_udev(&entry.file_name().to_string_lossy()),
            );
        }
    }
    out
}

/// The drives of this system for the evidence picker: on Windows its
/// volumes (`GetLogicalDriveStringsW`); on Linux the mounts of removable
/// and foreign filesystems (under `/media`, `/run/media`, `/mnt`, or of a
/// type a seized drive carries: NTFS, FAT, exFAT, HFS+, APFS, ISO 9660, UDF).
pub fn drives() -> Vec<Drive> {
    #[cfg(windows)]
    {
        super::windows::volumes()
            .into_iter()
            .map(|v| {
                let mut detail = vec![v.kind.to_string()];
                if !v.label.is_empty() {
                    detail.insert(0, v.label.clone());
                }
                if !v.filesystem.is_empty() {
                    detail.push(v.filesystem.clone());
                }
                if v.read_only {
                    detail.push("read-only".into());
                }
                Drive {
                    root: v.root,
                    detail: detail.join(", "),
                    read_only: v.read_only,
                    label: (!v.label.is_empty()).then(|| v.label.clone()),
                    fs_type: v.filesystem.clone(),
                    removable: Some(v.kind == "removable"),
                    ..Default::default()
                }
            })
            .collect()
    }
    #[cfg(target_os = "macos")]
    {
        volumes_folder(Path::new("/Volumes"))
    }
    #[cfg(not(any(windows, target_os = "macos")))]
    {
        drives_from(&DriveSources {
            mountinfo: std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default(),
            sys: "/sys".into(),
            by_label: "/dev/disk/by-label".into(),
        })
    }
}

/// macOS: every volume mounted under `/Volumes` (its name is its label).
#[cfg(target_os = "macos")]
fn volumes_folder(dir: &Path) -> Vec<Drive> {
    let mut out: Vec<Drive> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .take(1000)
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    Drive {
                        root: e.path(),
                        detail: name.clone(),
                        label: Some(name),
                        ..Default::default()
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.root.cmp(&b.root));
    out
}

/// The drives of `/proc/self/mountinfo` text (see [`drives_from`]), with
/// nothing more from sysfs.
pub fn drives_in_mountinfo(text: &str) -> Vec<Drive> {
    drives_from(&DriveSources {
        mountinfo: text.to_string(),
        sys: std::path::PathBuf::new(),
        by_label: std::path::PathBuf::new(),
    })
}

/// Linux: the mounts of removable and foreign filesystems in `mountinfo`,
/// with each device's size, model and removable flag from sysfs and its
/// label from the label links.
pub fn drives_from(src: &DriveSources) -> Vec<Drive> {
    let text = &src.mountinfo;
    let named = labels(&src.by_label);
    const FOREIGN: &[&str] = &[
        "ntfs", "ntfs3", "fuseblk", "vfat", "msdos", "exfat", "hfsplus", "apfs", "iso9660", "udf",
    ];
    let mut out: Vec<Drive> = Vec::new();
    for line in text.lines() {
        let Some(MountLine {
            point,
            options,
            fs_type,
            source,
        }) = MountLine::parse(line)
        else {
            continue;
        };
        let removable = ["/media/", "/run/media/", "/mnt/"]
            .iter()
            .any(|p| point.starts_with(p));
        // Under the removable folders only what a disk holds (a device, or
        // a FUSE filesystem such as ntfs-3g), not tmpfs or bind helpers.
        let disk = source.starts_with("/dev/") || fs_type.starts_with("fuse");
        if !((removable && disk) || FOREIGN.contains(&fs_type)) || point == "/" {
            continue;
        }
        let read_only = options.split(',').any(|o| o == "ro");
        let device = crate::pathfmt::escape_text(&unescape_octal(source));
        let mut detail = format!("{fs_type} on {device}");
        if read_only {
            detail.push_str(", read-only");
        }
        let dev_name = device
            .strip_prefix("/dev/")
            .filter(|n| !n.contains('/') && !n.is_empty() && !n.starts_with('.'));
        let (size, model, removable) = match dev_name {
            Some(n) if !src.sys.as_os_str().is_empty() => sysfs_facts(&src.sys, n),
            _ => (None, None, None),
        };
        out.retain(|d| d.root != std::path::Path::new(&point));
        out.push(Drive {
            root: point.into(),
            detail,
            read_only,
            label: dev_name.and_then(|n| named.get(n).cloned()),
            device,
            model,
            size,
            fs_type: fs_type.to_string(),
            removable,
        });
    }
    out.sort_by(|a, b| a.root.cmp(&b.root));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::unescape_octal;

    #[test]
    fn drives_are_removable_and_foreign_mounts() {
        let text = "\
22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
23 22 0:5 / /proc rw - proc proc rw
40 22 8:17 / /media/alex/USB\\040STICK ro,nosuid - vfat /dev/sdb1 ro
41 22 8:33 / /srv/seized rw - ntfs3 /dev/sdc1 rw
42 22 0:39 / /tmp/x rw - fuse /tmp/img rw
43 22 8:49 / /mnt/ev ro - ext4 /dev/sdd1 ro
44 22 0:25 / /mnt/sandbox/python ro - tmpfs none ro
45 22 0:40 / /mnt/img ro - fuse /tmp/seized.ntfs ro
";
        let d = super::drives_in_mountinfo(text);
        let roots: Vec<_> = d.iter().map(|d| d.root.to_str().unwrap()).collect();
        assert_eq!(
            roots,
            [
                "/media/alex/USB STICK",
                "/mnt/ev",
                "/mnt/img",
                "/srv/seized"
            ]
        );
        assert!(d[0].read_only && d[0].detail == "vfat on /dev/sdb1, read-only");
        assert!(!d[3].read_only);
    }

    #[test]
    fn octal_escapes_of_mountinfo() {
        assert_eq!(unescape_octal("/mnt/my\\040disk"), "/mnt/my disk");
        assert_eq!(unescape_octal("a\\134b\\011"), "a\\b\t");
        // Not a byte, cut short, or not octal: kept as written.
        assert_eq!(unescape_octal("x\\777"), "x\\777");
        assert_eq!(unescape_octal("x\\04"), "x\\04");
        assert_eq!(unescape_octal("x\\09a\\"), "x\\09a\\");
    }
}
