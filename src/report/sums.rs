//! `md5sum`/`sha1sum`/`sha256sum`/`b3sum` lines, checkable with `-c`.
//!
//! GNU form: `HEX  NAME`; a name holding a backslash, newline or CR is
//! escaped (`\\`, `\n`, `\r`) and the line starts with `\`. b3sum escapes
//! only backslash and newline. Names are otherwise raw bytes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::join_display;
use crate::hashing::Algorithm;
use crate::job::{FileRecord, Outcome, RecordSink};

/// Streams hashed files as checksum lines for one algorithm.
pub struct SumsWriter<W: Write + Send> {
    out: W,
    root: PathBuf,
    algorithm: Algorithm,
}

impl<W: Write + Send> SumsWriter<W> {
    /// A writer for `algorithm`, naming files as `root/rel`.
    pub fn new(out: W, root: &Path, algorithm: Algorithm) -> Self {
        SumsWriter {
            out,
            root: root.to_path_buf(),
            algorithm,
        }
    }
}

/// Escapes a name the way `*sum` does; returns whether it had to.
pub fn escape_sum_name(name: &[u8], algorithm: Algorithm) -> (Vec<u8>, bool) {
    let b3 = algorithm == Algorithm::Blake3;
    let needs = name
        .iter()
        .any(|&b| b == b'\\' || b == b'\n' || (!b3 && b == b'\r'));
    if !needs {
        return (name.to_vec(), false);
    }
    let mut out = Vec::with_capacity(name.len() + 4);
    for &b in name {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' if !b3 => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    (out, true)
}

impl<W: Write + Send> RecordSink for SumsWriter<W> {
    fn accept(&mut self, rec: FileRecord) -> io::Result<()> {
        let Outcome::Hashed { digests, .. } = &rec.outcome else {
            return Ok(());
        };
        let Some(hex) = digests.hex(self.algorithm) else {
            return Ok(());
        };
        let name = join_display(&self.root, &rec.rel_path, rec.stream.as_deref());
        let (name, escaped) = escape_sum_name(&name, self.algorithm);
        if escaped {
            self.out.write_all(b"\\")?;
        }
        self.out.write_all(hex.as_bytes())?;
        self.out.write_all(b"  ")?;
        self.out.write_all(&name)?;
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_coreutils_and_b3sum() {
        assert_eq!(
            escape_sum_name(b"a\\b\nc\rd", Algorithm::Sha256),
            (b"a\\\\b\\nc\\rd".to_vec(), true)
        );
        assert_eq!(
            escape_sum_name(b"a\nc\rd", Algorithm::Blake3),
            (b"a\\nc\rd".to_vec(), true)
        );
        assert_eq!(
            escape_sum_name(b"plain", Algorithm::Md5),
            (b"plain".to_vec(), false)
        );
    }
}
