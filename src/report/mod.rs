//! Output writers.
//!
//! Inventory formats stream scan records as they complete (each is a
//! [`RecordSink`](crate::RecordSink)): hashdeep files that stock `hashdeep -a
//! -k` audits, `*sum -c`-compatible lines, and JSON Lines with everything.

pub mod case_uco;
pub mod export;
pub mod hashdeep;
pub mod html;
pub mod jsonl;
pub mod rows;
pub mod sums;

use std::path::{Path, PathBuf};

use crate::pathfmt::{path_bytes, path_from_bytes};

/// The three inventory formats of `ferret inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventoryFormat {
    /// `%%%% HASHDEEP-1.0` (md5/sha1/sha256 only).
    Hashdeep,
    /// `sha256sum`/`md5sum`/`sha1sum`/`b3sum` lines (one algorithm).
    Sums,
    /// One JSON object per entry.
    Jsonl,
}

/// `root` joined with `rel` as raw bytes, with exactly one `/` between them
/// (`.` + `a/b` gives `./a/b`, as `find .` and hashdeep print it).
pub fn join_display(root: &Path, rel: &Path) -> PathBuf {
    let mut bytes = path_bytes(root).to_vec();
    while bytes.len() > 1 && bytes.ends_with(b"/") {
        bytes.pop();
    }
    if !bytes.is_empty() && !bytes.ends_with(b"/") {
        bytes.push(b'/');
    }
    bytes.extend_from_slice(path_bytes(rel));
    path_from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_find() {
        assert_eq!(
            join_display(Path::new("."), Path::new("a/b")),
            Path::new("./a/b")
        );
        assert_eq!(
            join_display(Path::new("t/"), Path::new("a")),
            Path::new("t/a")
        );
        assert_eq!(
            join_display(Path::new("/"), Path::new("etc")),
            Path::new("/etc")
        );
    }
}
