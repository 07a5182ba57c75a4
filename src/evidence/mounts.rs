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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drive {
    /// Where it is reached (`E:\`, `/media/usb`).
    pub root: std::path::PathBuf,
    /// What to show beside it: label, filesystem, kind, read-only.
    pub detail: String,
    /// Mounted (or flagged) read-only.
    pub read_only: bool,
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
                }
            })
            .collect()
    }
    #[cfg(not(windows))]
    {
        std::fs::read_to_string("/proc/self/mountinfo")
            .map(|t| drives_in_mountinfo(&t))
            .unwrap_or_default()
    }
}

/// [`drives`] from the text of `/proc/self/mountinfo`.
pub fn drives_in_mountinfo(text: &str) -> Vec<Drive> {
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
        let mut detail = format!("{fs_type} on {}", unescape_octal(source));
        if read_only {
            detail.push_str(", read-only");
        }
        out.retain(|d| d.root != std::path::Path::new(&point));
        out.push(Drive {
            root: point.into(),
            detail,
            read_only,
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
