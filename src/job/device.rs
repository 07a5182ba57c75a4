//! What kind of device holds the evidence, and so how to read it.
//!
//! A spinning disk serves one reader well and several badly (every switch
//! between files is a seek), so it gets one reader taking files in inode
//! order within each priority band, with digests spread to a helper thread.
//! Solid-state storage (and the page cache) serve parallel readers best, so
//! it gets one reader per worker. Detection reads Linux's
//! `/sys/dev/block/MAJ:MIN/queue/rotational` for the evidence's filesystem
//! (a partition's own entry, else its disk's); `--device hdd|ssd` overrides.
//! A virtual disk (virtio, Xen, NBD, Ceph RBD, or a SCSI disk a hypervisor
//! emulates: vendor QEMU, VMware, VirtualBox, Hyper-V, Google, Amazon)
//! reports itself rotational whatever is behind it, so its flag is not
//! believed: it is read as solid state ([`virtual_disk`]), and the summary
//! says so.

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
        let rotational = v.trim() == "1";
        if rotational {
            let name = dir.file_name()?.to_string_lossy().into_owned();
            let driver = std::fs::read_link(dir.join("device/driver"))
                .ok()
                .and_then(|d| Some(d.file_name()?.to_string_lossy().into_owned()))
                .unwrap_or_default();
            let vendor = std::fs::read_to_string(dir.join("device/vendor")).unwrap_or_default();
            if let Some(why) = virtual_disk(&name, &driver, &vendor) {
                return Some((
                    false,
                    format!(
                        "{} says rotational, but {why}: its flag says nothing of the medium",
                        f.display()
                    ),
                ));
            }
        }
        Some((rotational, f.display().to_string()))
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

/// Why a Linux block device is virtual (a virtio, Xen, network or
/// hypervisor-emulated disk), from its name (`vda`), its driver
/// (`virtio_blk`) and its SCSI vendor (`QEMU`): such a disk reports itself
/// rotational whatever the medium behind it, usually a host's SSD or a
/// cloud volume, and is served best by parallel readers.
pub fn virtual_disk(name: &str, driver: &str, vendor: &str) -> Option<String> {
    const DRIVERS: &[&str] = &["virtio_blk", "vbd", "xen_blkfront", "nbd", "rbd"];
    // virtio and Xen disks are lettered (vda, xvdab), NBD and RBD numbered.
    let lettered = |p: &str| {
        name.strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|c| c.is_ascii_lowercase()))
    };
    let numbered = |p: &str| {
        name.strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()))
    };
    const VENDORS: &[&str] = &["QEMU", "VMware", "VBOX", "Msft", "Google", "Amazon", "Xen"];
    let vendor = vendor.trim();
    if DRIVERS.contains(&driver) {
        Some(format!("a virtual disk ({driver} driver)"))
    } else if lettered("vd") || lettered("xvd") || numbered("nbd") || numbered("rbd") {
        Some(format!("a virtual or network disk ({name})"))
    } else if VENDORS.iter().any(|v| vendor.starts_with(v)) {
        Some(format!("a virtual disk (vendor {vendor})"))
    } else {
        None
    }
}

#[cfg(not(target_os = "linux"))]
fn detect_rotational(_root: &Path, _mount_source: Option<&str>) -> Option<(bool, String)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which disks' rotational flag is not believed.
    #[test]
    fn virtual_disks_by_name_driver_and_vendor() {
        let table = [
            ("vda", "virtio_blk", "", true),
            ("vdb", "", "", true),
            ("xvda", "vbd", "", true),
            ("nbd0", "", "", true),
            ("rbd3", "", "", true),
            ("sda", "sd", "QEMU    ", true),
            ("sdb", "sd", "VMware  ", true),
            ("sdc", "sd", "Msft    ", true),
            ("sdd", "sd", "VBOX    ", true),
            // Real disks: a USB hard disk, a SATA disk, NVMe.
            ("sda", "sd", "WD      ", false),
            ("sdb", "sd", "ATA     ", false),
            ("nvme0n1", "nvme", "", false),
            // Names that only start like a virtual one.
            ("vd", "", "", false),
            ("vdisk0", "", "", false),
            ("nbd", "", "", false),
            ("vda1x", "", "", false),
        ];
        for (name, driver, vendor, want) in table {
            assert_eq!(
                virtual_disk(name, driver, vendor).is_some(),
                want,
                "{name} {driver} {vendor:?}"
            );
        }
    }
}
