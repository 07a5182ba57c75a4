//! The drive list of the new-case form (issue 17): from fixture
//! `mountinfo`, sysfs and label links, the rows an examiner picks from.

use std::path::Path;

use egui_kittest::kittest::Queryable;
use ferret::evidence::{Drive, DriveSources};

use crate::gui::{harness, open_new_case_form};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A USB stick's partition (read-only, labelled) and a whole fixed disk
/// (read-write, unlabelled), as Linux shows them; plus mounts that are not
/// drives.
#[cfg(unix)]
fn fixture(dir: &Path) -> DriveSources {
    use std::os::unix::fs::symlink;
    let sys = dir.join("sys");
    let usb = sys.join("devices/pci0000:00/usb1/1-1/host6/block/sdb");
    write(&usb.join("removable"), "1\n");
    write(&usb.join("device/vendor"), "SanDisk \n");
    write(&usb.join("device/model"), "Cruzer Blade    \n");
    write(&usb.join("size"), "31266849\n");
    write(&usb.join("sdb1/partition"), "1\n");
    write(&usb.join("sdb1/size"), "31266816\n");
    let sata = sys.join("devices/pci0000:00/ata2/host1/block/sdc");
    write(&sata.join("removable"), "0\n");
    write(&sata.join("device/vendor"), "ATA     \n");
    write(&sata.join("device/model"), "WDC WD10EZEX\n");
    write(&sata.join("size"), "1953525168\n");
    std::fs::create_dir_all(sys.join("class/block")).unwrap();
    symlink(usb.join("sdb1"), sys.join("class/block/sdb1")).unwrap();
    symlink(&sata, sys.join("class/block/sdc")).unwrap();
    let by_label = dir.join("by-label");
    std::fs::create_dir_all(&by_label).unwrap();
    symlink("../../sdb1", by_label.join("USB\\x20STICK")).unwrap();
    DriveSources {
        mountinfo: "\
22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
23 22 0:5 / /proc rw - proc proc rw
40 22 8:17 / /media/alex/USB\\040STICK ro,nosuid - vfat /dev/sdb1 ro
41 22 8:32 / /srv/seized rw - ntfs3 /dev/sdc rw
44 22 0:25 / /mnt/sandbox/python ro - tmpfs none ro
"
        .into(),
        sys,
        by_label,
    }
}

#[cfg(unix)]
#[test]
fn the_drive_list_reads_mountinfo_sysfs_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture(dir.path());
    let drives = ferret::evidence::drives_from(&src);
    assert_eq!(
        drives,
        [
            Drive {
                root: "/media/alex/USB STICK".into(),
                detail: "vfat on /dev/sdb1, read-only".into(),
                read_only: true,
                device: "/dev/sdb1".into(),
                model: Some("SanDisk Cruzer Blade".into()),
                label: Some("USB STICK".into()),
                size: Some(31_266_816 * 512),
                fs_type: "vfat".into(),
                removable: Some(true),
            },
            Drive {
                root: "/srv/seized".into(),
                detail: "ntfs3 on /dev/sdc".into(),
                read_only: false,
                device: "/dev/sdc".into(),
                model: Some("ATA WDC WD10EZEX".into()),
                label: None,
                size: Some(1_953_525_168 * 512),
                fs_type: "ntfs3".into(),
                removable: Some(false),
            },
        ]
    );

    // The new-case form shows those rows; Use fills the evidence folder.
    let mut h = harness(dir.path());
    open_new_case_form(&mut h);
    h.state_mut().setup.drive_sources = Some(src);
    h.state_mut().setup.drives = None;
    h.run_steps(3);
    for text in [
        "/media/alex/USB STICK",
        "/dev/sdb1",
        "SanDisk Cruzer Blade / USB STICK",
        "14.9 GiB",
        "vfat",
        "read-only",
        "removable",
        "/srv/seized",
        "ATA WDC WD10EZEX",
        "931.5 GiB",
        "read-write",
        "fixed",
    ] {
        h.get_by_label(text);
    }
    h.get_all_by_label("Use").next().unwrap().click();
    h.run_steps(2);
    assert_eq!(h.state().setup.evidence, "/media/alex/USB STICK");
}
