//! Output writers.
//!
//! Inventory formats stream scan records as they complete (each is a
//! [`RecordSink`](crate::RecordSink)): hashdeep files that stock `hashdeep -a
//! -k` audits, `*sum -c`-compatible lines, and JSON Lines with everything.
//!
//! Reports (`ferret report`) are built from the case file only: the folder
//! and its manifest ([`write_report`], [`verify_report`]), and one writer
//! per format, all reading one header (read once per report) and the same
//! rows. Formats: HTML (self-contained, printable), CSV (formula-injection
//! safe), JSON (streamed, schema version 1), DFXML 2.0 (valid against the
//! DFXML XSD), CASE/UCO JSON-LD (valid under `case_validate`), hashdeep
//! inventory. No SQL here: the case answers typed queries.
// Data read from evidence, a case file or a report folder never indexes
// unchecked and never unwraps: a hostile input is an error, not a panic.
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

mod case_uco;
mod csv;
mod dfxml;
mod folder;
pub mod hashdeep;
mod header;
mod html;
mod json;
pub mod jsonl;
mod manifest;
mod rows;
pub mod sums;

pub use crate::case::{ReportRow, Scope};
pub use folder::{
    ReportError, ReportFormat, ReportOptions, ReportOutcome, ReportProgress, write_report,
    write_report_with,
};
pub use manifest::{read_anchor, verify_report};

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
