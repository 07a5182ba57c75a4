//! Names for Windows file attribute bits and reparse tags.
//!
//! An examiner reads `hidden,system,reparse` and `junction`, not `0x406` and
//! `0xA0000003`. The values are the documented ones (`winnt.h`, "File
//! Attribute Constants", "Reparse Tags"), defined here rather than taken
//! from `windows-sys` so the mapping is built and tested on every platform:
//! a case recorded on Windows is reviewed anywhere.

/// `FILE_ATTRIBUTE_READONLY`.
const READONLY: u32 = 0x0000_0001;
/// `FILE_ATTRIBUTE_HIDDEN`.
const HIDDEN: u32 = 0x0000_0002;
/// `FILE_ATTRIBUTE_SYSTEM`.
const SYSTEM: u32 = 0x0000_0004;
/// `FILE_ATTRIBUTE_ARCHIVE`.
const ARCHIVE: u32 = 0x0000_0020;
/// `FILE_ATTRIBUTE_TEMPORARY`.
const TEMPORARY: u32 = 0x0000_0100;
/// `FILE_ATTRIBUTE_SPARSE_FILE`.
const SPARSE_FILE: u32 = 0x0000_0200;
/// `FILE_ATTRIBUTE_REPARSE_POINT`.
const REPARSE_POINT: u32 = 0x0000_0400;
/// `FILE_ATTRIBUTE_COMPRESSED`.
const COMPRESSED: u32 = 0x0000_0800;
/// `FILE_ATTRIBUTE_OFFLINE`.
const OFFLINE: u32 = 0x0000_1000;
/// `FILE_ATTRIBUTE_NOT_CONTENT_INDEXED`.
const NOT_CONTENT_INDEXED: u32 = 0x0000_2000;
/// `FILE_ATTRIBUTE_ENCRYPTED`.
const ENCRYPTED: u32 = 0x0000_4000;
/// `FILE_ATTRIBUTE_RECALL_ON_OPEN`. The same bit is `FILE_ATTRIBUTE_EA`
/// outside directory enumeration; the evidence layer reads attributes by
/// enumeration (`FindFirstFileW`), where it means recall-on-open.
const RECALL_ON_OPEN: u32 = 0x0004_0000;
/// `FILE_ATTRIBUTE_PINNED`.
const PINNED: u32 = 0x0008_0000;
/// `FILE_ATTRIBUTE_UNPINNED`.
const UNPINNED: u32 = 0x0010_0000;
/// `FILE_ATTRIBUTE_RECALL_ON_DATA_ACCESS`.
const RECALL_ON_DATA_ACCESS: u32 = 0x0040_0000;

/// The bits an examiner cares about, in the order they are reported.
const NAMED: [(u32, &str); 15] = [
    (READONLY, "readonly"),
    (HIDDEN, "hidden"),
    (SYSTEM, "system"),
    (ARCHIVE, "archive"),
    (REPARSE_POINT, "reparse"),
    (COMPRESSED, "compressed"),
    (ENCRYPTED, "encrypted"),
    (OFFLINE, "offline"),
    (NOT_CONTENT_INDEXED, "not_indexed"),
    (SPARSE_FILE, "sparse"),
    (TEMPORARY, "temporary"),
    (RECALL_ON_OPEN, "recall_on_open"),
    (RECALL_ON_DATA_ACCESS, "recall_on_data_access"),
    (PINNED, "pinned"),
    (UNPINNED, "unpinned"),
];

/// The names of the examiner-relevant bits set in `bits`, in a fixed order
/// (readonly, hidden, system, archive, reparse, compressed, encrypted,
/// offline, not_indexed, sparse, temporary, recall_on_open,
/// recall_on_data_access, pinned, unpinned). Other bits (directory, normal,
/// device, virtual…) are not named: the entry kind already says them.
pub(crate) fn attribute_names(bits: u32) -> Vec<&'static str> {
    NAMED
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|&(_, name)| name)
        .collect()
}

/// `IO_REPARSE_TAG_MOUNT_POINT`: a junction or a volume mount point.
const TAG_MOUNT_POINT: u32 = 0xA000_0003;
/// `IO_REPARSE_TAG_SYMLINK`.
const TAG_SYMLINK: u32 = 0xA000_000C;
/// `IO_REPARSE_TAG_DEDUP`: data lives in the deduplication chunk store.
const TAG_DEDUP: u32 = 0x8000_0013;
/// `IO_REPARSE_TAG_WOF`: Windows Overlay Filter (compact OS, WIM-backed).
const TAG_WOF: u32 = 0x8000_0017;
/// `IO_REPARSE_TAG_CLOUD`; `IO_REPARSE_TAG_CLOUD_1`…`_F` differ only in
/// the bits of `IO_REPARSE_TAG_CLOUD_MASK`.
const TAG_CLOUD: u32 = 0x9000_001A;
/// `IO_REPARSE_TAG_CLOUD_MASK`.
const TAG_CLOUD_MASK: u32 = 0x0000_F000;
/// `IO_REPARSE_TAG_APPEXECLINK`: a Store app execution alias.
const TAG_APPEXECLINK: u32 = 0x8000_001B;
/// `IO_REPARSE_TAG_LX_SYMLINK`: a WSL symbolic link.
const TAG_LX_SYMLINK: u32 = 0xA000_001D;
/// `IO_REPARSE_TAG_AF_UNIX`: a Unix domain socket.
const TAG_AF_UNIX: u32 = 0x8000_0023;
/// `IO_REPARSE_TAG_LX_FIFO`: a WSL named pipe.
const TAG_LX_FIFO: u32 = 0x8000_0024;
/// `IO_REPARSE_TAG_LX_CHR`: a WSL character device node.
const TAG_LX_CHR: u32 = 0x8000_0025;
/// `IO_REPARSE_TAG_LX_BLK`: a WSL block device node.
const TAG_LX_BLK: u32 = 0x8000_0026;

/// The name of a well-known reparse tag, `None` for any other (the caller
/// then records the number).
pub(crate) fn reparse_tag_name(tag: u32) -> Option<&'static str> {
    if tag & !TAG_CLOUD_MASK == TAG_CLOUD {
        return Some("cloud");
    }
    Some(match tag {
        TAG_SYMLINK => "symlink",
        TAG_MOUNT_POINT => "junction",
        TAG_WOF => "wof",
        TAG_DEDUP => "dedup",
        TAG_APPEXECLINK => "appexeclink",
        TAG_LX_SYMLINK => "lx_symlink",
        TAG_AF_UNIX => "af_unix",
        TAG_LX_FIFO => "lx_fifo",
        TAG_LX_CHR => "lx_chr",
        TAG_LX_BLK => "lx_blk",
        _ => return None,
    })
}

/// The name-surrogate bit of a reparse tag (`IsReparseTagNameSurrogate`):
/// the reparse point stands for another named entity (a link or a junction),
/// so following it would leave the file the examiner pointed at.
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) fn is_name_surrogate(tag: u32) -> bool {
    tag & 0x2000_0000 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_in_the_documented_order() {
        // hidden|system|archive|reparse as a junction in a profile shows.
        assert_eq!(
            attribute_names(0x0000_0426),
            ["hidden", "system", "archive", "reparse"]
        );
        assert_eq!(
            attribute_names(u32::MAX),
            [
                "readonly",
                "hidden",
                "system",
                "archive",
                "reparse",
                "compressed",
                "encrypted",
                "offline",
                "not_indexed",
                "sparse",
                "temporary",
                "recall_on_open",
                "recall_on_data_access",
                "pinned",
                "unpinned",
            ]
        );
    }

    #[test]
    fn unnamed_bits_give_no_names() {
        // directory (0x10), normal (0x80), device (0x40), virtual (0x10000).
        assert!(attribute_names(0).is_empty());
        assert!(attribute_names(0x0001_00D0).is_empty());
    }

    #[test]
    fn well_known_tags_are_named() {
        assert_eq!(reparse_tag_name(0xA000_000C), Some("symlink"));
        assert_eq!(reparse_tag_name(0xA000_0003), Some("junction"));
        assert_eq!(reparse_tag_name(0x8000_0017), Some("wof"));
        assert_eq!(reparse_tag_name(0x8000_0013), Some("dedup"));
        assert_eq!(reparse_tag_name(0x8000_001B), Some("appexeclink"));
        assert_eq!(reparse_tag_name(0xA000_001D), Some("lx_symlink"));
        assert_eq!(reparse_tag_name(0x8000_0023), Some("af_unix"));
        assert_eq!(reparse_tag_name(0x8000_0024), Some("lx_fifo"));
        assert_eq!(reparse_tag_name(0x8000_0025), Some("lx_chr"));
        assert_eq!(reparse_tag_name(0x8000_0026), Some("lx_blk"));
    }

    #[test]
    fn every_cloud_tag_is_cloud() {
        for n in 0..=0xF_u32 {
            assert_eq!(reparse_tag_name(0x9000_001A | n << 12), Some("cloud"));
        }
        // Close but outside the family.
        assert_eq!(reparse_tag_name(0x9000_001B), None);
        assert_eq!(reparse_tag_name(0x9001_001A), None);
    }

    #[test]
    fn unknown_tags_have_no_name() {
        assert_eq!(reparse_tag_name(0), None);
        assert_eq!(reparse_tag_name(0x8000_0014), None); // NFS
        assert_eq!(reparse_tag_name(0xC000_0004), None); // HSM
    }

    #[test]
    fn links_and_junctions_are_name_surrogates() {
        assert!(is_name_surrogate(0xA000_000C));
        assert!(is_name_surrogate(0xA000_0003));
        assert!(is_name_surrogate(0xA000_001D));
        assert!(!is_name_surrogate(0x8000_0017));
        assert!(!is_name_surrogate(0x9000_001A));
        assert!(!is_name_surrogate(0x8000_0013));
    }
}
