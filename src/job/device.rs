//! What kind of device holds the evidence, and so how to read it.
//!
//! A spinning disk serves one reader well and several badly (every switch
//! between files is a seek), so it gets one reader taking files in inode
//! order within each priority band, with digests spread to a helper thread.
//! Solid-state storage (and the page cache) serve parallel readers best, so
//! it gets one reader per worker. Detection reads Linux's
//! `/sys/dev/block/MAJ:MIN/queue/rotational` for the evidence's filesystem
//! (a partition's own entry, else its disk's); `--device hdd|ssd` overrides.

use std::path::Path;

/// How the evidence device is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeviceKind {
    /// Spinning disk: one reader, inode order.
    #[serde(rename = "hdd")]
    Rotational,
    /// SSD, flash, network or memory: parallel readers.
    #[serde(rename = "ssd")]
    SolidState,
}

impl DeviceKind {
    /// `hdd` or `ssd`.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Rotational => "hdd",
            DeviceKind::SolidState => "ssd",
        }
    }
}

impl std::str::FromStr for DeviceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "hdd" | "rotational" => Ok(DeviceKind::Rotational),
            "ssd" | "flash" => Ok(DeviceKind::SolidState),
            other => Err(format!("unknown device kind {other:?} (hdd or ssd)")),
        }
    }
}

/// The device kind a scan used, and how it was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceProfile {
    /// Kind.
    pub kind: DeviceKind,
    /// How it was decided (for the log and the report).
    pub source: String,
}

impl DeviceProfile {
    /// A kind the examiner chose.
    pub fn forced(kind: DeviceKind) -> Self {
        DeviceProfile {
            kind,
            source: format!("--device {}", kind.name()),
        }
    }

    /// Detects the kind of the device holding `root` (`mount_source` is the
    /// mount's source, e.g. `/dev/sdb1`, tried when the device number leads
    /// nowhere, as on btrfs). Undetectable means solid state: parallel
    /// readers cost a spinning disk some speed, never correctness.
    pub fn detect(root: &Path, mount_source: Option<&str>) -> Self {
        match detect_rotational(root, mount_source) {
            Some((rotational, source)) => DeviceProfile {
                kind: if rotational {
                    DeviceKind::Rotational
                } else {
                    DeviceKind::SolidState
                },
                source,
            },
            None => DeviceProfile {
                kind: DeviceKind::SolidState,
                source: "not detected (no block device found); parallel readers".into(),
            },
        }
    }
}

#[cfg(target_os = "linux")]
fn detect_rotational(root: &Path, mount_source: Option<&str>) -> Option<(bool, String)> {
    use std::os::unix::fs::MetadataExt;
    let read = |dir: &Path| -> Option<(bool, String)> {
        let f = dir.join("queue/rotational");
        let v = std::fs::read_to_string(&f).ok()?;
        Some((v.trim() == "1", f.display().to_string()))
    };
    let in_dir = |dir: &Path| -> Option<(bool, String)> {
        // A partition has no queue of its own: its disk is the parent.
        let dir = dir.canonicalize().ok()?;
        read(&dir).or_else(|| read(dir.parent()?))
    };
    // stat, not open: the root's atime is not touched.
    let dev = std::fs::metadata(root).ok()?.dev();
    let (major, minor) = (rustix::fs::major(dev), rustix::fs::minor(dev));
    if major != 0
        && let Some(found) = in_dir(Path::new(&format!("/sys/dev/block/{major}:{minor}")))
    {
        return Some(found);
    }
    let name = Path::new(mount_source?.strip_prefix("/dev/")?).file_name()?;
    in_dir(&Path::new("/sys/class/block").join(name))
}

#[cfg(not(target_os = "linux"))]
fn detect_rotational(_root: &Path, _mount_source: Option<&str>) -> Option<(bool, String)> {
    None
}
