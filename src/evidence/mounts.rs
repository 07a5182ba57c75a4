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
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The mount holding `path` (its real path), where the OS tells.
pub fn mount_info(path: &Path) -> Option<MountInfo> {
    let real = std::fs::canonicalize(path).ok()?;
    let text = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mut best: Option<MountInfo> = None;
    for line in text.lines() {
        // id parent major:minor root mount_point options [optional…] - fstype source super_options
        let (left, right) = line.split_once(" - ")?;
        let l: Vec<&str> = left.split(' ').collect();
        let r: Vec<&str> = right.split(' ').collect();
        if l.len() < 6 || r.len() < 2 {
            continue;
        }
        let point = unescape_octal(l[4]);
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
            fs_type: r[0].to_string(),
            device: unescape_octal(r[1]),
            options: l[5].to_string(),
            mount_point: point,
        });
    }
    best
}
