//! Generic CSV/TSV whose header names a hash column (`md5`, `sha1`,
//! `sha256`, `blake3`, `hash`, `MD5 Hash`, iLook's `V3Hash`/`HashSHA1`, …),
//! with optional name and size columns. Delimiter sniffed from the header:
//! comma, tab, semicolon or pipe. Quoting is RFC 4180, read by csv-core with
//! every record bounded (see [`records`](super::records)).

use std::io::{BufRead, Read as _};

use super::records::{MAX_FIELDS, MAX_RECORD, Record, Records, Row};
use super::{Line, Lines, MAX_LINE};
use crate::hashing::Algorithm;
use crate::hashsets::{Entry, HashSetError, Hex64, ParseReport, entry_from_hex, message};

/// Which header names mean what.
#[derive(Debug, Default, Clone)]
pub struct Columns {
    /// Columns holding a digest of a known algorithm.
    pub digests: Vec<(usize, Algorithm)>,
    /// A column holding a digest of unstated algorithm (told apart by length).
    pub any_hash: Option<usize>,
    /// File name column.
    pub name: Option<usize>,
    /// Directory column (joined before the name, as TSK does for HashKeeper).
    pub dir: Option<usize>,
    /// Size column.
    pub size: Option<usize>,
    /// A column that says it holds PDQ hashes (`pdq`, `pdq_hash`): the only
    /// way a CSV's 64-hex value is taken for PDQ.
    pub pdq: Option<usize>,
    /// The PDQ quality column (`quality`, `pdq_quality`).
    pub quality: Option<usize>,
}

fn norm(h: &str) -> String {
    h.trim()
        .trim_matches('"')
        .to_ascii_lowercase()
        .replace([' ', '_', '-'], "")
}

/// Maps a header row; `None` if no column holds a hash.
pub fn columns(header: &[String]) -> Option<Columns> {
    let mut c = Columns::default();
    for (i, h) in header.iter().enumerate() {
        match norm(h).as_str() {
            "md5" | "md5hash" | "hashmd5" | "v3hash" | "v4hash" | "md5sum" => {
                c.digests.push((i, Algorithm::Md5))
            }
            "sha1" | "sha1hash" | "hashsha1" | "sha1sum" => c.digests.push((i, Algorithm::Sha1)),
            "sha256" | "sha256hash" | "hashsha256" | "sha256sum" => {
                c.digests.push((i, Algorithm::Sha256))
            }
            "blake3" | "blake3hash" | "b3" | "b3sum" => c.digests.push((i, Algorithm::Blake3)),
            "hash" | "hashvalue" | "digest" | "checksum" => c.any_hash = Some(i),
            "filename" | "name" | "file" | "path" | "filepath" | "fullpath" if c.name.is_none() => {
                c.name = Some(i)
            }
            "directory" | "dir" | "folder" => c.dir = Some(i),
            "size" | "filesize" | "length" | "bytes" => c.size = Some(i),
            "pdq" | "pdqhash" | "hashpdq" => c.pdq = Some(i),
            "quality" | "pdqquality" => c.quality = Some(i),
            _ => {}
        }
    }
    (!c.digests.is_empty() || c.any_hash.is_some() || c.pdq.is_some()).then_some(c)
}

/// Picks the delimiter that splits the header into the most fields.
pub fn sniff_delimiter(header_line: &str) -> u8 {
    [b',', b'\t', b';', b'|']
        .into_iter()
        .max_by_key(|d| header_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

/// Parses a CSV whose first row is a header naming a hash column.
pub fn parse(
    reader: &mut dyn BufRead,
    hex64: Hex64,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    // The header line decides the delimiter, then is parsed again as the
    // first record; it is read with the same bound as any line.
    let mut header = match Lines::new(&mut *reader).next_line() {
        Ok(Some((_, Line::Text(t)))) => super::strip_bom(t).to_vec(),
        Ok(Some((_, Line::TooLong))) => {
            return Err(HashSetError::Malformed {
                path: report.source.clone(),
                reason: format!("CSV header line longer than {} KiB", MAX_LINE / 1024),
            });
        }
        Ok(None) => Vec::new(),
        Err(e) => return Err(super::plain::io_err(report, e)),
    };
    let delim = sniff_delimiter(&String::from_utf8_lossy(&header));
    header.push(b'\n');
    let mut rows = Records::new(header.as_slice().chain(reader), delim);
    parse_records(&mut rows, hex64, report, sink, &|_, _, _| {})
}

/// Adds format-specific fields to an entry: `(header, row, entry)`.
pub(crate) type RowHook<'a> = &'a dyn Fn(&[String], &Record, &mut Entry);

/// The value of the column named `name` (case-insensitive) in `row`.
pub(crate) fn column<'r>(header: &[String], row: &'r Record, name: &str) -> Option<&'r [u8]> {
    header
        .iter()
        .position(|h| norm(h) == norm(name))
        .and_then(|i| row.get(i))
}

/// Shared record loop for CSV-shaped formats. `hook` adds fields per row.
pub(crate) fn parse_records<R: BufRead>(
    rows: &mut Records<R>,
    hex64: Hex64,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
    hook: RowHook<'_>,
) -> Result<(), HashSetError> {
    let mut cols: Option<Columns> = None;
    let mut header: Vec<String> = Vec::new();
    loop {
        let (line, rec) = match rows.next_record() {
            Ok(Some((line, Row::Fields(rec)))) => (line, rec),
            Ok(Some((line, Row::TooLong))) => {
                report.reject(
                    line,
                    format!(
                        "record longer than {} KiB or {MAX_FIELDS} fields",
                        MAX_RECORD / 1024
                    ),
                );
                continue;
            }
            Ok(None) => break,
            Err(e) => return Err(super::plain::io_err(report, e)),
        };
        let field = |i: usize| String::from_utf8_lossy(rec.get(i).unwrap_or_default()).into_owned();
        let Some(c) = &cols else {
            header = (0..rec.len()).map(field).collect();
            match columns(&header) {
                Some(c) => {
                    if c.any_hash.is_some()
                        && c.quality.is_some()
                        && c.pdq.is_none()
                        && hex64 != Hex64::Pdq
                    {
                        report.warnings.push(
                            "a 'quality' column beside an untyped hash column, as \
                             pdq-photo-hasher writes: 64-hex values were read as SHA-256/BLAKE3; \
                             if they are PDQ hashes, import with --algorithm pdq"
                                .into(),
                        );
                    }
                    cols = Some(c)
                }
                None => {
                    return Err(HashSetError::Malformed {
                        path: report.source.clone(),
                        reason:
                            "CSV header names no hash column (md5, sha1, sha256, blake3, hash, pdq)"
                                .into(),
                    });
                }
            }
            continue;
        };
        if rec.iter().any(|f| f.contains(&0)) {
            report.reject(line, "NUL byte in record");
            continue;
        }
        // A malformed value in one digest column does not sink a row whose
        // other digests are good (iLook rows with shifted columns load in
        // md5deep too); a row with no good digest is rejected with the reason.
        let mut e = Entry::default();
        let mut why = None;
        for &(i, a) in &c.digests {
            let v = field(i);
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match crate::hashsets::parse_hex(v, a.digest_len()) {
                Some(b) => e.set_digest(a, &b),
                None => {
                    why.get_or_insert(format!("bad {a} '{}'", message::value(v)));
                }
            }
        }
        if let Some(i) = c.any_hash {
            let v = field(i);
            match entry_from_hex(v.trim(), hex64) {
                Ok(h) => {
                    for a in Algorithm::ALL {
                        if let Some(d) = h.digests.get(a) {
                            e.set_digest(a, d);
                        }
                    }
                    // A PDQ list (named so): its quality column goes with it.
                    if let Some(mut p) = h.pdq {
                        p.quality = c
                            .quality
                            .map(&field)
                            .and_then(|q| super::pdq::pdq_quality(&q));
                        e.pdq = Some(p);
                    }
                }
                Err(w) => {
                    why.get_or_insert(w);
                }
            }
        }
        let mut pdq_bad = None;
        if let Some(i) = c.pdq {
            let v = field(i);
            if !v.trim().is_empty() {
                let quality = c.quality.map(&field).filter(|q| !q.trim().is_empty());
                match (
                    super::pdq::pdq_hash(&v),
                    quality.as_deref().map(super::pdq::pdq_quality),
                ) {
                    (Ok(hash), None) => {
                        e.pdq = Some(crate::hashsets::PdqEntry {
                            hash,
                            quality: None,
                        })
                    }
                    (Ok(hash), Some(Some(q))) => {
                        e.pdq = Some(crate::hashsets::PdqEntry {
                            hash,
                            quality: Some(q),
                        })
                    }
                    (Ok(_), Some(None)) => {
                        pdq_bad = Some(format!(
                            "bad PDQ quality '{}'",
                            message::value(quality.as_deref().unwrap_or_default())
                        ));
                    }
                    (Err(w), _) => pdq_bad = Some(w),
                }
            }
        }
        if let Some(w) = pdq_bad {
            // Never dropped without a word, even when the row's other
            // digests load: listed as a reject of its PDQ cell.
            if e.is_empty() {
                why.get_or_insert(w);
            } else {
                report.reject(line, format!("{w} (the row's other digests were kept)"));
            }
        }
        if e.is_empty() {
            report.reject(line, why.unwrap_or_else(|| "no digest in record".into()));
            continue;
        }
        e.name = c
            .name
            .map(&field)
            .filter(|n| !n.is_empty())
            .map(|n| match c.dir.map(&field) {
                Some(d) if !d.is_empty() => format!("{}\\{n}", d.trim_end_matches('\\')),
                _ => n,
            });
        e.size = c.size.and_then(|i| field(i).trim().parse().ok());
        hook(&header, rec, &mut e);
        report.entries += 1;
        sink(e);
    }
    Ok(())
}
