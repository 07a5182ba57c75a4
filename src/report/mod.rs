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
pub mod vics;

pub use crate::case::{ReportRow, Scope};
pub use folder::{
    ReportError, ReportFormat, ReportOptions, ReportOutcome, ReportProgress, write_report,
    write_report_with,
};
pub use manifest::{read_anchor, verify_report};

use std::path::Path;

use std::ffi::OsStr;

use crate::pathfmt::{PathStyle, path_bytes};

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

/// `root` joined with `rel` as raw bytes, with exactly one separator of
/// this system between them (`.` + `a/b` gives `./a/b`, as `find .` and
/// hashdeep print it), and `:stream` after a named data stream's file.
pub fn join_display(root: &Path, rel: &Path, stream: Option<&OsStr>) -> Vec<u8> {
    let mut bytes = PathStyle::native().join(path_bytes(root), path_bytes(rel));
    if let Some(s) = stream {
        bytes.push(b':');
        bytes.extend_from_slice(s.as_encoded_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn joins_like_find() {
        let j = |root: &str, rel: &str| join_display(Path::new(root), Path::new(rel), None);
        assert_eq!(j(".", "a/b"), b"./a/b");
        assert_eq!(j("t/", "a"), b"t/a");
        assert_eq!(j("/", "etc"), b"/etc");
        let s = join_display(
            Path::new("/ev"),
            Path::new("a.txt"),
            Some(OsStr::new("p.jpg")),
        );
        assert_eq!(s, b"/ev/a.txt:p.jpg");
    }
}
