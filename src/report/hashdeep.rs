//! hashdeep inventory files (`FILEFORMAT` v1.0).
//!
//! Only `size`, `md5`, `sha1`, `sha256` columns: hashdeep knows no BLAKE3.
//! Names are written as raw bytes, as hashdeep writes them, and as absolute
//! paths, because `hashdeep -r -a -k FILE DIR` compares absolute names; a
//! name holding a newline cannot be written in this format, so it is written
//! escaped (`\n`) and a comment says so (its hash still matches as "moved").

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::join_display;
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
        let name = join_display(&self.root, &rec.rel_path);
        let bytes = path_bytes(&name);
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
