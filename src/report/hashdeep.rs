//! hashdeep inventory files (`FILEFORMAT` v1.0).
//!
//! Only `size`, `md5`, `sha1`, `sha256` columns: hashdeep knows no BLAKE3.
//! Names are written as raw bytes, as hashdeep writes them, and as absolute
//! paths, because `hashdeep -r -a -k FILE DIR` compares absolute names; a
//! name holding a newline cannot be written in this format, so it is written
//! escaped (`\n`) and a comment says so (its hash still matches as "moved").
//!
//! A report's `inventory.hashdeep` is written here too, from the case: every
//! hashed file of the evidence whatever the report's scope, so that
//! `hashdeep -r -a -k inventory.hashdeep /mnt/evidence` audits the drive.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::folder::FormatError;
use super::header::ReportHeader;
use super::join_display;
use super::rows::ScopedRows;
use crate::hashing::{Algorithm, AlgorithmSet};
use crate::job::{FileRecord, Outcome, RecordSink};
use crate::pathfmt::{escape_bytes, path_bytes};

/// Streams hashed files as hashdeep lines.
pub struct HashdeepWriter<W: Write + Send> {
    out: W,
    root: PathBuf,
    columns: Vec<Algorithm>,
    escaped_names: u64,
}

/// hashdeep columns available in `algorithms`, in hashdeep's order.
pub fn hashdeep_columns(algorithms: AlgorithmSet) -> Vec<Algorithm> {
    [Algorithm::Md5, Algorithm::Sha1, Algorithm::Sha256]
        .into_iter()
        .filter(|a| algorithms.contains(*a))
        .collect()
}

impl<W: Write + Send> HashdeepWriter<W> {
    /// Writes the header. `root` should be absolute for `hashdeep -a` to
    /// match names; `invoked_from` and `command` go into the `##` comments.
    pub fn new(
        mut out: W,
        root: &Path,
        algorithms: AlgorithmSet,
        invoked_from: &Path,
        command: &str,
    ) -> io::Result<Self> {
        let columns = hashdeep_columns(algorithms);
        if columns.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the hashdeep format needs md5, sha1 or sha256",
            ));
        }
        let names: Vec<&str> = columns.iter().map(|a| a.name()).collect();
        writeln!(out, "%%%% HASHDEEP-1.0")?;
        writeln!(out, "%%%% size,{},filename", names.join(","))?;
        out.write_all(b"## Invoked from: ")?;
        out.write_all(path_bytes(invoked_from))?;
        writeln!(out)?;
        writeln!(out, "## $ {}", command.replace(['\n', '\r'], " "))?;
        writeln!(out, "## ")?;
        Ok(HashdeepWriter {
            out,
            root: root.to_path_buf(),
            columns,
            escaped_names: 0,
        })
    }

    /// Names that had to be escaped because they hold a newline or CR.
    pub fn escaped_names(&self) -> u64 {
        self.escaped_names
    }
}

impl<W: Write + Send> RecordSink for HashdeepWriter<W> {
    fn accept(&mut self, rec: FileRecord) -> io::Result<()> {
        let Outcome::Hashed { digests, len, .. } = &rec.outcome else {
            return Ok(());
        };
        write!(self.out, "{len}")?;
        for a in &self.columns {
            let hex = digests.hex(*a).unwrap_or_default();
            write!(self.out, ",{hex}")?;
        }
        self.out.write_all(b",")?;
        let name = join_display(&self.root, &rec.rel_path, rec.stream.as_deref());
        let bytes = name.as_slice();
        if bytes.contains(&b'\n') || bytes.contains(&b'\r') {
            self.escaped_names += 1;
            self.out.write_all(escape_bytes(bytes).as_bytes())?;
        } else {
            self.out.write_all(bytes)?;
        }
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.escaped_names > 0 {
            writeln!(
                self.out,
                "## {} name(s) held a newline or CR and were written escaped (\\n, \\r, \\\\)",
                self.escaped_names
            )?;
        }
        self.out.flush()
    }
}

/// Writes a report's `inventory.hashdeep`: the files of `rows` hashed with
/// md5, sha1 and sha256, under their real absolute paths; returns the
/// number of rows read.
pub(super) fn write_report_inventory(
    header: &ReportHeader,
    rows: ScopedRows<'_>,
    out: &mut dyn Write,
) -> Result<u64, FormatError> {
    out.write_all(b"%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,sha256,filename\n")?;
    writeln!(
        out,
        "## ferret {} report of case {}",
        crate::VERSION,
        header.case.case_number
    )?;
    out.write_all(b"## \n")?;
    let mut streams = 0u64;
    let n = rows.for_each(|r| {
        let (Some(size), Some(md5), Some(sha1), Some(sha256)) =
            (r.size, &r.md5, &r.sha1, &r.sha256)
        else {
            return Ok(());
        };
        if r.status != "hashed" {
            return Ok(());
        }
        if r.members.is_some() {
            // A member is no file on the drive: hashdeep audits the drive.
            return Ok(());
        }
        if r.stream.is_some() {
            // hashdeep audits files by name: a stream is in the other formats.
            streams += 1;
            return Ok(());
        }
        write!(out, "{size},{md5},{sha1},{sha256},")?;
        let root = r.style.unescape(&r.root).unwrap_or_default();
        let (rel, stream) = r.raw_item().unwrap_or_default();
        let mut full = r.style.join(&root, &rel);
        if let Some(s) = stream {
            full.push(b':');
            full.extend_from_slice(&s);
        }
        if full.contains(&b'\n') || full.contains(&b'\r') {
            out.write_all(escape_bytes(&full).as_bytes())?;
        } else {
            out.write_all(&full)?;
        }
        out.write_all(b"\n")?;
        Ok::<_, FormatError>(())
    })?;
    if streams > 0 {
        writeln!(
            out,
            "## {streams} named data stream(s) (NTFS alternate data streams) are not listed here: \
             hashdeep audits files by name; they are in items.csv and report.json"
        )?;
    }
    Ok(n)
}
