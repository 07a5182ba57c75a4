//! Format sniffing from content (never from the extension).
//!
//! The head of any file reaches here, so nothing may panic: indexing,
//! slicing and `unwrap` are denied (see `formats`).
#![deny(clippy::indexing_slicing, clippy::unwrap_used)]

use std::fmt;
use std::io::Read;
use std::path::Path;

use super::HashSetError;
use super::formats::{csv_generic, encase, sums};

/// A hash-set format Ferret reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One digest per line.
    Plain,
    /// md5sum / sha1sum / sha256sum / b3sum / BSD tag lines.
    Sums,
    /// hashdeep `%%%% HASHDEEP-1.0`.
    Hashdeep,
    /// NSRL legacy `NSRLFile.txt`.
    NsrlLegacy,
    /// NSRL RDS zip (legacy).
    NsrlZip,
    /// NSRL RDS v3 SQLite.
    NsrlV3,
    /// Project VIC VICS JSON.
    Vics,
    /// HashKeeper `.hsh`.
    HashKeeper,
    /// Legacy EnCase `.hash`.
    Encase,
    /// CSV/TSV with a hash column.
    Csv,
    /// PDQ hash lists (plain, `pdq-photo-hasher` CSV and `--details`):
    /// never sniffed, only named (`--algorithm pdq` or `--format pdq`).
    Pdq,
}

impl Format {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Plain => "plain",
            Format::Sums => "sums",
            Format::Hashdeep => "hashdeep",
            Format::NsrlLegacy => "nsrl-legacy",
            Format::NsrlZip => "nsrl-zip",
            Format::NsrlV3 => "nsrl-v3",
            Format::Vics => "vics",
            Format::HashKeeper => "hashkeeper",
            Format::Encase => "encase",
            Format::Csv => "csv",
            Format::Pdq => "pdq",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const TRIED: &str = "VICS JSON, hashdeep, NSRL RDS v3 SQLite, NSRL RDS zip, NSRLFile.txt, \
    HashKeeper, EnCase .hash, CSV/TSV with a hash column, md5sum/sha*sum/b3sum/BSD tag lines, \
    plain hex list";

/// Decides the format of a file from its first 64 KiB.
pub fn sniff(path: &Path) -> Result<Format, HashSetError> {
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|source| HashSetError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    sniff_bytes(&head).ok_or_else(|| unrecognised(path, &head))
}

fn unrecognised(path: &Path, head: &[u8]) -> HashSetError {
    if head.is_empty() {
        return HashSetError::Empty {
            path: path.to_path_buf(),
            rejected: 0,
            first: Some("the file is empty".into()),
        };
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return HashSetError::Malformed {
            path: path.to_path_buf(),
            reason: "the file is UTF-16 text; save it as UTF-8 and import again".into(),
        };
    }
    HashSetError::Unrecognised {
        path: path.to_path_buf(),
        tried: TRIED.into(),
    }
}

/// Decides the format from the first bytes of a file.
pub fn sniff_bytes(head: &[u8]) -> Option<Format> {
    if head.starts_with(encase::MAGIC) {
        return Some(Format::Encase);
    }
    if head.starts_with(b"SQLite format 3\0") {
        return Some(Format::NsrlV3);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some(Format::NsrlZip);
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return None;
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let trimmed = text.trim_ascii_start();
    if trimmed.starts_with(b"{") {
        let s = String::from_utf8_lossy(trimmed.get(..4096).unwrap_or(trimmed));
        return s.contains("odata").then_some(Format::Vics);
    }
    let lines: Vec<String> = String::from_utf8_lossy(text)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .take(50)
        .collect();
    let first = lines.first()?;
    if first.starts_with("%%%% HASHDEEP") {
        return Some(Format::Hashdeep);
    }
    let lower = first.to_ascii_lowercase();
    if lower.contains("hashset_id") && lower.contains("hash") {
        return Some(Format::HashKeeper);
    }
    if lower.contains("\"sha-1\"") && lower.contains("filename") && lower.contains("productcode") {
        return Some(Format::NsrlLegacy);
    }
    // A header naming a hash column among several fields, with no digest
    // in it: a CSV/TSV, even when its data rows start with a digest and a
    // tab (which would also read as sums lines, losing the other columns).
    let delim = csv_generic::sniff_delimiter(first) as char;
    let header: Vec<String> = first.split(delim).map(str::to_string).collect();
    let digest_in_header = first
        .split(|c: char| !c.is_ascii_hexdigit())
        .any(|run| run.len() >= 32);
    if header.len() >= 2 && !digest_in_header && csv_generic::columns(&header).is_some() {
        return Some(Format::Csv);
    }
    // Data lines (not comments): sums-shaped or bare hex?
    let data: Vec<&String> = lines.iter().filter(|l| !l.starts_with('#')).collect();
    let good = data
        .iter()
        .filter(|l| sums::parse_line(l, super::Hex64::Either).is_ok_and(|e| e.is_some()))
        .count();
    if good > 0 && good * 2 >= data.len() {
        let bare = data
            .iter()
            .filter(|l| l.bytes().all(|b| b.is_ascii_hexdigit()))
            .count();
        return Some(if bare == data.len() {
            Format::Plain
        } else {
            Format::Sums
        });
    }
    // Lines that try to be digests (a long hex run first) but none parse:
    // treat as a plain list so every line gets its own reject reason.
    let hexish = |l: &&&String| {
        let run = l.bytes().take_while(u8::is_ascii_hexdigit).count();
        run >= 8
            && l.as_bytes()
                .get(run)
                .is_none_or(|b| b.is_ascii_whitespace())
    };
    if !data.is_empty() && data.iter().filter(hexish).count() * 2 >= data.len() {
        return Some(Format::Plain);
    }
    csv_generic::columns(&header).map(|_| Format::Csv)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff_bytes(b"%%%% HASHDEEP-1.0\n"), Some(Format::Hashdeep));
        assert_eq!(
            sniff_bytes(b"d41d8cd98f00b204e9800998ecf8427e\n# c\n"),
            Some(Format::Plain)
        );
        assert_eq!(
            sniff_bytes(b"d41d8cd98f00b204e9800998ecf8427e  a.txt\n"),
            Some(Format::Sums)
        );
        assert_eq!(
            sniff_bytes(b"MD5 (a) = d41d8cd98f00b204e9800998ecf8427e\n"),
            Some(Format::Sums)
        );
        assert_eq!(
            sniff_bytes(b"\xEF\xBB\xBF {\"odata.metadata\":\"x\"}"),
            Some(Format::Vics)
        );
        assert_eq!(sniff_bytes(b"name,size,sha1\nx,1,abc\n"), Some(Format::Csv));
        assert_eq!(
            sniff_bytes(b"md5\tname\nd41d8cd98f00b204e9800998ecf8427e\ta.txt\n"),
            Some(Format::Csv),
            "a TSV whose rows also read as sums lines"
        );
        assert_eq!(
            sniff_bytes(b"d41d8cd98f00b204e9800998ecf8427e  a,md5\n"),
            Some(Format::Sums),
            "a digest in the first line: not a header"
        );
        assert_eq!(sniff_bytes(b"hello world\nnot a hash\n"), None);
        assert_eq!(sniff_bytes(b"\xFF\xFEh\0i\0"), None);
    }
}
