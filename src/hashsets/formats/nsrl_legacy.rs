//! NSRL RDS 2.x legacy text (`NSRLFile.txt`) and the RDS zip as NIST ships it.
//!
//! The header decides the columns: RDS 2.x is `"SHA-1","MD5","CRC32",
//! "FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"`, RDS 1.5
//! is `"SHA-1","FileName","FileSize","ProductCode","OpSystemCode","MD4",
//! "MD5","CRC32","SpecialCode"`. In a zip, `NSRLProd.txt` (when present)
//! turns product codes into product names.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Seek};

use super::csv_generic::{column, parse_records};
use super::records::{Records, Row};
use crate::hashsets::{Entry, HashSetError, Hex64, ParseReport, message};

fn text(v: Option<&[u8]>) -> Option<String> {
    v.map(|b| String::from_utf8_lossy(b).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn parse_with_products(
    reader: &mut dyn BufRead,
    products: &HashMap<i64, String>,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    let mut rows = Records::new(reader, b',');
    parse_records(&mut rows, Hex64::Sha256, report, sink, &|header, row, e| {
        let code = text(column(header, row, "ProductCode"));
        e.media_id = code.as_deref().and_then(|c| c.parse().ok());
        if let Some(c) = code {
            if let Some(name) = e.media_id.and_then(|id| products.get(&id)) {
                e.extra.push(("product".into(), name.clone()));
            }
            e.extra.push(("product_code".into(), c));
        }
        if let Some(os) = text(column(header, row, "OpSystemCode")) {
            e.extra.push(("os".into(), os));
        }
        if let Some(sc) = text(column(header, row, "SpecialCode")) {
            e.extra.push(("special".into(), sc));
        }
    })
}

/// Parses an `NSRLFile.txt`.
pub fn parse(
    reader: &mut dyn BufRead,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    parse_with_products(reader, &HashMap::new(), report, sink)
}

/// A zip member may inflate to at most this many times its compressed size
/// (plus [`INFLATE_FLOOR`]): NSRL text deflates about 3:1, a zip bomb 1000:1.
const MAX_INFLATE_RATIO: u64 = 100;

/// Inflation always allowed, so a small but very regular member still loads.
const INFLATE_FLOOR: u64 = 64 << 20;

/// Most bytes of product labels kept from `NSRLProd.txt` (a real one holds a
/// few MB); past it, product codes stay but names are left out.
const MAX_PRODUCT_BYTES: usize = 64 << 20;

/// Longest product label kept, in characters.
const MAX_PRODUCT_CHARS: usize = 200;

/// A member that inflated past its limit.
#[derive(Debug)]
struct ZipBomb {
    member: String,
}

impl std::fmt::Display for ZipBomb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "zip member {} inflates to more than {MAX_INFLATE_RATIO} times its compressed size; \
             refusing a likely zip bomb",
            message::value(&self.member)
        )
    }
}

impl std::error::Error for ZipBomb {}

/// A member's reader that fails once it has produced more than its limit.
struct Inflation<R> {
    inner: R,
    left: u64,
    member: String,
}

impl<R: Read> Read for Inflation<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::other(ZipBomb {
                member: self.member.clone(),
            })
        })?;
        Ok(n)
    }
}

/// Opens a member for reading within its inflation limit; a member whose
/// header already declares more is refused before any byte is inflated.
fn member<'z, R: Read + Seek>(
    zip: &'z mut zip::ZipArchive<R>,
    name: &str,
) -> zip::result::ZipResult<Result<BufReader<Inflation<zip::read::ZipFile<'z, R>>>, ZipBomb>> {
    let file = zip.by_name(name)?;
    let limit = file
        .compressed_size()
        .saturating_mul(MAX_INFLATE_RATIO)
        .saturating_add(INFLATE_FLOOR);
    let member = name.to_string();
    if file.size() > limit {
        return Ok(Err(ZipBomb { member }));
    }
    Ok(Ok(BufReader::new(Inflation {
        inner: file,
        left: limit,
        member,
    })))
}

/// The bomb behind an I/O error, as a malformed-file error.
fn bomb_as_malformed(e: HashSetError) -> HashSetError {
    match e {
        HashSetError::Io { path, source }
            if source.get_ref().is_some_and(|inner| inner.is::<ZipBomb>()) =>
        {
            HashSetError::Malformed {
                path,
                reason: source.to_string(),
            }
        }
        other => other,
    }
}

/// `ProductCode` → "name version" from `NSRLProd.txt`, when the zip has one.
fn products<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    report: &mut ParseReport,
) -> Result<HashMap<i64, String>, HashSetError> {
    let mut map = HashMap::new();
    let Some(name) = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .find(|n| n.eq_ignore_ascii_case("NSRLProd.txt"))
    else {
        return Ok(map);
    };
    let reader = match member(zip, &name) {
        Ok(Ok(r)) => r,
        Ok(Err(bomb)) => {
            return Err(HashSetError::Malformed {
                path: report.source.clone(),
                reason: bomb.to_string(),
            });
        }
        Err(_) => return Ok(map),
    };
    let mut rows = Records::new(reader, b',');
    let io = |report: &ParseReport, e| bomb_as_malformed(super::plain::io_err(report, e));
    let headers: Vec<String> = match rows.next_record() {
        Ok(Some((_, Row::Fields(h)))) => h
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect(),
        Ok(_) => return Ok(map),
        Err(e) => return Err(io(report, e)),
    };
    let idx = |k: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(k));
    let (Some(code), Some(name)) = (idx("ProductCode"), idx("ProductName")) else {
        return Ok(map);
    };
    let version = idx("ProductVersion");
    let mut bytes = 0usize;
    loop {
        let rec = match rows.next_record() {
            Ok(Some((_, Row::Fields(rec)))) => rec,
            Ok(Some((_, Row::TooLong))) => continue,
            Ok(None) => break,
            Err(e) => return Err(io(report, e)),
        };
        let field = |i: usize| {
            rec.get(i)
                .map(|v| String::from_utf8_lossy(v).trim().to_string())
        };
        let (Some(c), Some(n)) = (field(code).and_then(|c| c.parse::<i64>().ok()), field(name))
        else {
            continue;
        };
        let v = version.and_then(field).unwrap_or_default();
        let label: String = if v.is_empty() { n } else { format!("{n} {v}") }
            .chars()
            .take(MAX_PRODUCT_CHARS)
            .collect();
        bytes += label.len();
        if bytes > MAX_PRODUCT_BYTES {
            report.reject(
                0,
                format!(
                    "NSRLProd.txt: product names past {} MiB left out",
                    MAX_PRODUCT_BYTES >> 20
                ),
            );
            break;
        }
        map.insert(c, label);
    }
    Ok(map)
}

/// Parses an RDS zip: `NSRLFile.txt` inside, product names from `NSRLProd.txt`.
/// Every member is read within its inflation limit (a zip bomb is refused)
/// and every record within the record limit.
pub fn parse_zip<R: Read + Seek>(
    reader: R,
    report: &mut ParseReport,
    sink: &mut dyn FnMut(Entry),
) -> Result<(), HashSetError> {
    let malformed = |report: &ParseReport, reason: String| HashSetError::Malformed {
        path: report.source.clone(),
        reason,
    };
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| malformed(report, format!("bad zip: {e}")))?;
    let prods = products(&mut zip, report)?;
    let name = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .find(|n| {
            n.rsplit('/')
                .next()
                .is_some_and(|b| b.eq_ignore_ascii_case("NSRLFile.txt"))
        })
        .ok_or_else(|| malformed(report, "zip holds no NSRLFile.txt".into()))?;
    let mut file = match member(&mut zip, &name) {
        Ok(Ok(file)) => file,
        Ok(Err(bomb)) => return Err(malformed(report, bomb.to_string())),
        Err(e) => {
            return Err(malformed(
                report,
                format!("cannot read {} in zip: {e}", message::value(&name)),
            ));
        }
    };
    parse_with_products(&mut file, &prods, report, sink).map_err(bomb_as_malformed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_member_that_inflates_past_its_limit_is_a_zip_bomb() {
        let mut r = BufReader::new(Inflation {
            inner: &[b'A'; 100][..],
            left: 64,
            member: "NSRLFile.txt".into(),
        });
        let mut sink = Vec::new();
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert!(e.get_ref().unwrap().is::<ZipBomb>());
        let e = bomb_as_malformed(HashSetError::Io {
            path: "x.zip".into(),
            source: e,
        });
        assert!(
            e.to_string()
                .ends_with("NSRLFile.txt inflates to more than 100 times its compressed size; refusing a likely zip bomb"),
            "{e}"
        );
    }
}
